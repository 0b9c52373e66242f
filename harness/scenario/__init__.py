"""Scenario files: the model, the YAML loader and the resolved (real-time) form."""

from harness.scenario.durations import format_duration, format_offset, parse_duration, parse_offset
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
    "format_duration",
    "format_offset",
    "load_scenario",
    "parse_duration",
    "parse_offset",
    "parse_scenario",
    "resolve",
    "resolve_import",
]
