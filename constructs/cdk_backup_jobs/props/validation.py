"""Synth-time problems: gathered for a whole construct, then reported once, each naming its prop and member.

Every problem of a construct (a prop of the wrong type, a Duration that is not
whole, a rule of ``cdk_backup_jobs_runtime.input.rules`` broken, props that conflict)
is one ``Problem``; ``raise_problems`` raises one ``JobValidationError``
listing them all, each written ``prop (ApiMember) what is wrong, got what was
given``, so a user fixes everything in one pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from aws_cdk import Token

from cdk_backup_jobs_runtime.input import violation_report


class JobValidationError(ValueError):
    """A BackupJob or CopyJob prop breaks an AWS Backup rule; lists every problem at once."""


class Refused:
    """The value of a member whose prop was refused (its type): it is reported once, by its
    conversion, and the rules skip it like a token instead of reporting it again."""

    def __repr__(self) -> str:
        return "REFUSED"


REFUSED = Refused()


class AddedLater:
    """The value of a member the construct adds after validation (a WaitConditionHandle's Ref, which
    needs resources a refused job must not leave behind); the rules skip it like a token."""

    def __repr__(self) -> str:
        return "ADDED_LATER"


ADDED_LATER = AddedLater()


def is_unresolved(value: Any) -> bool:
    """True for a CloudFormation token, which the handler checks once it is resolved, and for REFUSED
    and ADDED_LATER.

    NaN and infinities (or lists holding them) are never tokens, and must not
    reach jsii: its kernel reads them as invalid JSON and exits, failing every
    later construct call.
    """
    if value is REFUSED or value is ADDED_LATER:
        return True
    if isinstance(value, Mapping) or _holds_non_finite(value):
        return False
    return bool(Token.is_unresolved(value))


def _holds_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return any(_holds_non_finite(item) for item in value)
    return False


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a construct's props: the prop, the API member path(s) it sets, and what.

    ``message`` reads on from the member: ``must be a Duration, got int``.
    """

    prop: str
    members: str
    message: str

    @classmethod
    def of_violation(cls, prop: str, violation: violation_report.Violation) -> "Problem":
        """A rule broken by the member(s) ``prop`` set: named as the rules name it, after the prop."""
        return cls(prop, violation.path, violation.message)

    def __str__(self) -> str:
        return f"{self.prop} ({self.members}) {self.message}"


def raise_problems(construct_path: str, kind: str, problems: Sequence[Problem | str]) -> None:
    """Raise one JobValidationError listing every problem of a construct (``kind``: its resource type or
    class), if there is any: each construct reports all its problems together, once."""
    if problems:
        raise JobValidationError(f"Invalid props for {construct_path} ({kind}):\n"
                                 + "\n".join(f"  - {problem}" for problem in problems))


def type_name(value: Any) -> str:
    """What was given, for ``got ...``: the type's name (values may be secrets, such as tag values)."""
    return "None" if value is None else type(value).__name__
