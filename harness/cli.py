"""`outage`: the command line.

Exit status: 0 when every verdict matches its expectation, 1 when one does not,
2 for bad input or environment (always with a message saying what to do),
3 for a harness bug (the traceback goes to reports/internal-error.log).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.errors import HarnessError
from harness.runtime.engine import docker_client
from harness.stack import Stack, remove_leftovers
from harness.stack.cleanup import signals_raise
from harness.topology_file import load_topology

console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
EXIT_OK, EXIT_MISMATCH, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
INTERNAL_ERROR_LOG = Path("reports") / "internal-error.log"


def _say(message: str) -> None:
    console.print(f"[dim]{message}[/]")


def cmd_up(args: argparse.Namespace) -> int:
    from harness.runtime.setup import prepare

    topology = load_topology(Path(args.topology))
    images = prepare(args.profile)
    stack = Stack(topology, images, client=docker_client(), say=_say)
    with signals_raise():
        try:
            stack.start()
        except BaseException:
            stack.stop()
            raise
    table = Table(title=f"run {stack.run_id} is up (`outage down` removes it)")
    for column in ("node", "role", "provider", "from the host", "on its network", "public"):
        table.add_column(column)
    for node in topology.nodes:
        access = stack.access(node.name)
        table.add_row(node.name, node.role.value, node.provider,
                      f"127.0.0.1:{access.published}", f"{access.address}:{access.port}",
                      access.public_address or "-")
    console.print(table)
    if stack.floating_ip:
        console.print(f"floating IP {stack.floating_ip} is on {stack.floating_holder}")
    console.print(f"Toxiproxy API: {stack.toxiproxy.base_url if stack.toxiproxy else '-'}")
    return EXIT_OK


def cmd_down(args: argparse.Namespace) -> int:
    containers, networks = remove_leftovers(docker_client(), args.run)
    console.print(f"removed {containers} containers and {networks} networks"
                  + (f" of run {args.run}" if args.run else " left by outage runs"))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="outage", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="bring a topology up and print how to reach each node")
    up.add_argument("--topology", required=True, help="YAML file with providers and nodes "
                    "(a scenario file works too: its topology is used)")
    up.add_argument("--profile", choices=["upstream", "local"], default=None,
                    help="image profile (default: upstream when images can be pulled)")
    up.set_defaults(handler=cmd_up)

    down = commands.add_parser("down", help="remove what outage runs left behind")
    down.add_argument("--run", default=None, help="only this run id (default: every run)")
    down.set_defaults(handler=cmd_down)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except HarnessError as err:
        console.print(f"[bold red]error:[/] {err}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; everything this run started was removed[/]")
        return 130
    except Exception as err:  # noqa: BLE001 - the last line of defence: no bare traceback
        INTERNAL_ERROR_LOG.parent.mkdir(parents=True, exist_ok=True)
        INTERNAL_ERROR_LOG.write_text(traceback.format_exc())
        console.print(f"[bold red]internal error:[/] {type(err).__name__}: {err}\n"
                      f"  the traceback is in {INTERNAL_ERROR_LOG}; please report it with the command")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
