"""The two custom resource types and how each maps onto the AWS Backup API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from cdk_backup_jobs_runtime import backup_service, job_attributes, shapes
from cdk_backup_jobs_runtime.errors import UnsupportedResourceType


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
    job_attributes.backup_job_attributes, job_attributes.finished_backup_job_attributes,
)
COPY_JOB = JobType(
    "Custom::CopyJob", "Copy job", shapes.COPY_JOB_RESOURCE, shapes.START_COPY_JOB, "CopyJobId",
    backup_service.start_copy_job, backup_service.describe_copy_job,
    job_attributes.copy_job_attributes, job_attributes.finished_copy_job_attributes,
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
