"""`outage init`: the starter it writes loads as written, places compose services, and never
overwrites a file unasked. (That `outage run` passes on it: test_init_then_run.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.init import SCENARIO, SNIPPET
from harness.scenario import Scenario, load_scenario


def _init(folder: Path, *extra: str) -> int:
    return main(["init", str(folder), *extra])


def _compose(folder: Path, text: str) -> None:
    (folder / "compose.yaml").write_text(text, encoding="utf-8")


def _loaded(folder: Path) -> Scenario:
    return load_scenario(folder / SCENARIO)


def _comments(folder: Path) -> str:
    """The scenario file's comments as one line of prose (they wrap where the file needs)."""
    lines = (folder / SCENARIO).read_text().splitlines()
    return " ".join(" ".join(line.lstrip(" #").split()) for line in lines if line.strip().startswith("#"))


def _probe(scenario: Scenario) -> dict[str, object]:
    [probe] = scenario.probes
    return probe.model_dump(include={"id", "kind", "targets", "port", "path"})  # type: ignore[no-any-return]


def test_an_empty_folder_gets_two_providers_an_outage_an_http_probe_and_an_availability_invariant(
        tmp_path: Path) -> None:
    assert _init(tmp_path) == 0
    scenario = _loaded(tmp_path)
    assert scenario.version == 2
    assert set(scenario.topology.providers) == {"east", "west"}
    [outage] = scenario.timeline
    assert outage.spec.kind == "provider-outage" and outage.spec.provider == "west"
    assert _probe(scenario) == {"id": "web", "kind": "http", "targets": ["web"], "port": 8080, "path": "/"}
    [invariant] = scenario.invariants
    assert (invariant.kind, invariant.target, invariant.phase) == ("availability", "web", "during:west-down")
    # The outage breaks the service as it was and not as fixed: the run shows both verdicts.
    assert {name: a.expect.broken for name, a in scenario.architectures.items()} == {
        "as-was": [invariant.id], "as-fixed": []}


def test_each_part_of_the_starter_is_explained_by_a_comment(tmp_path: Path) -> None:
    assert _init(tmp_path) == 0
    lines = (tmp_path / SCENARIO).read_text().splitlines()
    for section in ("version:", "topology:", "architectures:", "timeline:", "probes:", "invariants:"):
        at = next(index for index, line in enumerate(lines) if line.startswith(section))
        assert any(line.lstrip().startswith("#") for line in lines[at - 2:at + 4]), f"{section} has no comment"
    assert "Run it: outage run scenario.yaml" in _comments(tmp_path)


def test_the_readme_snippet_says_how_to_install_and_run_it(tmp_path: Path) -> None:
    assert _init(tmp_path) == 0
    snippet = (tmp_path / SNIPPET).read_text()
    assert 'pip install "outage-harness==' in snippet
    assert "outage run scenario.yaml" in snippet and "pytest scenario.yaml" in snippet
    assert "reports/" in snippet


def test_existing_files_are_never_overwritten_without_force(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / SCENARIO).write_text("mine\n")
    assert _init(tmp_path) == 2
    out = capsys.readouterr().out
    assert "scenario.yaml exists already" in out and "--force" in out
    assert (tmp_path / SCENARIO).read_text() == "mine\n"
    assert not (tmp_path / SNIPPET).exists(), "nothing is written when one file would be overwritten"


def test_force_overwrites_both_files(tmp_path: Path) -> None:
    (tmp_path / SCENARIO).write_text("mine\n")
    (tmp_path / SNIPPET).write_text("mine\n")
    assert _init(tmp_path, "--force") == 0
    assert _loaded(tmp_path).name == "starter"
    assert (tmp_path / SNIPPET).read_text().startswith("## Outage scenarios")


