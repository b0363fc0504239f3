"""The local AWS Backup, through plain boto3 over HTTP: what AWS documents, it does."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from cdk_backup_jobs.testing import BackupEmulator, Fault, JobTiming, ManualClock, backup_server

ROLE = "arn:aws:iam::123456789012:role/backup-role"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
VOLUME = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator(clock: ManualClock) -> BackupEmulator:
    emulator = BackupEmulator(clock=clock, timing=JobTiming(pending_after=60, running_after=120,
                                                            done_after=420))
    emulator.create_vault("primary")
    emulator.create_vault("copies")
    return emulator


@pytest.fixture
def server(emulator: BackupEmulator) -> Iterator[Any]:
    with backup_server(emulator) as running:
        yield running


def client(server: Any, **config: Any) -> Any:
    return boto3.client("backup", endpoint_url=server.endpoint_url,
                        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, **config))


def start(api: Any, **params: Any) -> dict[str, Any]:
    return api.start_backup_job(**{"BackupVaultName": "primary", "ResourceArn": VOLUME,
                                   "IamRoleArn": ROLE, **params})


def error_code(call: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


def test_a_job_moves_through_its_states_as_the_clock_advances(server, clock):
    api = client(server)
    job_id = start(api)["BackupJobId"]
    seen = []
    for _ in range(6):  # at 0, 100, ... 500 s; PENDING from 60, RUNNING from 120, done at 420
        job = api.describe_backup_job(BackupJobId=job_id)
        seen.append((job["State"], float(job["PercentDone"]), job.get("RecoveryPointArn")))
        clock.advance(100)

    assert [s for s, _, _ in seen] == ["CREATED", "PENDING", "RUNNING", "RUNNING", "RUNNING", "COMPLETED"]
    percents = [p for _, p, _ in seen]
    assert percents[:2] == [0.0, 0.0] and 0 < percents[2] < percents[3] < percents[4] < 100
    assert percents[5] == 100.0
    assert seen[4][2] is None and seen[5][2].startswith("arn:aws:backup:")  # EBS: at completion
    assert "CompletionDate" in api.describe_backup_job(BackupJobId=job_id)


def test_dynamodb_and_efs_return_the_recovery_point_at_start(server):
    api = client(server)
    assert "RecoveryPointArn" in start(api, ResourceArn=TABLE)
    assert "RecoveryPointArn" not in start(api)


def test_same_token_same_job_within_the_window_and_a_new_one_after(server, emulator, clock):
    api = client(server)
    first = start(api, IdempotencyToken="t-1")
    again = start(api, IdempotencyToken="t-1")
    clock.advance(emulator.idempotency_window + 1)
    later = start(api, IdempotencyToken="t-1")

    assert first["BackupJobId"] == again["BackupJobId"] != later["BackupJobId"]
    assert len(emulator.state.backup_jobs) == 2


def test_without_a_token_every_call_is_a_new_job(server, emulator):
    api = client(server)
    start(api)
    start(api)
    assert len(emulator.state.backup_jobs) == 2


def test_start_window_passing_before_the_job_starts_expires_it(server, emulator, clock):
    emulator.timing = JobTiming(pending_after=2 * 3600, running_after=2 * 3600, done_after=3 * 3600)
    api = client(server)
    job_id = start(api, StartWindowMinutes=60)["BackupJobId"]
    clock.advance(3600)

    job = api.describe_backup_job(BackupJobId=job_id)
    assert job["State"] == "EXPIRED"
    assert "start window" in job["StatusMessage"]


def test_scripted_failure_carries_a_status_message(server, emulator, clock):
    emulator.script_outcome("vol-0123", "FAILED", "Insufficient privileges to perform this action")
    api = client(server)
    job_id = start(api)["BackupJobId"]
    clock.advance(1000)

    job = api.describe_backup_job(BackupJobId=job_id)
    assert (job["State"], job["StatusMessage"]) == ("FAILED", "Insufficient privileges to perform this action")


def test_stop_backup_job_aborts_a_running_job_and_refuses_a_finished_one(server, clock):
    api = client(server)
    running = start(api)["BackupJobId"]
    api.stop_backup_job(BackupJobId=running)
    finished = start(api)["BackupJobId"]
    clock.advance(1000)

    assert api.describe_backup_job(BackupJobId=running)["State"] == "ABORTED"
    assert error_code(lambda: api.stop_backup_job(BackupJobId=finished)) == "InvalidRequestException"


def test_copy_needs_a_completed_recovery_point_and_makes_one_in_the_destination(server, emulator, clock):
    api = client(server)
    job = start(api, ResourceArn=TABLE)
    copy = {"RecoveryPointArn": job["RecoveryPointArn"], "SourceBackupVaultName": "primary",
            "DestinationBackupVaultArn": emulator.vault_arn("copies"), "IamRoleArn": ROLE}

    with pytest.raises(api.exceptions.InvalidRequestException):
        api.start_copy_job(**copy)
    clock.advance(1000)
    copy_id = api.start_copy_job(**copy)["CopyJobId"]
    clock.advance(1000)
    described = api.describe_copy_job(CopyJobId=copy_id)["CopyJob"]
    point = api.describe_recovery_point(BackupVaultName="copies",
                                        RecoveryPointArn=described["DestinationRecoveryPointArn"])

    assert described["State"] == "COMPLETED"
    assert point["Status"] == "COMPLETED" and point["ResourceArn"] == TABLE
    assert [j["CopyJobId"] for j in api.list_copy_jobs(ByState="COMPLETED")["CopyJobs"]] == [copy_id]


@pytest.mark.parametrize("params, code", [
    ({"BackupVaultName": "nope"}, "ResourceNotFoundException"),
    ({"StartWindowMinutes": 59}, "InvalidParameterValueException"),
    ({"Lifecycle": {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 100}}, "InvalidParameterValueException"),
    ({"Lifecycle": {"DeleteAfterEvent": "DELETE_AFTER_COPY"}}, "InvalidParameterValueException"),
    ({"BackupVaultName": "bad name!"}, "InvalidParameterValueException"),
    ({"Index": "MAYBE"}, "InvalidParameterValueException"),
    ({"IamRoleArn": None}, "MissingParameterValueException"),
])
def test_bad_requests_get_the_modeled_error(server, emulator, params, code):
    # Client-side validation off, so the request reaches the server as sent.
    api = client(server, parameter_validation=False)
    request = {"BackupVaultName": "primary", "ResourceArn": VOLUME, "IamRoleArn": ROLE, **params}
    request = {k: v for k, v in request.items() if v is not None}

    assert error_code(lambda: api.start_backup_job(**request)) == code
    assert emulator.state.backup_jobs == {}


def test_modeled_exception_classes_are_raised(server):
    api = client(server)
    with pytest.raises(api.exceptions.ResourceNotFoundException):
        api.describe_backup_job(BackupJobId="0000")
    with pytest.raises(api.exceptions.ResourceNotFoundException):
        api.describe_backup_vault(BackupVaultName="missing")


def test_unknown_operations_are_answered_as_unknown(server):
    request = urllib.request.Request(f"{server.endpoint_url}/restore-jobs", method="PUT", data=b"{}")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request)
    assert raised.value.code == 404
    assert raised.value.headers["x-amzn-ErrorType"].startswith("UnknownOperationException")


def test_lists_filter_and_page(server):
    api = client(server)
    for _ in range(3):
        start(api)
    start(api, ResourceArn=TABLE)
    first = api.list_backup_jobs(MaxResults=2, ByResourceArn=VOLUME)
    rest = api.list_backup_jobs(MaxResults=2, ByResourceArn=VOLUME, NextToken=first["NextToken"])

    assert len(first["BackupJobs"]) == 2 and len(rest["BackupJobs"]) == 1
    assert "NextToken" not in rest


def test_faults_throttle_fail_drop_and_slow_down(server, emulator):
    emulator.state.faults.extend([
        Fault("StartBackupJob", 1),
        Fault("StartBackupJob", 1, status=500, code="ServiceUnavailableException"),
        Fault("StartBackupJob", 1, kind="drop"),
        Fault("DescribeBackupVault", 1, kind="slow", delay=0.3),
    ])
    api = client(server)

    assert error_code(lambda: start(api)) == "ThrottlingException"
    assert error_code(lambda: start(api)) == "ServiceUnavailableException"
    with pytest.raises(ConnectionClosedError):
        start(api)
    slow = client(server, read_timeout=0.1)
    with pytest.raises(ReadTimeoutError):
        slow.describe_backup_vault(BackupVaultName="primary")
    assert emulator.state.backup_jobs == {}
    assert start(api)["BackupJobId"]


def test_standalone_server_serves_boto3(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "cdk_backup_jobs.testing.backup_server",
                                "--port", "0", "--vault", "cli-vault"],
                               stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        endpoint = re.search(r"http://\S+", line).group(0)
        api = boto3.client("backup", endpoint_url=endpoint)
        vault = api.describe_backup_vault(BackupVaultName="cli-vault")
        assert vault["BackupVaultArn"].endswith(":backup-vault:cli-vault")
    finally:
        process.terminate()
        process.wait(timeout=10)
