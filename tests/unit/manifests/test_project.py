"""The legato.yaml project file reader: entries, relative entrypoints, file:line:col errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.errors import ManifestError
from legato.manifests.project import read_project


def test_entries_are_read_with_entrypoints_relative_to_the_file(tmp_path: Path) -> None:
    project = tmp_path / "legato.yaml"
    project.write_text(
        "deployments:\n"
        "  - entrypoint: flows/etl.py:etl\n"
        "    name: nightly\n"
        "    cron: '0 2 * * *'\n"
        "    timezone: Europe/Berlin\n"
        "    tags: [etl, nightly]\n"
        "  - entrypoint: pkg.module:flow\n"
        "    name: often\n"
        "    interval: 60\n"
    )
    nightly, often = read_project(project)
    assert nightly.entrypoint == f"{tmp_path / 'flows' / 'etl.py'}:etl"
    assert (nightly.cron, nightly.timezone, nightly.tags) == (
        "0 2 * * *", "Europe/Berlin", ("etl", "nightly")
    )
    assert nightly.where == f"{project}:2:5"
    assert (often.entrypoint, often.interval) == ("pkg.module:flow", 60)


def test_limits_and_timeout_are_read(tmp_path: Path) -> None:
    project = tmp_path / "legato.yaml"
    project.write_text(
        "deployments:\n"
        "  - {entrypoint: a.py:f, name: x, priority: 5, max_active_runs: 2,"
        " run_timeout_seconds: 30}\n"
    )
    (entry,) = read_project(project)
    assert (entry.priority, entry.max_active_runs, entry.run_timeout_seconds) == (5, 2, 30.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("deployments: [\n", ":2:1: "),
        ("flows: []\n", ":1:1: a project file needs a top-level 'deployments:' list"),
        ("deployments:\n  - name: x\n", ":2:5: the deployment needs a non-empty 'entrypoint'"),
        ("deployments:\n  - {entrypoint: a.py:f, name: x, interval: '5'}\n",
         ":2:5: 'interval' should be a int, not str"),
        ("deployments:\n  - {entrypoint: a.py:f, name: x, paused: 1}\n",
         ":2:5: 'paused' should be a bool"),
        ("deployments:\n  - {entrypoint: a.py:f, name: x, run_timeout_seconds: true}\n",
         ":2:5: 'run_timeout_seconds' should be a float"),
        ("deployments:\n  - {entrypoint: a.py:f, name: x, priority: high}\n",
         ":2:5: 'priority' should be a int"),
    ],
)
def test_errors_name_the_place(tmp_path: Path, text: str, message: str) -> None:
    project = tmp_path / "legato.yaml"
    project.write_text(text)
    with pytest.raises(ManifestError) as caught:
        read_project(project)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(project))


def test_a_missing_file_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read the project file"):
        read_project(tmp_path / "nope.yaml")
