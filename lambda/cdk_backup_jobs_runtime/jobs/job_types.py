"""The two custom resource types and how each maps onto the AWS Backup API: its calls, and its
resource attributes (``Fn::GetAtt``), read from AWS Backup's answers: strings, always present."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any, Callable, Mapping

from cdk_backup_jobs_runtime.aws import backup_service
from cdk_backup_jobs_runtime.errors import UnsupportedResourceType
from cdk_backup_jobs_runtime.input import shapes

ARMED_FINAL_BACKUP: Mapping[str, str] = MappingProxyType(
    {"BackupJobId": "", "RecoveryPointArn": "", "CreationDate": "", "IsParent": "false"})
"""A final backup's attributes until its Delete runs the backup: nothing has run yet."""


def backup_job_attributes(job: Mapping[str, Any]) -> dict[str, str]:
    """Resource attributes from a StartBackupJob or DescribeBackupJob answer."""
    return {
        "BackupJobId": str(job["BackupJobId"]),
        # StartBackupJob returns it only for EFS and advanced DynamoDB backups;
        # always present (empty when unknown) so Fn::GetAtt never breaks a stack.
        "RecoveryPointArn": str(job.get("RecoveryPointArn") or ""),
        "CreationDate": iso8601(job.get("CreationDate")),
        "IsParent": _flag(job.get("IsParent")),
    }


def copy_job_attributes(job: Mapping[str, Any]) -> dict[str, str]:
    """Resource attributes from a StartCopyJob or DescribeCopyJob answer."""
    return {
        "CopyJobId": str(job["CopyJobId"]),
        "CreationDate": iso8601(job.get("CreationDate")),
        "IsParent": _flag(job.get("IsParent")),
    }


def finished_backup_job_attributes(job: Mapping[str, Any]) -> dict[str, str]:
    """The attributes of a completed backup job: the start ones plus its results."""
    return {**backup_job_attributes(job), **_results(job)}


def finished_copy_job_attributes(job: Mapping[str, Any]) -> dict[str, str]:
    """The attributes of a completed copy job: the start ones plus its results."""
    return {**copy_job_attributes(job), **_results(job),
            "DestinationRecoveryPointArn": str(job.get("DestinationRecoveryPointArn") or "")}


def _results(job: Mapping[str, Any]) -> dict[str, str]:
    return {
        "CompletionDate": iso8601(job.get("CompletionDate")),
        "BackupSizeInBytes": str(job.get("BackupSizeInBytes") or 0),
    }


def iso8601(value: Any) -> str:
    """ISO 8601 in UTC with milliseconds, the precision AWS Backup documents."""
    if not isinstance(value, datetime):
        return ""
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _flag(value: Any) -> str:
    # CloudFormation attributes are strings; keep booleans readable in outputs.
    return "true" if value is True else "false"


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

    @property
    def describe_operation(self) -> str:
        """DescribeBackupJob or DescribeCopyJob, for error messages."""
        return f"Describe{self.api_shape.name.removeprefix('Start')}"


BACKUP_JOB = JobType(
    "Custom::BackupJob", "Backup job", shapes.BACKUP_JOB_RESOURCE, shapes.START_BACKUP_JOB, "BackupJobId",
    backup_service.start_backup_job, backup_service.describe_backup_job,
    backup_job_attributes, finished_backup_job_attributes,
)
COPY_JOB = JobType(
    "Custom::CopyJob", "Copy job", shapes.COPY_JOB_RESOURCE, shapes.START_COPY_JOB, "CopyJobId",
    backup_service.start_copy_job, backup_service.describe_copy_job,
    copy_job_attributes, finished_copy_job_attributes,
)
JOB_TYPES: Mapping[str, JobType] = {t.resource_type: t for t in (BACKUP_JOB, COPY_JOB)}


def job_type_for(resource_type: str) -> JobType:
    """The job type of a request's ResourceType, or UnsupportedResourceType naming both supported ones."""
    try:
        return JOB_TYPES[resource_type]
    except KeyError:
        supported = ", ".join([*JOB_TYPES, shapes.JOB_RESULT_RESOURCE.name])
        raise UnsupportedResourceType(
            f"ResourceType {resource_type!r} is not supported: use {supported}"
        ) from None


def describe(job_type: JobType, backup_client: Callable[[], Any], job_id: str) -> dict[str, Any]:
    """DescribeBackupJob or DescribeCopyJob, its failure a BackupServiceError."""
    job: dict[str, Any] = backup_service.call(job_type.describe_operation,
                                              lambda: job_type.describe(backup_client(), job_id))
    return job
