"""The rules of one member's value: type, range, pattern, enum, and the Lifecycle, tag and backup option rules.

``rules.validate`` walks a shape and calls these for each member given.
Where each rule comes from is in ``rules``' docstring.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from cdk_backup_jobs_runtime.input.shapes import (BACKUP_OPTION_PATTERN, COLD_STORAGE_MINIMUM_DAYS,
                                            DOCUMENTED_BACKUP_OPTIONS, KEEP_FOREVER, MAX_TAG_KEY_LENGTH,
                                            MAX_TAG_VALUE_LENGTH, MAX_TAGS, Member)
from cdk_backup_jobs_runtime.input.violation_report import Violation, clip, show


def scalar_violations(member: Member, value: Any, path: str) -> list[Violation]:
    if member.kind == "long":
        if not isinstance(value, int) or isinstance(value, bool):
            return [Violation(path, f"must be a whole number, got {show(value)}")]
        return _range_violations(member, value, path)
    if member.kind == "boolean":
        if not isinstance(value, bool):
            return [Violation(path, f"must be true or false, got {show(value)}")]
        return []
    if not isinstance(value, str):
        return [Violation(path, f"must be a string, got {type(value).__name__}")]
    if member.enum and value not in member.enum:
        return [Violation(path, f"must be one of {', '.join(member.enum)}, got {show(value)}")]
    if member.pattern and not re.match(member.pattern, value):
        return [Violation(path, f"must be {member.pattern_hint}, got {show(value)}")]
    return []


def _range_violations(member: Member, value: int, path: str) -> list[Violation]:
    if member.name in _LIFECYCLE_DAY_MEMBERS and value == KEEP_FOREVER:
        return []
    low, high = member.minimum, member.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        keep = " or -1 to keep forever" if member.name in _LIFECYCLE_DAY_MEMBERS else ""
        return [Violation(path, f"must be between {low} and {high}{keep}, got {value}")]
    return []


_LIFECYCLE_DAY_MEMBERS = frozenset({"MoveToColdStorageAfterDays", "DeleteAfterDays"})


def lifecycle_violations(
    lifecycle: Mapping[str, Any], path: str, is_unresolved: Callable[[Any], bool]
) -> list[Violation]:
    cold = lifecycle.get("MoveToColdStorageAfterDays")
    delete = lifecycle.get("DeleteAfterDays")
    values = (cold, delete)
    if KEEP_FOREVER in values and None in values:
        member = "MoveToColdStorageAfterDays" if cold is None else "DeleteAfterDays"
        return [Violation(f"{path}.{member}", "must be -1 too: AWS documents -1 for both members together")]
    if any(v is None or is_unresolved(v) or not _is_int(v) for v in values):
        return []
    if KEEP_FOREVER in values:
        if cold == delete:
            return []
        member = "DeleteAfterDays" if delete == KEEP_FOREVER else "MoveToColdStorageAfterDays"
        return [Violation(f"{path}.{member}", "may be -1 only together with the other member")]
    earliest = int(cold) + COLD_STORAGE_MINIMUM_DAYS  # type: ignore[arg-type]
    if int(delete) < earliest:  # type: ignore[arg-type]
        return [
            Violation(
                f"{path}.DeleteAfterDays",
                f"must be at least MoveToColdStorageAfterDays + {COLD_STORAGE_MINIMUM_DAYS}"
                f" ({earliest}), got {delete}",
            )
        ]
    return []


def map_violations(
    member: Member, value: Any, path: str, is_unresolved: Callable[[Any], bool]
) -> list[Violation]:
    if not isinstance(value, Mapping):
        return [Violation(path, "must be a map of strings to strings")]
    entries = {k: v for k, v in value.items() if not is_unresolved(k) and not is_unresolved(v)}
    if member.name == "RecoveryPointTags":
        # Entries still tokens are checked at deploy, but they count towards the limit now.
        return _tag_violations(entries, path, count=len(value))
    return _backup_option_violations(entries, path)


def _tag_violations(tags: Mapping[str, Any], path: str, count: int) -> list[Violation]:
    # Tag values are sensitive in the service model: never echo them.
    violations = []
    if count > MAX_TAGS:
        violations.append(Violation(path, f"may hold at most {MAX_TAGS} tags, got {count}"))
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
            violations.append(Violation(path, f"keys must be 1 to {MAX_TAG_KEY_LENGTH} characters, got {show(key)}"))
        elif key.lower().startswith("aws:"):
            violations.append(Violation(path, f"key '{clip(key)}' uses the reserved prefix 'aws:'"))
        if not isinstance(value, str):
            violations.append(Violation(path, f"value for key '{clip(str(key))}' must be a string"))
        elif len(value) > MAX_TAG_VALUE_LENGTH:
            violations.append(Violation(
                path, f"value for key '{clip(key)}' must be at most {MAX_TAG_VALUE_LENGTH} characters"
            ))
    return violations


def _backup_option_violations(options: Mapping[str, Any], path: str) -> list[Violation]:
    violations = []
    for key, value in options.items():
        if not isinstance(key, str) or not re.match(BACKUP_OPTION_PATTERN, key):
            violations.append(Violation(path, f"key must match {BACKUP_OPTION_PATTERN}, got {show(key)}"))
            continue
        allowed = DOCUMENTED_BACKUP_OPTIONS.get(key)
        if allowed is None:
            violations.append(Violation(
                path, f"key must be one of {', '.join(DOCUMENTED_BACKUP_OPTIONS)}, got {show(key)}"
            ))
        elif value not in allowed:
            violations.append(Violation(
                f"{path}.{key}", f"must be one of {', '.join(allowed)}, got {show(value)}"
            ))
    return violations


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
