"""Update operators and the document store, in process (no sockets)."""

from __future__ import annotations

from typing import Any

import pytest
from bson.int64 import Int64

from fixtures.mongoemu import errors
from fixtures.mongoemu.storage import Collection
from fixtures.mongoemu.updates import apply_update, upsert_seed


def test_operators_build_a_new_document_and_leave_the_original_alone() -> None:
    original: dict[str, Any] = {"_id": 1, "n": 1, "tags": ["a"], "nested": {"count": Int64(2)}}
    updated = apply_update(
        original,
        {
            "$inc": {"n": 2, "nested.count": 1, "fresh": 5},
            "$push": {"tags": {"$each": ["b", "c"], "$slice": -2}},
            "$addToSet": {"set": {"$each": [1, 1, 2]}},
            "$set": {"nested.deep.value": "x"},
            "$min": {"low": 3},
            "$max": {"high": 7},
        },
        inserting=False,
    )
    assert updated == {
        "_id": 1,
        "n": 3,
        "tags": ["b", "c"],
        "nested": {"count": 3, "deep": {"value": "x"}},
        "fresh": 5,
        "set": [1, 2],
        "low": 3,
        "high": 7,
    }
    assert isinstance(updated["nested"]["count"], Int64)
    assert original == {"_id": 1, "n": 1, "tags": ["a"], "nested": {"count": Int64(2)}}


def test_pull_rename_pop_unset() -> None:
    updated = apply_update(
        {"_id": 1, "items": [1, 5, 9], "old": "v", "queue": [1, 2, 3], "gone": True},
        {"$pull": {"items": {"$gte": 5}}, "$rename": {"old": "new"}, "$pop": {"queue": -1}, "$unset": {"gone": ""}},
        inserting=False,
    )
    assert updated == {"_id": 1, "items": [1], "queue": [2, 3], "new": "v"}


def test_set_on_insert_only_applies_to_inserts() -> None:
    update = {"$set": {"a": 1}, "$setOnInsert": {"created": True}}
    assert apply_update({"_id": 1}, update, inserting=False) == {"_id": 1, "a": 1}
    seed = upsert_seed({"key": "k", "n": {"$gt": 1}, "$and": [{"other": 2}]})
    assert apply_update(seed, update, inserting=True) == {"key": "k", "other": 2, "a": 1, "created": True}


def test_replacement_keeps_id_and_rejects_changing_it() -> None:
    assert apply_update({"_id": 1, "a": 1}, {"b": 2}, inserting=False) == {"_id": 1, "b": 2}
    with pytest.raises(errors.CommandError) as failure:
        apply_update({"_id": 1}, {"_id": 2, "b": 2}, inserting=False)
    assert failure.value.code == errors.IMMUTABLE_FIELD


@pytest.mark.parametrize(
    ("update", "code"),
    [
        ({"$set": {"a": 1}, "$inc": {"a": 1}}, errors.CONFLICTING_UPDATE_OPERATORS),
        ({"$inc": {"s": 1}}, errors.TYPE_MISMATCH),
        ({"$bogus": {"a": 1}}, errors.FAILED_TO_PARSE),
        ({"$set": {"a": 1}, "plain": 2}, errors.FAILED_TO_PARSE),
    ],
)
def test_invalid_updates_are_refused(update: dict[str, Any], code: int) -> None:
    with pytest.raises(errors.CommandError) as failure:
        apply_update({"_id": 1, "s": "text"}, update, inserting=False)
    assert failure.value.code == code


def test_unique_index_on_arrays_sparse_and_numbers() -> None:
    collection = Collection("db", "c")
    collection.create_index({"key": {"tags": 1}, "name": "tags_1", "unique": True})
    collection.create_index({"key": {"code": 1}, "name": "code_1", "unique": True, "sparse": True})
    collection.insert({"_id": 1, "tags": ["a", "b"], "code": 1})
    collection.insert({"_id": 2, "tags": ["c"]})
    collection.insert({"_id": 3, "tags": ["d"]})  # sparse: a second missing `code` is fine
    with pytest.raises(errors.DuplicateKeyError):
        collection.insert({"_id": 4, "tags": ["b"]})
    with pytest.raises(errors.DuplicateKeyError):
        collection.insert({"_id": 5, "tags": ["e"], "code": 1.0})  # 1 and 1.0 are the same key
    with pytest.raises(errors.DuplicateKeyError):
        collection.insert({"_id": 1.0, "tags": ["z"]})
    assert [doc["_id"] for doc in collection.query({"tags": "c"})] == [2]
    assert [doc["_id"] for doc in collection.query({"code": None})] == [2, 3]


def test_equality_queries_use_indexes_and_still_match_like_a_scan() -> None:
    collection = Collection("db", "c")
    collection.create_index({"key": {"owner": 1}, "name": "owner_1"})
    for number in range(200):
        collection.insert({"_id": number, "owner": f"u{number % 7}", "list": [number % 3], "nested": [{"owner": "x"}]})
    for query in ({"owner": "u3"}, {"owner": {"$eq": "u3"}, "list": 1}, {"_id": {"$in": [5, 6, 500]}}, {"owner": "nobody"}):
        indexed = [doc["_id"] for doc in collection.query(query)]
        scanned = [doc["_id"] for doc in collection.documents.values() if _scan_match(query, doc)]
        assert indexed == scanned


def _scan_match(query: dict[str, Any], document: dict[str, Any]) -> bool:
    from mongomock import filtering

    return filtering.filter_applies(query, document)
