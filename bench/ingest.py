"""Ingest benchmark: how many messages per second five as-fixed SMTP servers store.

Starts the database (the MongoDB emulator, standalone, unless MONGO_URI is
set), five SMTP servers writing to it directly, and one sender process per
server that reuses its connection, for a fixed time. Prints the measured rate
of messages stored in the database (target: 1,000 msg/s), which database tier
ran, the CPU time spent per stored message and the machine's load average (on
a shared machine the rate says as much about the neighbours as about us).
Loopback only.

    .venv/bin/python bench/ingest.py [--seconds 10] [--servers 5] [--body-lines 20]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient
from pymongo.errors import PyMongoError

REPO = Path(__file__).resolve().parents[1]
DOMAIN = "bench.test"
TARGET_PER_SECOND = 1000


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def sender(port: int, worker: int, seconds: float, body_lines: int, results: Connection) -> None:
    """One client, one reused connection, as many messages as fit in ``seconds``."""
    body = "".join(f"line {n:02d} of a benchmark message, nothing to see here\r\n" for n in range(body_lines))
    template = f"From: bench@example.org\r\nTo: inbox-{worker}@{DOMAIN}\r\nSubject: bench\r\n"
    accepted = errors = 0
    cpu_at_start = time.process_time()
    client = smtplib.SMTP("127.0.0.1", port, timeout=30)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = f"{template}Message-ID: <{worker}-{accepted + errors}@bench>\r\n\r\n{body}"
        try:
            client.sendmail("bench@example.org", [f"inbox-{worker}@{DOMAIN}"], message)
            accepted += 1
        except smtplib.SMTPException:
            errors += 1
            client.close()
            client = smtplib.SMTP("127.0.0.1", port, timeout=30)
    client.quit()
    results.send((accepted, errors, time.process_time() - cpu_at_start))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--servers", type=int, default=5)
    parser.add_argument("--body-lines", type=int, default=20)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="mailstack-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    db_name = f"bench_{int(time.time())}"
    try:
        mongo_uri = os.environ.get("MONGO_URI")
        if mongo_uri:
            tier = f"MONGO_URI={mongo_uri}"
        else:
            port = free_port()
            mongo_uri = f"mongodb://127.0.0.1:{port}"
            tier = "emulator (fixtures.mongoemu --standalone; not MongoDB)"
            emulator = [sys.executable, "-m", "fixtures.mongoemu", "--standalone", "--bind", "127.0.0.1"]
            emulator += ["--port", str(port), "--me", f"127.0.0.1:{port}"]
            processes.append(start(emulator, dict(os.environ), workdir / "mongoemu.log"))
        client: MongoClient[dict[str, Any]] = MongoClient(mongo_uri, serverSelectionTimeoutMS=2000)
        with client:
            wait_for(lambda: client.admin.command("ping"), "the database")

            smtp_ports = []
            for n in range(1, args.servers + 1):
                smtp_port, metrics_port = free_port(), free_port()
                env = {
                    **os.environ,
                    "ARCH": "as-fixed",
                    "MONGO_URI": mongo_uri,
                    "MONGO_DB": db_name,
                    "SMTP_SERVER_NAME": f"smtp-{n}",
                    "SMTP_HOST": "127.0.0.1",
                    "SMTP_PORT": str(smtp_port),
                    "SMTP_METRICS_PORT": str(metrics_port),
                    "MAIL_DOMAINS": DOMAIN,
                    "SPOOL_DIR": str(workdir / f"spool-{n}"),
                    "LOG_LEVEL": "WARNING",
                }
                processes.append(
                    start(
                        [sys.executable, "-m", "fixtures.mailstack.smtp_server"],
                        env,
                        workdir / f"smtp-{n}.log",
                    )
                )
                smtp_ports.append((smtp_port, metrics_port))
            for _, metrics_port in smtp_ports:
                wait_for(
                    lambda p=metrics_port: httpx.get(f"http://127.0.0.1:{p}/healthz").status_code == 200,
                    "an SMTP server",
                )

            load_before = os.getloadavg()[0]
            cpu_before = [cpu_seconds(p.pid) for p in processes]
            pipes, senders = [], []
            started = time.monotonic()
            for worker, (smtp_port, _) in enumerate(smtp_ports):
                receive, send = multiprocessing.Pipe(duplex=False)
                worker_process = multiprocessing.Process(
                    target=sender, args=(smtp_port, worker, args.seconds, args.body_lines, send)
                )
                worker_process.start()
                pipes.append(receive)
                senders.append(worker_process)
            totals = [pipe.recv() for pipe in pipes]
            elapsed = time.monotonic() - started
            cpu_used = [cpu_seconds(p.pid) - before for p, before in zip(processes, cpu_before, strict=True)]
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
        database_cpu = sum(cpu_used[: len(processes) - args.servers])
        servers_cpu = sum(cpu_used[len(processes) - args.servers :])
        senders_cpu = sum(c for _, _, c in totals)
        print(f"database tier: {tier}")
        print(
            f"{args.servers} SMTP servers, {len(senders)} senders (one reused connection each), "
            f"{elapsed:.1f} s, {args.body_lines}-line messages"
        )
        print(f"accepted {accepted / elapsed:.0f} msg/s ({accepted} messages, {errors} errors)")
        print(f"spooled {spooled} (still pending {pending})")
        database = f"{database_cpu * per_message_ms:.2f} ms" if database_cpu else "not measured (MONGO_URI)"
        print(
            f"CPU per stored message: SMTP servers {servers_cpu * per_message_ms:.2f} ms, "
            f"database {database}, senders {senders_cpu * per_message_ms:.2f} ms"
        )
        print(
            f"load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        print(f"stored {stored / elapsed:.0f} msg/s ({stored} documents; target {TARGET_PER_SECOND} msg/s)")
        return 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
