"""StartBackupJob's and StartCopyJob's input checked as AWS checks it: the model's shapes, then the rules they lack.

``validate`` checks input against botocore's model shapes: required members,
types, enums, patterns, lengths, ranges. The first violation is the error AWS
answers: MissingParameterValueException for a required member left out,
InvalidParameterValueException for the rest.

The model checks types, enums, patterns and ranges; the ``check_*`` rules are
the ones the API reference states in words (a window of at least 60 minutes,
a lifecycle 90 days past cold storage, ARNs of the right kind).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape

from cdk_backup_jobs.testing.backup.arns import ARN_KINDS
from cdk_backup_jobs.testing.backup.errors import invalid, missing

MAX_WINDOW_MINUTES = 52_560_000  # "a maximum value of 100 years" (StartBackupJob reference)
MAX_LIFECYCLE_DAYS = 36_500


def check_arns(p: Mapping[str, Any], forms: Mapping[str, re.Pattern[str]]) -> None:
    """AWS refuses a malformed ARN up front; the model types ARN members as plain strings."""
    for name, form in forms.items():
        if name in p and not form.fullmatch(p[name]):
            raise invalid(f"{name} {p[name]!r} is not {ARN_KINDS[form]}")


def check_windows(p: Mapping[str, Any]) -> None:
    # StartWindowMinutes "must be at least 60 minutes" (StartBackupJob reference).
    if "StartWindowMinutes" in p and p["StartWindowMinutes"] < 60:
        raise invalid("StartWindowMinutes must be at least 60 minutes")
    for name in ("StartWindowMinutes", "CompleteWindowMinutes"):
        if p.get(name, 0) > MAX_WINDOW_MINUTES:
            raise invalid(f"{name} must be at most 100 years (52,560,000 minutes)")


def check_lifecycle(lifecycle: Mapping[str, Any] | None) -> None:
    """Backups in cold storage stay there 90 days at least (Lifecycle, StartBackupJob reference)."""
    if not lifecycle:
        return
    if "DeleteAfterEvent" in lifecycle:
        raise invalid("Lifecycle.DeleteAfterEvent is not valid as an input")
    cold, delete = lifecycle.get("MoveToColdStorageAfterDays"), lifecycle.get("DeleteAfterDays")
    for name, days in (("MoveToColdStorageAfterDays", cold), ("DeleteAfterDays", delete)):
        if days is not None and days != -1 and not 1 <= days <= MAX_LIFECYCLE_DAYS:
            raise invalid(f"Lifecycle.{name} must be between 1 and 36500 days, or -1")
    if cold is not None and delete is not None and -1 not in (cold, delete) and delete < cold + 90:
        raise invalid("Lifecycle.DeleteAfterDays must be at least 90 days after MoveToColdStorageAfterDays")


def validate(shape: Shape, value: Any, path: str) -> None:
    """Check a value against a model shape; raise the error AWS would answer."""
    label = path or shape.name
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            raise invalid(f"{label} must be an object")
        for required in shape.required_members:
            if value.get(required) is None:
                raise missing(f"Missing required parameter {_join(path, required)}")
        for name, item in value.items():
            if name not in shape.members:
                raise invalid(f"Unknown parameter {_join(path, name)}")
            validate(shape.members[name], item, _join(path, name))
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            raise invalid(f"{label} must be a map")
        for key, item in value.items():
            validate(shape.key, key, f"{label} key")
            validate(shape.value, item, f"{label}.{key}")
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            raise invalid(f"{label} must be a list")
        for index, item in enumerate(value):
            validate(shape.member, item, f"{label}[{index}]")
    elif isinstance(shape, StringShape):
        _check_string(shape, value, label)
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise invalid(f"{label} must be a whole number")
        _check_range(shape, value, label)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise invalid(f"{label} must be a boolean")
    elif kind == "timestamp":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise invalid(f"{label} must be a timestamp")


def _check_string(shape: StringShape, value: Any, label: str) -> None:
    if not isinstance(value, str):
        raise invalid(f"{label} must be a string")
    if shape.enum and value not in shape.enum:
        raise invalid(f"{label} must be one of {', '.join(shape.enum)}")
    pattern = shape.metadata.get("pattern")
    if pattern and not re.search(pattern, value):
        raise invalid(f"{label} does not match {pattern}")
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if (low is not None and len(value) < low) or (high is not None and len(value) > high):
        raise invalid(f"{label} length must be between {low} and {high}")


def _check_range(shape: Shape, value: int, label: str) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        raise invalid(f"{label} must be between {low} and {high}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
