"""A standalone member used the way the mail stack uses MongoDB, through real pymongo."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pymongo
import pytest
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from .cluster import Member


@pytest.fixture
def messages(standalone: Member, request: pytest.FixtureRequest) -> Iterator[Collection[dict[str, Any]]]:
    with standalone.client() as client:
        collection = client.mail[request.node.name]
        yield collection
        collection.drop()


def test_hello_describes_a_standalone(standalone: Member) -> None:
    with standalone.client() as client:
        hello = client.admin.command("hello")
        assert hello["isWritablePrimary"] is True
        assert "setName" not in hello
        assert hello["maxWireVersion"] >= 9 and hello["minWireVersion"] == 0
        assert hello["topologyVersion"]["counter"] == 0
        with pytest.raises(OperationFailure) as failure:
            client.admin.command("replSetGetStatus")
        assert failure.value.code == 76


def test_insert_find_update_delete(messages: Collection[dict[str, Any]]) -> None:
    messages.insert_many([{"_id": n, "to": f"user{n % 3}", "size": n * 10, "flags": []} for n in range(10)])
    assert messages.count_documents({}) == 10
    assert [doc["_id"] for doc in messages.find({"to": "user1"}).sort("size", pymongo.DESCENDING)] == [7, 4, 1]
    assert messages.find_one({"_id": 4}, {"size": 1, "_id": 0}) == {"size": 40}

    result = messages.update_one({"_id": 4}, {"$set": {"read": True}, "$inc": {"size": 1}, "$push": {"flags": "seen"}})
    assert (result.matched_count, result.modified_count) == (1, 1)
    assert messages.find_one({"_id": 4}) == {"_id": 4, "to": "user1", "size": 41, "flags": ["seen"], "read": True}

    result = messages.update_many({"to": "user0"}, {"$addToSet": {"flags": "bulk"}, "$unset": {"size": ""}})
    assert (result.matched_count, result.modified_count) == (4, 4)
    assert messages.count_documents({"flags": "bulk", "size": {"$exists": False}}) == 4

    upserted = messages.update_one({"_id": 99}, {"$set": {"to": "new"}, "$setOnInsert": {"created": True}}, upsert=True)
    assert upserted.upserted_id == 99
    assert messages.find_one({"_id": 99}) == {"_id": 99, "to": "new", "created": True}

    assert messages.delete_many({"to": "user2"}).deleted_count == 3
    assert messages.delete_one({"_id": 99}).deleted_count == 1
    assert messages.count_documents({}) == 7


def test_find_one_and_update_and_delete(messages: Collection[dict[str, Any]]) -> None:
    messages.insert_many([{"_id": n, "state": "queued", "priority": n} for n in range(5)])
    claimed = messages.find_one_and_update(
        {"state": "queued"},
        {"$set": {"state": "sending"}},
        sort=[("priority", pymongo.DESCENDING)],
        return_document=pymongo.ReturnDocument.AFTER,
    )
    assert claimed == {"_id": 4, "state": "sending", "priority": 4}
    removed = messages.find_one_and_delete({"state": "queued"}, sort=[("priority", pymongo.ASCENDING)])
    assert removed == {"_id": 0, "state": "queued", "priority": 0}
    assert messages.find_one_and_update({"_id": "absent"}, {"$set": {"x": 1}}) is None
    assert messages.count_documents({}) == 4


def test_unique_index_raises_duplicate_key_error(messages: Collection[dict[str, Any]]) -> None:
    messages.create_index([("message_id", pymongo.ASCENDING)], unique=True, name="message_id_unique")
    messages.insert_one({"message_id": "<a@example.test>"})
    with pytest.raises(DuplicateKeyError) as failure:
        messages.insert_one({"message_id": "<a@example.test>"})
    assert failure.value.details["keyValue"] == {"message_id": "<a@example.test>"}
    assert failure.value.details["keyPattern"] == {"message_id": 1}
    messages.insert_one({"message_id": "<b@example.test>"})
    with pytest.raises(DuplicateKeyError):
        messages.update_one({"message_id": "<b@example.test>"}, {"$set": {"message_id": "<a@example.test>"}})
    names = {index["name"] for index in messages.list_indexes()}
    assert names == {"_id_", "message_id_unique"}
    assert messages.count_documents({}) == 2


def test_a_document_over_16_mib_is_refused_alone(messages: Collection[dict[str, Any]]) -> None:
    documents = [{"_id": "small"}, {"_id": "huge", "body": "x" * (17 << 20)}, {"_id": "after"}]
    with pytest.raises(BulkWriteError) as failure:
        messages.insert_many(documents, ordered=False)
    [refused] = failure.value.details["writeErrors"]
    assert (refused["index"], refused["code"]) == (1, 10334)
    assert "too large" in refused["errmsg"]
    assert sorted(d["_id"] for d in messages.find()) == ["after", "small"]


def test_getmore_pages_through_large_results(messages: Collection[dict[str, Any]]) -> None:
    messages.insert_many([{"n": n} for n in range(1050)])
    numbers = [doc["n"] for doc in messages.find({}, batch_size=100).sort("n", pymongo.ASCENDING)]
    assert numbers == list(range(1050))
    assert len(list(messages.find().skip(1000).limit(30))) == 30


def test_aggregate_distinct_count(messages: Collection[dict[str, Any]]) -> None:
    messages.insert_many(
        [{"sender": sender, "bytes": size} for sender, size in [("a", 10), ("b", 5), ("a", 7), ("c", 1), ("b", 9)]]
    )
    grouped = list(
        messages.aggregate(
            [
                {"$match": {"bytes": {"$gt": 1}}},
                {"$group": {"_id": "$sender", "total": {"$sum": "$bytes"}, "count": {"$sum": 1}, "largest": {"$max": "$bytes"}}},
                {"$sort": {"total": -1}},
                {"$project": {"total": 1, "count": 1, "largest": 1}},
            ]
        )
    )
    assert grouped == [
        {"_id": "a", "total": 17, "count": 2, "largest": 10},
        {"_id": "b", "total": 14, "count": 2, "largest": 9},
    ]
    assert list(messages.aggregate([{"$match": {"sender": "b"}}, {"$count": "n"}])) == [{"n": 2}]
    assert sorted(messages.distinct("sender")) == ["a", "b", "c"]
    assert messages.count_documents({"sender": "a"}) == 2
    assert messages.estimated_document_count() == 5


def test_catalog_commands(standalone: Member) -> None:
    with standalone.client() as client:
        database = client.catalog_test
        database.create_collection("explicit")
        database.implicit.insert_one({"x": 1})
        assert sorted(database.list_collection_names()) == ["explicit", "implicit"]
        assert "catalog_test" in client.list_database_names()
        database.drop_collection("explicit")
        assert database.list_collection_names() == ["implicit"]
        client.drop_database("catalog_test")
        assert "catalog_test" not in client.list_database_names()
