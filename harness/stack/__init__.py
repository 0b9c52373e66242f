"""Bringing a topology up and down as containers, on the provider fabric."""

from harness.stack.cleanup import LABEL_RUN, remove_leftovers
from harness.stack.stack import Stack

__all__ = ["LABEL_RUN", "Stack", "remove_leftovers"]
