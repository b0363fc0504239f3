"""What each CloudFormation request does to AWS Backup: the logic, with the client injected.

Create validates the properties, then starts exactly one job with a token
derived from the request, so a duplicated delivery finds the same job. A job
that waits is checked once at once and then, if still running, at every poll
until it completes, fails or passes its deadline. Update starts a new job only
when the job's API members or its RunToken changed; an Update that turns on
waiting waits for the job the resource already has. Delete keeps the job and
its recovery point and, if asked, stops a backup job still running; only a
final backup (RunOnDelete) starts a job on Delete.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

from cdk_backup_jobs_runtime import coercion, rules, shapes
from cdk_backup_jobs_runtime import backup_service as service
from cdk_backup_jobs_runtime.request import CustomResourceRequest, derived_idempotency_token
from cdk_backup_jobs_runtime.structured_log import StructuredLogger

log = StructuredLogger()

WAIT_DEADLINE = "WaitDeadline"  # kept in Data between polls (crhelper carries it), removed at the end
RESOURCE_ID = "ResourcePhysicalId"  # likewise: a final backup answers with its own ID, not the job's
ACTIVE_STATES = frozenset({"CREATED", "PENDING", "RUNNING"})
UNFINISHED_STATES = ACTIVE_STATES | {"ABORTING"}
"""States a waited job can still leave: an ABORTING job is waited for until it is ABORTED."""
DEFAULT_WAIT_MINUTES = shapes.MAX_WAIT_MINUTES
ARMED_FINAL_BACKUP_DATA: Mapping[str, str] = MappingProxyType(
    {"BackupJobId": "", "RecoveryPointArn": "", "CreationDate": "", "IsParent": "false"})
"""A final backup's attributes until its Delete runs the backup: nothing has run yet."""


class ProviderError(Exception):
    """A request the provider cannot carry out; the message becomes the FAILED reason."""

    physical_resource_id: str | None = None


class UnsupportedResourceType(ProviderError):
    """The event names a resource type this provider does not handle."""


class InvalidProperties(ProviderError):
    """The resource properties break the rules; no job was started."""


class BackupServiceError(ProviderError):
    """AWS Backup refused or could not answer the call; ``service_time`` is when (AWS's clock if it answered)."""

    def __init__(self, message: str, service_time: float | None = None) -> None:
        super().__init__(message)
        self.service_time = service_time if service_time is not None else time.time()


class JobDidNotComplete(ProviderError):
    """A waited job ended other than COMPLETED, or outlasted its wait; the physical ID is the job."""

    def __init__(self, message: str, job_id: str) -> None:
        super().__init__(message)
        self.physical_resource_id = job_id


@dataclass(frozen=True)
class JobType:
    """How one custom resource type maps onto the AWS Backup API."""

    resource_type: str
    noun: str
    shape: shapes.Member
    api_shape: shapes.Member
    id_attribute: str
    start: Callable[[Any, Mapping[str, Any]], dict[str, Any]]
    describe: Callable[[Any, str], dict[str, Any]]
    attributes: Callable[[Mapping[str, Any]], dict[str, str]]
    finished_attributes: Callable[[Mapping[str, Any]], dict[str, str]]


BACKUP_JOB = JobType(
    "Custom::BackupJob", "Backup job", shapes.BACKUP_JOB_RESOURCE, shapes.START_BACKUP_JOB, "BackupJobId",
    service.start_backup_job, service.describe_backup_job,
    service.backup_job_attributes, service.finished_backup_job_attributes,
)
COPY_JOB = JobType(
    "Custom::CopyJob", "Copy job", shapes.COPY_JOB_RESOURCE, shapes.START_COPY_JOB, "CopyJobId",
    service.start_copy_job, service.describe_copy_job,
    service.copy_job_attributes, service.finished_copy_job_attributes,
)
JOB_TYPES: Mapping[str, JobType] = {t.resource_type: t for t in (BACKUP_JOB, COPY_JOB)}


@dataclass(frozen=True)
class JobSpec:
    """A resource's properties, read: the API call and how the provider treats the job."""

    params: dict[str, Any]
    wait: bool = False
    wait_minutes: int = DEFAULT_WAIT_MINUTES
    run_token: str | None = None
    stop_on_delete: bool = False
    run_on_delete: bool = False
    protected_logical_id: str | None = None
    skip_final_backup: bool = False


