"""The run's step spawner: each step in its own mount namespace with a private /tmp, missing
programs named, and a spawner that dies fails its steps with a clear error instead of hanging."""

from __future__ import annotations

import os
import shutil
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.errors import ConfigError
from legato.workflows import executor, isolation
from legato.workflows.executor import ProcessSpec, run_process
from legato.workflows.images import ImageMap
from legato.workflows.scratch import Scratch
from legato.workflows.spawner import Spawner, shared_spawner

from .conftest import RunYaml
from .test_features import COMPUTED_TMP

pytestmark = pytest.mark.skipif(isolation.probe() is not None,
                                reason="user and mount namespaces are not available here")


@pytest.fixture
def tree() -> Iterator[Path]:
    """Scratch trees outside /tmp (binding over /tmp would hide a tree under it)."""
    if not os.access("/dev/shm", os.W_OK):
        pytest.skip("no writable /dev/shm for scratch trees outside /tmp")
    base = Path("/dev/shm", f"legato-spawner-test-{uuid.uuid4().hex}")
    base.mkdir()
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def spawner() -> Iterator[Spawner]:
    started = Spawner()
    yield started
    started.close()


def _run(spawner: Spawner, scratch: Scratch, script: str,
         lines: list[str] | None = None) -> executor.ProcessResult:
    spec = ProcessSpec(image="alpine", command=["sh", "-c", script], where="step s")
    toolbox = ImageMap().toolbox("alpine", "step s")
    scratch.create()
    seen = lines if lines is not None else []
    return run_process(spec, toolbox, scratch, lambda line, _err: seen.append(line),
                       spawner=spawner)


def test_a_step_cannot_see_another_steps_tmp_files(spawner: Spawner, tree: Path) -> None:
    marker = f"legato-spawner-{uuid.uuid4().hex}"
    mounted = frozenset({"/tmp"})
    first, second = (Scratch(tree / name, mounted=mounted) for name in ("a", "b"))
    # The path is computed at run time, so only the namespace can keep it private.
    wrote = _run(spawner, first, f'd=/t"m"p; echo secret > "$d/{marker}"; ls "$d"')
    assert wrote.exit_code == 0
    assert wrote.stdout == marker
    looked = _run(spawner, second, f'd=/t"m"p; ls -A "$d"; cat "$d/{marker}" || exit 7')
    assert looked.exit_code == 7
    assert marker not in looked.stdout
    assert (tree / "a" / "tmp" / marker).read_text() == "secret\n"
    assert not Path("/tmp", marker).exists()


def test_a_missing_program_is_named(spawner: Spawner, tree: Path) -> None:
    with pytest.raises(ConfigError, match="cannot start '/no/such/program'"):
        spawner.spawn(["/no/such/program"], tree, dict(os.environb), [], "step s")
    ok = _run(spawner, Scratch(tree / "s", mounted=frozenset({"/tmp"})), "echo fine")
    assert ok.stdout == "fine"


def test_a_spawner_crash_fails_the_step_with_a_clear_error(spawner: Spawner,
                                                            tree: Path) -> None:
    lines: list[str] = []

    def crash_once_started(line: str, _err: bool) -> None:
        lines.append(line)
        if line == "started":
            os.kill(spawner.process.pid, signal.SIGKILL)

    spec = ProcessSpec(image="alpine", command=["sh", "-c", "echo started; exec sleep 600"],
                       where="step s")
    scratch = Scratch(tree / "s", mounted=frozenset({"/tmp"}))
    scratch.create()
    with pytest.raises(ConfigError, match=r"step s: the step spawner stopped \(killed by "
                                          r"signal 9\).*run the workflow again"):
        run_process(spec, ImageMap().toolbox("alpine", "step s"), scratch, crash_once_started,
                    spawner=spawner)
    assert lines == ["started"]
    # Later steps fail at once with the same explanation.
    with pytest.raises(ConfigError, match="the step spawner stopped"):
        _run(spawner, Scratch(tree / "t", mounted=frozenset({"/tmp"})), "echo never")


