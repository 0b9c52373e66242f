"""The unified format's operations, carried out through pymongo's public API.

Each operation returns the result as the format describes it (write results
as {insertedId, matchedCount, ...} documents, cursors as lists). An operation
or argument this runner does not carry out raises Unjudged, so the test is
counted as skipped with that reason, never as passed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pymongo
from bson.son import SON
from pymongo import ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.operations import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.read_concern import ReadConcern
from pymongo.read_preferences import Nearest, Primary, PrimaryPreferred, Secondary, SecondaryPreferred
from pymongo.results import BulkWriteResult, DeleteResult, InsertManyResult, InsertOneResult, UpdateResult
from pymongo.write_concern import WriteConcern

if TYPE_CHECKING:
    from .runner import TestRun


class Unjudged(Exception):
    """A part of the format this runner does not carry out or check."""


READ_PREFERENCES = {
    "primary": Primary,
    "primarypreferred": PrimaryPreferred,
    "secondary": Secondary,
    "secondarypreferred": SecondaryPreferred,
    "nearest": Nearest,
}
# Arguments whose pymongo name is not simply the snake_case of the format's.
RENAMED = {
    "arrayFilters": "array_filters",
    "bypassDocumentValidation": "bypass_document_validation",
    "batchSize": "batch_size",
    "maxTimeMS": "max_time_ms",
    "allowDiskUse": "allow_disk_use",
    "returnDocument": "return_document",
    "fieldName": "key",
    "noCursorTimeout": "no_cursor_timeout",
    "allowPartialResults": "allow_partial_results",
    "maxCommitTimeMS": "max_commit_time_ms",
}
PASSED_AS_IS = frozenset({"filter", "sort", "projection", "upsert", "hint", "collation", "comment", "let", "limit", "skip", "ordered", "pipeline", "session"})


def write_concern(spec: Mapping[str, Any]) -> WriteConcern:
    options: dict[str, Any] = {}
    for key, value in spec.items():
        options[{"wtimeoutMS": "wtimeout", "journal": "j"}.get(key, key)] = value
    return WriteConcern(**options)


def read_preference(spec: Mapping[str, Any]) -> Any:
    options = {}
    if "tagSets" in spec:
        options["tag_sets"] = spec["tagSets"]
    if "maxStalenessSeconds" in spec:
        options["max_staleness"] = spec["maxStalenessSeconds"]
    return READ_PREFERENCES[spec["mode"].lower()](**options)


def collection_options(spec: Mapping[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "readConcern":
            options["read_concern"] = ReadConcern(value.get("level"))
        elif key == "writeConcern":
            options["write_concern"] = write_concern(value)
        elif key == "readPreference":
            options["read_preference"] = read_preference(value)
        elif key == "timeoutMS":
            raise Unjudged("timeoutMS on a database or collection entity")
        else:
            raise Unjudged(f"entity option {key}")
    return options


def transaction_options(spec: Mapping[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for key, value in spec.items():
        if key in ("readConcern", "writeConcern", "readPreference"):
            options.update(collection_options({key: value}))
        elif key == "maxCommitTimeMS":
            options["max_commit_time_ms"] = value
        else:
            raise Unjudged(f"transaction option {key}")
    return options


# pymongo methods that put their extra keyword arguments into the command under their own
# (camelCase) names; only these of their arguments are pymongo parameters.
COMMAND_KEYWORDS = {
    "countDocuments": frozenset({"filter", "session", "comment"}),
    "estimatedDocumentCount": frozenset({"comment"}),
    "distinct": frozenset({"fieldName", "filter", "session", "comment", "hint"}),
    "findOneAndUpdate": frozenset({"filter", "update", "projection", "sort", "upsert", "returnDocument", "arrayFilters", "hint", "session", "let", "comment"}),
    "findOneAndReplace": frozenset({"filter", "replacement", "projection", "sort", "upsert", "returnDocument", "hint", "session", "let", "comment"}),
    "findOneAndDelete": frozenset({"filter", "projection", "sort", "hint", "session", "let", "comment"}),
}


def _arguments(run: TestRun, arguments: Mapping[str, Any], skip: frozenset[str] = frozenset(), operation: str = "") -> dict[str, Any]:
    converted: dict[str, Any] = {}
    parameters = COMMAND_KEYWORDS.get(operation)
    for key, value in arguments.items():
        if key in skip or key == "timeoutMS":  # timeoutMS is applied around the call by run_operation
            continue
        if key == "session":
            converted["session"] = run.entities[value]
        elif key == "returnDocument":
            converted["return_document"] = ReturnDocument.AFTER if value == "After" else ReturnDocument.BEFORE
        elif parameters is not None and key not in parameters:
            converted[key] = value
        elif key in RENAMED:
            converted[RENAMED[key]] = value
        elif key in PASSED_AS_IS:
            converted[key] = value
        else:
            raise Unjudged(f"argument {key!r}")
    return converted


def _aggregate_arguments(run: TestRun, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """pymongo's aggregate passes its keyword arguments into the command under their own names."""
    options = {key: value for key, value in arguments.items() if key not in ("pipeline", "session", "timeoutMS")}
    if "session" in arguments:
        options["session"] = run.entities[arguments["session"]]
    return options


