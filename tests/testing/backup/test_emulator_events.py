"""The local AWS Backup's job state change events, and its job lists' filters, through boto3 over HTTP.

Event shapes: AWS Backup Developer Guide, "Monitoring AWS Backup events using
Amazon EventBridge" (https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html).
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Iterator

import boto3
import pytest

from cdk_backup_jobs.testing import BackupEmulator, JobTiming, ManualClock, backup_server, events_server

from local_backup import ROLE, TABLE, VOLUME, backup_client, emulator_with_vaults

START = 1_764_000_000.0  # 2025-11-24T16:00:00Z


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def emulator(clock: ManualClock) -> BackupEmulator:
    return emulator_with_vaults(clock, done_after=600)


@pytest.fixture
def api(emulator: BackupEmulator) -> Iterator[Any]:
    with backup_server(emulator) as running:
        yield backup_client(running.endpoint_url)


def start(api: Any, resource: str = VOLUME) -> str:
    return str(api.start_backup_job(BackupVaultName="primary", ResourceArn=resource, IamRoleArn=ROLE)["BackupJobId"])


def run_until_quiet(emulator: BackupEmulator, clock: ManualClock) -> list[tuple[float, dict[str, Any]]]:
    """Move the clock from event to event, as the simulator's loop does; (when delivered, event) pairs."""
    seen: list[tuple[float, dict[str, Any]]] = []
    emulator.event_sink = lambda event: seen.append((clock(), event))
    while True:
        emulator.publish_due_events()
        due = emulator.next_event_at()
        if due is None:
            return seen
        clock.now = max(clock.now, due)


def test_a_backup_job_sends_one_event_per_state_in_aws_backups_shape(api, emulator, clock):
    job_id = start(api)
    delivered = run_until_quiet(emulator, clock)
    events = [event for _, event in delivered]
    job = api.describe_backup_job(BackupJobId=job_id)

    assert [(at - START, e["detail"]["state"]) for at, e in delivered] == [
        (0, "CREATED"), (60, "PENDING"), (120, "RUNNING"), (600, "COMPLETED")]
    for event in events:
        assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources",
                              "detail"}
        assert (event["version"], event["source"], event["detail-type"]) == ("0", "aws.backup",
                                                                             "Backup Job State Change")
        assert (event["account"], event["region"]) == ("123456789012", "us-east-1")
    created, pending, running, completed = events
    assert created["detail"] == {"backupJobId": job_id, "state": "CREATED", "creationDate": "2025-11-24T16:00:00.000Z"}
    assert created["resources"] == [] == running["resources"]  # an EBS volume: the recovery point comes at the end
    assert created["time"] == "2025-11-24T16:00:00Z" and completed["time"] == "2025-11-24T16:10:00Z"
    assert set(running["detail"]) == {"backupJobId", "backupVaultArn", "backupVaultName", "bytesTransferred",
                                      "backupSizeInBytes", "creationDate", "iamRoleArn", "resourceArn",
                                      "resourceType", "state", "percentDone", "startBy"}
    assert isinstance(running["detail"]["percentDone"], float) and running["detail"]["bytesTransferred"] == "0"
    assert running["detail"]["resourceType"] == "EBS" and running["detail"]["startBy"] == "2025-11-25T00:00:00.000Z"
    assert completed["detail"]["completionDate"] == "2025-11-24T16:10:00.000Z"
    assert completed["detail"]["backupSizeInBytes"] == str(job["BackupSizeInBytes"])
    assert completed["detail"]["percentDone"] == 100.0
    assert completed["resources"] == [job["RecoveryPointArn"]]  # the recovery point is resources[0], not in detail
    assert "recoveryPointArn" not in json.dumps(completed["detail"]).lower().replace("resourcearn", "")


