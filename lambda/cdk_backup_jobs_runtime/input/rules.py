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
  backup, is refused (``final_backup_violations``); a wait lasts at most 55
  minutes unless a WaitCondition carries it, and then at most 710 minutes
  (``wait_violations``); that WaitCondition's Timeout holds the wait and the
  provider's 10 minutes of grace, within PT12H, and starts after the job
  (``wait_condition_violations``).

``resource_violations`` is the whole set for one resource: what the handler
checks once CloudFormation's strings are typed, and what the constructs check
with the stack's account and Region.

This module is stdlib-only because it ships inside the Lambda asset.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Callable, Mapping

from cdk_backup_jobs_runtime.input.member_rules import lifecycle_violations, map_violations, scalar_violations
from cdk_backup_jobs_runtime.input.shapes import (JOB_RESULT_RESOURCE, LIFECYCLE, MAX_LONG_WAIT_MINUTES,
                                            MAX_WAIT_CONDITION_SECONDS, MAX_WAIT_MINUTES, VAULT_ARN_PATTERN,
                                            WAIT_CONDITION_GRACE_SECONDS, Member)
from cdk_backup_jobs_runtime.input.violation_report import Violation, clip, never_unresolved, show


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
    violations.extend(unknown_member(shape, str(name), prefix) for name in params if shape.member(str(name)) is None)
    if "WaitTimeoutMinutes" in params and shape.member("WaitForCompletion") is not None:
        waits = [params.get(name) for name in ("WaitForCompletion", "RunOnDelete")]
        if True not in waits and not any(is_unresolved(w) for w in waits if w is not None):
            violations.append(Violation(
                "WaitTimeoutMinutes", "applies only when WaitForCompletion or RunOnDelete is true"))
    if shape.member("WaitForCompletion") is not None:
        violations.extend(wait_violations(params, is_unresolved))
    if shape.member("RunOnDelete") is not None:
        violations.extend(final_backup_violations(params, is_unresolved))
    if shape.name == JOB_RESULT_RESOURCE.name:
        violations.extend(job_result_violations(params))


CLOSE_ENOUGH = 0.8
"""How alike an unknown name and a member's must be (difflib's ratio) to be offered as what was meant: a
letter missed, doubled or of the other case (``WaitTimeoutMinute``, ``backupVaultName``), not any name."""


def unknown_member(shape: Member, name: str, prefix: str = "") -> Violation:
    """A name that is no member of ``shape``, with the member it most likely misspells, if one is close.

    Both passes name it alike: the handler's coercion (CloudFormation's strings) and the rules the
    constructs and the cfn-lint rule run.
    """
    guesses = difflib.get_close_matches(name, [m.name for m in shape.members], n=1, cutoff=CLOSE_ENOUGH)
    hint = f" (did you mean {guesses[0]}?)" if guesses else ""
    return Violation(clip(f"{prefix}{name}"), f"is not a {shape.name} member{hint}")


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


def job_result_violations(params: Mapping[str, Any]) -> list[Violation]:
    """A job result names exactly one job: a backup job or a copy job."""
    given = [name for name in ("BackupJobId", "CopyJobId") if params.get(name) is not None]
    if not given:
        return [Violation("BackupJobId", "or CopyJobId is required")]
    if len(given) > 1:
        return [Violation("CopyJobId", "must not be given with BackupJobId: a result is one job's")]
    return []


def waits(params: Mapping[str, Any]) -> bool:
    """Whether some request of this resource waits for a job (a final backup waits on Delete)."""
    return params.get("WaitForCompletion") is True or params.get("RunOnDelete") is True


def wait_violations(params: Mapping[str, Any],
                    is_unresolved: Callable[[Any], bool] = never_unresolved) -> list[Violation]:
    """How long a wait may last, and what carries it.

    A WaitCondition (its logical ID in ``WaitCondition``) carries a wait of
    up to 710 minutes (its Timeout, at most PT12H, holds the wait and the
    provider's grace: ``wait_condition_violations``); without one the custom resource itself must answer within
    CloudFormation's hour, so at most 55 minutes. A WaitCondition without
    WaitForCompletion would never be signalled (so a final backup, which
    refuses WaitForCompletion, never takes one: a Delete cannot wait on a
    WaitCondition).
    """
    condition, minutes = params.get("WaitCondition"), params.get("WaitTimeoutMinutes")
    violations = []
    waits = [params.get(name) for name in ("WaitForCompletion", "RunOnDelete")]
    if True not in waits and not any(is_unresolved(w) for w in waits if w is not None):
        minutes = None  # a resource that does not wait: "applies only when" (above) is the cause, not its length
    if condition is not None and params.get("WaitForCompletion") is not True \
            and not is_unresolved(params.get("WaitForCompletion")):
        violations.append(Violation("WaitCondition", "applies only when WaitForCompletion is true"))
    if (condition is None and isinstance(minutes, int) and not isinstance(minutes, bool) and not is_unresolved(minutes)
            and MAX_WAIT_MINUTES < minutes <= MAX_LONG_WAIT_MINUTES):
        why = ("for a final backup (a Delete must be answered within CloudFormation's hour)"
               if params.get("RunOnDelete") is True else
               f"without a WaitCondition (CloudFormation waits at most one hour for a custom resource; "
               f"a WaitCondition allows up to {MAX_LONG_WAIT_MINUTES})")
        violations.append(Violation("WaitTimeoutMinutes", f"must be at most {MAX_WAIT_MINUTES} {why}, got {minutes}"))
    return violations