def write_result(result: Any) -> Any:
    if isinstance(result, (InsertOneResult, InsertManyResult, UpdateResult, DeleteResult, BulkWriteResult)) and not result.acknowledged:
        return {"acknowledged": False}
    if isinstance(result, InsertOneResult):
        return {"insertedId": result.inserted_id}
    if isinstance(result, InsertManyResult):
        return {"insertedIds": {str(index): value for index, value in enumerate(result.inserted_ids)}}
    if isinstance(result, UpdateResult):
        described = {"matchedCount": result.matched_count, "modifiedCount": result.modified_count, "upsertedCount": int(result.upserted_id is not None)}
        if result.upserted_id is not None:
            described["upsertedId"] = result.upserted_id
        return described
    if isinstance(result, DeleteResult):
        return {"deletedCount": result.deleted_count}
    if isinstance(result, BulkWriteResult):
        return bulk_result(result.bulk_api_result)
    return result


def bulk_result(raw: Mapping[str, Any]) -> dict[str, Any]:
    """pymongo's raw bulk result (also a BulkWriteError's details) in the format's shape."""
    return {
        "insertedCount": raw.get("nInserted", 0),
        "matchedCount": raw.get("nMatched", 0),
        "modifiedCount": raw.get("nModified", 0),
        "deletedCount": raw.get("nRemoved", 0),
        "upsertedCount": raw.get("nUpserted", 0),
        "upsertedIds": {str(upsert["index"]): upsert["_id"] for upsert in raw.get("upserted", [])},
    }


def _bulk_request(request: Mapping[str, Any]) -> Any:
    (kind, spec), = request.items()
    options = {RENAMED.get(key, key): value for key, value in spec.items() if key not in ("filter", "document", "update", "replacement")}
    if kind == "insertOne":
        return InsertOne(spec["document"])
    if kind == "updateOne":
        return UpdateOne(spec["filter"], spec["update"], **options)
    if kind == "updateMany":
        return UpdateMany(spec["filter"], spec["update"], **options)
    if kind == "replaceOne":
        return ReplaceOne(spec["filter"], spec["replacement"], **options)
    if kind == "deleteOne":
        return DeleteOne(spec["filter"], **options)
    if kind == "deleteMany":
        return DeleteMany(spec["filter"], **options)
    raise Unjudged(f"bulkWrite request {kind}")


