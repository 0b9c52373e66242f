"""The harness as another repository gets it: this checkout's wheel, installed into a fresh
virtual environment outside the checkout (its dependencies from the package index pip is
configured for; pip's own cache makes a second install quick)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT_S = 600
# Two echo servers, one provider cut for two seconds: a scenario of a few seconds (no version:).
TWO_ECHOES = """\
name: wheel-check
seed: 1
duration: 4s
grace: 1s
topology:
  providers: {east: {}, west: {}}
  nodes:
    - {name: echo-1, role: echo, provider: east}
    - {name: echo-2, role: echo, provider: west}
architectures:
  steady: {expect: {broken: []}}
timeline:
  - {id: cut-west, at: t+1s, for: 2s, fault: {kind: provider-outage, provider: west, mode: refuse}}
probes:
  - {id: echoes, kind: tcp, targets: [echo-1, echo-2], every: 250ms}
invariants:
  - {id: echoes-answer, kind: availability, target: echoes, min: 0.9}
"""


def run(argv: list[str | Path], cwd: Path, timeout_s: float = INSTALL_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """``argv`` in ``cwd`` with none of this checkout's environment: no PYTHONPATH, no active venv."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS")}
    return subprocess.run([str(part) for part in argv], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout_s, check=False)


def checked(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, f"{' '.join(done.args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of the checkout as it is now: its tracked files and the new ones git does not
    ignore, built in a copy (a build in the checkout leaves build/ there, whose stale files
    would go into later wheels)."""
    source = tmp_path_factory.mktemp("source")
    listed = checked(run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], REPO)).stdout
    for name in listed.splitlines():
        if (REPO / name).is_file():  # a tracked file deleted in the working tree is not copied
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    checked(run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", dist, source], source))
    [built] = dist.glob("*.whl")
    return built


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel and pytest installed: its bin folder."""
    venv = tmp_path_factory.mktemp("venv")
    checked(run([sys.executable, "-m", "venv", venv], venv))
    checked(run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 wheel, _pinned("pytest")], venv))
    return venv / "bin"


def _pinned(name: str) -> str:
    """The checkout's pin of a development tool (pyproject.toml's dev extra)."""
    with (REPO / "pyproject.toml").open("rb") as src:
        dev = tomllib.load(src)["project"]["optional-dependencies"]["dev"]
    return next(line for line in dev if line.startswith(f"{name}=="))
