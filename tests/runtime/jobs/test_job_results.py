"""A completed job's result is read patiently: a transient failure of its Describe is tried again while
the function has time, and anything else fails at once."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from cdk_backup_jobs_runtime import invocation
from cdk_backup_jobs_runtime.aws.clients import Clients
from cdk_backup_jobs_runtime.errors import BackupServiceError
from cdk_backup_jobs_runtime.jobs import job_results
from cdk_backup_jobs_runtime.jobs.job_types import BACKUP_JOB


@pytest.fixture(autouse=True)
def outside_an_invocation_afterwards() -> Any:
    yield
    invocation.begin(None)


class FlakyBackup:
    """DescribeBackupJob failing with ``error()`` until ``until`` seconds of the fake clock have passed."""

    def __init__(self, clock: list[float], until: float, error: Any) -> None:
        self.clock, self.until, self.error, self.calls = clock, until, error, 0

    def describe_backup_job(self, BackupJobId: str) -> dict[str, Any]:  # noqa: N803 (botocore's spelling)
        self.calls += 1
        self.clock[0] += 15.0  # botocore's own 6 attempts and their backoff, say
        if self.clock[0] < self.until:
            raise self.error()
        return {"BackupJobId": BackupJobId, "State": "COMPLETED"}


def throttled() -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
                        "ResponseMetadata": {"HTTPStatusCode": 400}}, "DescribeBackupJob")


def dropped() -> ConnectionClosedError:
    return ConnectionClosedError(endpoint_url="https://backup.us-east-1.amazonaws.com")


def denied() -> ClientError:
    return ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"},
                        "ResponseMetadata": {"HTTPStatusCode": 403}}, "DescribeBackupJob")


@pytest.mark.parametrize("error", [throttled, dropped])
def test_a_minute_of_throttling_or_dropped_connections_is_outlasted_within_two_minutes(error):
    clock = [0.0]
    backup = FlakyBackup(clock, until=70.0, error=error)  # failing for more than a minute
    invocation.begin(118.0, clock=lambda: clock[0])  # a 2-minute function

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    job = job_results.describe_patiently(BACKUP_JOB, Clients(lambda: backup), "job-1", sleep=sleep,
                                         clock=lambda: clock[0])

    assert job["State"] == "COMPLETED" and backup.calls > 1
    assert clock[0] <= 118.0 - 15.0  # time left to answer CloudFormation


def test_a_failure_that_is_not_transient_or_a_function_out_of_time_fails_at_once():
    clock = [0.0]
    denied_backup = FlakyBackup(clock, until=1e9, error=denied)
    invocation.begin(118.0)
    with pytest.raises(BackupServiceError, match="AccessDeniedException"):
        job_results.describe_patiently(BACKUP_JOB, Clients(lambda: denied_backup), "job-1", sleep=lambda s: None)
    assert denied_backup.calls == 1
    late = FlakyBackup(clock, until=1e9, error=throttled)
    invocation.begin(30.0)
    with pytest.raises(BackupServiceError, match="ThrottlingException"):
        job_results.describe_patiently(BACKUP_JOB, Clients(lambda: late), "job-1", sleep=lambda s: None)
    assert late.calls == 1
