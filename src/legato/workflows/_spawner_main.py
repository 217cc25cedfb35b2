"""The step spawner's program (run as `python -I -S` of this file, standard library only): it
enters a user namespace once, then forks each requested step into its own mount namespace with
its scratch directories bound over /tmp, /mnt, ..., and reports each step's pid and exit."""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import socket
import sys
from typing import Any

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_PDEATHSIG = 1
MAX_MESSAGE = 4 << 20

SIGKILL = int(signal.SIGKILL)
libc = ctypes.CDLL(None, use_errno=True)
NULL = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def enter_user_namespace() -> None:
    """Become root of a new user namespace mapped to this user, so steps may mount."""
    uid, gid = os.getuid(), os.getgid()
    _check(libc.unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)")
    for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"),
                       ("gid_map", f"0 {gid} 1")):
        with open(f"/proc/self/{name}", "w", encoding="ascii") as file:
            file.write(text)


def prepare(request: dict[str, Any]) -> tuple[bytes, list[bytes], dict[bytes, bytes],
                                              list[tuple[bytes, bytes]], bytes]:
    """Everything the child needs, as bytes, made before fork: the child then only makes
    system calls (each Python object it touched would be a copy-on-write page fault)."""
    argv = [os.fsencode(a) for a in request["argv"]]
    env = {os.fsencode(k): os.fsencode(v) for k, v in request["env"]}
    program = argv[0]
    if b"/" not in program:
        for folder in os.get_exec_path(env):  # type: ignore[arg-type]  # bytes keys work
            candidate = os.path.join(os.fsencode(folder), program)
            if os.access(candidate, os.X_OK):
                program = candidate
                break
    mounts = [(os.fsencode(s), os.fsencode(t)) for s, t in request["mounts"]]
    return program, argv, env, mounts, os.fsencode(request["cwd"])


def child(prepared: tuple[bytes, list[bytes], dict[bytes, bytes], list[tuple[bytes, bytes]],
                          bytes], fds: list[int], report: int) -> None:
    """In the forked child: new mount namespace, binds, descriptors, then exec. Never returns."""
    program, argv, env, mounts, cwd = prepared
    try:
        os.setsid()
        _check(libc.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl")
        _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
        _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate")
        for source, target in mounts:
            _check(libc.mount(source, target, None, MS_BIND | MS_REC, None),
                   f"mount --bind {source!r} {target!r}")
        os.dup2(NULL, 0)
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        try:
            os.chdir(cwd)
        except OSError as exc:
            raise OSError(exc.errno, f"working directory {os.fsdecode(cwd)}: {exc.strerror}"
                          ) from None
        os.execve(program, argv, env)
    except BaseException as exc:  # anything reaches the parent as text
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        try:
            os.write(report, detail.encode("utf-8", "replace")[:4000])
        finally:
            os._exit(127)


def fork_step(request: dict[str, Any], fds: list[int]) -> tuple[int, int]:
    """Fork one step; its pid and the read end of a close-on-exec pipe that closes when the
    step's program starts, or carries why it could not."""
    prepared = prepare(request)
    read, write = os.pipe()
    try:
        pid = os.fork()
        if pid == 0:
            child(prepared, fds, write)
    finally:
        os.close(write)
        for fd in fds:
            os.close(fd)
    return pid, read


def serve(sock: socket.socket) -> None:
    """Answer requests until the run process closes its end; report starts and exits as they
    happen, so one step's namespace setup never delays the next step's fork."""
    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    starting: dict[int, tuple[int, int]] = {}  # start pipe -> (request id, pid)
    pipes: dict[int, int] = {}  # pid -> its start pipe, until it has started
    running: dict[int, int] = {}  # pid -> request id
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    poller.register(wake_read, select.POLLIN)

    def send(reply: dict[str, Any]) -> None:
        sock.send(json.dumps(reply).encode(), socket.MSG_NOSIGNAL)

    def announce(read: int, reaped: bool) -> bool:
        """Report a step's start (or why it failed to start); True when it started."""
        ident, pid = starting.pop(read)
        del pipes[pid]
        poller.unregister(read)
        chunks = []
        while chunk := os.read(read, 4096):  # closed by exec or exit: never blocks long
            chunks.append(chunk)
        os.close(read)
        if chunks:
            if not reaped:
                os.waitpid(pid, 0)
            send({"id": ident, "error": b"".join(chunks).decode("utf-8", "replace")})
            return False
        running[pid] = ident
        send({"id": ident, "pid": pid})
        return True

    while True:
        for fd, _ in poller.poll():
            if fd == wake_read:
                while True:
                    try:
                        if not os.read(wake_read, 512):
                            break
                    except BlockingIOError:
                        break
            elif fd in starting:
                announce(fd, reaped=False)
            else:
                message, fds, _flags, _addr = socket.recv_fds(sock, MAX_MESSAGE, 4)
                if not message:
                    return
                for received in fds:
                    os.set_inheritable(received, False)
                request = json.loads(message)
                pid, read = fork_step(request, fds)
                starting[read] = (request["id"], pid)
                pipes[pid] = read
                poller.register(read, select.POLLIN)
        while running or pipes:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid in pipes and not announce(pipes[pid], reaped=True):
                continue
            ident = running.pop(pid, None)
            if ident is not None:
                send({"id": ident, "exit": os.waitstatus_to_exitcode(status)})


def main() -> None:
    # Steps start with default signal dispositions (Python ignores SIGPIPE and SIGXFSZ).
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)
    sock = socket.socket(fileno=int(sys.argv[1]))  # close-on-exec: steps never hold it
    os.set_inheritable(sock.fileno(), False)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    try:
        enter_user_namespace()
    except OSError as exc:
        sock.send(json.dumps({"ready": False, "error": str(exc)}).encode())
        return
    sock.send(json.dumps({"ready": True}).encode())
    try:
        serve(sock)
    except (BrokenPipeError, ConnectionResetError):
        pass


if __name__ == "__main__":
    main()
