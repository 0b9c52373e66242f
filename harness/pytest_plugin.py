"""pytest plugin: every scenario file is a test per architecture.

Installing outage-harness registers it through the ``pytest11`` entry point, so
`pytest` in any repository collects `<file>.yaml::<architecture>` items from
that repository's scenario files (any YAML file in a folder named `scenarios`,
and any file named `scenario.yaml`), and `-k as-fixed`, `--junitxml` and the
usual reporting work. A run passes when its verdicts match the expectation its
architecture declares; its report folder goes under `reports/` in pytest's
rootdir. Options: --time-scale, --seed, --profile.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# Every pytest session of an environment with the harness installed loads this module, so the
# harness itself (a second of imports) is imported only once a scenario file is collected.
if TYPE_CHECKING:
    from harness.runner import RunResult
    from harness.scenario import Scenario

REPORTS = Path("reports")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("outage", "outage-harness scenarios")
    group.addoption("--time-scale", type=float, default=None,
                    help="compress scenario timelines (0.05 = 20x faster; default: each file's)")
    group.addoption("--seed", type=int, default=None, help="override every scenario's seed")
    group.addoption("--profile", choices=["upstream", "local"], default=None,
                    help="image profile (default: upstream when images can be pulled)")


def pytest_configure(config: pytest.Config) -> None:
    # Every scenario item is marked docker: a repository with --strict-markers needs it declared.
    config.addinivalue_line("markers", "docker: needs a running Docker engine (every scenario run does)")


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix in (".yaml", ".yml") and (file_path.parent.name == "scenarios"
                                                  or file_path.stem == "scenario"):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from harness.scenario import ScenarioError, load_scenario

        try:
            scenario = load_scenario(self.path)
        except ScenarioError as err:
            raise self.CollectError(str(err)) from None
        for architecture in scenario.architectures:
            yield ScenarioRun.from_parent(self, name=architecture, scenario=scenario)


class ScenarioMismatch(Exception):
    def __init__(self, result: RunResult) -> None:
        super().__init__(result.record.outcome.summary)
        self.result = result


class ScenarioRun(pytest.Item):
    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.add_marker(pytest.mark.docker)

    def runtest(self) -> None:
        from harness.runner import run_scenario
        from harness.runtime.engine import docker_client
        from harness.runtime.setup import prepare
        from harness.scenario import resolve

        config = self.config
        run = resolve(self.scenario, self.name, config.getoption("--time-scale"))
        seed = config.getoption("--seed")
        images = prepare(config.getoption("--profile"))
        result = run_scenario(
            run, scenario_file=str(self.path), images=images, client=docker_client(),
            reports_dir=Path(config.rootpath) / REPORTS,
            seed=self.scenario.seed if seed is None else seed, say=lambda _: None,
        )
        self.user_properties.append(("report", str(result.run_dir / "report.html")))
        self.user_properties.append(("database_tier", result.record.meta.database_tier))
        if not result.passed:
            raise ScenarioMismatch(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        from harness.errors import HarnessError

        if isinstance(excinfo.value, ScenarioMismatch):
            result = excinfo.value.result
            lines = [f"{self.scenario.name} / {self.name}: {result.record.outcome.summary}"]
            broken = set(result.record.run.expect.broken)
            for verdict in result.record.verdicts:
                expected = "breaks" if verdict.id in broken else "holds"
                observed = verdict.state
                flag = "  " if expected == observed else "!!"
                lines.append(f"{flag} {verdict.id}: expected {expected}, {observed}: {verdict.summary}")
            lines.append(f"report: {result.run_dir / 'report.html'}")
            return "\n".join(lines)
        if isinstance(excinfo.value, HarnessError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario {self.scenario.name} [{self.name}]"