def shortest_signal_timeout(wait_minutes: int) -> int:
    """The shortest Timeout, in seconds, of a waited job's WaitCondition: the wait, then the grace in which
    the provider signals FAILURE before CloudFormation's bare timeout would."""
    return wait_minutes * 60 + WAIT_CONDITION_GRACE_SECONDS


ISO_DURATION = re.compile(r"^PT(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")
"""A ResourceSignal Timeout: "in ISO8601 duration format, in the form: PT#H#M#S" (CreationPolicy attribute)."""


def duration_seconds(timeout: Any) -> int | None:
    """A ResourceSignal Timeout in seconds; None if it is not in the PT#H#M#S form."""
    found = ISO_DURATION.match(timeout) if isinstance(timeout, str) else None
    if found is None:
        return None
    hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return (hours * 60 + minutes) * 60 + seconds


def _depends_on(resource: Any) -> list[str]:
    depends_on = resource.get("DependsOn", []) if isinstance(resource, Mapping) else []
    return [depends_on] if isinstance(depends_on, str) else [d for d in depends_on if isinstance(d, str)]


def created_after(logical_id: str, first: str, resources: Mapping[str, Any]) -> bool:
    """Whether ``logical_id``'s DependsOn, directly or through the resources it names, includes ``first``."""
    seen: set[str] = set()
    pending = _depends_on(resources.get(logical_id))
    while pending:
        name = pending.pop()
        if name == first:
            return True
        if name not in seen:
            seen.add(name)
            pending.extend(_depends_on(resources.get(name)))
    return False


WAIT_CONDITION_TYPE = "AWS::CloudFormation::WaitCondition"

def wait_condition_violations(job_logical_id: str, wait_minutes: int, wait_condition: str,
                              resources: Mapping[str, Any]) -> list[Violation]:
    """The WaitCondition a waited job signals, as the template (``resources``) declares it.

    Its ResourceSignal Timeout must hold the wait and the provider's grace
    (``shortest_signal_timeout``: WaitTimeoutMinutes + 10 minutes), within
    CloudFormation's PT12H; and it must start after the job: "The timeout
    period starts after CloudFormation starts creating the resource"
    (CreationPolicy attribute), and CloudFormation creates resources in
    parallel unless DependsOn orders them (DependsOn attribute), so without
    DependsOn the WaitCondition's Timeout runs before the job exists and the
    grace is not kept. It must wait for one signal: the provider sends one,
    and the ResourceSignal's Count is "the number of success signals that
    CloudFormation must receive before it sets the resource status as
    CREATE_COMPLETE", default 1 (CreationPolicy attribute). Checked by the
    handler before it starts a job and by the cfn-lint rule; the constructs
    write a WaitCondition that keeps it.
    """
    condition = resources.get(wait_condition)
    policy = condition.get("CreationPolicy") if isinstance(condition, Mapping) else None
    signal = policy.get("ResourceSignal") if isinstance(policy, Mapping) else None
    if not isinstance(signal, Mapping) or condition.get("Type") != WAIT_CONDITION_TYPE:  # type: ignore[union-attr]
        return [Violation("WaitCondition", (
            f"must be the logical ID of an {WAIT_CONDITION_TYPE} of this template with a CreationPolicy "
            f"(ResourceSignal), got {show(wait_condition)}"))]
    violations = []
    count = signal.get("Count", 1)
    if not isinstance(count, Mapping) and str(count) != "1":  # a Count given by Ref is not judged
        violations.append(Violation("WaitCondition", (
            f"{clip(wait_condition)}'s ResourceSignal Count must be 1 (the provider signals once), got {show(count)}")))
    timeout = signal.get("Timeout", "PT5M")  # the CreationPolicy's default
    seconds, shortest = duration_seconds(timeout), shortest_signal_timeout(wait_minutes)
    # A CreationPolicy may take a parameter by Ref (a ResourceSignal's Count: {"Ref": ...} deploys:
    # cdklabs/decdk#360); the template read does not resolve it, so such a Timeout is not judged.
    given_by_function = isinstance(timeout, Mapping)
    if not given_by_function and (seconds is None or not shortest <= seconds <= MAX_WAIT_CONDITION_SECONDS):
        violations.append(Violation("WaitCondition", (
            f"{clip(wait_condition)}'s Timeout must be WaitTimeoutMinutes + 10 minutes "
            f"(PT{shortest // 60}M for {wait_minutes}) to PT{MAX_WAIT_CONDITION_SECONDS // 3600}H, "
            f"got {show(timeout)}")))
    if not created_after(wait_condition, job_logical_id, resources):
        violations.append(Violation("WaitCondition", (
            f"{clip(wait_condition)} must have DependsOn: {clip(job_logical_id)} (its Timeout starts when "
            "CloudFormation starts creating it)")))
    return violations


def resource_violations(
    shape: Member,
    params: Mapping[str, Any],
    account: Any,
    region: Any,
    is_unresolved: Callable[[Any], bool] = never_unresolved,
) -> list[Violation]:
    """Every rule a resource of type ``shape`` must keep, at synth and in the handler alike.

    ``params`` are typed (``coercion.coerce`` reads CloudFormation's strings
    first); ``validate`` (which includes the wait rules), then
    ``placement_violations`` (the job's account and Region). Unknown values
    (None, or tokens at synth) are not compared.
    """
    return [*validate(shape, params, is_unresolved),
            *placement_violations(params, account, region, is_unresolved)]
