"""docs/ci.md's two CI jobs: valid YAML with what each CI needs to install, gate, keep the reports
and show the JUnit file, for the version this checkout is."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
from ruamel.yaml import YAML

from .conftest import REPO

GITHUB = ".github/workflows/outage.yml"
GITLAB = ".gitlab-ci.yml"
JUNIT = re.compile(r"--junitxml[= ](\S+)")


def _templates() -> dict[str, Any]:
    """Each fenced YAML block of docs/ci.md, by the file its first line names."""
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    return {block.splitlines()[0].removeprefix("# "): YAML(typ="safe").load(block) for block in blocks}


def _version() -> str:
    with (REPO / "pyproject.toml").open("rb") as src:
        return str(tomllib.load(src)["project"]["version"])


@pytest.fixture(scope="module")
def templates() -> dict[str, Any]:
    return _templates()


def test_docs_ci_md_gives_exactly_a_github_and_a_gitlab_job(templates: dict[str, Any]) -> None:
    assert set(templates) == {GITHUB, GITLAB}


def test_the_github_job_installs_gates_keeps_reports_and_publishes_the_junit_file(
        templates: dict[str, Any]) -> None:
    workflow = templates[GITHUB]
    assert {"name", "on", "jobs"} <= set(workflow)
    [job] = workflow["jobs"].values()
    assert job["runs-on"].startswith("ubuntu-") and job["permissions"]["checks"] == "write"
    steps = job["steps"]
    uses = {step["uses"].split("@")[0]: step for step in steps if "uses" in step}
    assert {"actions/checkout", "actions/setup-python", "actions/upload-artifact",
            "mikepenz/action-junit-report"} <= set(uses)
    assert uses["actions/setup-python"]["with"]["python-version"] == "3.11"
    script = "\n".join(step["run"] for step in steps if "run" in step)
    assert f'pip install "outage-harness=={_version()}"' in script
    assert "python -m harness.runtime.setup" in script
    [junit] = JUNIT.findall(script)
    assert "pytest" in script and junit.startswith("reports/")
    for kept in ("actions/upload-artifact", "mikepenz/action-junit-report"):
        assert uses[kept]["if"] == "always()", f"{kept} must run when the gate fails"
    assert uses["actions/upload-artifact"]["with"]["path"] == "reports/"
    assert uses["mikepenz/action-junit-report"]["with"]["report_paths"] == junit


def test_the_gitlab_job_installs_gates_keeps_reports_and_publishes_the_junit_file(
        templates: dict[str, Any]) -> None:
    [job] = templates[GITLAB].values()
    assert job["image"].startswith("python:3.11")
    script = "\n".join(job["script"])
    assert f'pip install "outage-harness=={_version()}"' in script
    assert "python -m harness.runtime.setup" in script
    [junit] = JUNIT.findall(script)
    assert "pytest" in script and junit.startswith("reports/")
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always" and "reports/" in artifacts["paths"]
    assert artifacts["reports"]["junit"] == junit