@dataclass(frozen=True)
class Outcome:
    """What to answer CloudFormation, or that the job is still being waited for."""

    physical_resource_id: str
    data: Mapping[str, str]
    waiting: bool = False
    progress: Mapping[str, Any] = field(default_factory=dict)


ClientFactory = Callable[[], Any]


def job_type_for(request: CustomResourceRequest) -> JobType:
    try:
        return JOB_TYPES[request.resource_type]
    except KeyError:
        supported = " or ".join(JOB_TYPES)
        raise UnsupportedResourceType(
            f"ResourceType {request.resource_type!r} is not supported: use {supported}"
        ) from None


def job_spec(job_type: JobType, properties: Mapping[str, Any]) -> JobSpec:
    """The resource properties, converted from CloudFormation's strings and checked."""
    try:
        values = coercion.coerce(job_type.shape, properties)
    except rules.InvalidJobInput as error:
        raise InvalidProperties(f"Invalid {job_type.resource_type} properties: {error}") from None
    violations = rules.validate(job_type.shape, values)
    if violations:
        raise InvalidProperties(
            f"Invalid {job_type.resource_type} properties: {rules.summarize(violations)}"
        )
    api_members = {m.name for m in job_type.api_shape.members}
    return JobSpec(
        params={k: v for k, v in values.items() if k in api_members},
        wait=bool(values.get("WaitForCompletion", False)),
        wait_minutes=int(values.get("WaitTimeoutMinutes", DEFAULT_WAIT_MINUTES)),
        run_token=values.get("RunToken"),
        stop_on_delete=bool(values.get("StopOnDelete", False)),
        run_on_delete=bool(values.get("RunOnDelete", False)),
        protected_logical_id=values.get("ProtectedLogicalId"),
        skip_final_backup=bool(values.get("SkipFinalBackup", False)),
    )


def placed_job_spec(job_type: JobType, request: CustomResourceRequest) -> JobSpec:
    """``job_spec`` of the request's properties, also checked against where the stack is."""
    spec = job_spec(job_type, request.properties)
    violations = rules.placement_violations(spec.params, request.account, request.region)
    if violations:
        raise InvalidProperties(f"Invalid {job_type.resource_type} properties: {rules.summarize(violations)}")
    return spec


def create(request: CustomResourceRequest, backup_client: ClientFactory) -> Outcome:
    job_type = job_type_for(request)
    spec = placed_job_spec(job_type, request)
    if spec.run_on_delete:
        # A final backup waits for the resource's deletion: a stable physical
        # ID, so later property changes are updates in place, never replacements.
        log.info("Final backup armed; it runs when the resource is deleted")
        return Outcome(final_backup_id(request), ARMED_FINAL_BACKUP_DATA)
    return start_job(job_type, spec, request, backup_client)


def final_backup_id(request: CustomResourceRequest) -> str:
    return f"final-backup-{request.stack_name}-{request.logical_resource_id}"[:1024]


def start_job(job_type: JobType, spec: JobSpec, request: CustomResourceRequest,
              backup_client: ClientFactory, physical_id: str | None = None) -> Outcome:
    """Start one job (the token makes a repeated request find it) and wait if asked.

    ``physical_id`` keeps the resource's own ID (a final backup) instead of the job's.
    """
    params = {"IdempotencyToken": derived_idempotency_token(request), **spec.params}
    missing = service.unknown_members(backup_client(), job_type.api_shape.name, params)
    if missing:
        raise BackupServiceError(
            f"The Lambda runtime's botocore {service.botocore_version()} does not know "
            f"{', '.join(missing)} of {job_type.api_shape.name}; it needs a newer runtime SDK "
            "(see docs/bundling.md)")
    answer = _call(job_type.api_shape.name, lambda: job_type.start(backup_client(), params))
    data = job_type.attributes(answer)
    job_id = data[job_type.id_attribute]
    log.info(f"{job_type.noun} started", job_id=job_id, waits=spec.wait)
    if not spec.wait:
        return Outcome(physical_id or job_id, data)
    # The wait is measured in the service's time, from the job's creation.
    deadline = service.epoch(answer.get("CreationDate")) + spec.wait_minutes * 60
    waiting = {**data, WAIT_DEADLINE: f"{deadline:.3f}"}
    if physical_id:
        waiting[RESOURCE_ID] = physical_id
    return check_job(job_type, backup_client, job_id, waiting)


