"""A broken rule, as both sides report it: the member path (as the API names it) and what is wrong.

The handler joins violations into one FAILED reason (``summarize``); the
construct library lists them under the props that set each member.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Violation:
    """A broken rule: the member path (as the API names it) and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path} {self.message}"


class InvalidJobInput(ValueError):
    """Raised when input breaks one or more rules; carries every violation."""

    def __init__(self, operation: str, violations: list[Violation]) -> None:
        self.operation = operation
        self.violations = violations
        super().__init__(summarize(violations))


def summarize(violations: list[Violation], limit: int = 230) -> str:
    """Join violations into one line that fits CloudFormation's Reason field."""
    text = ""
    for index, violation in enumerate(violations):
        piece = str(violation) if not text else f"; {violation}"
        remaining = len(violations) - index
        if len(text) + len(piece) > limit:
            return f"{text} (+{remaining} more)" if text else str(violation)[:limit]
        text += piece
    return text


def never_unresolved(_: Any) -> bool:
    """The default ``is_unresolved``: in the handler every value is resolved."""
    return False


def clip(text: str, limit: int = 60) -> str:
    """A long text cut for a message."""
    return text if len(text) <= limit else f"{text[:limit]}..."


def show(value: Any) -> str:
    """A short, quoted rendering of a bad value for an error message."""
    return repr(clip(value)) if isinstance(value, str) else clip(repr(value))
