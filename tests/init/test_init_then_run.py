"""`outage init` then `outage run` in a temporary folder, as OUTAGE.md says: what init wrote passes
as written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.runtime.images import ImageSet

# The console script installed beside this interpreter: the command a user types.
OUTAGE = Path(sys.executable).with_name("outage")
RUN_TIMEOUT_S = 170


def _outage(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(OUTAGE), *arguments], cwd=folder, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, check=False)
    assert done.returncode == 0, f"outage {' '.join(arguments)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.mark.docker
@pytest.mark.usefixtures("images")
def test_outage_run_passes_on_the_starter_init_writes_in_an_empty_folder(tmp_path: Path) -> None:
    _outage(tmp_path, "init")
    done = _outage(tmp_path, "run", "scenario.yaml")
    # as-was breaks the availability invariant as it expects; as-fixed holds it.
    assert "2 of 2 runs matched their expectation" in done.stdout


@pytest.mark.docker
def test_outage_run_passes_on_what_init_wrote_beside_a_compose_file(tmp_path: Path, images: ImageSet) -> None:
    # Services on the harness's own services image: it is here whatever the image profile.
    (tmp_path / "compose.yaml").write_text(f"""\
services:
  web:
    image: {images.node}
    command: [python, -m, http.server, "8000", --bind, 0.0.0.0]
    expose: [8000]
  cache:
    image: {images.node}
    command: [python, -m, fixtures.echo, --port, "7001"]
    expose: [7001]
""")
    assert "the probe watches web:8000 over HTTP" in _outage(tmp_path, "init").stdout
    done = _outage(tmp_path, "run", "scenario.yaml")
    assert "1 of 1 runs matched their expectation" in done.stdout