def poll(request: CustomResourceRequest, backup_client: ClientFactory, data: Mapping[str, str]) -> Outcome:
    """One scheduled check of a waited job (crhelper's poll_create, poll_update and poll_delete)."""
    job_type = job_type_for(request)
    return check_job(job_type, backup_client, data[job_type.id_attribute], data)


def _still_waiting_after(error: BackupServiceError, job_type: JobType, job_id: str,
                         data: Mapping[str, str]) -> Outcome:
    """A Describe that failed (throttled past botocore's retries, say) is no verdict on the job:
    poll again until the deadline, then fail naming the job, so that it can still be found and
    stopped and no polling rule outlives the resource."""
    physical_id = data.get(RESOURCE_ID, job_id)
    if error.service_time >= float(data.get(WAIT_DEADLINE, "0")):
        raise JobDidNotComplete(f"Timed out waiting for {job_type.noun.lower()} {job_id}: {error}", physical_id)
    log.warning("Could not check the job; trying again at the next poll", job_id=job_id, reason=str(error))
    return Outcome(physical_id, data, waiting=True)


def check_job(job_type: JobType, backup_client: ClientFactory, job_id: str,
              data: Mapping[str, str]) -> Outcome:
    """Done, failed, timed out, or still waiting: decided from one Describe call."""
    try:
        job = _describe(job_type, backup_client, job_id)
    except BackupServiceError as error:
        return _still_waiting_after(error, job_type, job_id, data)
    return judge_job(job_type, job, job_id, data)


def judge_job(job_type: JobType, job: Mapping[str, Any], job_id: str, data: Mapping[str, str]) -> Outcome:
    """A described job's verdict against the deadline that ``data`` carries."""
    progress = service.progress(job)
    state = str(job.get("State"))
    log.info(f"{job_type.noun} progress", job_id=job_id, **progress)
    physical_id = data.get(RESOURCE_ID, job_id)
    if state == "COMPLETED":
        final = {k: v for k, v in data.items() if k not in (WAIT_DEADLINE, RESOURCE_ID)}
        return Outcome(physical_id, {**final, **job_type.finished_attributes(job)}, progress=progress)
    if state not in UNFINISHED_STATES:
        message = job.get("StatusMessage") or "no status message"
        raise JobDidNotComplete(f"{job_type.noun} {job_id} ended {state}: {message}", physical_id)
    deadline = float(data.get(WAIT_DEADLINE, "0"))
    if service.service_time(job) >= deadline:
        raise JobDidNotComplete(
            f"Timed out waiting for {job_type.noun.lower()} {job_id}: last state {state}, "
            f"{job.get('PercentDone') or '0.0'}% done", physical_id)
    return Outcome(physical_id, data, waiting=True, progress=progress)


def _describe(job_type: JobType, backup_client: ClientFactory, job_id: str) -> dict[str, Any]:
    describe = f"Describe{job_type.api_shape.name.removeprefix('Start')}"
    job: dict[str, Any] = _call(describe, lambda: job_type.describe(backup_client(), job_id))
    return job


def wait_for_existing_job(job_type: JobType, spec: JobSpec, backup_client: ClientFactory,
                          job_id: str) -> Outcome:
    """An Update that turns on waiting (or keeps it on) for the job the resource already has.

    The job is not started again, but the resource must not be answered before
    the job COMPLETED: a copy chained to its recovery point would get none.
    The wait runs from this update, in the service's time.
    """
    job = _describe(job_type, backup_client, job_id)
    deadline = service.service_time(job) + spec.wait_minutes * 60
    data = {**job_type.attributes(job), WAIT_DEADLINE: f"{deadline:.3f}"}
    return judge_job(job_type, job, job_id, data)


