"""Ingest benchmark: how many messages per second five as-fixed SMTP servers store.

Starts the database (unless MONGO_URI is set: the emulator as the as-fixed
stack runs it, a replica set of two data members and an arbiter taking
majority writes; ``--standalone`` for one emulator process), five SMTP servers
writing to it directly, and one sender process per server that reuses its
connection and streams ``--window`` messages at a time with BDAT (RFC 3030)
and pipelining (RFC 2920), for a fixed time. Prints the measured rate of
messages stored in the database (target: 1,000 msg/s), which database tier
ran, the CPU time spent per stored message and the machine's load average (on
a shared machine the rate says as much about the neighbours as about us).
Loopback only.

    .venv/bin/python bench/ingest.py [--seconds 10] [--servers 5] [--body-lines 20] [--connections 1]
                                     [--window 32] [--standalone]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient
from pymongo.errors import PyMongoError

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cpu import cpu_seconds  # noqa: E402
from harness.load.smtp_session import Outcome, SmtpSession  # noqa: E402
from harness.runtime.ports import start_listening  # noqa: E402
from local_replica_set import local_replica_set  # noqa: E402

DOMAIN = "bench.test"
TARGET_PER_SECOND = 1000


def wait_for(check: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except (httpx.HTTPError, PyMongoError, OSError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"bench: {what} did not come up within {timeout}s")


def start(command: Callable[[list[int]], tuple[list[str], dict[str, str]]], ports: int, log: Path,
          cleanup: ExitStack) -> tuple[subprocess.Popen[bytes], list[int]]:
    """A child process on fresh loopback ports (``command(ports)`` gives its argv and environment),
    once it listens on them; stopped (SIGTERM, then SIGKILL after 10 s) when ``cleanup`` closes."""

    def launch(chosen: list[int]) -> subprocess.Popen[bytes]:
        argv, env = command(chosen)
        with log.open("ab") as out:
            return subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)

    process, chosen = start_listening(launch, log, ports)

    def stop() -> None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()

    cleanup.callback(stop)
    return process, chosen


def sender(port: int, worker: int, args: argparse.Namespace, results: Connection) -> None:
    """One client process with ``args.connections`` connections to one server, each reused and
    pipelining as the flood's attackers do, sending for ``args.seconds``."""
    body = "".join(f"line {n:02d} of a benchmark message, nothing to see here\r\n" for n in range(args.body_lines))
    recipient = f"inbox-{worker}@{DOMAIN}"
    template = f"From: bench@example.org\r\nTo: {recipient}\r\nSubject: bench\r\n"
    tallies = [{"accepted": 0, "errors": 0} for _ in range(args.connections)]  # one per thread: no races
    cpu_at_start = time.process_time()
    deadline = time.monotonic() + args.seconds

    def send_over_one_connection(connection: int) -> None:
        session = SmtpSession("127.0.0.1", port, helo=f"bench-{worker}.invalid", timeout_s=30)
        tally = tallies[connection]
        while time.monotonic() < deadline:
            sent = tally["accepted"] + tally["errors"]
            window = [
                ("bench@example.org", [recipient],
                 f"{template}Message-ID: <{worker}-{connection}-{sent + n}@bench>\r\n\r\n{body}".encode())
                for n in range(args.window)
            ]
            if args.window == 1:
                results = [session.attempt(*window[0])]
            else:
                results = session.attempt_all(window)
            for result in results:
                tally["accepted" if result.outcome is Outcome.ACCEPTED else "errors"] += 1
        session.close()

    threads = [threading.Thread(target=send_over_one_connection, args=(n,)) for n in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    accepted, errors = (sum(tally[key] for tally in tallies) for key in ("accepted", "errors"))
    results.send((accepted, errors, time.process_time() - cpu_at_start))


def start_database(standalone: bool, workdir: Path, cleanup: ExitStack) -> tuple[str, str, list[int]]:
    """The database's URI, what it is, and the processes whose CPU counts as its own."""
    mongo_uri = os.environ.get("MONGO_URI")
    if mongo_uri:
        return mongo_uri, f"MONGO_URI={mongo_uri}", []
    if not standalone:
        replica_set = cleanup.enter_context(local_replica_set(members=3, arbiters=1))
        tier = "emulator replica set (two data members and an arbiter, w:majority; not MongoDB)"
        return replica_set.uri, tier, replica_set.member_pids
    def emulator(ports: list[int]) -> tuple[list[str], dict[str, str]]:
        argv = [sys.executable, "-m", "fixtures.mongoemu", "--standalone", "--bind", "127.0.0.1"]
        return argv + ["--port", str(ports[0]), "--me", f"127.0.0.1:{ports[0]}"], dict(os.environ)

    process, (port,) = start(emulator, 1, workdir / "mongoemu.log", cleanup)
    return f"mongodb://127.0.0.1:{port}", "emulator (fixtures.mongoemu --standalone; not MongoDB)", [process.pid]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--servers", type=int, default=5)
    parser.add_argument("--body-lines", type=int, default=20)
    parser.add_argument("--connections", type=int, default=1, help="per sender, each reused")
    parser.add_argument(
        "--window", type=int, default=32,
        help="messages in flight per connection (BDAT, RFC 3030); 1 sends each with DATA and waits",
    )
    parser.add_argument("--standalone", action="store_true", help="one emulator process, no replica set")
    args = parser.parse_args()

    db_name = f"bench_{int(time.time())}"
    with ExitStack() as cleanup:
        workdir = Path(tempfile.mkdtemp(prefix="mailstack-bench-"))
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        mongo_uri, tier, database_pids = start_database(args.standalone, workdir, cleanup)
        client: MongoClient[dict[str, Any]] = cleanup.enter_context(
            MongoClient(mongo_uri, serverSelectionTimeoutMS=2000)
        )
        wait_for(lambda: client.admin.command("ping"), "the database")

        server_pids, smtp_ports = [], []
        for n in range(1, args.servers + 1):
            def smtp_server(ports: list[int], n: int = n) -> tuple[list[str], dict[str, str]]:
                env = {
                    **os.environ,
                    "ARCH": "as-fixed",
                    "MONGO_URI": mongo_uri,
                    "MONGO_DB": db_name,
                    "SMTP_SERVER_NAME": f"smtp-{n}",
                    "SMTP_HOST": "127.0.0.1",
                    "SMTP_PORT": str(ports[0]),
                    "SMTP_METRICS_PORT": str(ports[1]),
                    "MAIL_DOMAINS": DOMAIN,
                    "SPOOL_DIR": str(workdir / f"spool-{n}"),
                    "LOG_LEVEL": "WARNING",
                }
                return [sys.executable, "-m", "fixtures.mailstack.smtp_server"], env

            process, (smtp_port, metrics_port) = start(smtp_server, 2, workdir / f"smtp-{n}.log", cleanup)
            server_pids.append(process.pid)
            smtp_ports.append((smtp_port, metrics_port))
        for _, metrics_port in smtp_ports:
            wait_for(
                lambda p=metrics_port: httpx.get(f"http://127.0.0.1:{p}/healthz").status_code == 200,
                "an SMTP server",
            )

        load_before = os.getloadavg()[0]
        cpu_before = {pid: cpu_seconds(pid) for pid in database_pids + server_pids}
        pipes, senders = [], []
        started = time.monotonic()
        for worker, (smtp_port, _) in enumerate(smtp_ports):
            receive, send = multiprocessing.Pipe(duplex=False)
            worker_process = multiprocessing.Process(
                target=sender, args=(smtp_port, worker, args, send)
            )
            worker_process.start()
            pipes.append(receive)
            senders.append(worker_process)
        totals = [pipe.recv() for pipe in pipes]
        elapsed = time.monotonic() - started
        cpu_used = {pid: cpu_seconds(pid) - before for pid, before in cpu_before.items()}
        for worker_process in senders:
            worker_process.join()

        spooled = pending = 0
        for _, metrics_port in smtp_ports:
            metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").json()
            spooled += metrics["spooled"]
            pending += metrics["spool_pending"]
        stored = client[db_name]["messages"].count_documents({})
        client.drop_database(db_name)

    accepted = sum(a for a, _, _ in totals)
    errors = sum(e for _, e, _ in totals)
    per_message_ms = 1000 / max(stored, 1)
    database_cpu = sum(cpu_used[pid] for pid in database_pids)
    servers_cpu = sum(cpu_used[pid] for pid in server_pids)
    senders_cpu = sum(c for _, _, c in totals)
    print(f"database tier: {tier}")
    print(
        f"{args.servers} SMTP servers, {len(senders)} senders ({args.connections} reused connection(s) each, "
        f"{'one message at a time with DATA' if args.window == 1 else f'{args.window} messages in flight with BDAT'}"
        f", pipelining), {elapsed:.1f} s, {args.body_lines}-line messages"
    )
    print(f"accepted {accepted / elapsed:.0f} msg/s ({accepted} messages, {errors} errors)")
    print(f"spooled {spooled} (still pending {pending})")
    database = f"{database_cpu * per_message_ms:.2f} ms" if database_pids else "not measured (MONGO_URI)"
    print(
        f"CPU per stored message: SMTP servers {servers_cpu * per_message_ms:.2f} ms, "
        f"database {database}, senders {senders_cpu * per_message_ms:.2f} ms"
    )
    print(f"load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"stored {stored / elapsed:.0f} msg/s ({stored} documents; target {TARGET_PER_SECOND} msg/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