def test_failed_and_stopped_jobs_tell_why(api, emulator, clock):
    emulator.script_outcome("orders", "FAILED", "Insufficient privileges to perform this action")
    failing = start(api, TABLE)
    stopped = start(api)
    clock.advance(200)
    api.stop_backup_job(BackupJobId=stopped)
    events = [event for _, event in run_until_quiet(emulator, clock)]
    by_job = {(e["detail"]["backupJobId"], e["detail"]["state"]): e for e in events}

    failed = by_job[(failing, "FAILED")]
    assert failed["detail"]["statusMessage"] == "Insufficient privileges to perform this action"
    assert "completionDate" not in failed["detail"]
    assert failed["resources"] and failed["resources"][0].startswith("arn:aws:backup:")  # DynamoDB: from the start
    assert [s for j, s in by_job if j == stopped] == ["CREATED", "PENDING", "RUNNING", "ABORTED"]
    assert by_job[(stopped, "ABORTED")]["detail"]["statusMessage"] == "Backup job was stopped by user"


def test_a_copy_job_sends_copy_job_state_changes(api, emulator, clock):
    emulator.timing = JobTiming()  # the backup completes at once
    backup = api.describe_backup_job(BackupJobId=start(api))
    emulator.timing = JobTiming(running_after=30, done_after=300)
    copy_id = api.start_copy_job(RecoveryPointArn=backup["RecoveryPointArn"], SourceBackupVaultName="primary",
                                 DestinationBackupVaultArn=emulator.vault_arn("copies"), IamRoleArn=ROLE)["CopyJobId"]
    events = [e for _, e in run_until_quiet(emulator, clock) if e["detail-type"] == "Copy Job State Change"]
    created, running, completed = events
    copy = api.describe_copy_job(CopyJobId=copy_id)["CopyJob"]

    assert [e["detail"]["state"] for e in events] == ["CREATED", "RUNNING", "COMPLETED"]
    assert "copyJobId" not in created["detail"]  # absent from CREATED events
    assert running["detail"]["copyJobId"] == copy_id == completed["detail"]["copyJobId"]
    assert running["detail"]["destinationRecoveryPointArn"] == {}  # an empty object until it completed
    assert completed["detail"]["destinationRecoveryPointArn"] == copy["DestinationRecoveryPointArn"]
    assert completed["detail"]["backupSizeInBytes"] == copy["BackupSizeInBytes"]  # a number here
    assert isinstance(completed["detail"]["backupSizeInBytes"], int)
    assert completed["detail"]["sourceBackupVaultArn"] == emulator.vault_arn("primary")
    assert completed["detail"]["destinationBackupVaultArn"] == emulator.vault_arn("copies")
    assert completed["resources"] == [backup["RecoveryPointArn"]]


def test_events_can_be_dropped_or_delayed(api, emulator, clock):
    kept, lost = start(api), start(api)
    emulator.drop_events = {(lost, "COMPLETED")}
    emulator.drop_event_if = lambda event: event["detail"]["state"] == "PENDING"
    emulator.event_delay = lambda event: 300.0 if event["detail"]["state"] == "COMPLETED" else 0.0
    delivered = run_until_quiet(emulator, clock)

    assert [(at - START, e["detail"]["backupJobId"], e["detail"]["state"]) for at, e in delivered
            if e["detail"]["state"] != "CREATED"] == [(120, kept, "RUNNING"), (120, lost, "RUNNING"),
                                                      (900, kept, "COMPLETED")]
    assert delivered[-1][1]["time"] == "2025-11-24T16:10:00Z"  # the event keeps the time of the change
    assert sorted((e["detail"]["backupJobId"], e["detail"]["state"]) for e in emulator.dropped_events) == sorted(
        [(kept, "PENDING"), (lost, "PENDING"), (lost, "COMPLETED")])


def test_next_event_at_is_the_next_change(api, emulator, clock):
    assert emulator.next_event_at() is None
    start(api)
    assert emulator.next_event_at() == START  # CREATED: due now
    emulator.publish_due_events()
    assert emulator.next_event_at() == START + 60
    clock.advance(1000)
    assert emulator.next_event_at() == clock.now  # passed changes are due at once
    assert [e["detail"]["state"] for e in emulator.publish_due_events()] == ["PENDING", "RUNNING", "COMPLETED"]
    assert emulator.next_event_at() is None


