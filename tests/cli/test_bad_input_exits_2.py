"""Bad input or environment: a message that names the problem and the fix, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main


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


def test_two_nodes_on_one_port_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "providers: {east: {}}\nnodes:\n"
                  "  - {name: a, role: echo, provider: east, port: 7000}\n"
                  "  - {name: b, role: echo, provider: east, port: 7000}\n")
    assert main(["up", "--topology", path]) == 2
    out = capsys.readouterr().out
    assert ":4: nodes[1].port: port 7000 is already used by node 'a'" in out


def test_missing_topology_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "--topology", str(tmp_path / "nope.yaml")]) == 2
    assert "No such file or directory" in capsys.readouterr().out


def test_no_docker_engine_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    assert main(["down"]) == 2
    out = capsys.readouterr().out
    assert "no Docker engine answers" in out and "fix:" in out
