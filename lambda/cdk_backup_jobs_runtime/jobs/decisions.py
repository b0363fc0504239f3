"""What the provider decides, apart from any AWS call: pure functions of answers already read.

``actions`` makes the calls and hands their answers here: a described job is
judged against its deadline, an Update is the same job or a new one, a stack
status is a rollback or not, a Delete comes with the protected resource's
deletion or not. Tested without HTTP (tests/runtime/jobs/test_decisions.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from cdk_backup_jobs_runtime.aws.service_clock import service_time
from cdk_backup_jobs_runtime.cloudformation.request import CustomResourceRequest
from cdk_backup_jobs_runtime.errors import BackupServiceError, InvalidProperties, JobDidNotComplete
from cdk_backup_jobs_runtime.jobs.job_spec import JobSpec, asks_for_final_backup, job_spec
from cdk_backup_jobs_runtime.jobs.job_types import JobType
from cdk_backup_jobs_runtime.watches.backup_events import JobStateChange

WAIT_DEADLINE = "WaitDeadline"  # in the wait's state that the judges read, never in an outcome's data
RESOURCE_ID = "ResourcePhysicalId"  # likewise: a final backup answers with its own ID, not the job's
BOOKKEEPING = (WAIT_DEADLINE, RESOURCE_ID)
ACTIVE_STATES = frozenset({"CREATED", "PENDING", "RUNNING"})
UNFINISHED_STATES = ACTIVE_STATES | {"ABORTING"}
"""States a waited job can still leave: an ABORTING job is waited for until it is ABORTED."""
ENDED_UNSUCCESSFULLY = frozenset({"FAILED", "ABORTED", "EXPIRED", "PARTIAL"})
STARTED_EARLIER_SECONDS = 60
"""A job the Start call hands back that was created this long before AWS's answer came from an earlier request."""
TOKEN_REFUSALS = frozenset({"InvalidRequestException", "ConflictException", "IdempotentParameterMismatch"})
"""Errors a Start call might refuse a token it has seen with. AWS Backup documents no such refusal (its
references say only "Retrying a successful request with the same idempotency token results in a success
message with no action taken"); InvalidRequestException is its model's error for "something is wrong with
the input", and other AWS APIs refuse a reused token with ConflictException (EBS StartSnapshot) or
IdempotentParameterMismatch (EC2). See docs/behaviour.md#idempotency."""
RETAINED_ON_STACK_DELETE = frozenset({"Retain", "RetainExceptOnCreate"})
"""DeletionPolicy values that keep a resource when its stack is deleted: nothing to back up then."""


@dataclass(frozen=True)
class Outcome:
    """What to answer CloudFormation, or that the job is still being waited for."""

    physical_resource_id: str
    data: Mapping[str, str]
    waiting: bool = False
    progress: Mapping[str, Any] = field(default_factory=dict)
    checked: bool = True
    """False when the Describe failed: still waiting, but no verdict on the job (check again soon)."""
    deadline: float | None = None
    """A job still waited for: when the wait ends (AWS's clock), for the watch that takes it over."""
    checked_at: float | None = None
    """A job still waited for and judged: AWS's time of that verdict (None when the check failed)."""


def progress(job: Mapping[str, Any]) -> dict[str, Any]:
    """What a check of a job logs: state, percent done, bytes transferred, status message."""
    return {
        "state": job.get("State"),
        "percent_done": job.get("PercentDone"),
        "bytes_transferred": job.get("BytesTransferred"),
        "status_message": job.get("StatusMessage"),
    }


def final_backup_id(request: CustomResourceRequest) -> str:
    """A final backup's physical ID: stable, so later property changes are updates in place."""
    return f"final-backup-{request.stack_name}-{request.logical_resource_id}"[:1024]


def waiting_data(attributes: Mapping[str, str], deadline: float, physical_id: str | None = None) -> dict[str, str]:
    """The state a wait is judged on: the job's attributes, the deadline and the resource's ID. The judges
    answer with the attributes alone (``attributes_of``)."""
    waiting = {**attributes, WAIT_DEADLINE: f"{deadline:.3f}"}
    if physical_id:
        waiting[RESOURCE_ID] = physical_id
    return waiting


def attributes_of(data: Mapping[str, str]) -> dict[str, str]:
    """The job's attributes in a wait's state: what an answer carries."""
    return {k: v for k, v in data.items() if k not in BOOKKEEPING}


def started_earlier(answer: Mapping[str, Any]) -> bool:
    """Whether a Start call's answer is a job of an earlier request (its token was used before).

    Only such a job is described (is it still worth keeping?): a Create with
    nothing wrong makes exactly one call.
    """
    created = answer.get("CreationDate")
    return isinstance(created, datetime) and created.timestamp() < service_time(answer) - STARTED_EARLIER_SECONDS


def uses_fixed_token(spec: JobSpec) -> bool:
    """Whether the resource fixes its own IdempotencyToken (which any call, of any stack, may have used)."""
    return "IdempotencyToken" in spec.params


