"""What each CloudFormation request does to AWS Backup: the calls, with the clients injected.

Create validates the properties, then starts exactly one job with a token
derived from the request, so a duplicated delivery finds the same job. A job
that waits for a WaitCondition is watched (``waits``) and the resource
answers at once; one that waits within the request is checked at once and
then watched until it completes, fails or passes its deadline. Update starts a new job only
when the job's API members or its RunToken changed; an Update that turns on
waiting waits for the job the resource already has. Delete keeps the job and
its recovery point and, if asked, stops a backup job still running; only a
final backup (RunOnDelete) starts a job on Delete.

Every decision is a pure function in ``decisions``; this module reads what
they need (``backup_service``, ``stack_state``) and acts on their verdicts.
"""

from __future__ import annotations

from cdk_backup_jobs_runtime.aws import backup_service
from cdk_backup_jobs_runtime.aws.clients import ClientFactory, Clients
from cdk_backup_jobs_runtime.aws.service_clock import service_time
from cdk_backup_jobs_runtime.cloudformation import stack_state
from cdk_backup_jobs_runtime.cloudformation.request import CustomResourceRequest
from cdk_backup_jobs_runtime.errors import BackupServiceError, InvalidProperties
from cdk_backup_jobs_runtime.jobs import decisions, final_backups, job_results
from cdk_backup_jobs_runtime.jobs.decisions import Outcome
from cdk_backup_jobs_runtime.jobs.job_spec import (JobSpec, asks_for_final_backup, asks_to_wait, job_spec,
                                              placed_job_spec)
from cdk_backup_jobs_runtime.jobs.job_starts import start_job
from cdk_backup_jobs_runtime.jobs.job_types import ARMED_FINAL_BACKUP
from cdk_backup_jobs_runtime.jobs.job_types import BACKUP_JOB, JobType, describe, job_type_for
from cdk_backup_jobs_runtime.structured_log import StructuredLogger
from cdk_backup_jobs_runtime.jobs import waits

log = StructuredLogger()



def create(request: CustomResourceRequest, clients: Clients) -> Outcome:
    if request.resource_type == job_results.RESOURCE_TYPE:
        return job_results.job_result(request, clients)
    job_type = job_type_for(request.resource_type)
    spec = placed_job_spec(job_type, request)
    if spec.run_on_delete:
        # A final backup waits for the resource's deletion: a stable physical
        # ID, so later property changes are updates in place, never replacements.
        log.info("Final backup armed; it runs when the resource is deleted")
        return Outcome(decisions.final_backup_id(request), ARMED_FINAL_BACKUP)
    return start_job(job_type, spec, request, clients)


def wait_for_existing_job(job_type: JobType, spec: JobSpec, request: CustomResourceRequest, clients: Clients,
                          job_id: str) -> Outcome:
    """An Update that turns on waiting (or keeps it on) for the job the resource already has.

    The job is not started again, but its waiter must not be answered before
    the job COMPLETED: a copy chained to its recovery point would get none.
    The wait runs from this update, in the service's time.
    """
    job = describe(job_type, clients.backup, job_id)
    now = service_time(job)
    if spec.wait_condition:
        waits.check_wait_condition(request, spec.wait_condition, spec.wait_minutes, clients)
        waits.watch_for_wait_condition(job_type, request, job_id, job_type.attributes(job), now,
                                         spec.wait_minutes, spec.wait_condition, clients, now=now)
        return Outcome(job_id, job_type.attributes(job))
    log.info(f"{job_type.noun} progress", job_id=job_id, **decisions.progress(job))
    return waits.watch_response(job_type, request, decisions.judge_from_now(job_type, job, job_id, spec.wait_minutes),
                                  clients)


def update(request: CustomResourceRequest, clients: Clients) -> Outcome:
    if request.resource_type == job_results.RESOURCE_TYPE:
        return job_results.job_result(request, clients)
    job_type = job_type_for(request.resource_type)
    try:
        spec = placed_job_spec(job_type, request)
    except InvalidProperties:
        # Properties applied before may break a rule added since; a rollback must still answer.
        if _rolling_back(clients, request):
            return _kept_in_rollback(job_type, request, clients)
        raise
    if spec.run_on_delete:
        return _update_final_backup(job_type, spec, request, clients)
    job_id = request.physical_resource_id
    if job_id and not decisions.new_job_on_update(job_type, request.old_properties, spec, job_id):
        # Only properties that do not define the job changed (a new WaitCondition
        # or timeout, say): the job stands, so answer with its
        # current attributes, once it has COMPLETED if the resource now waits.
        if spec.wait and spec.wait_condition and _rolling_back(clients, request):
            return _kept_in_rollback(job_type, request, clients)  # nothing to watch in a rollback
        if spec.wait:
            return wait_for_existing_job(job_type, spec, request, clients, job_id)
        return current_job(job_type, clients.backup, job_id)
    if _rolling_back(clients, request):
        return _kept_in_rollback(job_type, request, clients)
    old_condition = (request.old_properties or {}).get("WaitCondition")
    if spec.wait and spec.wait_condition and old_condition == spec.wait_condition:
        raise InvalidProperties(
            f"Invalid {job_type.resource_type} properties: a new run of a waited job needs a WaitCondition of "
            f"its own (a WaitCondition cannot be updated): give WaitCondition a new logical ID, "
            f"got {spec.wait_condition} again")
    return create(request, clients)


