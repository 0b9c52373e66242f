"""Runs unified-format test files (MongoDB's specification tests) against an emulated replica set.

Each test gets a verdict: passed; failed (with the reason); skipped because
mongod 7.0 on a replica set would skip it too (runOnRequirements, skipReason);
or unjudged, when it needs a part of the format this runner does not check
(those are reported with the reason and never count as passed).
"""

from __future__ import annotations

import enum
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymongo
from bson import json_util
from bson.codec_options import CodecOptions
from pymongo.client_session import ClientSession, TransactionOptions
from pymongo.client_session_shared import _TxnState
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, OperationFailure, PyMongoError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from . import operations
from .events import EVENT_TYPES, EventLog, HeartbeatLog
from .matching import ABSENT, Matcher, Mismatch
from .operations import Unjudged

SERVER_VERSION = (7, 0, 0)
TOPOLOGY = "replicaset"
SUPPORTED_SCHEMA_MAJOR = 1
JSON_OPTIONS = json_util.JSONOptions(json_mode=json_util.JSONMode.CANONICAL, document_class=dict, uuid_representation=4)
# How each transaction state of pymongo's session reads in the format.
TRANSACTION_STATES = {
    _TxnState.NONE: "none",
    _TxnState.STARTING: "starting",
    _TxnState.IN_PROGRESS: "in_progress",
    _TxnState.COMMITTED: "committed",
    _TxnState.COMMITTED_EMPTY: "committed",
    _TxnState.ABORTED: "aborted",
}


