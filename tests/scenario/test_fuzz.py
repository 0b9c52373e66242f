"""Whatever YAML arrives, the loader returns a Scenario or raises ScenarioError, nothing else."""

import copy
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from harness.scenario import Scenario, ScenarioError, parse_scenario

from .conftest import DATA

BASE = YAML(typ="safe").load((DATA / "database_router_failure.yaml").read_text(encoding="utf-8"))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["t+6m", "11m", "500ms", "legs", "front", "dbhost", "as-was", "kind", "mongo-1", "api"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12) | scalars, inner, max_size=4),
    max_leaves=12,
)


def dump(data: object) -> str:
    out = io.StringIO()
    yaml = YAML(typ="safe")
    yaml.allow_unicode = True
    yaml.dump(data, out)
    return out.getvalue()


def check(text: str) -> None:
    try:
        # Imports are not fuzzed: a random "use:" could import any installed module.
        result = parse_scenario(text, "fuzz.yaml", check_imports=False)
    except ScenarioError as error:
        assert str(error).startswith("fuzz.yaml")
    else:
        assert isinstance(result, Scenario)


@st.composite
def mutated_scenarios(draw: st.DrawFn) -> object:
    """The B scenario with a few values replaced or removed somewhere inside it."""
    document = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        node = document
        for _ in range(draw(st.integers(0, 5))):
            if isinstance(node, dict) and node:
                key = draw(st.sampled_from(sorted(node, key=str)))
                child = node[key]
            elif isinstance(node, list) and node:
                key = draw(st.integers(0, len(node) - 1))
                child = node[key]
            else:
                break
            if not isinstance(child, dict | list):
                break
            node = child
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node, key=str)))
            if draw(st.booleans()):
                node[key] = draw(values)
            else:
                del node[key]
        elif isinstance(node, list) and node:
            node[draw(st.integers(0, len(node) - 1))] = draw(values)
    return document


FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    check(text)


@FUZZ
@given(values)
def test_arbitrary_yaml_structures(data: object) -> None:
    check(dump(data))


@settings(FUZZ, max_examples=60)  # each example parses a full scenario file
@given(mutated_scenarios())
def test_a_real_scenario_with_random_damage(document: object) -> None:
    check(dump(document))
