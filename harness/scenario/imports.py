"""Extension points: "package.module:name" strings naming a probe, action or invariant."""

from __future__ import annotations

import importlib
from typing import Any


def resolve_import(path: str) -> Any:
    """The object "package.module:name.attr" names. Raises ImportError saying what to fix."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ImportError(f"'{path}' is not an import path; write 'package.module:name'")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(
            f"cannot import module '{module_name}' ({exc}); check the name and that it is on PYTHONPATH"
        ) from None
    except Exception as exc:  # the module itself is broken: report it, do not crash the loader
        raise ImportError(f"importing '{module_name}' failed: {type(exc).__name__}: {exc}") from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ImportError(f"module '{module_name}' has no attribute '{attribute}'") from None
    if not callable(target):
        raise ImportError(f"'{path}' is not callable; name a function or class")
    return target
