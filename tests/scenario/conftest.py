from pathlib import Path

import pytest

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture
def chicago_text() -> str:
    return (SCENARIOS / "chicago_dc_outage.yaml").read_text(encoding="utf-8")
