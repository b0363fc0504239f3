"""The AWS Backup calls the provider makes, and nothing else.

Every function takes its botocore client as an argument, so the job logic can be
exercised against any endpoint (the local emulator in tests) without patching.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Mapping

# Throttling and 5xx are retried by botocore itself before the handler sees
# them. Retrying Start* is safe because every call carries an IdempotencyToken.
RETRY_CONFIG = {"mode": "standard", "total_max_attempts": 6}
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 20


_session: Any = None


def _botocore_session() -> Any:
    """One botocore session per container.

    Clients come from botocore itself, not boto3: ``import boto3`` also imports
    s3transfer, about 250 ms of a cold start that a provider calling AWS Backup
    never uses. botocore resolves credentials, region, retries and
    ``AWS_ENDPOINT_URL_BACKUP`` exactly as boto3 does (boto3 delegates to it).
    """
    global _session
    if _session is None:
        import botocore.session  # imported here so that a Delete, which calls nothing, never pays for it

        _session = botocore.session.get_session()
    return _session


def _client(service: str) -> Any:
    from botocore.config import Config

    config = Config(
        retries=RETRY_CONFIG,  # type: ignore[arg-type]
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
    )
    return _botocore_session().create_client(service, config=config)


def create_backup_client() -> Any:
    """A Backup client that honours the SDK's endpoint settings (AWS_ENDPOINT_URL_BACKUP)."""
    return _client("backup")


def create_cloudformation_client() -> Any:
    """A CloudFormation client, for a final backup to read its stack's state."""
    return _client("cloudformation")


def start_backup_job(client: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """Start (or, with a token already used, find) a backup job: StartBackupJob's answer."""
    answer: dict[str, Any] = client.start_backup_job(**params)
    return answer


def start_copy_job(client: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """Start (or, with a token already used, find) a copy job: StartCopyJob's answer."""
    answer: dict[str, Any] = client.start_copy_job(**params)
    return answer


def describe_backup_job(client: Any, job_id: str) -> dict[str, Any]:
    """DescribeBackupJob's answer: the job with its State, PercentDone and so on."""
    job: dict[str, Any] = client.describe_backup_job(BackupJobId=job_id)
    return job


def describe_copy_job(client: Any, job_id: str) -> dict[str, Any]:
    """DescribeCopyJob's CopyJob (with the answer's metadata, for the service's time)."""
    answer = client.describe_copy_job(CopyJobId=job_id)
    return {**answer["CopyJob"], "ResponseMetadata": answer.get("ResponseMetadata", {})}


def stop_backup_job(client: Any, job_id: str) -> None:
    client.stop_backup_job(BackupJobId=job_id)


def unknown_members(client: Any, operation: str, params: Mapping[str, Any]) -> list[str]:
    """Members the client's botocore model lacks (a Lambda runtime older than the API).

    botocore would reject them with a bare "Unknown parameter"; the handler
    names them and says what to do instead.
    """
    shape = client.meta.service_model.operation_model(operation).input_shape
    missing = [name for name in params if name not in shape.members]
    lifecycle = params.get("Lifecycle")
    if isinstance(lifecycle, Mapping) and "Lifecycle" in shape.members:
        known = shape.members["Lifecycle"].members
        missing += [f"Lifecycle.{name}" for name in lifecycle if name not in known]
    return missing


def botocore_version() -> str:
    import botocore

    return str(botocore.__version__)


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


def progress(job: Mapping[str, Any]) -> dict[str, Any]:
    """What a poll logs: state, percent done, bytes transferred, status message."""
    return {
        "state": job.get("State"),
        "percent_done": job.get("PercentDone"),
        "bytes_transferred": job.get("BytesTransferred"),
        "status_message": job.get("StatusMessage"),
    }


def service_time(answer: Mapping[str, Any]) -> float:
    """The service's clock, from the Date header of its answer (epoch seconds).

    Deadlines are kept in AWS's time, not the function's, so clock skew in
    the function cannot stretch or cut a wait.
    """
    from email.utils import parsedate_to_datetime  # here: the email package costs ~25 ms of a cold start

    date = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(date).timestamp() if date else time.time()
    except (TypeError, ValueError):
        return time.time()


def epoch(value: Any) -> float:
    """A timestamp from an answer as epoch seconds (now, if it has none)."""
    return value.timestamp() if isinstance(value, datetime) else time.time()


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
