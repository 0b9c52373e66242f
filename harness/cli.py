"""`outage`: the command line.

Exit status: 0 when every verdict matches its expectation, 1 when one does not,
2 for bad input or environment (always with a message saying what to do),
3 for a harness bug (the traceback goes to reports/internal-error.log), 130
after Ctrl-C and 143 after SIGTERM (a run stopped so writes what it gathered).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.errors import HarnessError
from harness.repeats import PassRule, Tally, tally
from harness.report import load_run, rebuild_index, write_run
from harness.runner import RunResult, run_scenario
from harness.runtime.engine import docker_client
from harness.durations import format_duration, parse_duration
from harness.explore.shrink import describe
from harness.scenario import Scenario, ScenarioError, load_scenario, resolve
from harness.stack import Stack, remove_leftovers
from harness.stack.cleanup import Terminated, signals_raise
from harness.topology_file import compose_topology, load_topology

console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
EXIT_OK, EXIT_MISMATCH, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
# As shells report a process ended by a signal: 128 + its number.
EXIT_CTRL_C, EXIT_SIGTERM = 128 + 2, 128 + 15
INTERNAL_ERROR_LOG = Path("reports") / "internal-error.log"


def _say(message: str) -> None:
    console.print(f"[dim]{message}[/]")


def cmd_up(args: argparse.Namespace) -> int:
    from harness.runtime.setup import prepare

    if (args.topology is None) == (args.compose is None):
        raise HarnessError("give either --topology FILE or --compose FILE --place FILE",
                           "e.g. outage up --compose compose.yaml --place place.yaml")
    if args.compose is not None and args.place is None:
        raise HarnessError("--compose needs --place: which provider each service lives in",
                           "write a YAML file with one line per service, `redis-1: east`")
    topology = (load_topology(Path(args.topology)) if args.topology is not None
                else compose_topology(Path(args.compose), Path(args.place)))
    base_dir = Path(args.topology or args.compose).parent
    images = prepare(args.profile)
    stack = Stack(topology, images, client=docker_client(), base_dir=base_dir, say=_say)
    # The stack lives as long as this process: Ctrl-C or SIGTERM removes it, and its reaper
    # removes it should this process die any other way.
    with signals_raise(), stack:
        _print_access(stack)
        console.print(f"run {stack.run_id} is up; Ctrl-C removes it")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print(f"removing run {stack.run_id}")
    return EXIT_OK


def _print_access(stack: Stack) -> None:
    table = Table(title=f"run {stack.run_id}")
    for column in ("node", "role or image", "provider", "from the host", "on its network", "public"):
        table.add_column(column)
    for node in stack.topology.nodes:
        access = stack.access(node.name)
        plain = stack.nodes[node.name]
        published = ", ".join(f"127.0.0.1:{host} -> {port}" for port, host in access.published.items()) or "-"
        own = ", ".join(f"{access.address}:{port}" for port in plain.ports) or access.address
        table.add_row(node.name, node.role or plain.image or plain.build or "", node.provider, published, own,
                      access.public_address or "-")
    console.print(table)
    if stack.floating_ip and stack.floating_holder:
        console.print(f"floating IP {stack.floating_ip} is on {stack.floating_holder}")
    console.print(f"Toxiproxy API: {', '.join(stack.toxiproxy_urls) or '-'}")
    for name, note in stack.notes.items():
        console.print(f"{name}: {note}")


def cmd_down(args: argparse.Namespace) -> int:
    containers, networks = remove_leftovers(docker_client(), args.run)
    console.print(f"removed {containers} containers and {networks} networks"
                  + (f" of run {args.run}" if args.run else " left by outage runs"))
    return EXIT_OK


def _scenario_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(path.glob("*.yaml"))
        elif path.is_file():
            files.append(path)
        else:
            raise HarnessError(f"{path}: no such scenario file or folder",
                               "`outage list` shows the scenarios in scenarios/")
    if not files:
        raise HarnessError(f"no scenario files in {', '.join(paths)}", "give *.yaml scenario files")
    return files


def _architectures(scenario: Scenario, wanted: str) -> list[str]:
    names = list(scenario.architectures) if wanted == "all" else [wanted]
    for name in names:
        if name not in scenario.architectures:
            raise HarnessError(f"scenario '{scenario.name}' has no architecture '{name}'",
                               f"use one of: {', '.join(scenario.architectures)} or all")
    return names


def cmd_list(args: argparse.Namespace) -> int:
    table = Table(title="scenarios")
    for column in ("file", "name", "architectures", "timeline", "incident"):
        table.add_column(column, overflow="fold")
    for path in _scenario_files(args.paths):
        scenario = load_scenario(path)
        table.add_row(str(path), scenario.name, ", ".join(scenario.architectures),
                      f"{len(scenario.timeline)} entries over {format_duration(round(scenario.duration))}",
                      scenario.incident.strip().splitlines()[0][:80] if scenario.incident else "")
    console.print(table)
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from harness.runtime.setup import prepare

    # Every file is read and checked before any container starts.
    plans = []
    for path in _scenario_files(args.scenarios):
        scenario = load_scenario(path)
        for architecture in _architectures(scenario, args.arch):
            plans.append((path, resolve(scenario, architecture, args.time_scale)))
    _check_writable(Path(args.reports))
    images = prepare(args.profile)
    client = docker_client()
    console.print(f"image profile: [bold]{images.profile.value}[/]   database tier: "
                  f"[bold]{images.database_tier}[/]")
    started = time.monotonic()
    results: list[RunResult] = []
    for path, run in plans:
        seed = run.scenario.seed if args.seed is None else args.seed
        for repeat in range(1, args.repeat + 1):
            of = f", run {repeat} of {args.repeat}" if args.repeat > 1 else ""
            console.rule(f"{run.scenario.name} / {run.architecture}  (time scale {run.time_scale:g}, seed {seed}{of})")
            results.append(run_scenario(run, scenario_file=str(path), images=images, client=client,
                                        reports_dir=Path(args.reports), seed=seed, say=_say,
                                        locust_ui=args.locust_ui))
            _print_result(results[-1])
    _print_summary(results, time.monotonic() - started, Path(args.reports))
    if args.repeat == 1:
        return EXIT_OK if all(r.passed for r in results) else EXIT_MISMATCH
    tallies = tally(r.record for r in results)
    _print_tallies(tallies, args.pass_rule)
    return EXIT_OK if all(t.passed(args.pass_rule) for t in tallies) else EXIT_MISMATCH


def _print_tallies(tallies: list[Tally], rule: PassRule) -> None:
    for entry in tallies:
        table = Table(title=f"{entry.scenario} / {entry.architecture}: {entry.matched} of {entry.runs} runs "
                            f"matched their expectation", title_justify="left")
        for column in ("invariant", "expected", "held", "broke", "not judged", "flipped"):
            table.add_column(column)
        for invariant, seen in entry.states.items():
            expected = "breaks" if invariant in entry.expected_broken else "holds"
            table.add_row(invariant, expected, f"{seen['holds']}/{entry.runs}", f"{seen['breaks']}/{entry.runs}",
                          f"{seen['not judged']}/{entry.runs}",
                          "[red]yes[/]" if invariant in entry.flipped() else "no")
        console.print(table)
        mark = "[green]PASS[/]" if entry.passed(rule) else "[bold red]FAIL[/]"
        console.print(f"{mark} by the pass rule '{rule}'")


def _check_writable(folder: Path) -> None:
    """Before any container starts: a run that cannot write its report would be lost."""
    probe = folder / f".writable-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise HarnessError(f"cannot write to the reports folder {folder}: {err.strerror or err}",
                           "pass --reports DIR with a folder you can write") from None


def _print_result(result: RunResult) -> None:
    table = Table(show_header=True, header_style="bold")
    for column in ("invariant", "expected", "observed", "summary"):
        table.add_column(column, overflow="fold")
    expected_broken = set(result.record.run.expect.broken)
    for verdict in result.record.verdicts:
        expected = "breaks" if verdict.id in expected_broken else "holds"
        observed = {"holds": "holds", "breaks": "[red]breaks[/]"}.get(verdict.state, f"[yellow]{verdict.state}[/]")
        table.add_row(verdict.id, expected, observed, verdict.summary)
    console.print(table)
    mark = "[green]PASS[/]" if result.passed else "[bold red]FAIL[/]"
    console.print(f"{mark} {result.record.outcome.summary}\n  report: {result.run_dir / 'report.html'}")


def _print_summary(results: list[RunResult], wall_s: float, reports: Path) -> None:
    passed = sum(r.passed for r in results)
    console.rule("summary")
    for result in results:
        mark = "[green]PASS[/]" if result.passed else "[bold red]FAIL[/]"
        console.print(f"{mark} {result.record.run.scenario.name} / {result.record.run.architecture}")
    console.print(f"{passed} of {len(results)} runs matched their expectation; "
                  f"wall time {wall_s / 60:.1f} min; index: {reports / 'index.html'}")


def cmd_report(args: argparse.Namespace) -> int:
    run_dir = Path(args.run_dir)
    if not (run_dir / "journal.json").is_file():
        raise HarnessError(f"{run_dir} has no journal.json", "give a run folder under reports/")
    written = write_run(run_dir, load_run(run_dir))
    rebuild_index(run_dir.parent)
    console.print(f"rewrote {', '.join(str(p) for p in written.values())}")
    return EXIT_OK


def cmd_explore(args: argparse.Namespace) -> int:
    """Generated schedules against one architecture; exit 1 when one breaks something it should not."""
    from harness.explore.explorer import Explorer
    from harness.runtime.setup import prepare

    path = Path(args.scenario)
    scenario = load_scenario(path)
    (architecture,) = _architectures(scenario, args.arch)
    if args.budget <= 0:
        raise HarnessError(f"a budget of {args.budget:g} s leaves no time to explore", "give e.g. --budget 30m")
    _check_writable(Path(args.reports))
    images = prepare(args.profile)
    explorer = Explorer(scenario, str(path), architecture, images=images, client=docker_client(),
                        reports_dir=Path(args.reports), seed=args.seed, schedules=args.schedules,
                        budget_s=args.budget, reruns=args.reruns, say=_say)
    result = explorer.explore()
    table = Table(title=f"explored {scenario.name} / {architecture} (seed {args.seed})")
    for column in ("run", "role", "faults", "outcome", "broke"):
        table.add_column(column, overflow="fold")
    for tried in result.tried:
        table.add_row(tried.name, tried.role, "; ".join(f"{describe(e['fault'])} at {e['at']}" for e in tried.entries),
                      "[red]FAILED[/]" if tried.failed else "held", ", ".join(tried.record.outcome.observed_broken))
    console.print(table)
    console.print(f"index: {result.folder / 'index.html'}")
    if result.stopped:
        console.print(f"[yellow]stopped by {result.stopped}; kept what was found[/]")
    if result.minimal is None:
        console.print(f"nothing broke in {explorer.schedules_tried} schedules")
        return EXIT_CTRL_C if result.stopped == "Ctrl-C" else EXIT_SIGTERM if result.stopped else EXIT_OK
    console.print(f"[bold red]found:[/] {result.story}\nminimal scenario: {result.minimal} "
                  f"(replay it with `outage run {result.minimal}`)")
    return EXIT_MISMATCH


def cmd_init(args: argparse.Namespace) -> int:
    from harness.init import write_starter

    written = write_starter(Path(args.folder), force=args.force)
    for note in written.notes:
        _say(note)
    console.print(f"wrote {', '.join(str(path) for path in written.files)}; run it with: "
                  f"outage run {written.files[0]}")
    return EXIT_OK


def parse_duration_arg(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} runs: give 1 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="outage", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="bring a topology up, print how to reach each node, keep it until Ctrl-C")
    up.add_argument("--topology", help="YAML file with providers and nodes "
                    "(a scenario file works too: its topology is used)")
    up.add_argument("--compose", help="a compose file whose services become the nodes (with --place)")
    up.add_argument("--place", help="YAML mapping each compose service to its provider")
    up.add_argument("--profile", choices=["upstream", "local"], default=None,
                    help="image profile (default: upstream when images can be pulled)")
    up.set_defaults(handler=cmd_up)

    listing = commands.add_parser("list", help="the scenarios and what they replay")
    listing.add_argument("paths", nargs="*", default=["scenarios"])
    listing.set_defaults(handler=cmd_list)

    run = commands.add_parser("run", help="replay scenarios and judge them")
    run.add_argument("scenarios", nargs="+", help="scenario files or folders")
    run.add_argument("--arch", default="all", help="an architecture of the scenario (as-was, as-fixed, ...) or all (default)")
    run.add_argument("--time-scale", type=float, default=None,
                     help="compress the timeline (0.05 = 20x faster; 1 = as in the incident)")
    run.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    run.add_argument("--profile", choices=["upstream", "local"], default=None)
    run.add_argument("--reports", default="reports", help="where run folders are written")
    run.add_argument("--repeat", type=_positive, default=1,
                     help="run each scenario and architecture N times and tally each invariant")
    run.add_argument("--pass-rule", choices=["all", "majority"], default="all",
                     help="with --repeat: all runs must match their expectation (default), or a majority")
    run.add_argument("--locust-ui", action="store_true",
                     help="serve Locust's web UI for floods on 127.0.0.1 (its URL is printed)")
    run.set_defaults(handler=cmd_run)

    demo = commands.add_parser("demo", help="replay every postmortem in each of its architectures (the README's main job)")
    demo.add_argument("--profile", choices=["upstream", "local"], default=None)
    demo.add_argument("--time-scale", type=float, default=None)
    demo.set_defaults(handler=cmd_run, scenarios=["scenarios"], arch="all", seed=None,
                      reports="reports", locust_ui=False, repeat=1, pass_rule="all")

    report = commands.add_parser("report", help="re-render a run folder's report from its journal")
    report.add_argument("run_dir")
    report.set_defaults(handler=cmd_report)

    explore = commands.add_parser("explore", help="draw fault schedules against one architecture and shrink a "
                                  "failure to a minimal scenario")
    explore.add_argument("scenario", help="a scenario file (its explore: section says what to draw from)")
    explore.add_argument("--arch", default="as-fixed", help="the architecture to explore (default as-fixed)")
    explore.add_argument("--budget", type=parse_duration_arg, default=parse_duration_arg("30m"),
                         help="stop drawing schedules after this long, e.g. 30m (default)")
    explore.add_argument("--schedules", type=_positive, default=100, help="at most this many schedules")
    explore.add_argument("--seed", type=int, default=1, help="the same seed draws the same schedules")
    explore.add_argument("--reruns", type=_positive, default=3,
                         help="runs a shrinking candidate gets; it fails when a majority of them fail")
    explore.add_argument("--profile", choices=["upstream", "local"], default=None)
    explore.add_argument("--reports", default="reports")
    explore.set_defaults(handler=cmd_explore)

    init = commands.add_parser("init", help="write a starter scenario and how to run it (from a compose file "
                               "in the folder, if there is one)")
    init.add_argument("folder", nargs="?", default=".", help="where to write scenario.yaml and OUTAGE.md "
                      "(default: here)")
    init.add_argument("--force", action="store_true", help="overwrite those files if they exist")
    init.set_defaults(handler=cmd_init)

    down = commands.add_parser("down", help="remove what outage runs left behind (or a run still in use, by --run)")
    down.add_argument("--run", default=None, help="only this run id (default: every run)")
    down.set_defaults(handler=cmd_down)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (HarnessError, ScenarioError) as err:
        console.print(f"[bold red]error:[/] {err}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as err:
        signal_name = "SIGTERM" if isinstance(err, Terminated) else "Ctrl-C"
        console.print(f"[yellow]stopped by {signal_name}; everything this run started was removed, and the "
                      "history it gathered is in its report folder[/]")
        return EXIT_SIGTERM if isinstance(err, Terminated) else EXIT_CTRL_C
    except Exception as err:  # noqa: BLE001 - the last line of defence: no bare traceback
        INTERNAL_ERROR_LOG.parent.mkdir(parents=True, exist_ok=True)
        INTERNAL_ERROR_LOG.write_text(traceback.format_exc())
        console.print(f"[bold red]internal error:[/] {type(err).__name__}: {err}\n"
                      f"  the traceback is in {INTERNAL_ERROR_LOG}; please report it with the command")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
