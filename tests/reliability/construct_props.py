"""BackupJob's and CopyJob's props as the synth fuzz sees them: the Python types each takes,
a valid set to start from, and how a case is judged.

The types are written out here rather than taken from the constructs, so the
oracle does not share a mistake with the code it checks.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from aws_cdk import App, Stack, aws_iam as iam

from cdk_backup_jobs import BackupJob, CopyJob, JobLifecycle, JobValidationError

TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
RECOVERY_POINT_ARN = "arn:aws:backup:us-east-1:123456789012:recovery-point:0f3c6d1e-1b2c-4d5e-8f90-0a1b2c3d4e5f"
COPY_VAULT_ARN = "arn:aws:backup:us-east-1:123456789012:backup-vault:copy-vault"
STACK, JOB = "Fuzz", "Job"
PATH = f"{STACK}/{JOB}"


@dataclass(frozen=True)
class Prop:
    """One prop and the Python types it takes (beyond those, a str-typed prop takes tokens,
    which are strings too; role, Duration, JobLifecycle, RunOn and construct props take
    none of the plain values the fuzz draws)."""

    name: str
    types: tuple[type, ...] = ()
    required: bool = False
    alone: tuple[str, ...] = ()
    """Props left out of the valid set when this one is given (CopyJob's source replaces two)."""

    def takes(self, value: Any) -> bool:
        """Whether ``value`` is of a type this prop takes; None means "not given"."""
        if value is None:
            return not self.required
        return isinstance(value, self.types)


LIFECYCLE_FIELDS = ("move_to_cold_storage_after", "delete_after", "opt_in_to_archive_for_supported_resources")
"""JobLifecycle's fields, fuzzed as the props ``lifecycle.<field>``."""

BACKUP_JOB_PROPS = (
    Prop("backup_vault", (str,), required=True), Prop("resource_arn", (str,), required=True),
    Prop("role", required=True), Prop("idempotency_token", (str,)), Prop("start_window"),
    Prop("complete_window"), Prop("lifecycle"), Prop("recovery_point_tags", (dict,)),
    Prop("backup_options", (dict,)), Prop("index", (str,)), Prop("logically_air_gapped_backup_vault_arn", (str,)),
    Prop("wait_for_completion", (bool,)), Prop("timeout"), Prop("run_on"), Prop("stop_on_delete", (bool,)),
    Prop("protects"), Prop("skip_final_backup", (bool,)), Prop("provider"), Prop("lifecycle.move_to_cold_storage_after"),
    Prop("lifecycle.delete_after"),
    Prop("lifecycle.opt_in_to_archive_for_supported_resources", (bool,)),
)
COPY_JOB_PROPS = (
    Prop("destination_backup_vault", (str,), required=True), Prop("role", required=True),
    Prop("source", alone=("recovery_point_arn", "source_backup_vault")), Prop("recovery_point_arn", (str,)),
    Prop("source_backup_vault", (str,)), Prop("lifecycle"), Prop("idempotency_token", (str,)),
    Prop("wait_for_completion", (bool,)), Prop("timeout"), Prop("run_on"), Prop("provider"),
    Prop("lifecycle.move_to_cold_storage_after"), Prop("lifecycle.delete_after"),
    Prop("lifecycle.opt_in_to_archive_for_supported_resources", (bool,)),
)
PROPS = {"BackupJob": BACKUP_JOB_PROPS, "CopyJob": COPY_JOB_PROPS}


def build(construct: str, props: dict[str, Any], drop: tuple[str, ...] = ()) -> None:
    """One construct in a fresh stack: a valid minimal set, overridden by ``props``.

    ``lifecycle.<field>`` props become a JobLifecycle with that field.
    """
    stack = Stack(App(), STACK)
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    valid: dict[str, Any] = (
        {"backup_vault": "primary-vault", "resource_arn": TABLE_ARN, "role": role} if construct == "BackupJob"
        else {"destination_backup_vault": COPY_VAULT_ARN, "role": role, "recovery_point_arn": RECOVERY_POINT_ARN,
              "source_backup_vault": "primary-vault"})
    fields = {name.split(".", 1)[1]: value for name, value in props.items() if name.startswith("lifecycle.")}
    given = {name: value for name, value in props.items() if not name.startswith("lifecycle.")}
    if fields:
        given["lifecycle"] = JobLifecycle(**fields)
    kwargs = {name: value for name, value in {**valid, **given}.items() if name not in drop}
    (BackupJob if construct == "BackupJob" else CopyJob)(stack, JOB, **kwargs)


def judge(run: Callable[[], None], wrong_prop: str | None) -> tuple[str, str | None]:
    """Run one case: ("accepted" | "refused", the problem or None).

    A JobValidationError must name the construct, and the wrong-typed prop if
    there is one; a wrong type must never be accepted; any other exception
    (AttributeError, TypeError, a jsii error) is a problem, reported with where
    in the construct package it was raised.
    """
    try:
        run()
    except JobValidationError as error:
        message = str(error)
        if PATH not in message:
            return "refused", f"the JobValidationError does not name {PATH}: {message[:200]}"
        if wrong_prop is not None and not names(message, wrong_prop):
            return "refused", f"the JobValidationError does not name {wrong_prop}: {message[:200]}"
        return "refused", None
    except Exception as error:  # noqa: BLE001 - any other exception is what this oracle reports
        return "crashed", f"{type(error).__name__} at {raised_at(error)}: {str(error)[:120]}"
    if wrong_prop is not None:
        return "accepted", f"{wrong_prop} of the wrong type was accepted"
    return "accepted", None


@dataclass
class SynthTally:
    """What one synth fuzz saw: each outcome counted, each distinct problem kept for its report row."""

    counts: dict[str, int] = field(default_factory=lambda: {"accepted": 0, "refused": 0, "crashed": 0})
    problems: set[str] = field(default_factory=set)

    def judge(self, run: Callable[[], None], wrong_prop: str | None, key: str = "", detail: Any = None) -> None:
        """``judge`` one case, count it, and fail the example on a problem.

        ``key`` prefixes the problem where it is kept (distinct problems are the failures
        reported); ``detail`` is what the assertion shows about the case.
        """
        outcome, problem = judge(run, wrong_prop)
        self.counts[outcome] += 1
        if problem:
            self.problems.add(f"{key}: {problem}" if key else problem)
        assert problem is None, (detail, problem)

    @property
    def cases(self) -> int:
        return sum(self.counts.values())


def names(message: str, prop: str) -> bool:
    """Whether ``message`` names ``prop`` as a word (``backup_vault``, not ``source_backup_vault``)."""
    return re.search(rf"(?<![\w.]){re.escape(prop)}(?!\w)", message) is not None


def raised_at(error: BaseException) -> str:
    """The innermost frame in the construct package (where a fix belongs), else the innermost."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "cdk_backup_jobs" in f.filename] or frames
    frame = ours[-1]
    return f"{frame.filename.rsplit('cdk_backup_jobs/', 1)[-1]}:{frame.lineno} ({frame.name})"
