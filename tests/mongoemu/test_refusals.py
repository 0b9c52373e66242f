"""What the emulator does not do, it refuses: mongod's code for an unsupported command or option
and a message naming the emulator, never a silently different result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pymongo.database import Database
from pymongo.errors import OperationFailure

from .cluster import Member

REFUSED: dict[str, tuple[Callable[[Database[dict[str, Any]]], Any], int]] = {
    "a command it does not have": (lambda db: db.command("collMod", "items", validator={"x": {"$gt": 0}}), 59),
    "a view": (lambda db: db.create_collection("recent", viewOn="items", pipeline=[]), 72),
    "a capped collection": (lambda db: db.create_collection("log", capped=True, size=4096), 72),
    "a TTL index": (lambda db: db.items.create_index("created", expireAfterSeconds=60), 67),
    "a text index": (lambda db: db.items.create_index([("body", "text")]), 67),
    "$where": (lambda db: list(db.items.find({"$where": "this.x > 1"})), 115),
    "ordering strings under a collation": (lambda db: list(db.items.find({}, sort=[("name", 1)], collation={"locale": "en", "strength": 2})), 72),
    "an unknown aggregation stage": (lambda db: list(db.items.aggregate([{"$densify": {"field": "x", "range": {"step": 1}}}])), 115),
    "a fail point it does not have": (lambda db: db.client.admin.command("configureFailPoint", "rsSyncApplyStop", mode="alwaysOn"), 2),
}


@pytest.mark.parametrize("what", list(REFUSED))
def test_what_the_emulator_does_not_do_is_refused_naming_the_emulator(standalone: Member, what: str) -> None:
    attempt, code = REFUSED[what]
    with standalone.client() as client:
        database = client.refusals
        database.items.insert_many([{"name": "b", "x": 2}, {"name": "A", "x": 1}])
        try:
            with pytest.raises(OperationFailure) as refused:
                attempt(database)
        finally:
            client.drop_database("refusals")
    assert refused.value.code == code, refused.value.details
    assert "not supported by the emulator" in str(refused.value)


def test_lookup_reads_the_other_collection_through_its_indexes(standalone: Member) -> None:
    with standalone.client() as client:
        database = client.lookups
        database.orders.insert_many([{"_id": 1, "customer": "c1"}, {"_id": 2, "customer": "c9"}])
        database.customers.create_index("code", unique=True)
        database.customers.insert_many([{"code": "c1", "name": "Ada"}])
        joined = list(database.orders.aggregate([{"$lookup": {"from": "customers", "localField": "customer", "foreignField": "code", "as": "who"}}, {"$project": {"who._id": 0}}]))
        client.drop_database("lookups")
    assert joined == [{"_id": 1, "customer": "c1", "who": [{"code": "c1", "name": "Ada"}]}, {"_id": 2, "customer": "c9", "who": []}]
