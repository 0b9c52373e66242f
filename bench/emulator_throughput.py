"""Throughput of the MongoDB replica-set emulator: 3 members on loopback, four client processes.

    .venv/bin/python bench/emulator_throughput.py [--seconds 10] [--clients 4]

Prints measured figures (`w:1 NNNN inserts/s`, `w:majority NNNN inserts/s`), the CPU
time spent per insert by the members and by the clients, and the ratio of the two: on a
shared machine whose speed drifts between runs, that ratio is what compares two versions
of the emulator.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time

import pymongo
from cpu import cpu_seconds
from local_replica_set import local_replica_set
from pymongo import WriteConcern


def insert_for(
    uri: str, w: int | str, seconds: float, client_index: int, start: "multiprocessing.Event", results: "multiprocessing.Queue[tuple[int, float]]"
) -> None:
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=20000)
    collection = client.bench.get_collection("inserts", write_concern=WriteConcern(w=w, wtimeout=10000))
    collection.insert_one({"warmup": client_index})
    start.wait()
    count = 0
    cpu_before = time.process_time()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        collection.insert_one({"client": client_index, "n": count, "payload": "x" * 100})
        count += 1
    results.put((count, time.process_time() - cpu_before))
    client.close()


def measure(uri: str, w: int | str, seconds: float, clients: int, member_pids: list[int]) -> tuple[float, float, float]:
    """(inserts/s, member CPU µs per insert, client CPU µs per insert) over one window."""
    results: multiprocessing.Queue[tuple[int, float]] = multiprocessing.Queue()
    start = multiprocessing.Event()
    workers = [
        multiprocessing.Process(target=insert_for, args=(uri, w, seconds, index, start, results)) for index in range(clients)
    ]
    for worker in workers:
        worker.start()
    time.sleep(2)  # let every client connect and warm up before the common window opens
    members_before = sum(cpu_seconds(pid) for pid in member_pids)
    start.set()
    reports = [results.get(timeout=seconds + 60) for _ in workers]
    members_cpu = sum(cpu_seconds(pid) for pid in member_pids) - members_before
    for worker in workers:
        worker.join()
    total = sum(count for count, _ in reports)
    client_cpu = sum(cpu for _, cpu in reports)
    return total / seconds, members_cpu / total * 1e6, client_cpu / total * 1e6


def print_throughput(seconds: float, clients: int) -> None:
    with local_replica_set() as replica_set:
        for w in (1, "majority"):
            rate, member_cpu, client_cpu = measure(replica_set.uri, w, seconds, clients, replica_set.member_pids)
            print(f"w:{w} {rate:.0f} inserts/s", flush=True)
            print(f"  CPU per insert: members {member_cpu:.0f} µs (all three), clients {client_cpu:.0f} µs", flush=True)
            # The machine's speed drifts between runs; this ratio, taken within one run, does not.
            print(f"  members' CPU relative to the clients': {member_cpu / client_cpu:.2f}", flush=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work on the machine skews these figures)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time per write concern")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    arguments = parser.parse_args()
    print_throughput(arguments.seconds, arguments.clients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
