"""Scenario files: the model, the YAML loader and the resolved (real-time) form of one run."""

from harness.scenario.errors import Problem, ScenarioError
from harness.scenario.imports import resolve_import
from harness.scenario.loader import load_scenario, parse_scenario
from harness.scenario.model import AS_FIXED, AS_WAS, Architecture, Expectation, Scenario
from harness.scenario.resolve import ResolvedRun, ScheduledEntry, resolve

__all__ = [
    "AS_FIXED",
    "AS_WAS",
    "Architecture",
    "Expectation",
    "Problem",
    "ResolvedRun",
    "Scenario",
    "ScenarioError",
    "ScheduledEntry",
    "load_scenario",
    "parse_scenario",
    "resolve",
    "resolve_import",
]