class Verdict(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # mongod 7.0 on a replica set would skip it too
    UNJUDGED = "unjudged"  # this runner does not check a part of it


@dataclass
class Result:
    file: str
    description: str
    verdict: Verdict
    reason: str = ""

    @property
    def key(self) -> str:
        return f"{self.file}::{self.description}"

    @property
    def passed_or_skipped(self) -> bool:
        return self.verdict in (Verdict.PASSED, Verdict.SKIPPED)


def _version(text: str) -> tuple[int, ...]:
    parts = [int(part) for part in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def unmet_requirement(requirements: list[Mapping[str, Any]] | None) -> str | None:
    """Why mongod 7.0 as a replica set (no auth, not serverless, no CSFLE) would skip, or None."""
    if not requirements:
        return None
    reasons = []
    for requirement in requirements:
        reason = _unmet(requirement)
        if reason is None:
            return None
        reasons.append(reason)
    return "; ".join(reasons)


def _unmet(requirement: Mapping[str, Any]) -> str | None:
    if "minServerVersion" in requirement and SERVER_VERSION < _version(requirement["minServerVersion"]):
        return f"needs server >= {requirement['minServerVersion']}"
    if "maxServerVersion" in requirement and SERVER_VERSION > _version(requirement["maxServerVersion"]):
        return f"needs server <= {requirement['maxServerVersion']}"
    if "topologies" in requirement and TOPOLOGY not in requirement["topologies"]:
        return f"needs topology {requirement['topologies']}"
    if requirement.get("serverless") == "require":
        return "needs serverless"
    if requirement.get("auth") is True or "authMechanism" in requirement:
        return "needs authentication"
    if requirement.get("csfle"):
        return "needs client-side encryption"
    if "serverParameters" in requirement:
        return f"needs server parameters {requirement['serverParameters']}"
    return None


@dataclass
class ClientEntity:
    client: pymongo.MongoClient[dict[str, Any]]
    log: EventLog


@dataclass
class TestRun:
    """One test's entities, and what it does with them."""

    uri: str
    spec: Mapping[str, Any]
    # The runner's own client (initial data, outcome, fail points off), shared by a folder's tests.
    internal: pymongo.MongoClient[dict[str, Any]]
    entities: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, ClientEntity] = field(default_factory=dict)

    # Entities

    def create_entities(self, entries: list[Mapping[str, Any]]) -> None:
        for entry in entries:
            (kind, spec), = entry.items()
            identifier = spec["id"]
            if kind == "client":
                self.entities[identifier] = self._client(identifier, spec)
            elif kind == "database":
                options = operations.collection_options(spec.get("databaseOptions", {}))
                self.entities[identifier] = self.entities[spec["client"]].get_database(spec["databaseName"], **options)
            elif kind == "collection":
                options = operations.collection_options(spec.get("collectionOptions", {}))
                self.entities[identifier] = self.entities[spec["database"]].get_collection(spec["collectionName"], **options)
            elif kind == "session":
                session = self._session(spec)
                self.entities[identifier] = session
                # Kept apart: an ended session no longer tells its id, and events still name it.
                self.entities[f"{identifier}.lsid"] = session.session_id
            elif kind == "thread":
                self.entities[identifier] = operations.Worker()
            else:
                raise Unjudged(f"{kind} entities")

    def _client(self, identifier: str, spec: Mapping[str, Any]) -> pymongo.MongoClient[dict[str, Any]]:
        for unjudged in ("storeEventsAsEntities", "serverApi", "autoEncryptOpts"):
            if unjudged in spec:
                raise Unjudged(f"client option {unjudged}")
        log = EventLog(
            observe=frozenset(spec.get("observeEvents", [])),
            ignore_commands=frozenset(spec.get("ignoreCommandMonitoringEvents", [])),
            sensitive=bool(spec.get("observeSensitiveCommands")),
        )
        options = dict(spec.get("uriOptions", {}))
        if "appname" in options:
            options["appName"] = options.pop("appname")
        # A loopback set answers at once: waiting pymongo's default 30 s for a member that does
        # not exist (a secondary of a one-member set) only slows the run.
        options.setdefault("serverSelectionTimeoutMS", 3000)
        # Likewise a server marked unknown is found again at the next heartbeat: check every 0.5 s
        # (pymongo's minimum) rather than every 10 s.
        options.setdefault("heartbeatFrequencyMS", 500)
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            self.uri, event_listeners=[log, HeartbeatLog(log)], uuidRepresentation="standard", **options
        )
        self.clients[identifier] = ClientEntity(client, log)
        return client

    def _session(self, spec: Mapping[str, Any]) -> ClientSession:
        options = dict(spec.get("sessionOptions", {}))
        arguments: dict[str, Any] = {}
        if "defaultTransactionOptions" in options:
            arguments["default_transaction_options"] = TransactionOptions(**operations.transaction_options(options.pop("defaultTransactionOptions")))
        if "causalConsistency" in options:
            arguments["causal_consistency"] = options.pop("causalConsistency")
        if "snapshot" in options:
            arguments["snapshot"] = options.pop("snapshot")
        if options:
            raise Unjudged(f"session options {sorted(options)}")
        return self.entities[spec["client"]].start_session(**arguments)

    def close(self) -> None:
        for value in self.entities.values():
            if isinstance(value, ClientSession):
                try:
                    value.end_session()
                except PyMongoError:
                    pass
        # Closing a client waits up to half a second for its monitor threads: let that happen
        # beside the next test rather than before it.
        for entity in self.clients.values():
            threading.Thread(target=entity.client.close, daemon=True).start()

    # Operations

    def run_operation(self, operation: Mapping[str, Any], in_callback: bool = False) -> None:
        """Run one operation and check what it returned or raised. In a withTransaction callback
        an expected error is re-raised after the check, so that withTransaction sees it."""
        name, target = operation["name"], operation["object"]
        arguments = operation.get("arguments", {})
        expect_error = operation.get("expectError")
        try:
            if "timeoutMS" in arguments:
                with pymongo.timeout(arguments["timeoutMS"] / 1000):
                    result = self._dispatch(target, name, arguments)
            else:
                result = self._dispatch(target, name, arguments)
        except (Unjudged, Mismatch, AssertionError):
            raise
        except Exception as failure:
            if expect_error is None:
                raise
            self._check_error(expect_error, failure, f"{target}.{name}")
            if in_callback:
                raise
            return
        if expect_error is not None:
            raise Mismatch(f"{target}.{name}: expected an error {expect_error}, got result {result!r}")
        if "expectResult" in operation:
            Matcher(self.entities).match(operation["expectResult"], _comparable(result), True, f"{target}.{name} result")
        if "saveResultAsEntity" in operation:
            self.entities[operation["saveResultAsEntity"]] = result

    def _dispatch(self, target: str, name: str, arguments: Mapping[str, Any]) -> Any:
        if target == "testRunner":
            return self._test_runner_operation(name, arguments)
        entity = self.entities[target]
        if isinstance(entity, Collection):
            return operations.collection_operation(self, entity, name, arguments)
        if isinstance(entity, Database):
            return operations.database_operation(self, entity, name, arguments)
        if isinstance(entity, ClientSession):
            return operations.session_operation(self, entity, name, arguments)
        if isinstance(entity, pymongo.MongoClient):
            return operations.client_operation(self, entity, name, arguments)
        raise Unjudged(f"operations on {type(entity).__name__} entities")

    def _check_error(self, expected: Mapping[str, Any], failure: Exception, where: str) -> None:
        from_server = isinstance(failure, OperationFailure)
        details: Mapping[str, Any] = getattr(failure, "details", None) or {}
        if isinstance(failure, BulkWriteError):
            first = (details.get("writeErrors") or details.get("writeConcernErrors") or [{}])[0]
            code, code_name = first.get("code"), first.get("codeName")
        else:
            code, code_name = getattr(failure, "code", None), details.get("codeName")
        message = str(failure)
        for key, wanted in expected.items():
            if key == "isError":
                continue
            if key == "isClientError":
                if wanted == from_server:
                    raise Mismatch(f"{where}: expected a {'client' if wanted else 'server'} error, got {failure!r}")
            elif key == "isTimeoutError":
                if bool(getattr(failure, "timeout", False)) != wanted:
                    raise Mismatch(f"{where}: expected isTimeoutError={wanted}, got {failure!r}")
            elif key == "errorContains":
                if wanted.lower() not in message.lower():
                    raise Mismatch(f"{where}: expected an error containing {wanted!r}, got {message!r}")
            elif key == "errorCode":
                if code != wanted:
                    raise Mismatch(f"{where}: expected error code {wanted}, got {code} ({message})")
            elif key == "errorCodeName":
                if code_name != wanted:
                    raise Mismatch(f"{where}: expected error {wanted}, got {code_name} ({message})")
            elif key in ("errorLabelsContain", "errorLabelsOmit"):
                has_label = getattr(failure, "has_error_label", lambda label: False)
                for label in wanted:
                    if has_label(label) != (key == "errorLabelsContain"):
                        raise Mismatch(f"{where}: label {label} {'missing from' if key == 'errorLabelsContain' else 'present in'} {failure!r} {details}")
            elif key == "errorResponse":
                Matcher(self.entities).match(wanted, _comparable(details), True, f"{where} error response")
            elif key == "expectResult":
                if not isinstance(failure, BulkWriteError):
                    raise Mismatch(f"{where}: expected a partial bulk write result, got {failure!r}")
                Matcher(self.entities).match(wanted, _comparable(operations.bulk_result(details)), True, f"{where} partial result")
            else:
                raise Unjudged(f"expectError.{key}")

    def _test_runner_operation(self, name: str, arguments: Mapping[str, Any]) -> Any:
        if name == "failPoint":
            self.entities[arguments["client"]].admin.command(arguments["failPoint"])
            return None
        if name == "createEntities":
            self.create_entities(arguments["entities"])
            return None
        if name in ("assertSessionPinned", "assertSessionUnpinned"):
            pinned = self.entities[arguments["session"]]._pinned_address is not None
            if pinned != (name == "assertSessionPinned"):
                raise Mismatch(f"{name}: the session is {'pinned' if pinned else 'not pinned'}")
            return None
        if name == "assertSessionTransactionState":
            state = TRANSACTION_STATES[self.entities[arguments["session"]]._transaction.state]
            if state != arguments["state"]:
                raise Mismatch(f"{name}: expected {arguments['state']}, got {state}")
            return None
        if name in ("assertSessionDirty", "assertSessionNotDirty"):
            dirty = self.entities[arguments["session"]]._server_session.dirty
            if dirty != (name == "assertSessionDirty"):
                raise Mismatch(f"{name}: the session is {'dirty' if dirty else 'clean'}")
            return None
        if name in ("assertSameLsidOnLastTwoCommands", "assertDifferentLsidOnLastTwoCommands"):
            commands = self.clients[arguments["client"]].log.started_commands[-2:]
            same = len(commands) == 2 and commands[0].get("lsid") == commands[1].get("lsid")
            if same != (name == "assertSameLsidOnLastTwoCommands"):
                raise Mismatch(f"{name}: the last two commands' lsids are {'the same' if same else 'different'}")
            return None
        if name in ("assertCollectionExists", "assertCollectionNotExists"):
            names = self.internal[arguments["databaseName"]].list_collection_names()
            if (arguments["collectionName"] in names) != (name == "assertCollectionExists"):
                raise Mismatch(f"{name}: {arguments['databaseName']}.{arguments['collectionName']} (collections: {names})")
            return None
        if name in ("assertIndexExists", "assertIndexNotExists"):
            indexes = [index["name"] for index in self.internal[arguments["databaseName"]][arguments["collectionName"]].list_indexes()]
            if (arguments["indexName"] in indexes) != (name == "assertIndexExists"):
                raise Mismatch(f"{name}: {arguments['indexName']} (indexes: {indexes})")
            return None
        if name == "wait":
            time.sleep(arguments["ms"] / 1000)
            return None
        if name in ("waitForEvent", "assertEventCount"):
            (event_name, event_fields), = arguments["event"].items()
            log = self.clients[arguments["client"]].log
            matcher = Matcher(self.entities)

            def matches(event: Any) -> bool:
                try:
                    matcher.match(event_fields, event.fields, True)
                except Mismatch:
                    return False
                return True

            if name == "waitForEvent":
                log.wait_for(event_name, matches, arguments["count"])
            elif log.count(event_name, matches) != arguments["count"]:
                raise Mismatch(f"{name}: expected {arguments['count']} {event_name}, saw {log.count(event_name, matches)}")
            return None
        if name == "runOnThread":
            operation = arguments["operation"]
            self.entities[arguments["thread"]].run(lambda: self.run_operation(operation))
            return None
        if name == "waitForThread":
            self.entities[arguments["thread"]].wait()
            return None
        if name == "recordTopologyDescription":
            self.entities[arguments["id"]] = self.entities[arguments["client"]].topology_description
            return None
        if name == "assertTopologyType":
            actual = self.entities[arguments["topologyDescription"]].topology_type_name
            if actual != arguments["topologyType"]:
                raise Mismatch(f"{name}: expected {arguments['topologyType']}, got {actual}")
            return None
        if name == "waitForPrimaryChange":
            return self._wait_for_primary_change(arguments)
        raise Unjudged(f"testRunner operation {name}")

    def _wait_for_primary_change(self, arguments: Mapping[str, Any]) -> None:
        client = self.entities[arguments["client"]]
        prior = self.entities[arguments["priorTopologyDescription"]]

        def primary_of(description: Any) -> Any:
            return next((server.address for server in description.server_descriptions().values() if server.server_type_name == "RSPrimary"), None)

        before = primary_of(prior)
        deadline = time.monotonic() + arguments.get("timeoutMS", 10_000) / 1000
        while time.monotonic() < deadline:
            now = primary_of(client.topology_description)
            if now is not None and now != before:
                return None
            time.sleep(0.05)
        raise Mismatch("waitForPrimaryChange: the primary did not change in time")

    # Before and after

    def load_initial_data(self) -> None:
        for collection in self.spec.get("initialData", []):
            database = self.internal.get_database(collection["databaseName"], write_concern=WriteConcern(w="majority"))
            database.drop_collection(collection["collectionName"])
            database.create_collection(collection["collectionName"], **collection.get("createOptions", {}))
            if collection["documents"]:
                database[collection["collectionName"]].insert_many(collection["documents"])

    def check_events(self, expected_per_client: list[Mapping[str, Any]]) -> None:
        for expected in expected_per_client:
            kind = expected.get("eventType", "command")
            if kind not in EVENT_TYPES:
                raise Unjudged(f"expectEvents of type {kind}")
            actual = self.clients[expected["client"]].log.of_kind(kind)
            wanted = expected["events"]
            if expected.get("ignoreExtraEvents"):
                actual = actual[: len(wanted)]
            if len(actual) != len(wanted):
                raise Mismatch(
                    f"client {expected['client']}: expected {len(wanted)} {kind} events {[next(iter(event)) for event in wanted]}, "
                    f"got {len(actual)}: {[(event.name, event.fields.get('commandName')) for event in actual]}"
                )
            matcher = Matcher(self.entities)
            for index, (event, observed) in enumerate(zip(wanted, actual)):
                (name, fields), = event.items()
                if name != observed.name:
                    raise Mismatch(f"client {expected['client']} event {index}: expected {name}, got {observed.name} {observed.fields}")
                for key, value in fields.items():
                    # An event's command and reply are root documents; its other fields are not.
                    actual_value = _comparable(observed.fields.get(key, ABSENT))
                    matcher.match(value, actual_value, key in ("command", "reply"), f"event {index} ({name}).{key}")

    def check_outcome(self, outcome: list[Mapping[str, Any]]) -> None:
        for expected in outcome:
            collection = self.internal[expected["databaseName"]].get_collection(
                expected["collectionName"], read_concern=ReadConcern("local"), codec_options=CodecOptions(document_class=dict)
            )
            documents = list(collection.find({}, sort=[("_id", 1)]))
            Matcher(self.entities).match(expected["documents"], documents, False, f"outcome {expected['collectionName']}")


