"""The image→command map: defaults per image family, LEGATO_IMAGE_MAP, clear errors."""

from __future__ import annotations

import sys

import pytest

from legato.errors import ConfigError
from legato.workflows.images import ImageMap, parse_image_map


@pytest.mark.parametrize(("image", "kind"), [
    ("python:3.12", "python"), ("python", "python"), ("docker.io/library/python:3.11-slim",
                                                       "python"),
    ("busybox", "sh"), ("alpine:3.19", "sh"), ("debian:12", "bash"), ("ubuntu:24.04", "bash"),
    ("bash:5", "bash"), ("node:20", "node"),
])
def test_default_images_map_to_toolboxes(image: str, kind: str) -> None:
    assert ImageMap().toolbox(image, "step").kind == kind


def test_python_image_runs_this_python() -> None:
    box = ImageMap().toolbox("python:3.12", "step")
    assert box.resolve(["python3", "-c", "1"], "python:3.12") == [sys.executable, "-c", "1"]


def test_shell_images_run_a_local_shell() -> None:
    argv = ImageMap().toolbox("alpine", "step").resolve(["sh", "-c", "echo"], "alpine")
    assert argv[-2:] == ["-c", "echo"]
    assert argv[0].endswith(("sh", "busybox"))


def test_unknown_image_names_the_image_and_the_setting() -> None:
    with pytest.raises(ConfigError) as info:
        ImageMap().toolbox("argoproj/argosay:v2", "templates.main")
    message = str(info.value)
    assert "'argoproj/argosay:v2'" in message
    assert "LEGATO_IMAGE_MAP='argoproj/argosay:*=bash'" in message


def test_user_map_comes_before_defaults_and_accepts_programs() -> None:
    images = ImageMap.from_env({"LEGATO_IMAGE_MAP": "myorg/*=python; alpine=/bin/bash"})
    assert images.toolbox("myorg/tool:1", "x").kind == "python"
    box = images.toolbox("alpine", "x")
    assert (box.kind, box.program) == ("program", "/bin/bash")


@pytest.mark.parametrize("bad", ["noequals", "x=ruby", "=python"])
def test_bad_image_map_entries_are_rejected(bad: str) -> None:
    with pytest.raises(ConfigError, match="LEGATO_IMAGE_MAP"):
        parse_image_map(bad)


def test_missing_program_is_a_config_error() -> None:
    box = ImageMap().toolbox("debian", "x")
    with pytest.raises(ConfigError, match="not installed here"):
        box.resolve(["no-such-program-xyz"], "debian")
