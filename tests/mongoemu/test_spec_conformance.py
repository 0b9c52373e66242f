"""MongoDB's own specification tests (unified format, from pymongo's sdist) against the emulator.

One test per specification folder and topology (a one-member and a three-member
set): at least 95% of the tests mongod 7.0 would run on a replica set pass
(SDAM: FOLDER_FLOORS), every other one is listed with its reason in
specs/known_failures.py, and no listed one passes unnoticed. The counts are
printed; bench/spec_conformance.py prints them alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .specs import conformance, source
from .specs.runner import Result


@pytest.fixture(scope="module")
def spec_results(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], list[Result]]:
    try:
        return conformance.run_everywhere(list(source.FOLDERS), Path(tmp_path_factory.mktemp("spec-sets")))
    except source.SpecFilesUnavailable as unavailable:
        pytest.fail(str(unavailable), pytrace=False)


@pytest.mark.parametrize("topology", list(conformance.TOPOLOGIES))
@pytest.mark.parametrize("folder", list(source.FOLDERS))
def test_specification_folder_passes_on_the_emulator(spec_results: dict[tuple[str, str], list[Result]], folder: str, topology: str) -> None:
    results = spec_results[(topology, folder)]
    tally = conformance.Tally.of(results)
    print(f"\n{topology}: {tally.line(folder)}")
    unexpected = conformance.unexpected(results, topology)
    assert not unexpected, "failing and not in specs/known_failures.py:\n" + "\n".join(f"{result.key}: {result.reason}" for result in unexpected)
    stale = conformance.stale(results, topology)
    assert not stale, f"listed in specs/known_failures.py but passing now, remove them: {stale}"
    floor = conformance.FOLDER_FLOORS.get(folder, conformance.TARGET_PASS_RATE)
    assert tally.rate >= floor, f"{folder} on the {topology} set: {tally.line(folder)}, below {floor:.0%}"


def test_all_specification_folders_pass_95_percent(spec_results: dict[tuple[str, str], list[Result]]) -> None:
    for topology in conformance.TOPOLOGIES:
        overall = conformance.Tally.of([result for (where, _), results in spec_results.items() if where == topology for result in results])
        print(f"\n{topology}: {overall.line('all folders')}")
        assert overall.rate >= conformance.TARGET_PASS_RATE, f"{topology}: {overall.line('all folders')}"
