"""pytest in a repository that is not this one: the entry point alone loads the plugin."""

from __future__ import annotations

import sys
from pathlib import Path

from .conftest import TWO_ECHOES, checked, run


def test_pytest_collects_a_scenario_in_a_folder_with_no_conftest_even_with_strict_markers(tmp_path: Path) -> None:
    (tmp_path / "scenario.yaml").write_text(TWO_ECHOES)
    done = checked(run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--strict-markers",
                        "--collect-only", "-q"], tmp_path, timeout_s=60))
    assert "scenario.yaml::steady" in done.stdout
