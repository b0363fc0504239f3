"""The local AWS Backup, through plain boto3 over HTTP: what AWS documents, it does."""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from cdk_backup_jobs.testing import Fault, JobTiming

from local_backup import ROLE, TABLE, VOLUME, backup_client


def client(server: Any, **config: Any) -> Any:
    return backup_client(server.endpoint_url, **config)


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


def test_same_job_hands_back_the_tokens_job_even_for_another_resource(server, emulator):
    api = client(server)
    first = start(api, IdempotencyToken="t-1")
    other = start(api, IdempotencyToken="t-1", ResourceArn=TABLE)

    # AWS documents "a success message with no action taken", nothing about other members: the default
    # reading answers with the token's job, which backs up the first resource, not the one asked for.
    assert other["BackupJobId"] == first["BackupJobId"]
    assert api.describe_backup_job(BackupJobId=other["BackupJobId"])["ResourceArn"] == VOLUME


def test_new_job_ignores_the_token(server, emulator):
    emulator.token_reuse = "new-job"
    api = client(server)
    first = start(api, IdempotencyToken="t-1")
    again = start(api, IdempotencyToken="t-1")

    assert first["BackupJobId"] != again["BackupJobId"] and len(emulator.state.backup_jobs) == 2


def test_error_refuses_a_token_seen_within_the_window_only(server, emulator, clock):
    emulator.token_reuse = "error"
    api = client(server)
    start(api, IdempotencyToken="t-1")
    refused = error_code(lambda: start(api, IdempotencyToken="t-1"))
    clock.advance(emulator.idempotency_window + 1)
    later = start(api, IdempotencyToken="t-1")

    assert refused == "InvalidRequestException"
    assert later["BackupJobId"] and len(emulator.state.backup_jobs) == 2


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


def test_a_copy_to_another_account_and_region_lands_there_not_in_a_local_vault(server, emulator, clock):
    api = client(server)
    job = start(api, ResourceArn=TABLE)
    clock.advance(1000)
    copy_id = api.start_copy_job(
        RecoveryPointArn=job["RecoveryPointArn"], SourceBackupVaultName="primary", IamRoleArn=ROLE,
        DestinationBackupVaultArn="arn:aws:backup:eu-west-1:999999999999:backup-vault:copies")["CopyJobId"]
    clock.advance(1000)
    described = api.describe_copy_job(CopyJobId=copy_id)["CopyJob"]

    assert described["State"] == "COMPLETED"
    assert described["DestinationRecoveryPointArn"].startswith("arn:aws:backup:eu-west-1:999999999999:recovery-point:")
    assert api.describe_backup_vault(BackupVaultName="copies")["NumberOfRecoveryPoints"] == 0
    assert error_code(lambda: api.describe_recovery_point(
        BackupVaultName="copies", RecoveryPointArn=described["DestinationRecoveryPointArn"])) == \
        "ResourceNotFoundException"


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


def test_a_request_that_is_no_operation_of_aws_backup_is_answered_as_unknown(server):
    request = urllib.request.Request(f"{server.endpoint_url}/no-such-resource", method="PUT", data=b"{}")
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


INSTANCE = "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"
NOT_A_ROLE = "arn:aws:s3:::backup-role"


@pytest.mark.parametrize("params", [
    {"ResourceArn": "not-an-arn"},
    {"ResourceArn": "arn:aws:ec2:us-east-1:123456789012"},
    {"IamRoleArn": "role"},
    {"IamRoleArn": NOT_A_ROLE},
    {"LogicallyAirGappedBackupVaultArn": "arn:aws:backup:us-east-1:123456789012:recovery-point:x"},
])
def test_malformed_arns_are_refused_and_listing_keeps_working(server, emulator, params):
    api = client(server)
    assert error_code(lambda: start(api, **params)) == "InvalidParameterValueException"

    assert emulator.state.backup_jobs == {}
    assert api.list_backup_jobs()["BackupJobs"] == []
    assert emulator.state.internal_errors == []


