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
from typing import Any, Callable, Literal, Mapping

Kind = Literal["string", "long", "boolean", "map", "structure"]

MAX_WINDOW_MINUTES = 52_560_000
MIN_START_WINDOW_MINUTES = 60
MAX_LIFECYCLE_DAYS = 36_500
COLD_STORAGE_MINIMUM_DAYS = 90
KEEP_FOREVER = -1
MAX_TAGS = 50
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256

VAULT_NAME_PATTERN = r"^[a-zA-Z0-9\-\_]{2,50}$"
BACKUP_OPTION_PATTERN = r"^[a-zA-Z0-9\-\_\.]{1,50}$"
ARN_PATTERN = r"^arn:[a-z][a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$"
IAM_ROLE_ARN_PATTERN = r"^arn:[a-z][a-z0-9-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$"
VAULT_ARN_PATTERN = (
    r"^arn:[a-z][a-z0-9-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[a-zA-Z0-9\-\_]{2,50}$"
)
DOCUMENTED_BACKUP_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "WindowsVSS": ("enabled", "disabled"),
}


@dataclass(frozen=True)
class Member:
    """One member of an API input shape, with the constraints AWS enforces."""

    name: str
    kind: Kind
    required: bool = False
    pattern: str | None = None
    pattern_hint: str = ""
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    members: tuple["Member", ...] = ()
    input_allowed: bool = True

    def member(self, name: str) -> "Member | None":
        return next((m for m in self.members if m.name == name), None)


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


def _window(name: str, minimum: int) -> Member:
    return Member(name, "long", minimum=minimum, maximum=MAX_WINDOW_MINUTES)


def _lifecycle_days(name: str) -> Member:
    return Member(name, "long", minimum=1, maximum=MAX_LIFECYCLE_DAYS)


LIFECYCLE = Member(
    "Lifecycle",
    "structure",
    members=(
        _lifecycle_days("MoveToColdStorageAfterDays"),
        _lifecycle_days("DeleteAfterDays"),
        Member("OptInToArchiveForSupportedResources", "boolean"),
        Member("DeleteAfterEvent", "string", input_allowed=False),
    ),
)

def _vault_name(name: str) -> Member:
    return Member(name, "string", required=True, pattern=VAULT_NAME_PATTERN,
                  pattern_hint="2 to 50 letters, digits, hyphens or underscores")


def _arn(name: str) -> Member:
    return Member(name, "string", required=True, pattern=ARN_PATTERN, pattern_hint="an ARN")


def _vault_arn(name: str, required: bool) -> Member:
    return Member(name, "string", required=required, pattern=VAULT_ARN_PATTERN,
                  pattern_hint="a backup vault ARN")


IAM_ROLE_ARN = Member("IamRoleArn", "string", required=True, pattern=IAM_ROLE_ARN_PATTERN,
                      pattern_hint="an IAM role ARN")
IDEMPOTENCY_TOKEN = Member("IdempotencyToken", "string")

START_BACKUP_JOB = Member(
    "StartBackupJob",
    "structure",
    members=(
        _vault_name("BackupVaultName"),
        _arn("ResourceArn"),
        IAM_ROLE_ARN,
        IDEMPOTENCY_TOKEN,
        _window("StartWindowMinutes", minimum=MIN_START_WINDOW_MINUTES),
        _window("CompleteWindowMinutes", minimum=1),
        LIFECYCLE,
        Member("RecoveryPointTags", "map"),
        Member("BackupOptions", "map"),
        Member("Index", "string", enum=("ENABLED", "DISABLED")),
        _vault_arn("LogicallyAirGappedBackupVaultArn", required=False),
    ),
)

START_COPY_JOB = Member(
    "StartCopyJob",
    "structure",
    members=(
        _arn("RecoveryPointArn"),
        _vault_name("SourceBackupVaultName"),
        _vault_arn("DestinationBackupVaultArn", required=True),
        IAM_ROLE_ARN,
        IDEMPOTENCY_TOKEN,
        LIFECYCLE,
    ),
)

# The provider's own properties, beside the API members. A job waits at most
# this long so that its answer, after a last poll, beats CloudFormation's
# one-hour ServiceTimeout cap.
MAX_WAIT_MINUTES = 55
WAIT_FOR_COMPLETION = Member("WaitForCompletion", "boolean")
WAIT_TIMEOUT_MINUTES = Member("WaitTimeoutMinutes", "long", minimum=1, maximum=MAX_WAIT_MINUTES)
RUN_TOKEN = Member("RunToken", "string")
STOP_ON_DELETE = Member("StopOnDelete", "boolean")
# A final backup: nothing runs on Create or Update; Delete backs the resource up, waited.
RUN_ON_DELETE = Member("RunOnDelete", "boolean")
PROTECTED_LOGICAL_ID = Member("ProtectedLogicalId", "string")
SKIP_FINAL_BACKUP = Member("SkipFinalBackup", "boolean")
PROVIDER_MEMBERS = (WAIT_FOR_COMPLETION, WAIT_TIMEOUT_MINUTES, RUN_TOKEN)