def collection_operation(run: TestRun, collection: Collection[Any], name: str, arguments: Mapping[str, Any]) -> Any:
    if name == "find":
        return list(collection.find(**_arguments(run, arguments)))
    if name == "findOne":
        return collection.find_one(**_arguments(run, arguments))
    if name == "aggregate":
        return list(collection.aggregate(arguments["pipeline"], **_aggregate_arguments(run, arguments)))
    if name == "countDocuments":
        return collection.count_documents(**_arguments(run, arguments, operation=name))
    if name == "estimatedDocumentCount":
        return collection.estimated_document_count(**_arguments(run, arguments, operation=name))
    if name == "count":
        command: dict[str, Any] = {"count": collection.name, "query": arguments.get("filter", {})}
        for key in ("limit", "skip", "collation", "hint", "comment"):
            if key in arguments:
                command[key] = arguments[key]
        if collection.read_concern.document:
            command["readConcern"] = collection.read_concern.document
        session = run.entities[arguments["session"]] if "session" in arguments else None
        return collection.database.command(SON(command), session=session)["n"]
    if name == "distinct":
        options = _arguments(run, arguments, operation=name)
        return collection.distinct(options.pop("key"), **options)
    if name == "insertOne":
        return write_result(collection.insert_one(arguments["document"], **_arguments(run, arguments, frozenset({"document"}))))
    if name == "insertMany":
        return write_result(collection.insert_many(arguments["documents"], **_arguments(run, arguments, frozenset({"documents"}))))
    if name in ("updateOne", "updateMany"):
        options = _arguments(run, arguments, frozenset({"filter", "update"}))
        method = collection.update_one if name == "updateOne" else collection.update_many
        return write_result(method(arguments["filter"], arguments["update"], **options))
    if name == "replaceOne":
        options = _arguments(run, arguments, frozenset({"filter", "replacement"}))
        return write_result(collection.replace_one(arguments["filter"], arguments["replacement"], **options))
    if name in ("deleteOne", "deleteMany"):
        method = collection.delete_one if name == "deleteOne" else collection.delete_many
        return write_result(method(arguments["filter"], **_arguments(run, arguments, frozenset({"filter"}))))
    if name == "bulkWrite":
        requests = [_bulk_request(request) for request in arguments["requests"]]
        return write_result(collection.bulk_write(requests, **_arguments(run, arguments, frozenset({"requests"}))))
    if name in ("findOneAndUpdate", "findOneAndReplace", "findOneAndDelete"):
        options = _arguments(run, arguments, frozenset({"filter", "update", "replacement"}), operation=name)
        if name == "findOneAndUpdate":
            return collection.find_one_and_update(arguments["filter"], arguments["update"], **options)
        if name == "findOneAndReplace":
            return collection.find_one_and_replace(arguments["filter"], arguments["replacement"], **options)
        return collection.find_one_and_delete(arguments["filter"], **options)
    if name == "createIndex":
        options = _arguments(run, {key: value for key, value in arguments.items() if key in ("session", "comment")})
        index_options = {key: value for key, value in arguments.items() if key not in ("keys", "session", "comment")}
        return collection.create_index(list(arguments["keys"].items()), **options, **index_options)
    if name == "dropIndex":
        return collection.drop_index(arguments["name"], **_arguments(run, arguments, frozenset({"name"})))
    if name == "listIndexes":
        return list(collection.list_indexes(**_arguments(run, arguments)))
    if name == "drop":
        return collection.drop(**_arguments(run, arguments))
    if name in ("createSearchIndex", "createSearchIndexes", "dropSearchIndex", "listSearchIndexes", "updateSearchIndex"):
        return _search_index_operation(collection, name, arguments)
    raise Unjudged(f"collection operation {name}")


def _search_index_operation(collection: Collection[Any], name: str, arguments: Mapping[str, Any]) -> Any:
    from pymongo.operations import SearchIndexModel

    def model(spec: Mapping[str, Any]) -> SearchIndexModel:
        return SearchIndexModel(definition=spec["definition"], name=spec.get("name"), type=spec.get("type"))

    if name == "createSearchIndex":
        return collection.create_search_index(model(arguments["model"]))
    if name == "createSearchIndexes":
        return collection.create_search_indexes([model(spec) for spec in arguments["models"]])
    if name == "dropSearchIndex":
        return collection.drop_search_index(arguments["name"])
    if name == "updateSearchIndex":
        return collection.update_search_index(arguments["name"], arguments["definition"])
    options = arguments.get("aggregationOptions", {})
    return list(collection.list_search_indexes(arguments.get("name"), **options))