def update(request: CustomResourceRequest, backup_client: ClientFactory,
           stack_client: ClientFactory | None = None) -> Outcome:
    job_type = job_type_for(request)
    try:
        spec = placed_job_spec(job_type, request)
    except InvalidProperties:
        # Properties applied before may break a rule added since; a rollback must still answer.
        if _rolling_back(stack_client, request):
            return _kept_in_rollback(job_type, request, backup_client)
        raise
    if spec.run_on_delete:
        return _update_final_backup(job_type, spec, request, backup_client, stack_client)
    if request.physical_resource_id and _same_job(job_type, request.old_properties, spec):
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
        and "ROLLBACK" in _stack_status(stack_client(), request)


def _kept_in_rollback(job_type: JobType, request: CustomResourceRequest, backup_client: ClientFactory) -> Outcome:
    """A rollback's answer: the resource keeps what it has.

    CloudFormation undoing a failed update sends the previous properties back
    as an Update. A job cannot be undone, and starting one more would back up
    again what nobody asked for.
    """
    physical_id = str(request.physical_resource_id)
    log.info("Stack rolling back: no job started; the resource keeps its job", physical_resource_id=physical_id)
    if physical_id == final_backup_id(request):
        return Outcome(physical_id, ARMED_FINAL_BACKUP_DATA)
    return current_job(job_type, backup_client, physical_id, must_answer=True)


def current_job(job_type: JobType, backup_client: ClientFactory, job_id: str,
                must_answer: bool = False) -> Outcome:
    """The resource's existing job and its attributes, without starting anything.

    ``must_answer`` (a rollback, which must not fail): a job that cannot be
    described is answered with its ID and empty attributes, and a warning.
    """
    try:
        job = _describe(job_type, backup_client, job_id)
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
    physical_id = request.physical_resource_id or final_backup_id(request)
    old_arn = _previous_final_backup_arn(request.old_properties)
    replaced = old_arn is not None and old_arn != spec.params.get("ResourceArn")
    rolling_back = _rolling_back(stack_client, request)
    if replaced and not spec.skip_final_backup and not rolling_back:
        log.info("Protected resource replaced: final backup of the old one", resource_arn=old_arn)
        old = JobSpec({**spec.params, "ResourceArn": old_arn}, wait=True, wait_minutes=spec.wait_minutes)
        return start_job(job_type, old, request, backup_client, physical_id)
    return Outcome(physical_id, ARMED_FINAL_BACKUP_DATA)


def _previous_final_backup_arn(properties: Mapping[str, Any] | None) -> str | None:
    """The resource the previous properties armed a final backup for.

    Read as they were, not validated: properties deployed before a rule was
    added may break it, and the old resource must be backed up all the same.
    """
    if not properties or not _asks_for_final_backup(properties):
        return None
    arn = properties.get("ResourceArn")
    return arn if isinstance(arn, str) and arn else None


