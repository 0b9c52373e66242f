"""The wheel: installed outside the checkout it has the `outage` command, the pytest plugin by
entry point and everything the local profile's images are built from, and runs a scenario from
a folder that holds nothing else."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from harness.runtime import images

from .conftest import REPO, TWO_ECHOES, checked, run

SCENARIO = "version: 2\n" + TWO_ECHOES
RUN_TIMEOUT_S = 170
WHAT_THE_IMAGES_ARE_BUILT_FROM = """\
import json
from harness.load.master import LOCUSTFILE
from harness.runtime import images
print(json.dumps({"checkout": images.CHECKOUT and str(images.CHECKOUT), "fixtures": str(images.FIXTURES),
                  "tree": images._tree_digest(images.FIXTURES), "requirements": images.stack_requirements(),
                  "cache": str(images.cache_dir()), "locustfile": LOCUSTFILE.is_file()}))
"""


def _only_a_scenario(folder: Path) -> Path:
    folder.mkdir()
    (folder / "scenario.yaml").write_text(SCENARIO)
    return folder


def test_the_wheel_carries_the_command_the_plugin_and_every_file_the_services_image_is_built_from(
        wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        dist_info = next(name.split("/")[0] for name in names if name.endswith(".dist-info/METADATA"))
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
    assert "[console_scripts]\noutage = harness.cli:main" in entry_points
    assert "[pytest11]\noutage = harness.pytest_plugin" in entry_points
    shipped = {name.removeprefix("fixtures/") for name in names if name.startswith("fixtures/")}
    assert shipped == {str(path.relative_to(images.FIXTURES)) for path in images._source_files(images.FIXTURES)}
    assert "harness/load/locustfile.py" in names


def test_an_installed_harness_builds_the_services_image_from_its_own_files_under_the_checkouts_tag(
        installed: Path, tmp_path: Path) -> None:
    done = checked(run([installed / "python", "-c", WHAT_THE_IMAGES_ARE_BUILT_FROM], tmp_path))
    seen = json.loads(done.stdout)
    assert seen["checkout"] is None
    assert Path(seen["fixtures"]).is_relative_to(installed.parent)
    # The tag's inputs are the checkout's, so a checkout and a wheel share one cached image.
    assert seen["tree"] == images._tree_digest(images.FIXTURES)
    assert seen["requirements"] == images.stack_requirements()
    assert seen["cache"] == str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "outage-harness")
    assert seen["locustfile"]


@pytest.mark.docker
def test_outage_run_from_a_folder_holding_only_a_scenario_file(installed: Path, tmp_path: Path) -> None:
    folder = _only_a_scenario(tmp_path / "elsewhere")
    assert not folder.is_relative_to(REPO)
    done = checked(run([installed / "outage", "run", "scenario.yaml"], folder, RUN_TIMEOUT_S))
    assert "1 of 1 runs matched their expectation" in done.stdout
    assert len(list((folder / "reports").glob("*-wheel-check-steady/junit.xml"))) == 1


@pytest.mark.docker
def test_pytest_in_another_repository_collects_its_scenario_through_the_entry_point(
        installed: Path, tmp_path: Path) -> None:
    folder = _only_a_scenario(tmp_path / "their-repository")
    done = checked(run([installed / "pytest", "-p", "no:cacheprovider", "-q"], folder, RUN_TIMEOUT_S))
    assert "1 passed" in done.stdout
    assert len(list((folder / "reports").glob("*-wheel-check-steady/report.html"))) == 1
