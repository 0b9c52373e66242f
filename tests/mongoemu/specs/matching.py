"""The unified test format's rules for comparing an expected value with an actual one.

Root documents (and the documents of a root-level array) may hold fields the
expectation does not name; nested documents may not (unless wrapped in
$$matchAsRoot). Numbers compare by value whatever
their BSON type. The special operators ($$exists, $$type, $$unsetOrMatches,
$$sessionLsid, $$matchesEntity, $$matchAsDocument, $$matchAsRoot, $$lte,
$$matchesHexBytes) are those of the format's specification.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from bson import json_util
from bson.binary import Binary
from bson.code import Code
from bson.dbref import DBRef
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp

ABSENT = object()


class Mismatch(AssertionError):
    """The actual value does not match the expectation; the message names the path."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Int64, Decimal128)) and not isinstance(value, bool)


def _type_names(value: Any) -> set[str]:
    if value is None:
        return {"null"}
    if isinstance(value, bool):
        return {"bool"}
    if isinstance(value, Int64):
        return {"long", "number"}
    if isinstance(value, int):
        return {"int", "number"} if -(2**31) <= value < 2**31 else {"long", "number"}
    if isinstance(value, float):
        return {"double", "number"}
    if isinstance(value, Decimal128):
        return {"decimal", "number"}
    if isinstance(value, str):
        return {"string"}
    if isinstance(value, Mapping):
        return {"object"}
    if isinstance(value, (list, tuple)):
        return {"array"}
    if isinstance(value, (Binary, bytes)):
        return {"binData"}
    if isinstance(value, ObjectId):
        return {"objectId"}
    if isinstance(value, datetime.datetime):
        return {"date"}
    if isinstance(value, (Regex, re.Pattern)):
        return {"regex"}
    if isinstance(value, Timestamp):
        return {"timestamp"}
    if isinstance(value, Code):
        return {"javascriptWithScope" if value.scope else "javascript"}
    if isinstance(value, DBRef):
        return {"dbPointer"}
    if isinstance(value, MinKey):
        return {"minKey"}
    if isinstance(value, MaxKey):
        return {"maxKey"}
    return {type(value).__name__}


def _numbers_equal(expected: Any, actual: Any) -> bool:
    to_float = lambda value: float(value.to_decimal()) if isinstance(value, Decimal128) else float(value)  # noqa: E731
    return to_float(expected) == to_float(actual)


class Matcher:
    def __init__(self, entities: Mapping[str, Any]) -> None:
        self.entities = entities

    def match(self, expected: Any, actual: Any, root: bool = True, path: str = "") -> None:
        if isinstance(expected, Mapping) and len(expected) == 1 and next(iter(expected)).startswith("$$"):
            self._operator(next(iter(expected)), next(iter(expected.values())), actual, path)
            return
        if actual is ABSENT:
            raise Mismatch(f"{path or 'value'}: expected {expected!r}, but it is absent")
        if isinstance(expected, Mapping):
            if not isinstance(actual, Mapping):
                raise Mismatch(f"{path or 'value'}: expected a document {expected!r}, got {actual!r}")
            for key, wanted in expected.items():
                value = actual.get(key, ABSENT) if key in actual else ABSENT
                if isinstance(wanted, Mapping) and len(wanted) == 1 and next(iter(wanted)) in ("$$exists", "$$unsetOrMatches"):
                    self.match(wanted, value, False, f"{path}.{key}")
                    continue
                if value is ABSENT:
                    raise Mismatch(f"{path}.{key}: expected {wanted!r}, but the field is absent (in {actual!r})")
                self.match(wanted, value, False, f"{path}.{key}")
            if not root:
                extra = sorted(set(actual) - set(expected))
                if extra:
                    raise Mismatch(f"{path or 'value'}: unexpected fields {extra} in {actual!r}")
            return
        if isinstance(expected, (list, tuple)):
            if not isinstance(actual, (list, tuple)):
                raise Mismatch(f"{path or 'value'}: expected an array {expected!r}, got {actual!r}")
            if len(expected) != len(actual):
                raise Mismatch(f"{path or 'value'}: expected {len(expected)} elements {expected!r}, got {len(actual)}: {actual!r}")
            # The documents of a root-level array (a find's result) are root documents themselves.
            for index, (wanted, value) in enumerate(zip(expected, actual)):
                self.match(wanted, value, root, f"{path}[{index}]")
            return
        if _is_number(expected) and _is_number(actual):
            if not _numbers_equal(expected, actual):
                raise Mismatch(f"{path or 'value'}: expected {expected!r}, got {actual!r}")
            return
        if isinstance(expected, bool) or isinstance(actual, bool):
            if type(expected) is not type(actual) or expected != actual:
                raise Mismatch(f"{path or 'value'}: expected {expected!r}, got {actual!r}")
            return
        if isinstance(expected, bytes) and isinstance(actual, bytes):
            if bytes(expected) != bytes(actual):
                raise Mismatch(f"{path or 'value'}: expected {expected!r}, got {actual!r}")
            return
        if expected != actual:
            raise Mismatch(f"{path or 'value'}: expected {expected!r}, got {actual!r}")

    def _operator(self, name: str, argument: Any, actual: Any, path: str) -> None:
        if name == "$$exists":
            if bool(argument) != (actual is not ABSENT):
                raise Mismatch(f"{path}: expected the field to {'exist' if argument else 'be absent'}, got {actual!r}")
        elif name == "$$unsetOrMatches":
            if actual is not ABSENT:
                self.match(argument, actual, False, path)
        elif name == "$$type":
            names = {argument} if isinstance(argument, str) else set(argument)
            if actual is ABSENT or not names & _type_names(actual):
                raise Mismatch(f"{path}: expected a value of type {sorted(names)}, got {actual!r}")
        elif name == "$$sessionLsid":
            self.match(self.entities[f"{argument}.lsid"], actual, False, path)
        elif name == "$$matchesEntity":
            self.match(self.entities[argument], actual, False, path)
        elif name == "$$matchesHexBytes":
            if actual is ABSENT or bytes(actual) != bytes.fromhex(argument):
                raise Mismatch(f"{path}: expected bytes {argument}, got {actual!r}")
        elif name == "$$lte":
            if actual is ABSENT or not _is_number(actual) or float(actual) > float(argument):
                raise Mismatch(f"{path}: expected a number <= {argument}, got {actual!r}")
        elif name == "$$matchAsDocument":
            if not isinstance(actual, str):
                raise Mismatch(f"{path}: expected a JSON string, got {actual!r}")
            self.match(argument, json_util.loads(actual), False, path)
        elif name == "$$matchAsRoot":
            self.match(argument, actual, True, path)
        else:
            raise NotImplementedError(f"the runner does not judge the {name} operator")

