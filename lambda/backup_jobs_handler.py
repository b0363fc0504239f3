"""What each CloudFormation request does to AWS Backup: pure logic, client injected.

Create validates the properties, then starts exactly one job with a token
derived from the request, so a duplicated delivery finds the same job.
Update starts a new job only when the job's properties changed. Delete starts
nothing and keeps the job and its recovery point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import backup_jobs_rules as rules
import backup_jobs_service as service
from backup_jobs_events import CustomResourceRequest, derived_idempotency_token


class ProviderError(Exception):
    """A request the provider cannot carry out; the message becomes the FAILED reason."""


class UnsupportedResourceType(ProviderError):
    """The event names a resource type this provider does not handle."""


class InvalidProperties(ProviderError):
    """The resource properties break the API's rules; no job was started."""


class BackupServiceError(ProviderError):
    """AWS Backup refused or could not answer the call."""


@dataclass(frozen=True)
class JobType:
    """How one custom resource type maps onto the AWS Backup API."""

    resource_type: str
    shape: rules.Member
    id_attribute: str
    start: Callable[[Any, Mapping[str, Any]], dict[str, str]]
    describe: Callable[[Any, str], dict[str, str]]


BACKUP_JOB = JobType(
    "Custom::BackupJob", rules.START_BACKUP_JOB, "BackupJobId",
    service.start_backup_job, service.describe_backup_job,
)
COPY_JOB = JobType(
    "Custom::CopyJob", rules.START_COPY_JOB, "CopyJobId",
    service.start_copy_job, service.describe_copy_job,
)
JOB_TYPES: Mapping[str, JobType] = {t.resource_type: t for t in (BACKUP_JOB, COPY_JOB)}


@dataclass(frozen=True)
class Outcome:
    """What to answer CloudFormation: the physical ID and the attributes."""

    physical_resource_id: str
    data: Mapping[str, str]


ClientFactory = Callable[[], Any]


def job_type_for(request: CustomResourceRequest) -> JobType:
    try:
        return JOB_TYPES[request.resource_type]
    except KeyError:
        supported = " or ".join(JOB_TYPES)
        raise UnsupportedResourceType(
            f"ResourceType {request.resource_type!r} is not supported: use {supported}"
        ) from None


def job_parameters(job_type: JobType, properties: Mapping[str, Any]) -> dict[str, Any]:
    """API parameters from resource properties, checked against every rule."""
    try:
        params = rules.coerce(job_type.shape, properties)
    except rules.InvalidJobInput as error:
        raise InvalidProperties(f"Invalid {job_type.resource_type} properties: {error}") from None
    violations = rules.validate(job_type.shape, params)
    if violations:
        raise InvalidProperties(
            f"Invalid {job_type.resource_type} properties: {rules.summarize(violations)}"
        )
    return params


def create(request: CustomResourceRequest, backup_client: ClientFactory) -> Outcome:
    job_type = job_type_for(request)
    params = job_parameters(job_type, request.properties)
    params.setdefault("IdempotencyToken", derived_idempotency_token(request))
    data = _call(job_type.shape.name, lambda: job_type.start(backup_client(), params))
    return Outcome(data[job_type.id_attribute], data)


def update(request: CustomResourceRequest, backup_client: ClientFactory) -> Outcome:
    job_type = job_type_for(request)
    params = job_parameters(job_type, request.properties)
    if request.physical_resource_id and _same_job(job_type, request.old_properties, params):
        # Only CloudFormation's own properties changed (a new ServiceToken,
        # say): the job stands, so answer with its current attributes.
        job_id = request.physical_resource_id
        describe = f"Describe{job_type.shape.name.removeprefix('Start')}"
        data = _call(describe, lambda: job_type.describe(backup_client(), job_id))
        return Outcome(job_id, data)
    return create(request, backup_client)


def delete(request: CustomResourceRequest) -> Outcome:
    """Deleting the resource keeps the job and its recovery point: nothing to call."""
    return Outcome(request.physical_resource_id or request.logical_resource_id, {})


def _same_job(job_type: JobType, old_properties: Mapping[str, Any] | None,
              params: Mapping[str, Any]) -> bool:
    if old_properties is None:
        return False
    try:
        return rules.coerce(job_type.shape, old_properties) == params
    except rules.InvalidJobInput:
        return False


def _call(operation: str, call: Callable[[], dict[str, str]]) -> dict[str, str]:
    """Run one AWS Backup call, turning its failures into a readable reason."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return call()
    except ClientError as error:
        details = error.response.get("Error", {})
        code = details.get("Code", "Error")
        message = details.get("Message", "")
        raise BackupServiceError(f"{operation} failed: {code}: {message}".rstrip(": ")) from None
    except BotoCoreError as error:
        raise BackupServiceError(f"{operation} failed: {error}") from None
