"""What the provider decides, apart from any AWS call: pure functions of answers already read.

``jobs`` makes the calls and hands their answers here: a described job is
judged against its deadline, an Update is the same job or a new one, a stack
status is a rollback or not, a Delete comes with the protected resource's
deletion or not. Tested without HTTP (tests/test_decisions.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from cdk_backup_jobs_runtime.errors import BackupServiceError, InvalidProperties, JobDidNotComplete
from cdk_backup_jobs_runtime.job_spec import JobSpec, asks_for_final_backup, job_spec
from cdk_backup_jobs_runtime.job_types import JobType
from cdk_backup_jobs_runtime.request import CustomResourceRequest
from cdk_backup_jobs_runtime.service_clock import service_time

WAIT_DEADLINE = "WaitDeadline"  # kept in Data between polls (crhelper carries it), removed at the end
RESOURCE_ID = "ResourcePhysicalId"  # likewise: a final backup answers with its own ID, not the job's
ACTIVE_STATES = frozenset({"CREATED", "PENDING", "RUNNING"})
UNFINISHED_STATES = ACTIVE_STATES | {"ABORTING"}
"""States a waited job can still leave: an ABORTING job is waited for until it is ABORTED."""
RETAINED_ON_STACK_DELETE = frozenset({"Retain", "RetainExceptOnCreate"})
"""DeletionPolicy values that keep a resource when its stack is deleted: nothing to back up then."""


@dataclass(frozen=True)
class Outcome:
    """What to answer CloudFormation, or that the job is still being waited for."""

    physical_resource_id: str
    data: Mapping[str, str]
    waiting: bool = False
    progress: Mapping[str, Any] = field(default_factory=dict)


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
    """A waited job's attributes plus what the polls after this one need: the deadline, the resource's ID."""
    waiting = {**attributes, WAIT_DEADLINE: f"{deadline:.3f}"}
    if physical_id:
        waiting[RESOURCE_ID] = physical_id
    return waiting


def judge_job(job_type: JobType, job: Mapping[str, Any], job_id: str, data: Mapping[str, str]) -> Outcome:
    """A described job's verdict against the deadline that ``data`` carries.

    COMPLETED answers with the finished attributes; any other end state, or
    the deadline passed (on AWS's clock), raises JobDidNotComplete naming the
    state; anything else is still waiting.
    """
    state = str(job.get("State"))
    physical_id = data.get(RESOURCE_ID, job_id)
    if state == "COMPLETED":
        final = {k: v for k, v in data.items() if k not in (WAIT_DEADLINE, RESOURCE_ID)}
        return Outcome(physical_id, {**final, **job_type.finished_attributes(job)}, progress=progress(job))
    if state not in UNFINISHED_STATES:
        message = job.get("StatusMessage") or "no status message"
        raise JobDidNotComplete(f"{job_type.noun} {job_id} ended {state}: {message}", physical_id)
    deadline = float(data.get(WAIT_DEADLINE, "0"))
    if service_time(job) >= deadline:
        raise JobDidNotComplete(
            f"Timed out waiting for {job_type.noun.lower()} {job_id}: last state {state}, "
            f"{job.get('PercentDone') or '0.0'}% done", physical_id)
    return Outcome(physical_id, data, waiting=True, progress=progress(job))


def still_waiting_after(error: BackupServiceError, job_type: JobType, job_id: str,
                        data: Mapping[str, str]) -> Outcome:
    """A Describe that failed (throttled past botocore's retries, say) is no verdict on the job:
    poll again until the deadline, then fail naming the job, so that it can still be found and
    stopped and no polling rule outlives the resource."""
    physical_id = data.get(RESOURCE_ID, job_id)
    if error.service_time >= float(data.get(WAIT_DEADLINE, "0")):
        raise JobDidNotComplete(f"Timed out waiting for {job_type.noun.lower()} {job_id}: {error}", physical_id)
    return Outcome(physical_id, data, waiting=True)


def same_job(job_type: JobType, old_properties: Mapping[str, Any] | None, spec: JobSpec) -> bool:
    """Whether an Update leaves the job as it is: same API members, RunToken and RunOnDelete."""
    if old_properties is None:
        return False
    try:
        old = job_spec(job_type, old_properties)
    except InvalidProperties:
        return False
    return (old.params, old.run_token, old.run_on_delete) == (spec.params, spec.run_token, spec.run_on_delete)


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


def protected_resource_goes(stack_status: str, spec: JobSpec, resources: Mapping[str, Any] | None) -> bool:
    """Whether this Delete comes with the deletion of the protected resource.

    - stack deletion: yes, unless the template retains it (DeletionPolicy Retain);
    - rollback of a create or an update: no (the resource was just made, or stays);
    - clean-up after an update: only if the protected logical ID left the template;
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
    return spec.protected_logical_id not in resources
