"""Bad input or environment: a message that names the problem and the fix, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "topology.yaml"
    path.write_text(text)
    return str(path)


def test_unknown_provider_is_named_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "providers:\n  east: {}\nnodes:\n  - {name: a, role: echo, provider: west}\n")
    assert main(["up", "--topology", path]) == 2
    out = capsys.readouterr().out
    assert f"{path}:4: nodes[0].provider: unknown provider 'west'" in out
    assert "did you mean 'east'" in out


def test_a_port_listed_twice_in_one_node_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Two nodes may share a port (each gets its own Toxiproxy shard); one node listing it twice is a mistake.
    path = _write(tmp_path, "providers: {east: {}}\nnodes:\n"
                  "  - {name: a, role: echo, provider: east, ports: [7000]}\n"
                  "  - {name: b, role: echo, provider: east, ports: [7000, 7000]}\n")
    assert main(["up", "--topology", path]) == 2
    out = capsys.readouterr().out
    assert ":4: nodes[1].ports: port 7000 is listed twice" in out


def test_the_old_single_port_key_is_refused_with_its_line(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "providers: {east: {}}\nnodes:\n  - {name: a, role: echo, provider: east, port: 7000}\n")
    assert main(["up", "--topology", path]) == 2
    assert f"{path}:3: nodes[0]: role 'echo' takes no setting 'port'" in capsys.readouterr().out


def test_missing_topology_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "--topology", str(tmp_path / "nope.yaml")]) == 2
    assert "No such file or directory" in capsys.readouterr().out


def test_no_docker_engine_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    assert main(["down"]) == 2
    out = capsys.readouterr().out
    assert "no Docker engine answers" in out and "fix:" in out


@pytest.mark.parametrize("scale", ["0", "-1"])
def test_a_time_scale_that_is_not_positive_exits_2_before_any_container(
        scale: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(SCENARIOS / "chicago_dc_outage.yaml"), "--time-scale", scale]) == 2
    assert "the time scale must be positive" in capsys.readouterr().out
