"""Index-planned queries must return exactly what a full scan with mongomock's matcher returns."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from mongomock import filtering

from fixtures.mongoemu.storage import Collection

# No booleans: mongomock's matcher treats True == 1 where MongoDB (and the index) do not.
scalars = st.one_of(st.none(), st.integers(-3, 3), st.sampled_from([1.0, 2.5, "a", "b"]))
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.fixed_dictionaries({"k": scalars}))
documents = st.lists(
    st.fixed_dictionaries({}, optional={"a": values, "b": values, "n": st.fixed_dictionaries({}, optional={"a": values})}),
    max_size=25,
)
conditions = st.one_of(scalars, st.builds(lambda v: {"$eq": v}, scalars), st.builds(lambda vs: {"$in": vs}, st.lists(scalars, max_size=3)))
queries = st.one_of(
    st.builds(lambda v: {"a": v}, conditions),
    st.builds(lambda v, w: {"a": v, "b": w}, conditions, conditions),
    st.builds(lambda v: {"n.a": v}, conditions),
    st.builds(lambda v: {"_id": v}, st.one_of(st.integers(0, 30), st.builds(lambda ids: {"$in": ids}, st.lists(st.integers(0, 30), max_size=4)))),
)


@settings(max_examples=300, deadline=None)
@given(documents, queries)
def test_planned_query_matches_a_full_scan(raw_documents: list[dict[str, Any]], query: dict[str, Any]) -> None:
    collection = Collection("db", "c")
    for spec in ({"key": {"a": 1}, "name": "a_1"}, {"key": {"b": 1, "a": 1}, "name": "b_1_a_1"}, {"key": {"n.a": 1}, "name": "n.a_1"}):
        collection.create_index(spec)
    for number, document in enumerate(raw_documents):
        collection.insert({"_id": number, **document})
    planned = [document["_id"] for document in collection.query(query)]
    scanned = [number for number, document in enumerate(raw_documents) if filtering.filter_applies(query, {"_id": number, **document})]
    assert planned == scanned