def identity_check_needed(answer: Mapping[str, Any], fixed_token: bool) -> bool:
    """Whether a Start call's job must be described to know it is the one asked for.

    A job created more than a minute before AWS's answer was handed back for a
    token used before, and a fixed token may have started another resource's
    job at any time; a fresh job from a derived token is the request's own
    (only the same request, with the same properties, derives that token).
    """
    return fixed_token or started_earlier(answer)


def not_asked_for(job_type: JobType, params: Mapping[str, Any], job: Mapping[str, Any],
                  not_before: float | None = None) -> list[str]:
    """How a described job differs from what the Start call asked for; empty if it is that job.

    A backup: its resource and vault; a copy: its source recovery point, source vault and destination
    vault; either: created before ``not_before`` (epoch seconds), the earliest time the token could have
    been used, when that is known.
    """
    if job_type.id_attribute == "BackupJobId":
        pairs = [("ResourceArn", job.get("ResourceArn"), params.get("ResourceArn")),
                 ("BackupVaultName", job.get("BackupVaultName"), params.get("BackupVaultName"))]
    else:
        source_vault = str(job.get("SourceBackupVaultArn") or "").rpartition(":")[2]
        pairs = [("RecoveryPointArn", job.get("SourceRecoveryPointArn"), params.get("RecoveryPointArn")),
                 ("SourceBackupVaultName", source_vault, params.get("SourceBackupVaultName")),
                 ("DestinationBackupVaultArn", job.get("DestinationBackupVaultArn"),
                  params.get("DestinationBackupVaultArn"))]
    differences = [f"{member} {got}, not {asked}" for member, got, asked in pairs if got != asked]
    created = job.get("CreationDate")
    if not_before is not None and isinstance(created, datetime) and created.timestamp() < not_before:
        differences.append(f"created {created.isoformat(timespec='seconds')}, before its token could be used")
    return differences


def token_refused(error: BackupServiceError) -> bool:
    """Whether a failed Start call may have refused a token an earlier call used (``TOKEN_REFUSALS``)."""
    return error.code in TOKEN_REFUSALS


def ended_unsuccessfully(job: Mapping[str, Any]) -> bool:
    """A job that ended FAILED, ABORTED, EXPIRED or PARTIAL: never worth waiting for again."""
    return job.get("State") in ENDED_UNSUCCESSFULLY


def judge_job(job_type: JobType, job: Mapping[str, Any], job_id: str, data: Mapping[str, str]) -> Outcome:
    """A described job's verdict against the deadline that ``data`` carries.

    COMPLETED answers with the finished attributes; any other end state, or
    the deadline passed (on AWS's clock), raises JobDidNotComplete naming the
    state; anything else is still waiting.
    """
    state = str(job.get("State"))
    physical_id = data.get(RESOURCE_ID, job_id)
    if state == "COMPLETED":
        return Outcome(physical_id, {**attributes_of(data), **job_type.finished_attributes(job)},
                       progress=progress(job))
    if state not in UNFINISHED_STATES:
        message = job.get("StatusMessage") or "no status message"
        raise JobDidNotComplete(f"{job_type.noun} {job_id} ended {state}: {message}", physical_id,
                                f"ended {state}: {message}")
    deadline = float(data.get(WAIT_DEADLINE, "0"))
    now = service_time(job)
    if now >= deadline:
        percent = job.get("PercentDone") or "0.0"
        raise JobDidNotComplete(
            f"Timed out waiting for {job_type.noun.lower()} {job_id}: last state {state}, {percent}% done",
            physical_id, f"timed out: {state}, {percent}% done", unfinished=True)
    return Outcome(physical_id, attributes_of(data), waiting=True, progress=progress(job), deadline=deadline,
                   checked_at=now)


def judge_state_change(job_type: JobType, change: JobStateChange, job_id: str, data: Mapping[str, str],
                       now: float) -> Outcome:
    """An event's verdict, as ``judge_job`` gives a described job's: the event carries the results.

    ``now`` is the event's time (AWS's clock). A backup's recovery point ARN
    is known from the start for some resources and only from the COMPLETED
    event for others; the one the event names wins.
    """
    physical_id = data.get(RESOURCE_ID, job_id)
    progress = {"state": change.state, "percent_done": change.percent_done or None,
                "bytes_transferred": None, "status_message": change.status_message or None}
    if change.state == "COMPLETED":
        point = "RecoveryPointArn" if job_type.id_attribute == "BackupJobId" else "DestinationRecoveryPointArn"
        final = attributes_of(data)
        results = {"CompletionDate": change.completion_date, "BackupSizeInBytes": change.backup_size_in_bytes or "0",
                   point: change.recovery_point_arn or final.get(point, "")}
        return Outcome(physical_id, {**final, **results}, progress=progress)
    if change.state not in UNFINISHED_STATES:
        message = change.status_message or "no status message"
        raise JobDidNotComplete(f"{job_type.noun} {job_id} ended {change.state}: {message}", physical_id,
                                f"ended {change.state}: {message}")
    deadline = float(data.get(WAIT_DEADLINE, "0"))
    if now >= deadline:
        percent = change.percent_done or "0.0"
        raise JobDidNotComplete(
            f"Timed out waiting for {job_type.noun.lower()} {job_id}: last state {change.state}, {percent}% done",
            physical_id, f"timed out: {change.state}, {percent}% done", unfinished=True)
    return Outcome(physical_id, attributes_of(data), waiting=True, progress=progress, deadline=deadline,
                   checked_at=now)


