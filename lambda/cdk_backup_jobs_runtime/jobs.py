"""What each CloudFormation request does to AWS Backup: the calls, with the clients injected.

Create validates the properties, then starts exactly one job with a token
derived from the request, so a duplicated delivery finds the same job. A job
that waits is checked once at once and then, if still running, at every poll
until it completes, fails or passes its deadline. Update starts a new job only
when the job's API members or its RunToken changed; an Update that turns on
waiting waits for the job the resource already has. Delete keeps the job and
its recovery point and, if asked, stops a backup job still running; only a
final backup (RunOnDelete) starts a job on Delete.

Every decision is a pure function in ``decisions``; this module reads what
they need (``backup_service``, ``stack_state``) and acts on their verdicts.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from cdk_backup_jobs_runtime import backup_service, decisions, stack_state
from cdk_backup_jobs_runtime.decisions import Outcome
from cdk_backup_jobs_runtime.errors import BackupServiceError, InvalidProperties
from cdk_backup_jobs_runtime.job_attributes import ARMED_FINAL_BACKUP
from cdk_backup_jobs_runtime.job_spec import JobSpec, asks_for_final_backup, job_spec, placed_job_spec
from cdk_backup_jobs_runtime.job_types import BACKUP_JOB, JobType, job_type_for
from cdk_backup_jobs_runtime.request import CustomResourceRequest, derived_idempotency_token
from cdk_backup_jobs_runtime.service_clock import epoch, service_time
from cdk_backup_jobs_runtime.structured_log import StructuredLogger

log = StructuredLogger()

ClientFactory = Callable[[], Any]


def create(request: CustomResourceRequest, backup_client: ClientFactory) -> Outcome:
    job_type = job_type_for(request.resource_type)
    spec = placed_job_spec(job_type, request)
    if spec.run_on_delete:
        # A final backup waits for the resource's deletion: a stable physical
        # ID, so later property changes are updates in place, never replacements.
        log.info("Final backup armed; it runs when the resource is deleted")
        return Outcome(decisions.final_backup_id(request), ARMED_FINAL_BACKUP)
    return start_job(job_type, spec, request, backup_client)


def start_job(job_type: JobType, spec: JobSpec, request: CustomResourceRequest,
              backup_client: ClientFactory, physical_id: str | None = None) -> Outcome:
    """Start one job (the token makes a repeated request find it) and wait if asked.

    ``physical_id`` keeps the resource's own ID (a final backup) instead of the job's.
    """
    params = {"IdempotencyToken": derived_idempotency_token(request), **spec.params}
    missing = backup_service.unknown_members(backup_client(), job_type.api_shape.name, params)
    if missing:
        raise BackupServiceError(
            f"The Lambda runtime's botocore {backup_service.botocore_version()} does not know "
            f"{', '.join(missing)} of {job_type.api_shape.name}; it needs a newer runtime SDK "
            "(see docs/bundling.md)")
    answer = backup_service.call(job_type.api_shape.name, lambda: job_type.start(backup_client(), params))
    data = job_type.attributes(answer)
    job_id = data[job_type.id_attribute]
    log.info(f"{job_type.noun} started", job_id=job_id, waits=spec.wait)
    if not spec.wait:
        return Outcome(physical_id or job_id, data)
    # The wait is measured in the service's time, from the job's creation.
    deadline = epoch(answer.get("CreationDate")) + spec.wait_minutes * 60
    return check_job(job_type, backup_client, job_id, decisions.waiting_data(data, deadline, physical_id))


def poll(request: CustomResourceRequest, backup_client: ClientFactory, data: Mapping[str, str]) -> Outcome:
    """One scheduled check of a waited job (crhelper's poll_create, poll_update and poll_delete)."""
    job_type = job_type_for(request.resource_type)
    return check_job(job_type, backup_client, data[job_type.id_attribute], data)


def check_job(job_type: JobType, backup_client: ClientFactory, job_id: str,
              data: Mapping[str, str]) -> Outcome:
    """Done, failed, timed out, or still waiting: decided from one Describe call."""
    try:
        job = describe(job_type, backup_client, job_id)
    except BackupServiceError as error:
        outcome = decisions.still_waiting_after(error, job_type, job_id, data)
        log.warning("Could not check the job; trying again at the next poll", job_id=job_id, reason=str(error))
        return outcome
    log.info(f"{job_type.noun} progress", job_id=job_id, **decisions.progress(job))
    return decisions.judge_job(job_type, job, job_id, data)


def describe(job_type: JobType, backup_client: ClientFactory, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = backup_service.call(job_type.describe_operation,
                                              lambda: job_type.describe(backup_client(), job_id))
    return job


def wait_for_existing_job(job_type: JobType, spec: JobSpec, backup_client: ClientFactory,
                          job_id: str) -> Outcome:
    """An Update that turns on waiting (or keeps it on) for the job the resource already has.

    The job is not started again, but the resource must not be answered before
    the job COMPLETED: a copy chained to its recovery point would get none.
    The wait runs from this update, in the service's time.
    """
    job = describe(job_type, backup_client, job_id)
    deadline = service_time(job) + spec.wait_minutes * 60
    log.info(f"{job_type.noun} progress", job_id=job_id, **decisions.progress(job))
    return decisions.judge_job(job_type, job, job_id, decisions.waiting_data(job_type.attributes(job), deadline))


def update(request: CustomResourceRequest, backup_client: ClientFactory,
           stack_client: ClientFactory | None = None) -> Outcome:
    job_type = job_type_for(request.resource_type)
    try:
        spec = placed_job_spec(job_type, request)
    except InvalidProperties:
        # Properties applied before may break a rule added since; a rollback must still answer.
        if _rolling_back(stack_client, request):
            return _kept_in_rollback(job_type, request, backup_client)
        raise
    if spec.run_on_delete:
        return _update_final_backup(job_type, spec, request, backup_client, stack_client)
    if request.physical_resource_id and decisions.same_job(job_type, request.old_properties, spec):
        # Only properties that do not define the job changed (a new ServiceToken,
        # say): the job stands, so answer with its current attributes, once it
        # has COMPLETED if the resource now waits.
        if spec.wait:
            return wait_for_existing_job(job_type, spec, backup_client, request.physical_resource_id)
        return current_job(job_type, backup_client, request.physical_resource_id)
    if _rolling_back(stack_client, request):
        return _kept_in_rollback(job_type, request, backup_client)
    return create(request, backup_client)


def _rolling_back(stack_client: ClientFactory | None, request: CustomResourceRequest) -> bool:
    """Whether this Update is CloudFormation undoing a failed update (read from the stack's status)."""
    return bool(request.physical_resource_id) and stack_client is not None \
        and decisions.is_rollback(stack_state.stack_status(stack_client(), request.stack_id))


def _kept_in_rollback(job_type: JobType, request: CustomResourceRequest, backup_client: ClientFactory) -> Outcome:
    """A rollback's answer: the resource keeps what it has.

    CloudFormation undoing a failed update sends the previous properties back
    as an Update. A job cannot be undone, and starting one more would back up
    again what nobody asked for.
    """
    physical_id = str(request.physical_resource_id)
    log.info("Stack rolling back: no job started; the resource keeps its job", physical_resource_id=physical_id)
    if physical_id == decisions.final_backup_id(request):
        return Outcome(physical_id, ARMED_FINAL_BACKUP)
    return current_job(job_type, backup_client, physical_id, must_answer=True)


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
                         backup_client: ClientFactory, stack_client: ClientFactory | None) -> Outcome:
    """A final backup's Update: in place; if the protected resource was replaced, back up the old one.

    CloudFormation deletes a replaced resource in the clean-up after this
    update, and this resource's Delete is not called then: the old resource's
    backup must be taken now, while it still exists.
    """
    physical_id = request.physical_resource_id or decisions.final_backup_id(request)
    old_arn = decisions.previous_final_backup_arn(request.old_properties)
    replaced = old_arn is not None and old_arn != spec.params.get("ResourceArn")
    if replaced and not spec.skip_final_backup and not _rolling_back(stack_client, request):
        log.info("Protected resource replaced: final backup of the old one", resource_arn=old_arn)
        old = JobSpec({**spec.params, "ResourceArn": old_arn}, wait=True, wait_minutes=spec.wait_minutes)
        return start_job(job_type, old, request, backup_client, physical_id)
    return Outcome(physical_id, ARMED_FINAL_BACKUP)


def delete(request: CustomResourceRequest, backup_client: ClientFactory,
           stack_client: ClientFactory | None = None) -> Outcome:
    """Keep the job and its recovery point; stop a running backup job if StopOnDelete is set.

    A final backup (RunOnDelete) starts its backup now, waited, when the
    protected resource is being deleted too (``decisions.protected_resource_goes``).
    """
    physical_id = request.physical_resource_id or request.logical_resource_id
    if request.resource_type != BACKUP_JOB.resource_type:
        return Outcome(physical_id, {})
    try:
        spec = job_spec(BACKUP_JOB, request.properties)
    except InvalidProperties:
        if asks_for_final_backup(request.properties) and not _rolling_back(stack_client, request):
            raise  # an armed final backup that cannot run must not pass silently: the data would be lost
        # A resource that never started or armed anything (a rollback deletes
        # what a Create that failed on these very properties answered), or one
        # that never asked for a final backup: nothing to do, and nothing may fail.
        return Outcome(physical_id, {})
    if spec.run_on_delete:
        if spec.skip_final_backup:
            log.warning("Final backup skipped (SkipFinalBackup)", resource_arn=spec.params.get("ResourceArn"))
            return Outcome(physical_id, {})
        if stack_client is not None and not _protected_resource_goes(stack_client(), request, spec):
            log.info("Final backup not needed: the protected resource stays",
                     protected_logical_id=spec.protected_logical_id)
            return Outcome(physical_id, {})
        log.info("Final backup of a resource being deleted", resource_arn=spec.params.get("ResourceArn"))
        return start_job(BACKUP_JOB, JobSpec(spec.params, wait=True, wait_minutes=spec.wait_minutes),
                         request, backup_client, physical_id)
    if spec.stop_on_delete:
        _stop_if_running(backup_client, physical_id)
    return Outcome(physical_id, {})


def _protected_resource_goes(client: Any, request: CustomResourceRequest, spec: JobSpec) -> bool:
    """Reads the stack's status, and its template only when the decision needs it."""
    status = stack_state.stack_status(client, request.stack_id)
    resources = stack_state.stack_resources(client, request.stack_id) \
        if decisions.template_needed(status, spec) else None
    return decisions.protected_resource_goes(status, spec, resources)


def _stop_if_running(backup_client: ClientFactory, job_id: str) -> None:
    """Best effort: a stack delete is never blocked by a job that cannot be stopped."""
    try:
        job = backup_service.call("DescribeBackupJob",
                                  lambda: backup_service.describe_backup_job(backup_client(), job_id))
        if job.get("State") in decisions.ACTIVE_STATES:
            backup_service.call("StopBackupJob", lambda: backup_service.stop_backup_job(backup_client(), job_id))
            log.info("Stopped backup job on delete (StopOnDelete)", job_id=job_id, state=job.get("State"))
        else:
            log.info("Backup job already finished; nothing to stop", job_id=job_id, state=job.get("State"))
    except BackupServiceError as error:
        log.warning("Could not stop backup job on delete", job_id=job_id, reason=str(error))
