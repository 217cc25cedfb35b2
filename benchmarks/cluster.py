"""Real processes for the dispatch benchmarks: a `legato server --no-worker` on SQLite or a
scratch PostgreSQL database, `legato worker` processes over its API, and a deployed trivial
flow. Every process is started in its own session and killed by its pid at the end."""

from __future__ import annotations

import compileall
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

import legato
from legato.client.deploy import DeployOptions, deploy_flow
from legato.client.deployments import DeploymentsClient
from legato.sdk.runtime import load_flow

LEGATO = Path(sys.executable).parent / "legato"

# The flow's first line writes the wall-clock time it started, which the benchmark compares
# with the time it sent the request that made the run.
FLOW_SOURCE = '''
import time

from legato import flow


@flow
def ping(out: str = "") -> None:
    started = time.time()
    if out:
        with open(out, "w") as fh:
            fh.write(repr(started))
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Cluster:
    """A server and its workers in `tmp`, on `database_url` (None: SQLite in its home)."""

    def __init__(self, tmp: Path, database_url: str | None) -> None:
        # As pip does when it installs a wheel: without bytecode (a checkout used with
        # PYTHONDONTWRITEBYTECODE set) every run's fresh interpreter would compile each of
        # Legato's modules again, about 50 ms of a cold start that no installation pays.
        compileall.compile_dir(Path(legato.__file__).parent, quiet=1)
        self.tmp = tmp
        self.home = tmp / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
        self.env["LEGATO_HOME"] = str(self.home)
        if database_url:
            self.env["LEGATO_DATABASE_URL"] = database_url
        self.processes: list[subprocess.Popen[bytes]] = []
        self.url = ""

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with open(self.tmp / f"{name}.log", "wb") as out:
            process = subprocess.Popen([str(LEGATO), *args], env=self.env, cwd=self.tmp,
                                       stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.processes.append(process)
        return process

    def start_server(self) -> str:
        port = free_port()
        process = self._start("server", "server", "--port", str(port), "--no-worker")
        self.url = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"legato server exited {process.returncode}; see "
                                   f"{self.tmp / 'server.log'}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("legato server did not become healthy within 60 s")

    def start_worker(self, name: str, launcher: str, limit: int) -> subprocess.Popen[bytes]:
        return self._start(name, "worker", "--name", name, "--api-url", self.url,
                           "--launcher", launcher, "--limit", str(limit))

    def deploy(self, options: DeployOptions) -> str:
        """Deploy the `ping` flow; return the deployment id."""
        path = self.tmp / "bench_flows.py"
        path.write_text(FLOW_SOURCE)
        flow = load_flow(f"{path}:ping")
        with DeploymentsClient(self.url) as client:
            deployment, _ = deploy_flow(flow, options, client)
        return deployment.id

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the cluster's processes and the children
        they waited for: the server, the workers, their warm parents and every run's
        process. Each process leads its own session, so its group id is its pid (Linux)."""
        groups = {process.pid for process in self.processes}
        ticks = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
            except OSError:  # exited meanwhile
                continue
            if int(fields[2]) in groups:
                ticks += sum(int(value) for value in fields[11:15])
        return ticks / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()