def _comparable(value: Any) -> Any:
    """Results as plain BSON-shaped data (SON and RawBSONDocuments become dicts)."""
    if isinstance(value, Mapping):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_comparable(item) for item in value]
    return value


def load(path: Path) -> dict[str, Any]:
    return json_util.loads(path.read_text(), json_options=JSON_OPTIONS)


def run_file(path: Path, uri: str, internal: pymongo.MongoClient[dict[str, Any]], folder: str) -> list[Result]:
    spec = load(path)
    name = f"{folder}/{path.name}"
    major = int(str(spec.get("schemaVersion", "1")).split(".")[0])
    results = []
    file_unmet = unmet_requirement(spec.get("runOnRequirements"))
    for test in spec["tests"]:
        description = test["description"]
        if major > SUPPORTED_SCHEMA_MAJOR:
            results.append(Result(name, description, Verdict.UNJUDGED, f"schema version {spec['schemaVersion']}"))
            continue
        unmet = file_unmet or unmet_requirement(test.get("runOnRequirements"))
        if unmet is not None:
            results.append(Result(name, description, Verdict.SKIPPED, unmet))
            continue
        if "skipReason" in test:
            results.append(Result(name, description, Verdict.SKIPPED, f"skipped by the specification: {test['skipReason']}"))
            continue
        results.append(run_test(spec, test, uri, internal, name))
    return results


