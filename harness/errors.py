"""Errors a user can act on. The CLI prints them without a traceback, exit 2."""

from __future__ import annotations


class HarnessError(Exception):
    """Bad input or environment: says what is wrong and what to do about it."""

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.problem}\n  fix: {self.fix}" if self.fix else self.problem