def _rolling_back(clients: Clients, request: CustomResourceRequest) -> bool:
    """Whether this Update is CloudFormation undoing a failed update (read from the stack's status)."""
    return bool(request.physical_resource_id) and clients.stack is not None \
        and decisions.is_rollback(stack_state.stack_status(clients.stack(), request.stack_id))


def _kept_in_rollback(job_type: JobType, request: CustomResourceRequest, clients: Clients) -> Outcome:
    """A rollback's answer: the resource keeps what it has.

    CloudFormation undoing a failed update sends the previous properties back
    as an Update. A job cannot be undone, and starting one more would back up
    again what nobody asked for.
    """
    physical_id = str(request.physical_resource_id)
    log.info("Stack rolling back: no job started; the resource keeps its job", physical_resource_id=physical_id)
    if physical_id == decisions.final_backup_id(request):
        return Outcome(physical_id, ARMED_FINAL_BACKUP)
    return current_job(job_type, clients.backup, physical_id, must_answer=True)


def current_job(job_type: JobType, backup_client: ClientFactory, job_id: str,
                must_answer: bool = False) -> Outcome:
    """The resource's existing job and its attributes, without starting anything.

    ``must_answer`` (a rollback, which must not fail): a job that cannot be
    described is answered with its ID and empty attributes, and a warning.
    """
    try:
        job = describe(job_type, backup_client, job_id)
    except BackupServiceError as error:
        if not must_answer:
            raise
        log.warning("Could not describe the job; answering with its ID only", job_id=job_id, reason=str(error))
        return Outcome(job_id, job_type.attributes({job_type.id_attribute: job_id}))
    finished = job.get("State") == "COMPLETED"
    return Outcome(job_id, (job_type.finished_attributes if finished else job_type.attributes)(job))


def _update_final_backup(job_type: JobType, spec: JobSpec, request: CustomResourceRequest,
                         clients: Clients) -> Outcome:
    """A final backup's Update: in place; if the protected resource was replaced, back up the old one.

    CloudFormation deletes a replaced resource in the clean-up after this
    update, and this resource's Delete is not called then: the old resource's
    backup must be taken now, while it still exists.
    """
    physical_id = request.physical_resource_id or decisions.final_backup_id(request)
    old_arn = decisions.previous_final_backup_arn(request.old_properties)
    replaced = old_arn is not None and old_arn != spec.params.get("ResourceArn")
    if replaced and not spec.skip_final_backup and not _rolling_back(clients, request):
        log.info("Protected resource replaced: final backup of the old one", resource_arn=old_arn)
        old = JobSpec({**spec.params, "ResourceArn": old_arn}, wait=True, wait_minutes=spec.wait_minutes)
        return start_job(job_type, old, request, clients, physical_id)
    return Outcome(physical_id, ARMED_FINAL_BACKUP)


def delete(request: CustomResourceRequest, clients: Clients) -> Outcome:
    """Keep the job and its recovery point; stop a running backup job if StopOnDelete is set.

    A final backup (RunOnDelete) starts its backup now, waited, when the
    protected resource is being deleted too (``decisions.protected_resource_goes``).
    """
    physical_id = request.physical_resource_id or request.logical_resource_id
    if clients.events is not None and asks_to_wait(request.properties):
        # A stack deleted, or rolled back, while its job was watched: the watch goes with it.
        waits.forget(request.stack_id, request.logical_resource_id, clients.events, job_id=physical_id)
    if request.resource_type != BACKUP_JOB.resource_type:
        return Outcome(physical_id, {})
    try:
        spec = job_spec(BACKUP_JOB, request.properties)
    except InvalidProperties:
        if asks_for_final_backup(request.properties) and not _rolling_back(clients, request):
            raise  # an armed final backup that cannot run must not pass silently: the data would be lost
        # A resource that never started or armed anything (a rollback deletes
        # what a Create that failed on these very properties answered), or one
        # that never asked for a final backup: nothing to do, and nothing may fail.
        return Outcome(physical_id, {})
    if spec.run_on_delete:
        return final_backups.final_backup(spec, request, clients, physical_id)
    if spec.stop_on_delete:
        _stop_if_running(clients.backup, physical_id)
    return Outcome(physical_id, {})


def _stop_if_running(backup_client: ClientFactory, job_id: str) -> None:
    """Best effort: a stack delete is never blocked by a job that cannot be stopped."""
    try:
        job = describe(BACKUP_JOB, backup_client, job_id)
        if job.get("State") in decisions.ACTIVE_STATES:
            backup_service.call("StopBackupJob", lambda: backup_service.stop_backup_job(backup_client(), job_id))
            log.info("Stopped backup job on delete (StopOnDelete)", job_id=job_id, state=job.get("State"))
        else:
            log.info("Backup job already finished; nothing to stop", job_id=job_id, state=job.get("State"))
    except BackupServiceError as error:
        log.warning("Could not stop backup job on delete", job_id=job_id, reason=str(error))
