"""Workers against `legato server --auth`, all real processes: a `legato worker` holding an
operator token (LEGATO_API_KEY) runs a deployment's run; the same worker with a viewer token
or a revoked token is refused at once with an error that says why and what to do."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest

from .cli import LEGATO, Legato, describe
from .test_server import free_port

FLOWS = '''
from legato import flow, task


@task
def double(x: int) -> int:
    return 2 * x


@flow
def doubled(x: int = 21) -> int:
    return double(x)
'''


@dataclass
class AuthServer:
    """A `legato server --auth` process, its home and a token per role."""

    legato: Legato
    url: str
    tokens: dict[str, str]
    workdir: Path

    def env(self, token: str | None) -> dict[str, str]:
        env = self.legato.env()
        env["LEGATO_API_URL"] = self.url
        if token is not None:
            env["LEGATO_API_KEY"] = token
        return env

    def cli(self, token: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(LEGATO), *args], env=self.env(token), cwd=self.workdir,
                              capture_output=True, text=True, timeout=120, check=False)

    def get(self, token: str, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=10,
                         headers={"Authorization": f"Bearer {token}"})


def _token(legato: Legato, user: str, role: str) -> dict[str, str]:
    made: dict[str, str] = legato.json("tokens", "create", "--user", user, "--role", role,
                                       "--expires", "1d", "--name", f"{role} worker")
    return made


@pytest.fixture
def auth_server(tmp_path: Path) -> Iterator[AuthServer]:
    home = tmp_path / "home"
    home.mkdir()
    legato = Legato(home)
    for user, role in (("admin", "admin"), ("ops", "operator"), ("eve", "viewer")):
        done = subprocess.run([str(LEGATO), "users", "create", user, "--role", role,
                               "--password-stdin"], input="a long password\n", env=legato.env(),
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, describe(done)
    revoked = _token(legato, "ops", "operator")
    done = legato("tokens", "revoke", revoked["id"])
    assert done.returncode == 0, describe(done)
    tokens = {"operator": _token(legato, "ops", "operator")["secret"],
              "viewer": _token(legato, "eve", "viewer")["secret"],
              "revoked": revoked["secret"]}
    port = free_port()
    log = tmp_path / "server.out"
    with open(log, "wb") as out:
        process = subprocess.Popen([str(LEGATO), "server", "--auth", "--port", str(port),
                                    "--no-worker"], env=legato.env(), cwd=tmp_path,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = AuthServer(legato, f"http://127.0.0.1:{port}/api/v1", tokens, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        (tmp_path / "flows.py").write_text(FLOWS)
        yield server
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


def _worker(server: AuthServer, token: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(LEGATO), "worker", "--queue", "default", "--limit", "1", "--poll-seconds", "0.1",
         "--api-url", server.url],
        env=server.env(token), cwd=server.workdir, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    out, _ = process.communicate(timeout=10)
    return out


def test_a_worker_with_an_operator_token_runs_a_deployments_run(auth_server: AuthServer) -> None:
    operator = auth_server.tokens["operator"]
    deployed = auth_server.cli(operator, "deploy", "flows.py:doubled", "--name", "auth")
    assert deployed.returncode == 0, describe(deployed)
    started = auth_server.cli(operator, "deployments", "run", "doubled/auth", "-p", "x=5",
                              "--json")
    assert started.returncode == 0, describe(started)
    run_id = orjson.loads(started.stdout)["id"]
    worker = _worker(auth_server, operator)
    try:
        deadline = time.monotonic() + 90
        while True:
            run = auth_server.get(operator, f"/flow-runs/{run_id}").json()
            if run["state"] in ("COMPLETED", "FAILED", "CRASHED"):
                break
            assert worker.poll() is None, _stop(worker)
            assert time.monotonic() < deadline, f"run is {run['state']}"
            time.sleep(0.2)
        assert run["state"] == "COMPLETED", run
        workers = auth_server.get(operator, "/workers").json()["items"]
        assert len(workers) == 1
    finally:
        _stop(worker)
    # The same read without a token is refused: the server really checks.
    assert httpx.get(f"{auth_server.url}/flow-runs/{run_id}", timeout=10).status_code == 401


@pytest.mark.parametrize(("which", "said"), [
    ("viewer", "viewer"),
    ("revoked", "revoked"),
])
def test_a_worker_with_a_viewer_or_revoked_token_is_refused_clearly(
    auth_server: AuthServer, which: str, said: str
) -> None:
    worker = _worker(auth_server, auth_server.tokens[which])
    try:
        code = worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker with a {which} token kept running:\n{_stop(worker)}")
    out = _stop(worker)
    assert code != 0, out
    assert said in out.lower(), out
    assert "Traceback" not in out, out
    assert auth_server.get(auth_server.tokens["operator"], "/workers").json()["items"] == []
