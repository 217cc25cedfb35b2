"""The step spawner's program (run as `python -I -S` of this file, standard library only): it
enters a user namespace once, then starts each requested step in a mount namespace of its own
with its scratch directories bound over /tmp, /mnt, ..., and reports each step's pid and exit.
It imports little (no json, no typing): its start-up is part of the first step's latency."""

from __future__ import annotations

import ctypes
import os
import select
import signal
import socket
import subprocess
import sys
import threading

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
MAX_MESSAGE = 4 << 20
# Threads that take requests: a start waits for the step's exec (vfork), and one thread
# per run made the spawner the bottleneck of a wide DAG.
STARTERS = 4

libc = ctypes.CDLL(None, use_errno=True)
NULL = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def enter_namespaces() -> int:
    """Become root of a new user namespace mapped to this user, in a mount namespace of our
    own whose mounts are all private (once, so no step's binds reach the host); returns a
    descriptor of that mount namespace to come back to after each step's."""
    uid, gid = os.getuid(), os.getgid()
    _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare(CLONE_NEWUSER|CLONE_NEWNS)")
    for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"),
                       ("gid_map", f"0 {gid} 1")):
        with open(f"/proc/self/{name}", "w", encoding="ascii") as file:
            file.write(text)
    _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    os.close(os.pidfd_open(os.getpid()))  # exits are watched through pidfds (Linux 5.3)
    return os.open("/proc/self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)


class Server:
    """Starter threads take requests from the socket; the main thread reports exits."""

    def __init__(self, sock: socket.socket, home: int) -> None:
        self.sock, self.home = sock, home
        self.lock = threading.Lock()
        self.children: dict[int, tuple[subprocess.Popen[bytes], int]] = {}  # pidfd -> ...
        self.exits = select.epoll()
        self.done_read, self.done_write = os.pipe2(os.O_CLOEXEC)
        self.exits.register(self.done_read, select.EPOLLIN)
        self.base_env = dict(os.environb)  # the run's environment: requests send changes

    def start(self, message: bytes, out: int, err: int) -> subprocess.Popen[bytes]:
        """Start one step. With mounts, this thread steps into a fresh mount namespace,
        binds the step's directories there, starts the step (which keeps that namespace)
        and returns to `home`. The step starts through CPython's vfork path with no Python
        code between fork and exec, which costs about what a plain spawn does (forking this
        process and entering the namespace in the child cost 1-2 ms of CPU more per step)."""
        argv, cwd, mounts, changes, unset = decode(message)
        env: dict[bytes, bytes] | None = None  # none: the spawner's own, inherited as it is
        if changes or unset:
            env = dict(self.base_env)
            for key in unset:
                env.pop(key, None)
            env.update(changes)
        if mounts:  # a thread may: CLONE_NEWNS only unshares this thread's filesystem view
            _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
        try:
            for source, target in mounts:
                _check(libc.mount(source, target, None, MS_BIND | MS_REC, None),
                       f"mount --bind {os.fsdecode(source)} {os.fsdecode(target)}")
            try:
                return subprocess.Popen(argv, cwd=cwd, env=env, stdin=NULL, stdout=out,
                                        stderr=err, start_new_session=True)
            except OSError as exc:
                if exc.filename in (cwd, os.fsdecode(cwd)):
                    raise OSError(exc.errno, f"working directory {os.fsdecode(cwd)}: "
                                  f"{exc.strerror}") from None
                raise
        finally:
            if mounts and libc.setns(self.home, CLONE_NEWNS) != 0:
                os.write(2, b"legato step spawner: cannot return to its mount namespace\n")
                os._exit(70)

    def take_requests(self) -> None:
        """A starter thread: each request comes with the step's stdout, stderr and status
        pipe ends; the status pipe gets `pid N` (or `error TEXT`), later `exit N`."""
        while True:
            try:
                message, fds, _flags, _addr = socket.recv_fds(self.sock, MAX_MESSAGE, 3)
            except OSError:
                message, fds = b"", []
            if not message:
                os.write(self.done_write, b"x")
                return
            for fd in fds:
                os.set_inheritable(fd, False)
            out, err, status = fds
            try:
                step = self.start(message, out, err)
                try:
                    pidfd = os.pidfd_open(step.pid)
                except OSError:  # unwatchable, so it must not run unreported
                    os.killpg(step.pid, signal.SIGKILL)
                    step.wait()
                    raise
            except OSError as exc:
                _write(status, b"error " + (exc.strerror or str(exc)).encode("utf-8", "replace"))
                os.close(status)
                continue
            finally:
                os.close(out)
                os.close(err)
            _write(status, b"pid %d\n" % step.pid)
            with self.lock:
                self.children[pidfd] = (step, status)
            self.exits.register(pidfd, select.EPOLLIN)

    def report_exits(self) -> None:
        """Until the run process closes the socket: reap each step as it ends and report
        its exit status; then stop the steps still running, which go with the run."""
        while True:
            for fd, _ in self.exits.poll():
                if fd == self.done_read:
                    self._stop_all()
                    return
                with self.lock:
                    step, status = self.children.pop(fd)
                self.exits.unregister(fd)
                os.close(fd)
                _pid, wait_status = os.waitpid(step.pid, 0)
                # Reaped here, so Popen must not wait for it (nor queue it to be reaped).
                step.returncode = os.waitstatus_to_exitcode(wait_status)
                _write(status, b"exit %d\n" % step.returncode)
                os.close(status)

    def _stop_all(self) -> None:
        with self.lock:
            running = list(self.children.values())
        for step, _status in running:
            try:
                os.killpg(step.pid, signal.SIGKILL)
            except OSError:
                pass
            step.returncode = -signal.SIGKILL


def decode(message: bytes) -> tuple[list[bytes], bytes, list[tuple[bytes, bytes]],
                                    dict[bytes, bytes], list[bytes]]:
    """A request: NUL-separated fields (exec arguments, paths and environment entries cannot
    hold NUL), `spawner.encode` is the other end. (argv, cwd, mounts, env changes, unset)"""
    parts = message.split(b"\0")
    count = int(parts[0])
    argv, cwd = parts[1:1 + count], parts[1 + count]
    at = 2 + count
    count = int(parts[at])
    mounts = [(parts[at + 1 + 2 * i], parts[at + 2 + 2 * i]) for i in range(count)]
    at += 1 + 2 * count
    count = int(parts[at])
    changes = {parts[at + 1 + 2 * i]: parts[at + 2 + 2 * i] for i in range(count)}
    at += 1 + 2 * count
    count = int(parts[at])
    return argv, cwd, mounts, changes, parts[at + 1:at + 1 + count]


def _write(fd: int, data: bytes) -> None:
    try:
        os.write(fd, data)
    except OSError:  # the run process stopped listening for this step
        pass


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))  # close-on-exec: steps never hold it
    os.set_inheritable(sock.fileno(), False)
    try:
        home = enter_namespaces()
    except OSError as exc:
        sock.send(b"error " + str(exc).encode("utf-8", "replace"))
        return
    sock.send(b"ready")
    server = Server(sock, home)
    for index in range(STARTERS):
        threading.Thread(target=server.take_requests, name=f"starter-{index}",
                         daemon=True).start()
    server.report_exits()
    os._exit(0)  # starter threads may still sit in recv


if __name__ == "__main__":
    main()