@pytest.mark.parametrize("params", [
    {"RecoveryPointArn": "rp-1"},
    {"IamRoleArn": "role"},
    {"IamRoleArn": NOT_A_ROLE},
    {"DestinationBackupVaultArn": "copies"},
    {"DestinationBackupVaultArn": "arn:aws:backup:us-east-1:123456789012:recovery-point:x"},
])
def test_copy_jobs_refuse_malformed_arns(server, emulator, clock, params):
    api = client(server)
    point = start(api, ResourceArn=TABLE)["RecoveryPointArn"]
    clock.advance(1000)
    copy = {"RecoveryPointArn": point, "SourceBackupVaultName": "primary",
            "DestinationBackupVaultArn": emulator.vault_arn("copies"), "IamRoleArn": ROLE, **params}

    assert error_code(lambda: api.start_copy_job(**copy)) == "InvalidParameterValueException"
    assert emulator.state.copy_jobs == {}
    assert api.list_copy_jobs()["CopyJobs"] == []


def test_creating_a_vault_that_exists_is_refused_unless_it_is_a_retry(server, emulator):
    api = client(server)
    with pytest.raises(api.exceptions.AlreadyExistsException):
        api.create_backup_vault(BackupVaultName="primary")
    first = api.create_backup_vault(BackupVaultName="fresh", CreatorRequestId="req-1")
    retried = api.create_backup_vault(BackupVaultName="fresh", CreatorRequestId="req-1")

    assert retried["BackupVaultArn"] == first["BackupVaultArn"]
    assert error_code(lambda: api.create_backup_vault(BackupVaultName="fresh",
                                                      CreatorRequestId="req-2")) == "AlreadyExistsException"
    assert sorted(emulator.state.vaults) == ["copies", "fresh", "primary"]


def test_a_job_still_running_past_its_complete_window_expires_then(server, clock):
    api = client(server)  # jobs run from 120 s to 420 s; the complete window closes at 300 s
    volume_job = start(api, CompleteWindowMinutes=5)
    table_job = start(api, ResourceArn=TABLE, CompleteWindowMinutes=5)
    in_time = start(api, CompleteWindowMinutes=7)["BackupJobId"]
    clock.advance(299)
    assert api.describe_backup_job(BackupJobId=volume_job["BackupJobId"])["State"] == "RUNNING"
    clock.advance(701)

    job = api.describe_backup_job(BackupJobId=volume_job["BackupJobId"])
    assert (job["State"], job["StatusMessage"]) == ("EXPIRED", "Backup job expired before completion.")
    assert job["CompletionDate"] == job["CreationDate"] + datetime.timedelta(minutes=5)
    assert "RecoveryPointArn" not in job  # an EBS snapshot that did not finish
    point = api.describe_recovery_point(BackupVaultName="primary", RecoveryPointArn=table_job["RecoveryPointArn"])
    assert point["Status"] == "PARTIAL"
    assert api.describe_backup_job(BackupJobId=in_time)["State"] == "COMPLETED"
    assert len(api.list_backup_jobs(ByState="EXPIRED")["BackupJobs"]) == 2


@pytest.mark.parametrize("timing, window, state_at_start", [
    (JobTiming(pending_after=60, running_after=2 * 3600, done_after=3 * 3600), {"StartWindowMinutes": 60},
     "PENDING"),
    (JobTiming(pending_after=60, running_after=9 * 3600, done_after=10 * 3600), {}, "PENDING"),  # 8 h default
    (JobTiming(pending_after=9 * 3600, running_after=9 * 3600, done_after=10 * 3600), {}, "CREATED"),
])
def test_a_job_not_running_by_the_end_of_its_start_window_expires_then(server, emulator, clock, timing,
                                                                        window, state_at_start):
    emulator.timing = timing
    api = client(server)
    job_id = start(api, **window)["BackupJobId"]
    closes = window.get("StartWindowMinutes", 480) * 60
    clock.advance(closes - 1)
    assert api.describe_backup_job(BackupJobId=job_id)["State"] == state_at_start
    clock.advance(1001)

    job = api.describe_backup_job(BackupJobId=job_id)
    assert job["State"] == "EXPIRED" and "start window" in job["StatusMessage"]
    assert job["CompletionDate"] == job["CreationDate"] + datetime.timedelta(seconds=closes)  # not "now + ..."


