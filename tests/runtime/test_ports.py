"""Ports for local processes: a start never passes on another process that holds its port (issue 18)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.runtime.ports import (
    PortTaken,
    ProcessFailed,
    listening_ports,
    refusing_port,
    start_listening,
    unused_ports,
)

# A server that listens on the port it is given, then waits to be killed.
LISTENER = "import socket, sys, time; s = socket.create_server(('127.0.0.1', int(sys.argv[1]))); time.sleep(60)"
# The same on asyncio, which words a lost bind in lower case ("address already in use").
ASYNCIO_LISTENER = """
import asyncio, sys
async def serve():
    await asyncio.start_server(lambda reader, writer: None, '127.0.0.1', int(sys.argv[1]))
    await asyncio.sleep(60)
asyncio.run(serve())
"""


def _listener(log: Path, program: str = LISTENER) -> Callable[[list[int]], subprocess.Popen[bytes]]:
    def launch(ports: list[int]) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            return subprocess.Popen([sys.executable, "-c", program, str(ports[0])], stdout=out, stderr=out)

    return launch


def test_listening_ports_name_only_what_the_process_itself_listens_on() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener, refusing_port() as bound_only:
        mine = listener.getsockname()[1]
        assert mine in listening_ports(os.getpid())
        assert bound_only not in listening_ports(os.getpid())


def test_a_process_is_not_ready_when_another_one_answers_on_its_port(tmp_path: Path) -> None:
    # The flake of issue 18: the port given to a server was taken by another process, the
    # server exited, and a readiness check that only connected passed on the other process.
    with socket.create_server(("127.0.0.1", 0)) as squatter:
        taken = squatter.getsockname()[1]
        with pytest.raises(PortTaken):
            start_listening(_listener(tmp_path / "log"), tmp_path / "log", 1, ports=[taken],
                            ready=lambda ports: True)


@pytest.mark.parametrize("program", [LISTENER, ASYNCIO_LISTENER], ids=["socket", "asyncio"])
def test_a_lost_bind_is_started_again_on_fresh_ports(tmp_path: Path, program: str) -> None:
    squatters: list[socket.socket] = []
    launch = _listener(tmp_path / "log", program)

    def lose_the_first_race(ports: list[int]) -> subprocess.Popen[bytes]:
        if not squatters:  # another process binds the port between its choice and our bind
            squatters.append(socket.create_server(("127.0.0.1", ports[0])))
        return launch(ports)

    try:
        process, (port,) = start_listening(lose_the_first_race, tmp_path / "log", 1)
        try:
            assert port != squatters[0].getsockname()[1]
            assert port in listening_ports(process.pid)
        finally:
            process.kill()
            process.wait()
    finally:
        for squatter in squatters:
            squatter.close()


def test_a_process_that_exits_for_another_reason_fails_with_its_status_and_output(tmp_path: Path) -> None:
    def crash(ports: list[int]) -> subprocess.Popen[bytes]:
        with (tmp_path / "log").open("ab") as out:
            return subprocess.Popen([sys.executable, "-c", "print('no config'); raise SystemExit(3)"],
                                    stdout=out, stderr=out)

    with pytest.raises(ProcessFailed, match=r"(?s)exited with status 3.*no config"):
        start_listening(crash, tmp_path / "log", 1)


def test_unused_ports_are_distinct() -> None:
    ports = unused_ports(50)
    assert len(set(ports)) == 50


def test_a_refusing_port_refuses() -> None:
    with refusing_port() as port, pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