def database_operation(run: TestRun, database: Database[Any], name: str, arguments: Mapping[str, Any]) -> Any:
    if name == "runCommand":
        options: dict[str, Any] = {}
        if "session" in arguments:
            options["session"] = run.entities[arguments["session"]]
        if "readPreference" in arguments:
            options["read_preference"] = read_preference(arguments["readPreference"])
        return database.command(SON(arguments["command"]), **options)
    if name == "aggregate":
        return list(database.aggregate(arguments["pipeline"], **_aggregate_arguments(run, arguments)))
    if name == "createCollection":
        options = {key: value for key, value in arguments.items() if key not in ("collection", "session")}
        session = run.entities[arguments["session"]] if "session" in arguments else None
        database.create_collection(arguments["collection"], session=session, **options)
        return None
    if name == "dropCollection":
        session = run.entities[arguments["session"]] if "session" in arguments else None
        database.drop_collection(arguments["collection"], session=session)
        return None
    if name == "listCollections":
        return list(database.list_collections(**_arguments(run, arguments)))
    if name == "listCollectionNames":
        return database.list_collection_names(**_arguments(run, arguments))
    if name == "modifyCollection":
        command = SON([("collMod", arguments["collection"])] + [(key, value) for key, value in arguments.items() if key != "collection"])
        return database.command(command)
    raise Unjudged(f"database operation {name}")


def session_operation(run: TestRun, session: ClientSession, name: str, arguments: Mapping[str, Any]) -> Any:
    if name == "startTransaction":
        session.start_transaction(**transaction_options(arguments))
        return None
    if name == "commitTransaction":
        session.commit_transaction()
        return None
    if name == "abortTransaction":
        session.abort_transaction()
        return None
    if name == "endSession":
        session.end_session()
        return None
    if name == "withTransaction":
        callback_operations = arguments["callback"]

        def callback(_: ClientSession) -> None:
            for operation in callback_operations:
                run.run_operation(operation, in_callback=True)

        options = transaction_options({key: value for key, value in arguments.items() if key != "callback"})
        session.with_transaction(callback, **options)
        return None
    raise Unjudged(f"session operation {name}")


def _client_bulk_model(model: Mapping[str, Any]) -> Any:
    (kind, spec), = model.items()
    options = {RENAMED.get(key, key): value for key, value in spec.items() if key not in ("namespace", "filter", "document", "update", "replacement")}
    namespace = spec["namespace"]
    if kind == "insertOne":
        return InsertOne(spec["document"], namespace=namespace)
    if kind in ("updateOne", "updateMany"):
        return (UpdateOne if kind == "updateOne" else UpdateMany)(spec["filter"], spec["update"], namespace=namespace, **options)
    if kind == "replaceOne":
        return ReplaceOne(spec["filter"], spec["replacement"], namespace=namespace, **options)
    if kind in ("deleteOne", "deleteMany"):
        return (DeleteOne if kind == "deleteOne" else DeleteMany)(spec["filter"], namespace=namespace, **options)
    raise Unjudged(f"clientBulkWrite model {kind}")


def client_operation(run: TestRun, client: pymongo.MongoClient[Any], name: str, arguments: Mapping[str, Any]) -> Any:
    if name == "clientBulkWrite":
        models = [_client_bulk_model(model) for model in arguments["models"]]
        options = {{"verboseResults": "verbose_results", "bypassDocumentValidation": "bypass_document_validation"}.get(key, key): value for key, value in arguments.items() if key != "models"}
        if "session" in options:
            options["session"] = run.entities[options["session"]]
        if "writeConcern" in options:
            options["write_concern"] = write_concern(options.pop("writeConcern"))
        # Results are only checked by tests that need mongod 8.0, which the runner skips.
        return client.bulk_write(models, **options).bulk_api_result
    if name == "listDatabases":
        return list(client.list_databases(**_arguments(run, arguments)))
    if name == "listDatabaseNames":
        return client.list_database_names(**_arguments(run, arguments))
    if name == "close":
        client.close()
        return None
    raise Unjudged(f"client operation {name}")


class Worker:
    """A thread entity: runs the operations it is given, in order; waitForThread re-raises failures."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def run(self, operation: Callable[[], None]) -> None:
        previous = self._threads[-1] if self._threads else None

        def body() -> None:
            if previous is not None:
                previous.join()
            try:
                operation()
            except BaseException as failure:  # reported by waitForThread
                with self._lock:
                    self.errors.append(failure)

        thread = threading.Thread(target=body, daemon=True)
        self._threads.append(thread)
        thread.start()

    def wait(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                raise AssertionError("a thread entity did not finish its operations in time")
        if self.errors:
            raise self.errors[0]