def _stack_status(stack_client: Any, request: CustomResourceRequest) -> str:
    """The stack's status ("" if it cannot be read)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(stack_client.describe_stacks(StackName=request.stack_id)["Stacks"][0]["StackStatus"])
    except (BotoCoreError, ClientError, KeyError, IndexError) as error:
        log.warning("Could not read the stack's status", reason=str(error)[:200])
        return ""


def delete(request: CustomResourceRequest, backup_client: ClientFactory,
           stack_client: ClientFactory | None = None) -> Outcome:
    """Keep the job and its recovery point; stop a running backup job if StopOnDelete is set.

    A final backup (RunOnDelete) starts its backup now, waited, when the
    protected resource is being deleted too (see ``protected_resource_goes``).
    """
    physical_id = request.physical_resource_id or request.logical_resource_id
    if request.resource_type != BACKUP_JOB.resource_type:
        return Outcome(physical_id, {})
    try:
        spec = job_spec(BACKUP_JOB, request.properties)
    except InvalidProperties:
        if _asks_for_final_backup(request.properties) and not _rolling_back(stack_client, request):
            raise  # an armed final backup that cannot run must not pass silently: the data would be lost
        # A resource that never started or armed anything (a rollback deletes
        # what a Create that failed on these very properties answered), or one
        # that never asked for a final backup: nothing to do, and nothing may fail.
        return Outcome(physical_id, {})
    if spec.run_on_delete:
        if spec.skip_final_backup:
            log.warning("Final backup skipped (SkipFinalBackup)", resource_arn=spec.params.get("ResourceArn"))
            return Outcome(physical_id, {})
        if stack_client is not None and not protected_resource_goes(stack_client(), request, spec):
            log.info("Final backup not needed: the protected resource stays",
                     protected_logical_id=spec.protected_logical_id)
            return Outcome(physical_id, {})
        log.info("Final backup of a resource being deleted", resource_arn=spec.params.get("ResourceArn"))
        return start_job(BACKUP_JOB, JobSpec(spec.params, wait=True, wait_minutes=spec.wait_minutes),
                         request, backup_client, physical_id)
    if spec.stop_on_delete:
        _stop_if_running(backup_client, physical_id)
    return Outcome(physical_id, {})


def _asks_for_final_backup(properties: Mapping[str, Any]) -> bool:
    return str(properties.get("RunOnDelete", "")).strip().lower() == "true"


def protected_resource_goes(stack_client: Any, request: CustomResourceRequest, spec: JobSpec) -> bool:
    """Whether this Delete comes with the deletion of the protected resource.

    - stack deletion: yes, unless the template retains it (DeletionPolicy Retain);
    - rollback of a create or an update: no (the resource was just made, or stays);
    - clean-up after an update: only if the protected logical ID left the template;
    - anything unknown (no permission, no ProtectedLogicalId): yes, as losing data costs more.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        status = _stack_status(stack_client, request)
        if not status:
            return True
        if "ROLLBACK" in status:
            return False
        if not spec.protected_logical_id:
            return True
        if status == "DELETE_IN_PROGRESS":
            protected = _stack_resources(stack_client, request).get(spec.protected_logical_id, {})
            return protected.get("DeletionPolicy") not in RETAINED_ON_STACK_DELETE
        if status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":
            return spec.protected_logical_id not in _stack_resources(stack_client, request)
    except (BotoCoreError, ClientError, KeyError, IndexError, ValueError, AttributeError) as error:
        log.warning("Could not read the stack's state; backing up to be safe", reason=str(error)[:200])
    return True


RETAINED_ON_STACK_DELETE = frozenset({"Retain", "RetainExceptOnCreate"})


def _stack_resources(stack_client: Any, request: CustomResourceRequest) -> dict[str, Any]:
    """The Resources of the stack's current template."""
    template = stack_client.get_template(StackName=request.stack_id)["TemplateBody"]
    if isinstance(template, str):
        import json

        template = json.loads(template)
    resources: dict[str, Any] = template.get("Resources", {})
    return resources


def _stop_if_running(backup_client: ClientFactory, job_id: str) -> None:
    """Best effort: a stack delete is never blocked by a job that cannot be stopped."""
    try:
        job = _call("DescribeBackupJob", lambda: service.describe_backup_job(backup_client(), job_id))
        if job.get("State") in ACTIVE_STATES:
            _call("StopBackupJob", lambda: service.stop_backup_job(backup_client(), job_id))
            log.info("Stopped backup job on delete (StopOnDelete)", job_id=job_id, state=job.get("State"))
        else:
            log.info("Backup job already finished; nothing to stop", job_id=job_id, state=job.get("State"))
    except BackupServiceError as error:
        log.warning("Could not stop backup job on delete", job_id=job_id, reason=str(error))


def _same_job(job_type: JobType, old_properties: Mapping[str, Any] | None, spec: JobSpec) -> bool:
    if old_properties is None:
        return False
    try:
        old = job_spec(job_type, old_properties)
    except InvalidProperties:
        return False
    return (old.params, old.run_token, old.run_on_delete) == (spec.params, spec.run_token, spec.run_on_delete)


def _call(operation: str, call: Callable[[], Any]) -> Any:
    """Run one AWS Backup call, turning its failures into a readable reason."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return call()
    except ClientError as error:
        details = error.response.get("Error", {})
        code = details.get("Code", "Error")
        message = details.get("Message", "")
        raise BackupServiceError(f"{operation} failed: {code}: {message}".rstrip(": "),
                                 service.service_time(error.response)) from None
    except BotoCoreError as error:
        raise BackupServiceError(f"{operation} failed: {type(error).__name__}: {error}") from None
