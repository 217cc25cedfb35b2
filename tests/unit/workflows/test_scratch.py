"""Scratch trees: container paths are moved under the step's root at path boundaries only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from legato.errors import ManifestError
from legato.workflows.durations import parse_duration
from legato.workflows.scratch import Scratch


def test_container_paths_move_under_the_root(tmp_path: Path) -> None:
    scratch = Scratch(tmp_path)
    root = str(tmp_path)
    assert scratch.rewrite("echo x > /tmp/a.txt") == f"echo x > {root}/tmp/a.txt"
    assert scratch.rewrite("/mnt/out") == f"{root}/mnt/out"
    assert scratch.rewrite("cd /workspace && ls") == f"cd {root}/workspace && ls"


def test_host_paths_and_lookalikes_are_left_alone(tmp_path: Path) -> None:
    scratch = Scratch(tmp_path)
    for text in ("/usr/bin/python", "/tmpfoo/x", "http://host/tmp/x", "a/tmp/b", "/bin/sh"):
        assert scratch.rewrite(text) == text


def test_two_steps_get_separate_files(tmp_path: Path) -> None:
    one, two = Scratch(tmp_path / "one"), Scratch(tmp_path / "two")
    for scratch in (one, two):
        scratch.rewrite("echo > /tmp/x")  # marks /tmp as used, so create() makes it
        scratch.create()
    one.path("/tmp/x").write_text("1")
    assert not two.path("/tmp/x").exists()
    assert one.path("relative.txt") == tmp_path / "one" / "relative.txt"


def test_durations() -> None:
    assert parse_duration("90", "x") == 90.0
    assert parse_duration("1h30m", "x") == 5400.0
    assert parse_duration("250ms", "x") == 0.25


def test_bad_duration_names_the_place() -> None:
    with pytest.raises(ManifestError, match=r"^retry: '5 minutes' is not a duration"):
        parse_duration("5 minutes", "retry")


def test_remove_deletes_the_tree(tmp_path: Path) -> None:
    scratch = Scratch(tmp_path / "s")
    scratch.rewrite("/mnt/a /tmp/b")
    scratch.create()
    (scratch.root / "script").write_text("x")
    scratch.path("/mnt/a").write_text("a")
    scratch.remove()
    assert not scratch.root.exists()


def test_remove_takes_what_legato_made_by_name_and_what_the_step_left_too(
        tmp_path: Path) -> None:
    scratch = Scratch(tmp_path / "s")
    scratch.rewrite("/var/tmp/a /tmp/b")
    scratch.create()
    scratch.files.add("script")
    (scratch.root / "script").write_text("x")
    (scratch.root / "left-by-the-step").write_text("y")
    (scratch.root / "tmp" / "nested").mkdir()
    scratch.path("/var/tmp/a").write_text("a")
    scratch.files.add("never-written")  # a file Legato meant to write is no error
    scratch.remove()
    assert not scratch.root.exists()
    scratch.remove()  # a second time is no error either


def test_isolation_mode_and_mountable_prefixes(tmp_path: Path) -> None:
    from legato.errors import ConfigError
    from legato.workflows.isolation import isolation_mode, mountable

    assert isolation_mode(None) == "auto"
    assert isolation_mode("Namespace") == "namespace"
    assert isolation_mode(" auto") == "auto"
    with pytest.raises(ConfigError, match="use auto, rewrite or namespace"):
        isolation_mode("chroot")
    # A prefix holding the scratch trees cannot be bound over; missing directories cannot.
    assert mountable(["/tmp", "/no-such-dir-xyz"], "/tmp/legato-scratch") == frozenset()
    assert mountable(["/tmp"], "/dev/shm/legato-scratch") == frozenset({"/tmp"})


def test_the_namespace_wrapper_binds_the_scratch_directory_over_tmp(tmp_path: Path) -> None:
    import subprocess

    from legato.workflows import isolation

    argv = isolation.wrap(["echo", "a; b"], [("/s/tmp", "/tmp")])
    assert argv[-5:] == ["1", "/s/tmp", "/tmp", "echo", "a; b"]
    if isolation.probe() is not None:
        pytest.skip(f"no namespaces here: {isolation.probe()}")
    private = tmp_path / "tmp"
    private.mkdir()
    marker = f"legato-ns-{tmp_path.name}"
    done = subprocess.run(
        isolation.wrap(["sh", "-c", 'echo hi > "/tmp/$0"; ls /tmp', marker],
                       [(str(private), "/tmp")]),
        capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [marker]
    assert (private / marker).read_text() == "hi\n"
    assert not Path("/tmp", marker).exists()


def test_mounted_prefixes_keep_their_spelling_but_map_to_the_tree(tmp_path: Path) -> None:
    scratch = Scratch(tmp_path, mounted=frozenset({"/tmp"}))
    assert scratch.rewrite("echo > /tmp/x; cat /mnt/y") == f"echo > /tmp/x; cat {tmp_path}/mnt/y"
    assert scratch.path("/tmp/x") == tmp_path / "tmp" / "x"
    assert scratch.mounts() == [(str(tmp_path / "tmp"), "/tmp")]


def test_namespaces_are_refused_when_scratch_would_hide_this_python(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from legato.workflows import isolation

    (tmp_path / "venv").mkdir()
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    reason = isolation.hidden_python((str(tmp_path / "other"), str(tmp_path)))
    assert reason is not None and str(tmp_path) in reason
    assert isolation.hidden_python((str(tmp_path / "venv-elsewhere"),)) is None