def test_compose_services_are_placed_round_robin_in_two_providers(tmp_path: Path) -> None:
    _compose(tmp_path, "services:\n"
                       "  db: {image: redis:7.2, expose: [6379]}\n"
                       "  web: {image: nginx:1.27, ports: ['8080:80'], depends_on: [db]}\n"
                       "  worker: {image: worker:1}\n")
    assert _init(tmp_path) == 0
    scenario = _loaded(tmp_path)
    assert {n.name: n.provider for n in scenario.topology.nodes} == {"db": "east", "web": "west", "worker": "east"}
    assert (tmp_path / SCENARIO).read_text().count("compose: compose.yaml") == 1


def test_the_probe_asks_the_url_a_healthcheck_asks_and_the_other_provider_is_cut(tmp_path: Path) -> None:
    _compose(tmp_path, "services:\n"
                       "  db: {image: postgres:16, expose: [5432]}\n"
                       "  api:\n"
                       "    image: api:1\n"
                       "    expose: [9000]\n"
                       "    healthcheck: {test: [CMD, curl, -f, 'http://localhost:9000/healthz']}\n")
    assert _init(tmp_path) == 0
    scenario = _loaded(tmp_path)
    assert _probe(scenario) == {"id": "api", "kind": "http", "targets": ["api"], "port": 9000, "path": "/healthz"}
    assert scenario.timeline[0].spec.provider == "east", "api lives in west: the outage cuts east"
    assert "because its healthcheck asks http://localhost:9000/healthz" in _comments(tmp_path)


def test_a_conventional_http_port_is_probed_over_http_and_the_file_says_it_is_a_guess(tmp_path: Path) -> None:
    _compose(tmp_path, "services:\n  cache: {image: redis:7.2, expose: [6379]}\n  web: {image: nginx, expose: [80]}\n")
    assert _init(tmp_path) == 0
    assert _probe(_loaded(tmp_path)) == {"id": "web", "kind": "http", "targets": ["web"], "port": 80, "path": "/"}
    assert "web:80 over HTTP, guessed from the port alone" in _comments(tmp_path)


def test_a_stack_that_says_nothing_of_http_is_probed_over_tcp_and_the_file_says_why(tmp_path: Path) -> None:
    _compose(tmp_path, "services:\n  cache: {image: redis:7.2, expose: [6379]}\n")
    assert _init(tmp_path) == 0
    scenario = _loaded(tmp_path)
    assert _probe(scenario) == {"id": "cache", "kind": "tcp", "targets": ["cache"], "port": 6379}
    assert "cache:6379 over TCP only: nothing in compose.yaml says a port speaks HTTP" in _comments(tmp_path)


def test_a_compose_file_without_any_port_is_refused_with_what_to_add(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _compose(tmp_path, "services:\n  worker: {image: worker:1}\n")
    assert _init(tmp_path) == 2
    assert "add expose: [PORT]" in capsys.readouterr().out
    assert not (tmp_path / SCENARIO).exists()


def test_a_compose_key_the_harness_refuses_is_named_with_its_line_and_nothing_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _compose(tmp_path, "services:\n  db:\n    image: redis:7.2\n    restart: always\n")
    assert _init(tmp_path) == 2
    assert "compose.yaml:4: services.db.restart: service key 'restart' is not supported" in capsys.readouterr().out
    assert not (tmp_path / SCENARIO).exists() and not (tmp_path / SNIPPET).exists()


def test_a_healthcheck_url_whose_port_only_the_container_knows_is_not_taken_for_the_probe(tmp_path: Path) -> None:
    _compose(tmp_path, "services:\n"
                       "  api:\n"
                       "    image: api:1\n"
                       "    expose: [8080]\n"
                       "    healthcheck: {test: [CMD-SHELL, 'curl -f http://localhost:$$PORT/healthz']}\n")
    assert _init(tmp_path) == 0
    assert _probe(_loaded(tmp_path)) == {"id": "api", "kind": "http", "targets": ["api"], "port": 8080, "path": "/"}
