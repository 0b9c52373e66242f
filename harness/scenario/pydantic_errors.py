"""Pydantic validation errors rewritten as Problems a scenario author can act on.

Pydantic's error locations include union tags (the fault's ``kind``) that are
not in the file; walking the model alongside the location drops them, and
gives the keys allowed where an unknown key was found.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from harness.scenario.errors import FieldPath, Problem, suggest


def problems_from_validation(errors: list[ErrorDetails], root: type[BaseModel]) -> list[Problem]:
    return [_problem(error, root) for error in errors]


def _problem(error: ErrorDetails, root: type[BaseModel]) -> Problem:
    path, parent, here = _walk(root, error["loc"])
    kind = error["type"]
    context: dict[str, Any] = dict(error.get("ctx") or {})
    given = error.get("input")
    if kind == "scenario":
        return Problem(path, context["message"], context.get("hint", ""))
    if kind == "missing":
        name = path[-1] if path else "?"
        return Problem(path[:-1], f"missing required field '{name}'", f"add '{name}:'")
    if kind == "extra_forbidden":
        key = path[-1] if path else "?"
        allowed = _keys(parent)
        hint = suggest(key, allowed, "keys here") if allowed else "remove it"
        return Problem(path, f"unknown key '{key}'", hint)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        kinds = _tags(here)
        if kind == "union_tag_not_found":
            return Problem(path, "missing 'kind'", "add 'kind:', one of " + ", ".join(kinds))
        tag = context.get("tag")
        return Problem((*path, "kind"), f"unknown kind '{tag}'", suggest(tag, kinds, "kinds"))
    if kind in ("literal_error", "enum"):
        choices = [c.strip().strip("'") for c in str(context.get("expected", "")).replace(" or ", ",").split(",")]
        choices = [c for c in choices if c]
        return Problem(path, f"{given!r} is not allowed here", suggest(given, choices, "values"))
    message = error["msg"].removeprefix("Value error, ")
    if not isinstance(given, dict | list):
        message += f" (got {given!r})"
    return Problem(path, message)


def _walk(root: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[FieldPath, Any, Any]:
    """The location as written in the file, the type holding its last element, and its own type."""
    path: list[str | int] = []
    current: Any = root
    parent: Any = root
    for element in loc:
        parent = current
        current, in_file = _step(current, element)
        if in_file:
            path.append(element)
        else:
            parent = current
    return tuple(path), parent, current


def _step(annotation: Any, element: int | str) -> tuple[Any, bool]:
    if element == "[key]":  # pydantic's marker for an invalid mapping key
        return None, False
    annotation = _bare(annotation)
    if annotation is None:
        return None, not str(element).endswith("]")
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            if element in (name, field.alias):
                return field.annotation, True
        return None, True
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list and isinstance(element, int):
        return args[0], True
    if origin is dict and isinstance(element, str):
        return args[1], True
    if _is_union(annotation):
        for member in get_args(annotation):
            if element in _tags(member):
                return member, False
    # Pydantic's own labels ("function-after[...]", "literal[...]") are not in the file.
    return annotation, isinstance(element, int)


def _bare(annotation: Any) -> Any:
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif _is_union(annotation):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _keys(annotation: Any) -> list[str]:
    annotation = _bare(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [field.alias or name for name, field in annotation.model_fields.items()]
    return []


def _tags(annotation: Any) -> list[str]:
    """The ``kind`` values a model or union of models accepts."""
    annotation = _bare(annotation)
    if _is_union(annotation):
        return [tag for member in get_args(annotation) for tag in _tags(member)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and "kind" in annotation.model_fields:
        kind = annotation.model_fields["kind"].annotation
        if get_origin(kind) is Literal:
            return [str(value) for value in get_args(kind)]
    return []
