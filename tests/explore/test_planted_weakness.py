"""`outage explore` finds a planted weakness, shrinks it, and what it writes replays it.

The weakness: the Redis example's stack in a "fixed" architecture that forgot
min-replicas-to-write (data/weak_redis.yaml). Seed 18 draws an outage of the primary's
provider first; two runs a candidate keep the test within a few minutes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.scenario import load_scenario

pytestmark = pytest.mark.docker

WEAK = Path(__file__).parent / "data" / "weak_redis.yaml"


def test_explore_finds_the_weakness_shrinks_it_and_its_scenario_fails_again(tmp_path: Path) -> None:
    status = main(["explore", str(WEAK), "--arch", "as-fixed", "--seed", "18", "--schedules", "20",
                   "--reruns", "2", "--budget", "8m", "--reports", str(tmp_path)])
    assert status == 1
    (folder,) = tmp_path.glob("explore-*")
    minimal = load_scenario(folder / "minimal.yaml")
    faults = [entry for entry in minimal.timeline if entry.category == "fault"]
    assert 1 <= len(faults) <= 2
    assert minimal.architecture("as-fixed").expect.broken == ["no-acknowledged-write-lost"]
    assert "acknowledged writes were lost" in minimal.incident
    assert (folder / "index.html").read_text().count("FAILED") >= 3  # found, found again, confirmed

    assert main(["run", str(folder / "minimal.yaml"), "--reports", str(tmp_path / "again")]) == 0
    (journal,) = (tmp_path / "again").glob("*/journal.json")
    verdicts = {v["id"]: v for v in json.loads(journal.read_text())["verdicts"]}
    assert verdicts["no-acknowledged-write-lost"]["measured"]["lost"] > 0
