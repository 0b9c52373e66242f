"""The explorer: seeded schedules on one stack, reset between them, until a failure or the budget.

One stack serves every schedule: between two, it is reset (links healed and checked,
stopped nodes back, each system's own reset) instead of rebuilt; a reset that fails
rebuilds it, and says so. Each schedule is a run of its own, with its own history
and report. The first schedule whose verdicts are not what the architecture expects is
shrunk (harness.explore.shrink), each candidate replayed on the same stack, and the
minimal schedule written as a scenario file any `outage run` replays, with the report
of the run that confirmed it and a paragraph that tells what happened.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import docker
from ruamel.yaml import YAML

from harness.errors import HarnessError
from harness.explore.schedules import draw_schedule, schedule_scenario
from harness.explore.shrink import Entries, Shrinker, Step, describe
from harness.explore.space import Space, resolve_space
from harness.report.html import CSS, REPORT
from harness.report.record import RunRecord
from harness.runner import play_on, stack_for, write_reports
from harness.runtime.images import ImageSet
from harness.scenario import Scenario, resolve
from harness.stack import Stack
from harness.stack.cleanup import Terminated, signals_raise

Say = Callable[[str], None]
MINIMAL = "minimal.yaml"


@dataclass
class Tried:
    """One run: a drawn schedule, a rerun of one, a shrinking candidate or the confirming run."""

    name: str
    seed: int | None  # the schedule's, for a drawn one
    entries: Entries
    record: RunRecord
    folder: Path
    role: str  # "schedule", "again", "shrink" or "confirm"

    @property
    def failed(self) -> bool:
        return not self.record.outcome.passed


@dataclass
class Exploration:
    folder: Path
    tried: list[Tried] = field(default_factory=list)  # every run, in order
    found: Tried | None = None  # the first failing schedule
    minimal: Path | None = None  # the shrunk scenario file
    confirmed: Tried | None = None  # the run of the minimal scenario
    story: str = ""
    shrink_steps: list[Step] = field(default_factory=list)
    resets_s: list[float] = field(default_factory=list)
    bring_up_s: list[float] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    stopped: str | None = None  # why it ended early (Ctrl-C, SIGTERM)


class Explorer:
    def __init__(self, scenario: Scenario, scenario_file: str, architecture: str, *, images: ImageSet,
                 client: docker.DockerClient, reports_dir: Path, seed: int, schedules: int, budget_s: float,
                 reruns: int, say: Say) -> None:
        self.scenario = scenario
        self.scenario_file = scenario_file
        self.architecture = architecture
        self.images = images
        self.client = client
        self.seed = seed
        self.schedules = schedules
        self.budget_s = budget_s
        self.reruns = reruns
        self.say = say
        topology = scenario.topology_for(architecture)
        length = scenario.duration * scenario.time_scale
        self.space: Space = resolve_space(getattr(scenario, "explore", None), topology, length)
        self.started = time.monotonic()
        self.result = Exploration(reports_dir / f"explore-{datetime.now(UTC):%Y%m%d-%H%M%S}")
        self._stack: Stack | None = None

    @property
    def schedules_tried(self) -> int:
        return sum(t.role == "schedule" for t in self.result.tried)

    @property
    def left_s(self) -> float:
        return self.budget_s - (time.monotonic() - self.started)

    def explore(self) -> Exploration:
        """Schedules until one fails, the count or the budget is spent, or Ctrl-C; then shrink it."""
        result = self.result
        result.folder.mkdir(parents=True, exist_ok=True)
        seeds = random.Random(self.seed)
        try:
            with signals_raise():
                for number in range(1, self.schedules + 1):
                    if self.left_s <= 0:
                        break
                    seed = seeds.randrange(2**31)
                    entries = draw_schedule(self.space, seed)
                    self.say(self._progress(f"schedule {number}/{self.schedules} (seed {seed}): "
                                            + ("; ".join(describe(e['fault']) for e in entries) or "no fault drawn")))
                    tried = self._try(f"schedule-{number:03d}", seed, entries, "schedule")
                    if tried.failed and self._reproduces(tried):
                        result.found = tried
                        self._shrink(tried)
                        break
        except KeyboardInterrupt as err:
            result.stopped = "SIGTERM" if isinstance(err, Terminated) else "Ctrl-C"
            self.say(f"exploring stopped by {result.stopped}; keeping what was found")
        finally:
            if self._stack is not None:
                self._stack.stop()
            write_index(result, self.scenario_file, self.architecture, self.seed)
        return result

    # One schedule, on the stack kept between schedules.

    def _try(self, name: str, seed: int | None, entries: Entries, role: str) -> Tried:
        scenario, left_out = schedule_scenario(self.scenario, self.architecture, entries, self.space.length_s)
        if left_out and not self.result.left_out:
            self.result.left_out = left_out
            self.say(f"not judged while exploring: {', '.join(left_out)} (they name the scenario's own faults)")
        run = resolve(scenario, self.architecture, 1.0)
        stack = self._ready_stack(run)
        folder = self.result.folder / name
        played = play_on(stack, run, folder, scenario_file=self.scenario_file, seed=self.seed, say=lambda _: None)
        record = played.record()
        write_reports(folder, record, self.result.folder)
        if played.interruption is not None:
            raise played.interruption
        broken = ", ".join(record.outcome.observed_broken) or "nothing"
        self.say(self._progress(f"{name}: {'FAILED' if not record.outcome.passed else 'held'} (broke: {broken})"))
        tried = Tried(name, seed, entries, record, folder, role)
        self.result.tried.append(tried)
        return tried

    def _ready_stack(self, run: Any) -> Stack:
        """The stack, reset after the previous schedule (rebuilt if the reset fails), or new."""
        if self._stack is not None:
            started = time.perf_counter()
            try:
                self._stack.reset(restart=self.space.restart)
                self.result.resets_s.append(time.perf_counter() - started)
                return self._stack
            except HarnessError as err:
                self.say(f"the reset could not bring the stack back ({err.problem}); rebuilding it")
                self._stack.stop()
        stack = stack_for(run, self.scenario_file, self.images, self.client, lambda _: None)
        started = time.perf_counter()
        stack.start()
        self.result.bring_up_s.append(time.perf_counter() - started)
        self._stack = stack
        return stack

    # What to do with a failure.

    def _reproduces(self, failing: Tried) -> bool:
        """A failure counts when a majority of ``reruns`` runs of its schedule fail: containers
        are not deterministic, and a one-off is not a finding."""
        failures, runs, needed = 1, 1, self.reruns // 2 + 1
        while failures < needed and failures + self.reruns - runs >= needed:
            runs += 1
            failures += self._try(f"{failing.name}-again-{runs}", failing.seed, failing.entries, "again").failed
        if failures < needed:
            self.say(f"{failing.name} failed {failures} of {runs} times: a flake, not a finding; exploring on")
        return failures >= needed

    def _shrink(self, failing: Tried) -> None:
        result = self.result
        self.say(f"{failing.name} failed: shrinking it ({self.reruns} runs a candidate, a majority must fail)")
        runs = 0

        def run_once(entries: Entries) -> bool:
            nonlocal runs
            runs += 1
            return self._try(f"shrink-{runs:03d}", None, entries, "shrink").failed

        def on_step(step: Step) -> None:
            result.shrink_steps.append(step)
            self.say(self._progress(f"shrink step {len(result.shrink_steps)}: {step.what}: "
                                    f"{step.failures} of {step.runs} runs failed"))

        shrinker = Shrinker(run_once, self.space.topology, self.space.min_s, reruns=self.reruns, on_step=on_step,
                            out_of_time=lambda: self.left_s < self.space.length_s * self.reruns)
        minimal = shrinker.shrink(failing.entries)
        for attempt in range(1, self.reruns + 1):
            confirmed = self._try(f"confirmed-{attempt}", None, minimal, "confirm")
            if confirmed.failed:
                break
        else:
            self.say(f"the minimal schedule held in {self.reruns} more runs; it is kept with its votes")
        result.confirmed = confirmed
        result.minimal = write_minimal(result.folder / MINIMAL, self.scenario, self.architecture, minimal,
                                       self.space.length_s, confirmed.record)
        result.story = story(minimal, confirmed.record)
        self.say(result.story)

    def _progress(self, line: str) -> str:
        found = "1 failure found" if self.result.found else "no failure yet"
        return f"[{self.schedules_tried} schedules tried, {found}, {max(0.0, self.left_s) / 60:.1f} min left] {line}"


def write_minimal(path: Path, base: Scenario, architecture: str, entries: Entries, length_s: float,
                  record: RunRecord) -> Path:
    """The minimal schedule as a scenario file: what broke is what its architecture expects."""
    scenario, _ = schedule_scenario(base, architecture, entries, length_s)
    raw = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["name"] = f"{base.name}-explored"
    raw["incident"] = story(entries, record)
    raw["architectures"][architecture]["expect"]["broken"] = list(record.outcome.observed_broken)
    with path.open("w", encoding="utf-8") as out:
        out.write(f"# Found by `outage explore` on {base.name} / {architecture}; replay with `outage run {path.name}`.\n")
        YAML().dump(raw, out)
    return path


def story(entries: Entries, record: RunRecord) -> str:
    """One paragraph: the faults, when and how long, and what broke."""
    faults = "; ".join(f"{describe(e['fault'])} at {e['at']}" + (f" for {e['for']}" if "for" in e else "")
                       for e in entries)
    broken = [v for v in record.verdicts if v.broken]
    if not broken:
        return f"{faults}: every invariant held."
    return f"{faults}: " + " ".join(f"{v.id}: {v.summary}" for v in broken)


def write_index(result: Exploration, scenario_file: str, architecture: str, seed: int) -> Path:
    rows = "".join(
        f"<tr class='{'surprise' if t.failed else 'expected'}'><td><a href='{escape(t.folder.name)}/{REPORT}'>"
        f"{escape(t.name)}</a></td><td>{t.seed if t.seed is not None else '-'}</td>"
        f"<td>{escape(t.role)}</td>"
        f"<td>{escape('; '.join(describe(e['fault']) + ' at ' + e['at'] for e in t.entries))}</td>"
        f"<td>{'FAILED' if t.failed else 'held'}</td>"
        f"<td>{escape(', '.join(t.record.outcome.observed_broken) or '-')}</td></tr>"
        for t in result.tried)
    found = (f"<div class='banner fail'><b>Found:</b> {escape(result.story)}<br>Minimal scenario: "
             f"<a href='{MINIMAL}'>{MINIMAL}</a></div>") if result.minimal else \
        "<div class='banner pass'>Nothing broke within the budget.</div>"
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>explore</title>"
            f"<style>{CSS}</style></head><body><h1>outage explore {escape(scenario_file)} / "
            f"{escape(architecture)} (seed {seed})</h1>{found}"
            "<table><tr><th>run</th><th>seed</th><th>role</th><th>faults</th><th>outcome</th><th>broke</th></tr>"
            f"{rows}</table></body></html>\n")
    path = result.folder / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
