"""Ports for processes the harness, its tests and its benchmarks start on this machine.

A port found free by binding port 0 and closing the socket is only free until
someone else binds it: the kernel may hand the same port to the next bind(0)
anywhere on the machine (in six such ports picked back to back, about one batch
in a thousand holds a duplicate). A process started on such a port can lose it,
and a readiness check that only asks "does something answer on that port?" then
passes on whatever took it. So:

- ``listening_ports`` reads from the kernel which ports a process itself listens
  on: a readiness check that requires it proves it reached the process it started;
- ``start_listening`` starts a process on fresh ports and returns once the process
  itself listens on them, starting again on new ports when it lost one to another
  process (``PortTaken``), a bounded number of times;
- ``refusing_port`` holds a port bound without listening, so a connection to it is
  refused for as long as it is held (a port that is "unused" can start answering).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# What a process prints when its bind lost the race: strerror(EADDRINUSE), as Python,
# HAProxy, Locust and our own services print it (asyncio's servers in lower case).
BIND_LOST = os.strerror(98).lower()
FRESH_PORT_ATTEMPTS = 5
_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's state column


class PortTaken(Exception):
    """A process lost the bind of a port picked for it to another process."""


class ProcessFailed(Exception):
    """A process exited, or never listened, while it was started."""


Launch = Callable[[list[int]], "subprocess.Popen[bytes]"]


def unused_port(host: str = "127.0.0.1") -> int:
    """A port nothing was bound to a moment ago; start what binds it with ``start_on_fresh_ports``."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def unused_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct unused ports (bind(0) can repeat a port it just handed out)."""
    ports: list[int] = []
    while len(ports) < count:
        if (port := unused_port(host)) not in ports:
            ports.append(port)
    return ports


def start_on_fresh_ports(start: Callable[[list[int]], T], count: int, host: str = "127.0.0.1",
                         attempts: int = FRESH_PORT_ATTEMPTS) -> T:
    """``start(ports)`` on ``count`` fresh ports, again on new ones each time it raises PortTaken."""
    for _ in range(attempts - 1):
        with suppress(PortTaken):
            return start(unused_ports(count, host))
    return start(unused_ports(count, host))  # the last attempt's PortTaken reaches the caller


def lost_a_bind(output: str) -> bool:
    return BIND_LOST in output.lower()


def listening_ports(pid: int) -> set[int]:
    """The TCP ports process ``pid`` holds a listening socket on (empty once it has exited)."""
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set()
    inodes = set(_socket_inodes(pid, descriptors))
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as rows:
                next(rows)
                for row in rows:
                    fields = row.split()
                    if fields[3] == _LISTEN and int(fields[9]) in inodes:
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except OSError:
            continue
    return ports


def _socket_inodes(pid: int, descriptors: list[str]) -> Iterator[int]:
    for descriptor in descriptors:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
        except OSError:  # closed since the listing
            continue
        if target.startswith("socket:["):
            yield int(target[len("socket:["):-1])


@contextmanager
def refusing_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A port bound and never listened on: connections to it are refused while the block runs."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as holder:
        holder.bind((host, 0))
        yield int(holder.getsockname()[1])


def start_listening(launch: Launch, log: Path, count: int, *, ports: list[int] | None = None,
                    ready: Callable[[list[int]], bool] = lambda ports: True, timeout_s: float = 20,
                    host: str = "127.0.0.1") -> tuple[subprocess.Popen[bytes], list[int]]:
    """``launch(ports)`` (a process writing its output to ``log``), returned with its ports once
    it listens on all of them itself and ``ready(ports)``. Fresh ports unless ``ports`` is given
    (a restart keeps its ports: a lost one is then PortTaken, not another try)."""

    def attempt(chosen: list[int]) -> tuple[subprocess.Popen[bytes], list[int]]:
        since = log.stat().st_size if log.exists() else 0
        process = launch(chosen)
        deadline = time.monotonic() + timeout_s
        while not (set(chosen) <= listening_ports(process.pid) and ready(chosen)):
            if process.poll() is not None:
                output = _read_from(log, since)
                if lost_a_bind(output):
                    raise PortTaken(f"{process.args!r} lost one of the ports {chosen} to another process")
                raise ProcessFailed(f"{process.args!r} exited with status {process.returncode}; "
                                    f"its last lines ({log}):\n{_last_lines(output)}")
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise ProcessFailed(f"{process.args!r} did not listen on {chosen} within {timeout_s:g} s; "
                                    f"its last lines ({log}):\n{_last_lines(_read_from(log, since))}")
            time.sleep(0.05)
        return process, chosen

    if ports is not None:
        return attempt(ports)
    return start_on_fresh_ports(attempt, count, host)


def _read_from(log: Path, offset: int) -> str:
    with log.open("rb") as output:
        output.seek(offset)
        return output.read().decode(errors="replace")


def _last_lines(output: str, lines: int = 20) -> str:
    return "\n".join(output.splitlines()[-lines:])
