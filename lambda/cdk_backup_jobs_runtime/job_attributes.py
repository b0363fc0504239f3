"""A job's resource attributes (``Fn::GetAtt``), read from AWS Backup's answers: strings, always present."""

from __future__ import annotations

from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any, Mapping

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
