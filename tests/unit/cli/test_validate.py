"""`legato validate`: ok summary, every problem with its place, exit status 2, --json."""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from legato.cli.main import cli

GOOD = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: hello-}
spec:
  entrypoint: main
  templates:
    - name: main
      container: {image: busybox, command: [echo, hi]}
"""
CRON = """\
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedules: ["0 2 * * *"]
  workflowSpec:
    entrypoint: main
    templates: [{name: main, container: {image: busybox}}]
"""


def test_valid_files_print_ok_with_the_count(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD + "---\n" + CRON)
    result = CliRunner().invoke(cli, ["validate", str(good)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: 2 workflows (1 CronWorkflow, 1 Workflow)\n"


def test_problems_are_printed_one_per_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("entrypoint: main", "entrypoint: mian").replace(
        "container:", "contaner:"))
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{bad}:5:15: spec.entrypoint: entrypoint names unknown template 'mian'; "
        "did you mean 'main'?",
        f"{bad}:7:7: spec.templates[0]: template 'main' has nothing to run; give it one of "
        "container, script, steps, dag or suspend",
        f"{bad}:8:7: spec.templates[0].contaner: unknown field 'contaner'; "
        "did you mean 'container'?",
    ]
    assert result.stderr == "3 problems in 1 file\n"


def test_json_lists_manifests_and_problems(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    missing = tmp_path / "missing.yaml"
    result = CliRunner().invoke(cli, ["validate", "--json", str(good), str(missing)])
    assert result.exit_code == 2
    document = orjson.loads(result.stdout)
    assert document["ok"] is False
    assert document["manifests"] == [
        {"file": str(good), "document": 0, "kind": "Workflow", "name": "hello"}]
    (problem,) = document["problems"]
    assert (problem["file"], problem["line"], problem["layer"]) == (str(missing), 1, "yaml")
    assert problem["message"].startswith("cannot read the file")
