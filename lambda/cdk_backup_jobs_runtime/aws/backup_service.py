"""The AWS Backup calls the provider makes, and nothing else.

Every call takes its botocore client (``aws.clients``) as an argument, so the
job logic can be exercised against any endpoint (the local emulator in tests)
without patching. CloudFormation's own calls are in ``stack_state``,
EventBridge's in ``watches.eventbridge``.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from cdk_backup_jobs_runtime.aws import iam_propagation
from cdk_backup_jobs_runtime.aws.service_clock import service_time
from cdk_backup_jobs_runtime.errors import BackupServiceError

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
    deadline is judged on AWS's clock even for a failed call. A call denied
    because a new policy or role is not in effect yet is tried again first
    (``iam_propagation``).
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return iam_propagation.retrying(operation, request)
    except ClientError as error:
        details = error.response.get("Error", {})
        code = details.get("Code", "Error")
        message = details.get("Message", "")
        raise BackupServiceError(f"{operation} failed: {code}: {message}".rstrip(": "),
                                 service_time(error.response), transient(error.response), code) from None
    except BotoCoreError as error:
        from botocore.exceptions import ConnectionError, HTTPClientError

        raise BackupServiceError(f"{operation} failed: {type(error).__name__}: {error}",
                                 transient=isinstance(error, (ConnectionError, HTTPClientError))) from None


def transient(response: Mapping[str, Any]) -> bool:
    """An error answer worth another try: throttled or a server error, by botocore's own standard retry
    conditions (its throttling and transient error codes; HTTP 429 and 5xx)."""
    from botocore.retries.standard import RetryContext, ThrottledRetryableChecker, TransientRetryableChecker

    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    context = RetryContext(attempt_number=1, parsed_response=dict(response))
    return (status in (429, 500, 502, 503, 504) or ThrottledRetryableChecker().is_retryable(context)
            or TransientRetryableChecker().is_retryable(context))