def test_events_reach_eventbridge_rules_of_the_job(api, emulator, clock):
    with events_server(clock=clock) as events:
        emulator.event_sink = events.publish
        job_id = start(api)
        rules = boto3.client("events", endpoint_url=events.endpoint_url, region_name="us-east-1")
        rules.put_rule(Name="watch", EventPattern=json.dumps({
            "source": ["aws.backup"], "detail-type": ["Backup Job State Change"], "detail": {"backupJobId": [job_id]}}))
        rules.put_targets(Rule="watch", Targets=[{
            "Id": "t", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:provider",
            "InputTransformer": {"InputPathsMap": {}, "InputTemplate": '{"event": <aws.events.event.json>}'}}])
        start(api)  # another job: its events match no rule
        clock.advance(600)
        emulator.publish_due_events()
        states = [d.payload()["event"]["detail"]["state"] for d in events.bus.take_due()]

    assert states == ["CREATED", "PENDING", "RUNNING", "COMPLETED"]


def iso(offset: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(START + offset, datetime.timezone.utc)


def test_list_backup_jobs_honours_its_filters(api, emulator, clock):
    emulator.script_outcome("orders", "FAILED", "no")
    early = start(api)
    clock.advance(1000)
    table = start(api, TABLE)
    clock.advance(100)
    running = start(api)
    clock.advance(550)  # the table's job has failed (at 1600), the last one is RUNNING

    def listed(**filters: Any) -> list[str]:
        return sorted(j["BackupJobId"] for j in api.list_backup_jobs(**filters)["BackupJobs"])

    assert listed(ByCreatedAfter=iso(500)) == sorted([table, running])
    assert listed(ByCreatedBefore=iso(500)) == [early]
    assert listed(ByCreatedAfter=iso(0), ByCreatedBefore=iso(1000)) == [early]  # [after, before)
    assert listed(ByCompleteAfter=iso(0)) == sorted([early, table])  # the running one has not completed
    assert listed(ByCompleteBefore=iso(700)) == [early]
    assert listed(ByResourceType="DynamoDB") == [table] and listed(ByResourceType="EBS") == sorted([early, running])
    assert listed(ByState="FAILED") == [table] and listed(ByState="RUNNING") == [running]
    assert listed(ByAccountId="123456789012") == sorted([early, table, running])
    assert listed(ByAccountId="210987654321") == []
    assert listed(ByParentJobId="some-parent") == []  # on-demand jobs are no one's children
    assert listed(ByBackupVaultName="copies") == []


def test_list_copy_jobs_honours_its_filters(api, emulator, clock):
    emulator.timing = JobTiming()
    point = api.describe_backup_job(BackupJobId=start(api))["RecoveryPointArn"]
    emulator.timing = JobTiming(running_after=10, done_after=100)
    copy = {"RecoveryPointArn": point, "SourceBackupVaultName": "primary", "IamRoleArn": ROLE}
    done = api.start_copy_job(DestinationBackupVaultArn=emulator.vault_arn("copies"), **copy)["CopyJobId"]
    clock.advance(500)
    elsewhere = "arn:aws:backup:eu-west-1:210987654321:backup-vault:offsite"
    busy = api.start_copy_job(DestinationBackupVaultArn=elsewhere, **copy)["CopyJobId"]
    clock.advance(50)

    def listed(**filters: Any) -> list[str]:
        return sorted(j["CopyJobId"] for j in api.list_copy_jobs(**filters)["CopyJobs"])

    assert listed(ByDestinationVaultArn=elsewhere) == [busy]
    assert listed(ByState="RUNNING") == [busy] and listed(ByState="COMPLETED") == [done]
    assert listed(ByCreatedAfter=iso(100)) == [busy] and listed(ByCreatedBefore=iso(100)) == [done]
    assert listed(ByCompleteAfter=iso(0)) == [done] and listed(ByCompleteBefore=iso(50)) == []
    assert listed(ByResourceType="EBS") == sorted([done, busy]) and listed(ByResourceType="EFS") == []
    assert listed(BySourceRecoveryPointArn=point) == sorted([done, busy])