def test_namespace_runs_start_steps_through_the_spawner(
        run_yaml: RunYaml, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_wrapper(*_args: object) -> list[str]:
        raise AssertionError("the unshare wrapper was used instead of the spawner")

    monkeypatch.setattr(executor, "wrap", no_wrapper)
    monkeypatch.setenv("LEGATO_SCRATCH_ISOLATION", "namespace")
    out = run_yaml(COMPUTED_TMP)
    assert out.state.type.value == "COMPLETED", out.state.message
    assert out.logs("private-tmp[0].write(1:b)") == ["b False"]


def test_the_process_shares_one_spawner_and_replaces_it_once_it_stops() -> None:
    first = shared_spawner()
    assert shared_spawner() is first
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait()
    second = shared_spawner()
    assert second is not first and second.alive()


def test_a_nul_byte_in_an_argument_is_refused_before_anything_starts(spawner: Spawner,
                                                                       tree: Path) -> None:
    with pytest.raises(ConfigError, match="step s: an argument or environment value holds a "
                                          "NUL byte"):
        spawner.launch(["sh", "-c", "echo a\0b"], tree, dict(os.environb), [], "step s")
    assert spawner.alive()


def test_steps_started_together_each_get_their_own_tmp(spawner: Spawner, tree: Path) -> None:
    mounted = frozenset({"/tmp"})
    scratches = [Scratch(tree / str(i), mounted=mounted) for i in range(8)]
    for scratch in scratches:
        scratch.create()
    env = dict(os.environb)
    steps = [spawner.launch(["sh", "-c", f'echo {i} > /t"m"p/who; sleep 0.2; cat /tmp/who'],
                            scratch.root, env, scratch.mounts(), f"step {i}")
             for i, scratch in enumerate(scratches)]
    for i, step in enumerate(steps):
        assert step.stdout is not None and step.stderr is not None
        assert step.stdout.read() == f"{i}\n".encode()
        step.stdout.close()
        step.stderr.close()
        assert step.wait() == 0
    assert [(s.root / "tmp" / "who").read_text() for s in scratches] == [
        f"{i}\n" for i in range(8)]


def test_a_step_that_closes_its_output_early_is_waited_for_through_its_status_pipe(
        spawner: Spawner, tree: Path) -> None:
    scratch = Scratch(tree / "early", mounted=frozenset({"/tmp"}))
    lines: list[str] = []
    done = _run(spawner, scratch, "echo before; exec >&- 2>&-; sleep 0.3; exit 4", lines)
    assert (done.exit_code, lines, done.stdout) == (4, ["before"], "before")


def test_a_step_stopped_at_its_deadline_reports_the_kill(spawner: Spawner, tree: Path) -> None:
    scratch = Scratch(tree / "slow", mounted=frozenset({"/tmp"}))
    spec = ProcessSpec(image="alpine", command=["sh", "-c", "echo started; sleep 60"],
                       where="step s")
    scratch.create()
    lines: list[str] = []
    done = run_process(spec, ImageMap().toolbox("alpine", "step s"), scratch,
                       lambda line, _err: lines.append(line), spawner=spawner, timeout=0.5)
    assert done.timed_out and done.exit_code == -signal.SIGTERM
    assert lines == ["started"]


def test_a_step_holds_no_descriptor_but_its_stdin_stdout_and_stderr(spawner: Spawner,
                                                                    tree: Path) -> None:
    # Steps start with posix_spawn, which closes nothing: every other descriptor of the
    # spawner must be close-on-exec, or a step could keep another step's pipes open.
    scratch = Scratch(tree / "fds", mounted=frozenset({"/tmp"}))
    done = _run(spawner, scratch, "ls /proc/$$/fd")
    assert done.stdout.split() == ["0", "1", "2"]


def test_a_step_gets_the_signals_python_ignores_back_at_their_defaults(
        spawner: Spawner, tree: Path) -> None:
    scratch = Scratch(tree / "signals", mounted=frozenset({"/tmp"}))
    scratch.create()
    spec = ProcessSpec(image="alpine", command=["grep", "SigIgn", "/proc/self/status"],
                       where="step s")
    done = run_process(spec, ImageMap().toolbox("alpine", "step s"), scratch,
                       lambda _line, _err: None, spawner=spawner)
    ignored = int(done.stdout.split()[1], 16)
    assert not ignored & (1 << (signal.SIGPIPE - 1))
    assert not ignored & (1 << (signal.SIGXFSZ - 1))


def test_a_missing_working_directory_is_named(spawner: Spawner, tree: Path) -> None:
    with pytest.raises(ConfigError, match=r"working directory .*/gone: No such file"):
        spawner.spawn(["true"], tree / "gone", dict(os.environb), [], "step s")


def test_a_step_has_the_runs_environment_with_its_own_tmpdir_and_variables(
        spawner: Spawner, tree: Path) -> None:
    toolbox = ImageMap().toolbox("alpine", "step s")
    show = ["sh", "-c", 'echo "$TMPDIR $FROM_RUN ${OWN-unset}"']
    for index, (own, expected) in enumerate(((None, "/tmp run unset"),
                                             ({"OWN": "/tmp/x"}, "/tmp run /tmp/x"))):
        scratch = Scratch(tree / f"env{index}", mounted=frozenset({"/tmp"}))
        spec = ProcessSpec(image="alpine", command=show, env=own or {}, where="step s")
        scratch.create()
        done = run_process(spec, toolbox, scratch, lambda _line, _err: None,
                           base_env={**os.environb, b"FROM_RUN": b"run"}, spawner=spawner)
        assert done.stdout == expected
