"""Find a Docker engine that answers, or install and start one where we may.

Fresh machines (and CI) have the Docker client but no engine running. As root
on Debian we install Debian's docker.io and start dockerd in the background;
anywhere else we stop with a message that says what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import docker
from docker.errors import DockerException

from harness.errors import HarnessError

ENGINE_START_TIMEOUT_S = 90
API_TIMEOUT_S = 30

Say = Callable[[str], None]


def docker_client() -> docker.DockerClient:
    """A client for the engine that answers now; HarnessError when none does."""
    try:
        client = docker.from_env(timeout=API_TIMEOUT_S)
        client.ping()
        return client
    except DockerException as err:
        raise HarnessError(
            f"no Docker engine answers ({_short(err)})",
            "run the README's set-up command (it starts one), or start Docker yourself",
        ) from err


def ensure_engine(say: Say, log_dir: Path) -> docker.DockerClient:
    """Reuse the engine that answers; otherwise install/start one, as root on Debian."""
    try:
        client = docker_client()
        say(f"Docker engine answers (server {client.version().get('Version', '?')})")
        return client
    except HarnessError:
        pass
    if os.geteuid() != 0 or not Path("/etc/debian_version").exists():
        raise HarnessError(
            "no Docker engine answers, and this is not root on Debian, so set-up cannot install one",
            "install Docker Engine (or Debian's docker.io package), start it, and make sure "
            "`docker info` works for this user; then run the command again",
        )
    if shutil.which("dockerd") is None:
        say("installing Debian's docker.io (no engine on this machine)")
        _run(["apt-get", "update", "-qq"], "apt-get update")
        _run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "docker.io", "iptables"],
            "apt-get install docker.io",
        )
    say("starting dockerd in the background")
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "dockerd.log"
    with log_path.open("ab") as log:
        subprocess.Popen(  # noqa: S603 - fixed argv
            ["dockerd"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + ENGINE_START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            client = docker_client()
            say(f"Docker engine started (server {client.version().get('Version', '?')})")
            return client
        except HarnessError:
            time.sleep(0.5)
    tail = log_path.read_text(errors="replace")[-800:]
    raise HarnessError(
        f"dockerd did not answer within {ENGINE_START_TIMEOUT_S} s; the end of {log_path}:\n{tail}",
        "read the dockerd log above; a machine without cgroups or iptables cannot run the engine",
    )


def _run(argv: list[str], what: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if done.returncode != 0:
        raise HarnessError(
            f"{what} failed (exit {done.returncode}): {done.stderr.strip()[-600:]}",
            "check that the machine reaches its Debian package mirror, then run set-up again",
        )


def _short(err: Exception) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:200]
