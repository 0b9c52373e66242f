"""The command line: bad input is a message and exit code 2, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pymongo
import pytest

from harness.runtime.ports import listening_ports, unused_port

from . import cluster
from .cluster import REPO, Member, wait_started


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fixtures.mongoemu", *arguments], cwd=REPO, capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--port", "27017"], "--me"),
        (["--me", "no-port", "--port", "27017"], "expected HOST:PORT"),
        (["--me", "a:1", "--port", "99999"], "between 1 and 65535"),
        (["--me", "a:1", "--port", "1", "--standalone", "--replset", "rs0"], "--standalone cannot be combined"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(arguments: list[str], message: str) -> None:
    result = run_cli(*arguments)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_reported_without_traceback() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_cli("--me", f"127.0.0.1:{port}", "--port", str(port), "--standalone")
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_member_whose_picked_port_another_process_took_starts_again_on_a_fresh_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as squatter:
        taken = squatter.getsockname()[1]
        fresh_ports = iter([taken, unused_port()])
        monkeypatch.setattr(cluster, "unused_port", lambda: next(fresh_ports))
        member = wait_started(cluster.spawn_member(tmp_path, "--standalone"))
        try:
            assert member.port != taken
            assert member.port in listening_ports(member.process.pid)
        finally:
            member.kill()


def test_emulator_never_passes_for_mongodb(member_factory: Callable[..., Member]) -> None:
    member = member_factory("--standalone")
    with member.client() as client:
        build = client.admin.command("buildInfo")
        hello = client.admin.command("hello")
    assert build["outageHarnessEmulator"] is True
    assert "emulator" in build["gitVersion"] and "not MongoDB" in build["description"]
    assert hello["outageHarnessEmulator"] is True
    assert pymongo.common.MIN_SUPPORTED_WIRE_VERSION <= hello["maxWireVersion"]
