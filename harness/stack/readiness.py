"""Is a node ready? The four checks a topology can ask for, run from the host.

``tcp``: a connection to the port is accepted; ``http``: a GET answers the
expected status; ``log``: the node's output matches a regular expression;
``exec``: a command run inside the node exits 0.
"""

from __future__ import annotations

import re
import socket
import threading

import httpx
from docker.errors import APIError
from docker.models.containers import Container

from harness.topology import Node, Readiness

CHECK_TIMEOUT_S = 2.0


def describe(ready: Readiness, node: Node) -> str:
    """The check in words, for the message when it never passes."""
    if ready.tcp is not None:
        return f"tcp: a connection to port {ready.tcp.port or node.port}"
    if ready.http is not None:
        port = ready.http.port or node.port
        return f"http: GET :{port}{ready.http.path} answering {ready.http.status}"
    if ready.log is not None:
        return f"log: output matching /{ready.log}/"
    return f"exec: {' '.join(ready.exec or [])} exiting 0"


def passes(ready: Readiness, node: Node, address: str, container: Container) -> bool:
    """One try of the check; ``address`` is the node's address as the host reaches it."""
    if ready.tcp is not None:
        return _connects(address, ready.tcp.port or node.port)
    if ready.http is not None:
        port = ready.http.port or node.port
        try:
            response = httpx.get(f"http://{address}:{port}{ready.http.path}", timeout=CHECK_TIMEOUT_S)
        except httpx.HTTPError:
            return False
        return response.status_code == ready.http.status
    if ready.log is not None:
        output = container.logs().decode(errors="replace")
        return re.search(ready.log, output, re.MULTILINE) is not None
    assert ready.exec is not None
    exit_code, _ = exec_bounded(container, ready.exec, CHECK_TIMEOUT_S * 5)
    return exit_code == 0


def _connects(address: str, port: int | None) -> bool:
    if port is None:
        return False
    try:
        with socket.create_connection((address, port), timeout=CHECK_TIMEOUT_S):
            return True
    except OSError:
        return False


def exec_bounded(container: Container, argv: list[str], timeout_s: float) -> tuple[int | None, str]:
    """Run ``argv`` in the container; (exit code, output), or (None, why) when it did not finish
    within ``timeout_s`` (the command is left to end on its own: the API cannot stop it)."""
    result: list[tuple[int | None, str]] = []

    def run() -> None:
        try:
            done = container.exec_run(argv, demux=False)
            result.append((done.exit_code, (done.output or b"").decode(errors="replace")))
        except APIError as err:
            result.append((None, f"docker exec failed: {err.explanation or err}"))

    worker = threading.Thread(target=run, name=f"exec-{container.name}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if not result:
        return None, f"did not finish within {timeout_s:g} s"
    return result[0]
