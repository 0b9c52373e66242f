from pathlib import Path

import pytest

# The shipped postmortems: only test_shipped_scenarios.py reads these, since they get retuned.
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
# Pinned copies for the loader and model tests, whose assertions depend on their exact numbers.
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def chicago_text() -> str:
    return (DATA / "chicago_dc_outage.yaml").read_text(encoding="utf-8")