def still_waiting_after(error: BackupServiceError, job_type: JobType, job_id: str,
                        data: Mapping[str, str], now: float) -> Outcome:
    """A Describe that failed (throttled past botocore's retries, say) is no verdict on the job:
    poll again until the deadline, then fail naming the job, so that it can still be found and
    stopped and no polling rule outlives the resource.

    The deadline is judged on AWS's clock: the error's answer, or, when AWS
    gave none (a dropped connection), ``now``: the time of the event that woke
    the watch (or of the Start call's answer), never the function's own clock.
    """
    physical_id = data.get(RESOURCE_ID, job_id)
    when = error.service_time if error.service_time is not None else now
    deadline = float(data.get(WAIT_DEADLINE, "0"))
    if when >= deadline:
        raise JobDidNotComplete(f"Timed out waiting for {job_type.noun.lower()} {job_id}: {error}", physical_id,
                                f"timed out: {error}", unfinished=True)
    return Outcome(physical_id, attributes_of(data), waiting=True, checked=False, deadline=deadline)


def same_job(job_type: JobType, old_properties: Mapping[str, Any] | None, spec: JobSpec) -> bool:
    """Whether an Update leaves the job as it is: same API members, RunToken and RunOnDelete."""
    if old_properties is None:
        return False
    try:
        old = job_spec(job_type, old_properties)
    except InvalidProperties:
        return False
    return (old.params, old.run_token, old.run_on_delete) == (spec.params, spec.run_token, spec.run_on_delete)


def new_job_on_update(job_type: JobType, old_properties: Mapping[str, Any] | None, spec: JobSpec,
                      physical_id: str | None) -> bool:
    """Whether an Update starts a new job in the resource's place (a new physical ID, so CloudFormation
    then deletes the old resource) rather than keeping the job it has.

    A final backup (RunOnDelete true now) is updated in place, whatever changed; any other resource
    starts a new job when its API members, RunToken or RunOnDelete changed (``same_job``), or when it
    has no job yet (no physical ID).
    """
    if spec.run_on_delete:
        return False
    return not (physical_id and same_job(job_type, old_properties, spec))


def is_rollback(stack_status: str) -> bool:
    """Whether the stack is undoing a failed create or update (its status names a ROLLBACK)."""
    return "ROLLBACK" in stack_status


def previous_final_backup_arn(properties: Mapping[str, Any] | None) -> str | None:
    """The resource the previous properties armed a final backup for.

    Read as they were, not validated: properties deployed before a rule was
    added may break it, and the old resource must be backed up all the same.
    """
    if not properties or not asks_for_final_backup(properties):
        return None
    arn = properties.get("ResourceArn")
    return arn if isinstance(arn, str) and arn else None


def template_needed(stack_status: str, spec: JobSpec) -> bool:
    """Whether ``protected_resource_goes`` needs the stack's template to decide."""
    return bool(spec.protected_logical_id) and stack_status in (
        "DELETE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")


def protected_resource_goes(stack_status: str, spec: JobSpec, resources: Mapping[str, Any] | None,
                            own_logical_id: str = "") -> bool:
    """Whether this Delete comes with the deletion of the protected resource.

    - stack deletion: yes, unless the template retains it (DeletionPolicy Retain);
    - rollback of a create or an update: no (the resource was just made, or stays);
    - clean-up after an update: only if the protected logical ID left the template, read as the new
      one. GetTemplate does not say whether it answers with the new template or the previous one during
      an update (CloudFormation API Reference, GetTemplate), so a template that still holds this
      resource's own logical ID (``own_logical_id``), which is being removed, may be the previous one:
      back up;
    - anything unknown (no status, no template, no ProtectedLogicalId): yes, as losing data costs more.
    """
    if not stack_status:
        return True
    if is_rollback(stack_status):
        return False
    if not template_needed(stack_status, spec) or resources is None:
        return True
    if stack_status == "DELETE_IN_PROGRESS":
        protected = resources.get(str(spec.protected_logical_id))
        return not isinstance(protected, Mapping) or protected.get("DeletionPolicy") not in RETAINED_ON_STACK_DELETE
    if own_logical_id and own_logical_id in resources:
        return True  # maybe the previous template: it cannot tell whether the protected resource stays
    return spec.protected_logical_id not in resources


def judge_from_now(job_type: JobType, job: Mapping[str, Any], job_id: str, wait_minutes: int,
                   physical_id: str | None = None) -> Outcome:
    """A described job waited for from now, AWS's time of its answer, for ``wait_minutes``: a job the
    resource already has (an Update that turns waiting on, a final backup's next delete attempt)."""
    deadline = service_time(job) + wait_minutes * 60
    return judge_job(job_type, job, job_id, waiting_data(job_type.attributes(job), deadline, physical_id))
