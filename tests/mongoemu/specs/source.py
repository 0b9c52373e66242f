"""MongoDB's specification test files, taken at test time from pymongo's source distribution.

They are never copied into this repository: `pip download` fetches the sdist of
the pymongo version installed (the pin in pyproject.toml) into
.cache/spec-tests/ (git-ignored) and unpacks only the folders we run. Later runs
find them there and download nothing.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CACHE = REPO / ".cache" / "spec-tests"
# Our name for each specification folder -> its path under the sdist's test/. Slowest first
# (retryable writes wait out the most timeouts, 41 s on a three-member set): the conformance
# run starts folders in this order.
FOLDERS = {
    "retryable-writes": "retryable_writes/unified",
    "transactions": "transactions/unified",
    "SDAM": "discovery_and_monitoring/unified",
    "CRUD": "crud/unified",
    "transactions-convenient-api": "transactions-convenient-api/unified",
    "index-management": "index_management",
}


class SpecFilesUnavailable(RuntimeError):
    """The sdist could not be downloaded or unpacked; the message says what to do."""


def pymongo_version() -> str:
    return importlib.metadata.version("pymongo")


def spec_root() -> Path:
    """The unpacked test/ folder of pymongo's sdist, downloading it on first use."""
    version = pymongo_version()
    root = CACHE / f"pymongo-{version}" / "test"
    complete = CACHE / f"pymongo-{version}" / ".complete"
    if complete.exists():
        return root
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as download:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", f"pymongo=={version}", "-d", download]
        finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
        archives = list(Path(download).glob(f"pymongo-{version}.tar.gz"))
        if finished.returncode != 0 or not archives:
            raise SpecFilesUnavailable(
                f"could not download pymongo=={version}'s source distribution, which holds MongoDB's specification tests "
                f"(`{' '.join(command[2:])}` exited {finished.returncode}: {finished.stderr.strip()[-500:]}). "
                "The package registry must be reachable for this test; the files are then kept in .cache/spec-tests/."
            )
        _unpack(archives[0], version, CACHE / f"pymongo-{version}")
    complete.write_text("unpacked from the sdist by tests/mongoemu/specs/source.py\n")
    return root


def _unpack(archive: Path, version: str, target: Path) -> None:
    prefixes = tuple(f"pymongo-{version}/test/{folder}/" for folder in FOLDERS.values())
    if target.exists():
        shutil.rmtree(target)
    with tarfile.open(archive) as sdist:
        members = [member for member in sdist.getmembers() if member.isfile() and member.name.startswith(prefixes) and member.name.endswith(".json")]
        if not members:
            raise SpecFilesUnavailable(f"{archive.name} holds none of the specification folders {sorted(FOLDERS.values())}")
        for member in members:
            destination = target / Path(member.name).relative_to(f"pymongo-{version}")
            destination.parent.mkdir(parents=True, exist_ok=True)
            extracted = sdist.extractfile(member)
            assert extracted is not None
            destination.write_bytes(extracted.read())


def spec_files(folder: str) -> list[Path]:
    """The JSON test files of one of FOLDERS, in name order."""
    files = sorted((spec_root() / FOLDERS[folder]).glob("*.json"))
    if not files:
        raise SpecFilesUnavailable(f"no JSON files under {FOLDERS[folder]} in pymongo {pymongo_version()}'s sdist")
    return files
