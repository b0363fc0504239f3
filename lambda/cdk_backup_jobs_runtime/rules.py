"""The input rules of StartBackupJob and StartCopyJob: one source of truth.

The construct library checks its props against these rules at synth time
(skipping values that are still CloudFormation tokens) and the Lambda handler
checks the resource properties against them at deploy time, after turning
CloudFormation's strings back into the API model's types. Both sides therefore
accept and reject exactly the same input.

Where the rules come from:
- types, required members, patterns and enums: botocore's service model for
  AWS Backup (2018-11-15);
- ranges and cross-member rules: the API reference pages (start window at
  least 60 minutes; windows at most 100 years = 52,560,000 minutes; lifecycle
  days at most 36,500; delete-after at least move-to-cold + 90 days; -1 on both
  lifecycle fields together keeps the recovery point indefinitely; DeleteAfterEvent is
  "not valid as an input"; WindowsVSS is the one documented backup option);
- ARN shapes: the ARN formats that the API pages give as examples;
- tag limits: the limits AWS applies to tags on every resource (at most 50
  tags, keys of 1 to 128 characters not starting with "aws:", values of at
  most 256 characters).
- the provider's own members (WaitForCompletion, RunOnDelete ...): a
  combination the provider would silently ignore, or that would defeat a final
  backup, is refused (``final_backup_violations``).

This module is stdlib-only because it ships inside the Lambda asset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from cdk_backup_jobs_runtime.shapes import (BACKUP_OPTION_PATTERN, COLD_STORAGE_MINIMUM_DAYS,
                                            DOCUMENTED_BACKUP_OPTIONS, KEEP_FOREVER, LIFECYCLE, MAX_TAG_KEY_LENGTH,
                                            MAX_TAG_VALUE_LENGTH, MAX_TAGS, VAULT_ARN_PATTERN, Member)


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


def _never_unresolved(_: Any) -> bool:
    return False


def validate(
    shape: Member,
    params: Mapping[str, Any],
    is_unresolved: Callable[[Any], bool] = _never_unresolved,
) -> list[Violation]:
    """Check typed API input against every rule; return all violations.

    ``is_unresolved`` lets the synth side skip values that are still tokens:
    they are checked again by the handler once CloudFormation resolves them.
    """
    violations: list[Violation] = []
    _check_structure(shape, params, "", violations, is_unresolved)
    return violations


def _check_structure(
    shape: Member,
    params: Mapping[str, Any],
    prefix: str,
    violations: list[Violation],
    is_unresolved: Callable[[Any], bool],
) -> None:
    for member in shape.members:
        path = f"{prefix}{member.name}"
        if member.name not in params or params[member.name] is None:
            if member.required:
                violations.append(Violation(path, "is required"))
            continue
        value = params[member.name]
        if is_unresolved(value):
            continue
        if not member.input_allowed:
            violations.append(Violation(path, "is not valid as an input"))
        elif member.kind == "structure":
            if isinstance(value, Mapping):
                _check_structure(member, value, f"{path}.", violations, is_unresolved)
                if member is LIFECYCLE:
                    violations.extend(_lifecycle_violations(value, path, is_unresolved))
            else:
                violations.append(Violation(path, "must be an object"))
        elif member.kind == "map":
            violations.extend(_map_violations(member, value, path, is_unresolved))
        else:
            violations.extend(_scalar_violations(member, value, path))
    unknown = [name for name in params if shape.member(str(name)) is None]
    violations.extend(
        Violation(clip(f"{prefix}{name}"), f"is not a {shape.name} member") for name in unknown
    )
    if "WaitTimeoutMinutes" in params and shape.member("WaitForCompletion") is not None:
        waits = [params.get(name) for name in ("WaitForCompletion", "RunOnDelete")]
        if True not in waits and not any(is_unresolved(w) for w in waits if w is not None):
            violations.append(Violation(
                "WaitTimeoutMinutes", "applies only when WaitForCompletion or RunOnDelete is true"))
    if shape.member("RunOnDelete") is not None:
        violations.extend(final_backup_violations(params, is_unresolved))


NOT_WITH_RUN_ON_DELETE: Mapping[str, str] = {
    "IdempotencyToken": "must not be set when RunOnDelete is true: "
                        "a retried delete would get the earlier, maybe failed, job back",
    "WaitForCompletion": "must not be true when RunOnDelete is true: a final backup always waits",
    "StopOnDelete": "must not be true when RunOnDelete is true: the Delete is what runs the final backup",
}
"""What a final backup refuses, and why: each would be silently ignored, or worse."""


def final_backup_violations(
    params: Mapping[str, Any], is_unresolved: Callable[[Any], bool] = _never_unresolved
) -> list[Violation]:
    """The members that conflict with RunOnDelete, and SkipFinalBackup without it.

    Any IdempotencyToken conflicts, a token too: whatever it resolves to, it is
    the same for every Delete. An unresolved RunOnDelete is left for the handler.
    """
    run_on_delete = params.get("RunOnDelete")
    if is_unresolved(run_on_delete):
        return []
    if run_on_delete is not True:
        if params.get("SkipFinalBackup") is True:
            return [Violation("SkipFinalBackup", "applies only when RunOnDelete is true")]
        return []
    given = {name for name, value in params.items()
             if value is True or (name == "IdempotencyToken" and value is not None)}
    return [Violation(name, message) for name, message in NOT_WITH_RUN_ON_DELETE.items() if name in given]


SAME_ACCOUNT_AND_REGION = ("LogicallyAirGappedBackupVaultArn",)
"""ARN members AWS requires in the caller's own account and Region ("ARN must be in the same
account and Region", StartBackupJob's model documentation)."""


def placement_violations(
    params: Mapping[str, Any],
    account: Any,
    region: Any,
    is_unresolved: Callable[[Any], bool] = _never_unresolved,
) -> list[Violation]:
    """Members whose ARN names another account or Region than the job's own.

    ``account`` and ``region`` are where the job runs (the stack's); either may
    be unknown (None, or a token at synth), and then it is not compared.
    """
    violations = []
    for name in SAME_ACCOUNT_AND_REGION:
        arn = params.get(name)
        if not isinstance(arn, str) or is_unresolved(arn) or not re.match(VAULT_ARN_PATTERN, arn):
            continue
        arn_region, arn_account = arn.split(":")[3:5]
        for what, expected, got in (("account", account, arn_account), ("Region", region, arn_region)):
            if isinstance(expected, str) and expected and not is_unresolved(expected) and got != expected:
                violations.append(Violation(name, f"must be in the job's own {what} {expected}, got {got}"))
    return violations


def _scalar_violations(member: Member, value: Any, path: str) -> list[Violation]:
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


def _lifecycle_violations(
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


def _map_violations(
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


def clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[:limit]}..."


def show(value: Any) -> str:
    """A short, quoted rendering of a bad value for an error message."""
    return repr(clip(value)) if isinstance(value, str) else clip(repr(value))
