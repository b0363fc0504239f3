"""A final backup's Delete: skipped, not needed, resumed from an earlier attempt, or started.

A Delete cannot wait on a WaitCondition, so a final backup waits within its
own request, at most 55 minutes; one that outlasts that leaves its watch's
rule (disabled) as the record that the next delete attempt resumes from.
"""

from __future__ import annotations

from typing import Any

from cdk_backup_jobs_runtime.aws.clients import Clients
from cdk_backup_jobs_runtime.cloudformation import stack_state
from cdk_backup_jobs_runtime.cloudformation.request import CustomResourceRequest
from cdk_backup_jobs_runtime.jobs import decisions
from cdk_backup_jobs_runtime.jobs.decisions import Outcome
from cdk_backup_jobs_runtime.jobs.job_spec import JobSpec
from cdk_backup_jobs_runtime.jobs.job_starts import start_job
from cdk_backup_jobs_runtime.jobs.job_types import BACKUP_JOB, describe
from cdk_backup_jobs_runtime.structured_log import StructuredLogger
from cdk_backup_jobs_runtime.jobs import waits
from cdk_backup_jobs_runtime.watches import eventbridge

log = StructuredLogger()


def final_backup(spec: JobSpec, request: CustomResourceRequest, clients: Clients, physical_id: str) -> Outcome:
    """A final backup's Delete: skipped, not needed, resumed from an earlier attempt, or started."""
    if spec.skip_final_backup:
        log.warning("Final backup skipped (SkipFinalBackup)", resource_arn=spec.params.get("ResourceArn"))
        if clients.events is not None:  # an earlier, failed attempt's watch: no later attempt needs it
            waits.forget(request.stack_id, request.logical_resource_id, clients.events)
        return Outcome(physical_id, {})
    if clients.stack is not None and not _protected_resource_goes(clients.stack(), request, spec):
        log.info("Final backup not needed: the protected resource stays",
                 protected_logical_id=spec.protected_logical_id)
        return Outcome(physical_id, {})
    resumed = _resumed_final_backup(spec, request, clients, physical_id)
    if resumed is not None:
        return resumed
    log.info("Final backup of a resource being deleted", resource_arn=spec.params.get("ResourceArn"))
    return start_job(BACKUP_JOB, JobSpec(spec.params, wait=True, wait_minutes=spec.wait_minutes),
                     request, clients, physical_id)


def _resumed_final_backup(spec: JobSpec, request: CustomResourceRequest, clients: Clients,
                          physical_id: str) -> Outcome | None:
    """The job an earlier delete attempt started, if its watch is still recorded.

    A final backup that outlasted one Delete (55 minutes) failed it, and left
    its watch's rule in place, disabled: the next attempt waits for that same
    job, or succeeds at once if it COMPLETED meanwhile. One that ended
    otherwise is forgotten, and a fresh backup starts.
    """
    if clients.events is None:
        return None
    recorded = eventbridge.recorded(clients.events(), request.stack_id, request.logical_resource_id)
    if recorded is None:
        return None
    job = describe(BACKUP_JOB, clients.backup, recorded.job_id)
    state = str(job.get("State"))
    if state == "COMPLETED":
        eventbridge.disarm(clients.events(), recorded)
        log.info("Final backup of an earlier delete attempt COMPLETED", job_id=recorded.job_id)
        return Outcome(physical_id, BACKUP_JOB.finished_attributes(job))
    if state in decisions.UNFINISHED_STATES:
        log.info("Waiting for the final backup an earlier delete attempt started", job_id=recorded.job_id)
        judged = decisions.judge_from_now(BACKUP_JOB, job, recorded.job_id, spec.wait_minutes, physical_id)
        return waits.watch_response(BACKUP_JOB, request, judged, clients)
    eventbridge.disarm(clients.events(), recorded)
    log.warning(f"The earlier final backup ended {state}; starting a fresh one", job_id=recorded.job_id)
    return None


def _protected_resource_goes(client: Any, request: CustomResourceRequest, spec: JobSpec) -> bool:
    """Reads the stack's status, and its template only when the decision needs it."""
    status = stack_state.stack_status(client, request.stack_id)
    resources = stack_state.stack_resources(client, request.stack_id) \
        if decisions.template_needed(status, spec) else None
    return decisions.protected_resource_goes(status, spec, resources, request.logical_resource_id)
