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
  backup, is refused (``final_backup_violations``), and so is a waiting
  resource whose logical ID is too long for crhelper's polling rule
  (``logical_id_violations``).

``resource_violations`` is the whole set for one resource: what the handler
checks once CloudFormation's strings are typed, and what the constructs check
with the stack's account, Region and the resource's logical ID.

This module is stdlib-only because it ships inside the Lambda asset.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from cdk_backup_jobs_runtime.member_rules import lifecycle_violations, map_violations, scalar_violations
from cdk_backup_jobs_runtime.shapes import LIFECYCLE, VAULT_ARN_PATTERN, Member
from cdk_backup_jobs_runtime.violation_report import Violation, clip, never_unresolved


def validate(
    shape: Member,
    params: Mapping[str, Any],
    is_unresolved: Callable[[Any], bool] = never_unresolved,
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
                    violations.extend(lifecycle_violations(value, path, is_unresolved))
            else:
                violations.append(Violation(path, "must be an object"))
        elif member.kind == "map":
            violations.extend(map_violations(member, value, path, is_unresolved))
        else:
            violations.extend(scalar_violations(member, value, path))
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


ONLY_WITH_RUN_ON_DELETE = ("SkipFinalBackup", "ProtectedLogicalId")
"""The final backup's own members: each means something only when RunOnDelete is true."""

NOT_WITH_RUN_ON_DELETE: Mapping[str, str] = {
    "IdempotencyToken": "must not be set when RunOnDelete is true: "
                        "a retried delete would get the earlier, maybe failed, job back",
    "WaitForCompletion": "must not be true when RunOnDelete is true: a final backup always waits",
    "StopOnDelete": "must not be true when RunOnDelete is true: the Delete is what runs the final backup",
}
"""What a final backup refuses, and why: each would be silently ignored, or worse."""


def final_backup_violations(
    params: Mapping[str, Any], is_unresolved: Callable[[Any], bool] = never_unresolved
) -> list[Violation]:
    """The members that conflict with RunOnDelete, and the final backup's own members without it.

    Any IdempotencyToken conflicts, a token too: whatever it resolves to, it is
    the same for every Delete. An unresolved RunOnDelete is left for the handler.
    A ProtectedLogicalId without RunOnDelete protects nothing, so it is refused
    rather than ignored.
    """
    run_on_delete = params.get("RunOnDelete")
    if is_unresolved(run_on_delete):
        return []
    if run_on_delete is not True:
        return [Violation(name, "applies only when RunOnDelete is true") for name in ONLY_WITH_RUN_ON_DELETE
                if params.get(name) is True or (name == "ProtectedLogicalId" and params.get(name) is not None)]
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
    is_unresolved: Callable[[Any], bool] = never_unresolved,
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


MAX_POLLING_LOGICAL_ID = 56
"""crhelper names a waiting resource's polling rule after its logical ID plus 8 characters; EventBridge
allows 64."""


def waits(params: Mapping[str, Any]) -> bool:
    """Whether some request of this resource waits for a job (a final backup waits on Delete)."""
    return params.get("WaitForCompletion") is True or params.get("RunOnDelete") is True


def logical_id_violations(params: Mapping[str, Any], logical_resource_id: str | None,
                          is_unresolved: Callable[[Any], bool] = never_unresolved) -> list[Violation]:
    """A waiting resource whose logical ID is too long for crhelper's polling rule, named by the
    member that makes it wait. ``logical_resource_id`` None (or a token) is not known, so not checked."""
    if (not waits(params) or not isinstance(logical_resource_id, str) or is_unresolved(logical_resource_id)
            or len(logical_resource_id) <= MAX_POLLING_LOGICAL_ID):
        return []
    member = "WaitForCompletion" if params.get("WaitForCompletion") is True else "RunOnDelete"
    return [Violation(member, f"needs a logical ID of at most {MAX_POLLING_LOGICAL_ID} characters (crhelper "
                              f"names its polling rule after it), got {clip(logical_resource_id)} "
                              f"({len(logical_resource_id)} characters)")]


def resource_violations(
    shape: Member,
    params: Mapping[str, Any],
    logical_resource_id: str | None,
    account: Any,
    region: Any,
    is_unresolved: Callable[[Any], bool] = never_unresolved,
) -> list[Violation]:
    """Every rule a resource of type ``shape`` must keep, at synth and in the handler alike.

    ``params`` are typed (``coercion.coerce`` reads CloudFormation's strings
    first); ``validate``, then ``placement_violations`` (the job's account and
    Region) and ``logical_id_violations``. Unknown values (None, or tokens at
    synth) are not compared.
    """
    return [*validate(shape, params, is_unresolved),
            *placement_violations(params, account, region, is_unresolved),
            *logical_id_violations(params, logical_resource_id, is_unresolved)]