def test_stopping_a_dynamodb_job_does_not_leave_its_recovery_point_creating(server, clock):
    api = client(server)
    job = start(api, ResourceArn=TABLE)
    point = {"BackupVaultName": "primary", "RecoveryPointArn": job["RecoveryPointArn"]}
    assert api.describe_recovery_point(**point)["Status"] == "CREATING"
    api.stop_backup_job(BackupJobId=job["BackupJobId"])
    clock.advance(1000)

    assert api.describe_backup_job(BackupJobId=job["BackupJobId"])["State"] == "ABORTED"
    with pytest.raises(api.exceptions.ResourceNotFoundException):
        api.describe_recovery_point(**point)
    assert api.describe_backup_vault(BackupVaultName="primary")["NumberOfRecoveryPoints"] == 0


@pytest.mark.parametrize("operation", ["list_backup_jobs", "list_copy_jobs"])
@pytest.mark.parametrize("token", ["abc", "-1", "1.5"])
def test_a_bad_next_token_is_an_invalid_parameter(server, emulator, operation, token):
    api = client(server)
    start(api)

    assert error_code(lambda: getattr(api, operation)(NextToken=token)) == "InvalidParameterValueException"
    assert emulator.state.internal_errors == []


def test_volumes_are_ebs_and_instances_ec2(server):
    api = client(server)
    volume = start(api)["BackupJobId"]
    instance = start(api, ResourceArn=INSTANCE)["BackupJobId"]

    assert api.describe_backup_job(BackupJobId=volume)["ResourceType"] == "EBS"
    assert api.describe_backup_job(BackupJobId=instance)["ResourceType"] == "EC2"
    assert [j["BackupJobId"] for j in api.list_backup_jobs(ByResourceType="EBS")["BackupJobs"]] == [volume]


# --- timings per job kind, resource, type and time ----------------------------------------------------------------

def test_a_copy_takes_its_own_timing_after_a_backup_of_hours(server, emulator, clock):
    # The obvious test: a 5.5-hour backup chained to a copy that must finish within 2 hours.
    emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=5.5 * 3600)
    emulator.time_jobs(JobTiming(running_after=60, done_after=10 * 60), kind="copy")
    api = client(server)
    backup_id = start(api)["BackupJobId"]
    clock.advance(5.5 * 3600)
    point = api.describe_backup_job(BackupJobId=backup_id)["RecoveryPointArn"]

    copy_id = api.start_copy_job(RecoveryPointArn=point, SourceBackupVaultName="primary", IamRoleArn=ROLE,
                                 DestinationBackupVaultArn=emulator.vault_arn("copies"))["CopyJobId"]
    clock.advance(10 * 60)

    assert api.describe_backup_job(BackupJobId=backup_id)["State"] == "COMPLETED"
    assert api.describe_copy_job(CopyJobId=copy_id)["CopyJob"]["State"] == "COMPLETED"
    assert emulator.state.copy_jobs[copy_id].timing.done_after == 600
    assert emulator.state.backup_jobs[backup_id].timing.done_after == 5.5 * 3600


def test_timing_rules_match_by_resource_arn_type_and_creation_time_the_first_one_winning(server, emulator, clock):
    emulator.time_jobs(JobTiming(done_after=111), resource_arn=r":table/orders$")
    emulator.time_jobs(JobTiming(done_after=222), resource_type="DynamoDB")
    emulator.time_jobs(JobTiming(done_after=333), created_from=clock() + 3600)  # from an hour on
    api = client(server)
    other_table = TABLE.replace("orders", "invoices")

    orders, invoices, volume = (start(api, ResourceArn=arn)["BackupJobId"] for arn in (TABLE, other_table, VOLUME))
    clock.advance(3600)
    later_volume = start(api)["BackupJobId"]

    done_after = {job_id: emulator.state.backup_jobs[job_id].timing.done_after
                  for job_id in (orders, invoices, volume, later_volume)}
    assert done_after == {orders: 111, invoices: 222, volume: 420, later_volume: 333}  # 420: emulator.timing
