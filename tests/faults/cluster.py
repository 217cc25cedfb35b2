"""A real Legato cluster for fault tests: one `legato server` process (API, scheduler and a
lease monitor sweeping every SWEEP_SECONDS, no local worker) and `legato worker` processes
with short leases, plus a side-effect table that counts real executions of each task."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from legato.client.http import HttpBackend
from legato.core.states import StateType as S
from tests.e2e.cli import LEGATO, Legato
from tests.e2e.test_server import ServerProcess, free_port, wait_until_healthy

LEASE_SECONDS = 2.0
SWEEP_SECONDS = 0.5
# Promise 2: a run whose process died is CRASHED within heartbeat timeout + sweep + 5 s.
CRASH_BOUND_SECONDS = LEASE_SECONDS + SWEEP_SECONDS + 5.0

FLOWS = '''
import os
import sqlite3
import time

from legato import flow, get_run_logger, task


def record(effects: str, token: str, step: str) -> None:
    con = sqlite3.connect(effects, timeout=30)
    with con:
        con.execute("INSERT INTO effects VALUES (?, ?, ?)", (token, step, os.getpid()))
    con.close()


def hold(gate: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.02)


@task
def step(effects: str, token: str, i: int, gate: str, stop_at: int) -> int:
    record(effects, token, f"step{i}")
    get_run_logger().info("step %d of %s ran", i, token)
    if i == stop_at:
        with open(gate + ".pid", "w") as fh:
            fh.write(str(os.getpid()))
        hold(gate)
    return i


@flow
def five(effects: str, token: str, gate: str, stop_at: int = 0) -> int:
    return sum(step(effects, token, i, gate, stop_at) for i in range(1, 6))


@task
def spin(effects: str, token: str, seconds: float) -> int:
    record(effects, token, "spin")
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:  # pure-Python CPU work, holding the GIL throughout
        n += 1
    return n


@flow
def busy(effects: str, token: str, seconds: float) -> bool:
    return spin(effects, token, seconds) > 0


@task
async def block_loop(effects: str, token: str, seconds: float) -> str:
    record(effects, token, "block_loop")
    time.sleep(seconds)  # blocks the event loop on purpose
    return token


@flow
async def blocking(effects: str, token: str, seconds: float) -> str:
    return await block_loop(effects, token, seconds)


@task
def once(effects: str, token: str) -> str:
    record(effects, token, "once")
    return token


@flow
def single(effects: str, token: str) -> str:
    return once(effects, token)


@task
def nap(effects: str, token: str, seconds: float) -> str:
    record(effects, token, "nap")
    time.sleep(seconds)
    return token


@flow
def napping(effects: str, token: str, seconds: float = 1.0) -> str:
    return nap(effects, token, seconds)
'''


class Cluster:
    """Processes started for one test, every one SIGKILLed with its group at teardown."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.tmp_path = tmp_path
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        self.env = Legato(home, database_url).env()
        self.env["LEGATO_MONITOR_INTERVAL"] = str(SWEEP_SECONDS)
        self.started: list[subprocess.Popen[bytes]] = []
        self.flows = tmp_path / "flows.py"
        self.flows.write_text(FLOWS)
        self.effects = tmp_path / "effects.db"
        con = sqlite3.connect(self.effects)
        with con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("CREATE TABLE effects (token TEXT, step TEXT, pid INTEGER)")
        con.close()
        self.server: ServerProcess | None = None
        self.api: HttpBackend | None = None

    # processes

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with open(self.tmp_path / f"{name}.out", "ab") as out:
            process = subprocess.Popen([str(LEGATO), *args], env=self.env, cwd=self.tmp_path,
                                       stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.started.append(process)
        return process

    def start_server(self) -> ServerProcess:
        port = free_port()
        process = self.start("server", "server", "--port", str(port), "--no-worker")
        self.server = ServerProcess(process, f"http://127.0.0.1:{port}/api/v1")  # type: ignore[arg-type]
        wait_until_healthy(self.server, deadline_seconds=60)
        self.api = HttpBackend(self.server.url, timeout=10)
        return self.server

    def worker(self, name: str, limit: int = 4, grace: float = 1.0,
               lease: float = LEASE_SECONDS) -> subprocess.Popen[bytes]:
        return self.start(name, "worker", "--queue", "default", "--limit", str(limit),
                          "--name", name, "--api-url", self.url,
                          "--lease-seconds", str(lease), "--poll-seconds", "0.05",
                          "--grace-seconds", str(grace))

    def stop_all(self) -> None:
        if self.api is not None:
            self.api.close()
        for process in self.started:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)

    def output(self, name: str) -> str:
        return (self.tmp_path / f"{name}.out").read_text(errors="replace")

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    @property
    def backend(self) -> HttpBackend:
        assert self.api is not None
        return self.api

    # deployments and runs, through the CLI as an operator would

    def cli(self, *args: str) -> str:
        done = subprocess.run([str(LEGATO), *args, "--api-url", self.url], env=self.env,
                              cwd=self.tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def deploy(self, flow: str, name: str, *, crash_retries: int = 1) -> None:
        self.cli("deploy", f"{self.flows}:{flow}", "--name", name,
                 "--crash-retries", str(crash_retries))

    def run(self, flow: str, name: str, **parameters: object) -> str:
        params = [f"{key}={value if isinstance(value, str) else orjson.dumps(value).decode()}"
                  for key, value in parameters.items()]
        args = [item for param in params for item in ("-p", param)]
        out = self.cli("deployments", "run", f"{flow}/{name}", *args, "--json")
        run_id: str = orjson.loads(out)["id"]
        return run_id

    # observations

    def effects_of(self, token: str) -> list[str]:
        con = sqlite3.connect(self.effects, timeout=30)
        try:
            rows = con.execute("SELECT step FROM effects WHERE token = ? ORDER BY rowid",
                               (token,)).fetchall()
        finally:
            con.close()
        return [row[0] for row in rows]

    def state(self, run_id: str) -> S:
        return self.backend.read_flow_run(run_id).state

    def history(self, run_id: str) -> list[tuple[S, str]]:
        return [(e.to_state, e.message or "") for e in self.backend.read_state_events(run_id)]


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30) -> float:
    """Poll until `condition` holds; return the monotonic time it first held."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting until {what}")
        time.sleep(0.05)
    return time.monotonic()


def read_pid(path: Path, seconds: float = 30) -> int:
    wait_for(lambda: path.exists() and path.read_text().strip() != "", f"{path} exists", seconds)
    return int(path.read_text())