def run_test(spec: Mapping[str, Any], test: Mapping[str, Any], uri: str, internal: pymongo.MongoClient[dict[str, Any]], name: str) -> Result:
    description = test["description"]
    if "expectLogMessages" in test:
        return Result(name, description, Verdict.UNJUDGED, "expectLogMessages (log messages are not checked)")
    run = TestRun(uri, spec, internal)
    try:
        reset_server(internal)
        run.load_initial_data()
        run.create_entities(spec.get("createEntities", []))
        for operation in test["operations"]:
            run.run_operation(operation)
        run.check_events(test.get("expectEvents", []))
        if "outcome" in test:
            run.check_outcome(test["outcome"])
    except Unjudged as unjudged:
        return Result(name, description, Verdict.UNJUDGED, f"runner does not check {unjudged}")
    except (Mismatch, AssertionError) as mismatch:
        return Result(name, description, Verdict.FAILED, str(mismatch)[:600])
    except Exception as failure:
        return Result(name, description, Verdict.FAILED, f"{type(failure).__name__}: {failure}"[:600] + " | " + traceback.format_exc(limit=3)[-300:])
    finally:
        run.close()
    return Result(name, description, Verdict.PASSED)


def reset_server(internal: pymongo.MongoClient[dict[str, Any]]) -> None:
    """As the format asks before each test: end every open transaction and turn fail points off."""
    internal.admin.command("killAllSessions", [])
    for fail_point in ("failCommand", "onPrimaryTransactionalWrite"):
        internal.admin.command("configureFailPoint", fail_point, mode="off")