BACKUP_JOB_RESOURCE = Member(
    "Custom::BackupJob", "structure",
    members=START_BACKUP_JOB.members + PROVIDER_MEMBERS
    + (STOP_ON_DELETE, RUN_ON_DELETE, PROTECTED_LOGICAL_ID, SKIP_FINAL_BACKUP),
)
COPY_JOB_RESOURCE = Member("Custom::CopyJob", "structure", members=START_COPY_JOB.members + PROVIDER_MEMBERS)

_INTEGER_TEXT = re.compile(r"^[+-]?\d{1,19}$")
_BOOLEAN_TEXT = {"true": True, "false": False}


def _never_unresolved(_: Any) -> bool:
    return False


def coerce(shape: Member, properties: Mapping[str, Any]) -> dict[str, Any]:
    """Turn CloudFormation's string-typed properties into the API model's types.

    CloudFormation hands a custom resource every scalar as a string ("60",
    "true"). Unknown members and values that cannot be converted raise
    InvalidJobInput naming the member; nothing is silently dropped.
    """
    violations: list[Violation] = []
    result = _coerce_structure(shape, properties, "", violations)
    if violations:
        raise InvalidJobInput(shape.name, violations)
    return result


def _coerce_structure(
    shape: Member, value: Any, prefix: str, violations: list[Violation]
) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        violations.append(Violation(prefix.rstrip(".") or shape.name, "must be an object"))
        return {}
    result: dict[str, Any] = {}
    for name, raw in value.items():
        member = shape.member(str(name))
        path = f"{prefix}{name}"
        if member is None:
            violations.append(Violation(_clip(path), f"is not a {shape.name} member"))
            continue
        converted = _coerce_value(member, raw, path, violations)
        if converted is not None:
            result[member.name] = converted
    return result


def _coerce_value(member: Member, raw: Any, path: str, violations: list[Violation]) -> Any:
    if member.kind == "structure":
        return _coerce_structure(member, raw, f"{path}.", violations)
    if member.kind == "map":
        if not isinstance(raw, Mapping):
            violations.append(Violation(path, "must be a map of strings to strings"))
            return None
        entries = {}
        for key, item in raw.items():
            if not isinstance(item, (str, int, float)) or isinstance(item, bool):
                violations.append(Violation(path, f"value for key '{_clip(str(key))}' must be a string"))
            else:
                entries[str(key)] = str(item)
        return entries
    if member.kind == "long":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and _INTEGER_TEXT.match(raw.strip()):
            return int(raw.strip())
        violations.append(Violation(path, f"must be a whole number, got {_show(raw)}"))
        return None
    if member.kind == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _BOOLEAN_TEXT:
            return _BOOLEAN_TEXT[raw.strip().lower()]
        violations.append(Violation(path, f"must be true or false, got {_show(raw)}"))
        return None
    if isinstance(raw, str):
        return raw
    violations.append(Violation(path, f"must be a string, got {type(raw).__name__}"))
    return None


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
        Violation(_clip(f"{prefix}{name}"), f"is not a {shape.name} member") for name in unknown
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
            return [Violation(path, f"must be a whole number, got {_show(value)}")]
        return _range_violations(member, value, path)
    if member.kind == "boolean":
        if not isinstance(value, bool):
            return [Violation(path, f"must be true or false, got {_show(value)}")]
        return []
    if not isinstance(value, str):
        return [Violation(path, f"must be a string, got {type(value).__name__}")]
    if member.enum and value not in member.enum:
        return [Violation(path, f"must be one of {', '.join(member.enum)}, got {_show(value)}")]
    if member.pattern and not re.match(member.pattern, value):
        return [Violation(path, f"must be {member.pattern_hint}, got {_show(value)}")]
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
            violations.append(Violation(path, f"keys must be 1 to {MAX_TAG_KEY_LENGTH} characters, got {_show(key)}"))
        elif key.lower().startswith("aws:"):
            violations.append(Violation(path, f"key '{_clip(key)}' uses the reserved prefix 'aws:'"))
        if not isinstance(value, str):
            violations.append(Violation(path, f"value for key '{_clip(str(key))}' must be a string"))
        elif len(value) > MAX_TAG_VALUE_LENGTH:
            violations.append(Violation(
                path, f"value for key '{_clip(key)}' must be at most {MAX_TAG_VALUE_LENGTH} characters"
            ))
    return violations


def _backup_option_violations(options: Mapping[str, Any], path: str) -> list[Violation]:
    violations = []
    for key, value in options.items():
        if not isinstance(key, str) or not re.match(BACKUP_OPTION_PATTERN, key):
            violations.append(Violation(path, f"key must match {BACKUP_OPTION_PATTERN}, got {_show(key)}"))
            continue
        allowed = DOCUMENTED_BACKUP_OPTIONS.get(key)
        if allowed is None:
            violations.append(Violation(
                path, f"key must be one of {', '.join(DOCUMENTED_BACKUP_OPTIONS)}, got {_show(key)}"
            ))
        elif value not in allowed:
            violations.append(Violation(
                f"{path}.{key}", f"must be one of {', '.join(allowed)}, got {_show(value)}"
            ))
    return violations


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[:limit]}..."


def _show(value: Any) -> str:
    """A short, quoted rendering of a bad value for an error message."""
    return repr(_clip(value)) if isinstance(value, str) else _clip(repr(value))
