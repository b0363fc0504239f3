"""The AWS Backup calls the provider makes, and the clients they go through.

Every call takes its botocore client as an argument, so the job logic can be
exercised against any endpoint (the local emulator in tests) without patching.
CloudFormation's own calls (a final backup reading its stack) are in
``stack_state``.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from cdk_backup_jobs_runtime.errors import BackupServiceError
from cdk_backup_jobs_runtime.service_clock import service_time

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
    """A CloudFormation client, for ``stack_state`` (a final backup and a rollback read their stack)."""
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


def call(operation: str, request: Callable[[], Any]) -> Any:
    """Run one AWS call, turning its failures into a BackupServiceError with a readable reason.

    The error carries the service's time when AWS answered, so a wait's
    deadline is judged on AWS's clock even for a failed call.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return request()
    except ClientError as error:
        details = error.response.get("Error", {})
        code = details.get("Code", "Error")
        message = details.get("Message", "")
        raise BackupServiceError(f"{operation} failed: {code}: {message}".rstrip(": "),
                                 service_time(error.response)) from None
    except BotoCoreError as error:
        raise BackupServiceError(f"{operation} failed: {type(error).__name__}: {error}") from None
