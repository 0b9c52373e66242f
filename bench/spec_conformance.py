"""MongoDB's specification tests against the emulator: pass counts per folder, per topology.

    .venv/bin/python bench/spec_conformance.py [FOLDER ...] [--failures]

Runs the unified-format test files of pymongo's sdist (fetched into
.cache/spec-tests/ on first use) against a one-member and a three-member
emulated set and prints lines like `CRUD 306/313 (97.8%)`: passed / every test
mongod 7.0 on a replica set would run, then the overall percentage. With
--failures, each test that did not pass is printed with its reason.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]  # the runner lives with the tests

from tests.mongoemu.specs import conformance, source  # noqa: E402
from tests.mongoemu.specs.runner import Verdict  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", help=f"specification folders, of {', '.join(source.FOLDERS)} (default: all)")
    parser.add_argument("--failures", action="store_true", help="print every test that did not pass, with its reason")
    arguments = parser.parse_args()
    folders = arguments.folders or list(source.FOLDERS)
    unknown = sorted(set(folders) - set(source.FOLDERS))
    if unknown:
        parser.error(f"unknown folders {unknown}; choose among {', '.join(source.FOLDERS)}")
    started = time.monotonic()
    try:
        results = conformance.run_everywhere(folders, Path(tempfile.mkdtemp(prefix="spec-conformance-")))
    except source.SpecFilesUnavailable as unavailable:
        print(f"spec_conformance: {unavailable}", file=sys.stderr)
        return 1
    print(f"pymongo {source.pymongo_version()}'s specification tests against the emulator ({time.monotonic() - started:.0f} s)")
    for topology in conformance.TOPOLOGIES:
        print(f"\n{topology} set:")
        everything = []
        for folder in folders:
            folder_results = results[(topology, folder)]
            everything.extend(folder_results)
            print(f"  {conformance.Tally.of(folder_results).line(folder)}")
            if arguments.failures:
                for result in folder_results:
                    if result.verdict in (Verdict.FAILED, Verdict.UNJUDGED):
                        listed = conformance.known_reason(result, topology) or "NOT LISTED in known_failures.py"
                        print(f"    {result.verdict.value}: {result.key}\n      listed: {listed}\n      seen: {result.reason[:300]}")
        overall = conformance.Tally.of(everything)
        print(f"  overall {overall.passed}/{overall.counted} = {overall.rate:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
