"""What a test of faults says without patching the tools: a DeleteStack during a create that waits, a delete
that retains what cannot go, duplicated and forged job events, and actions and faults at set virtual times."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest
from botocore.exceptions import ClientError

from cdk_backup_jobs.testing import (BackupEmulator, CloudFormationSimulator, Fault, ManualClock, ValidationError,
                                     backup_server, response_server)

from local_backup import ROLE, VOLUME, backup_client, emulator_with_vaults

HOUR = 3600.0
ARN = "arn:aws:lambda:us-east-1:123456789012:function:answers"
# Answers SUCCESS, except a Delete of a resource whose FailDelete is "yes".
ANSWERS = textwrap.dedent('''
    import json, urllib.request

    def handler(event, context):
        failed = event["RequestType"] == "Delete" and event["ResourceProperties"].get("FailDelete") == "yes"
        body = {"Status": "FAILED" if failed else "SUCCESS", "Reason": "told to fail",
                "PhysicalResourceId": event.get("PhysicalResourceId") or event["LogicalResourceId"] + "-1",
                "StackId": event["StackId"], "RequestId": event["RequestId"],
                "LogicalResourceId": event["LogicalResourceId"], "Data": {}}
        request = urllib.request.Request(event["ResponseURL"], data=json.dumps(body).encode(), method="PUT",
                                         headers={"content-type": ""})
        urllib.request.urlopen(request, timeout=5).read()
''')


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[CloudFormationSimulator]:
    (tmp_path / "index.py").write_text(ANSWERS)
    with response_server() as responses:
        with CloudFormationSimulator(responses, functions={ARN: tmp_path}, clock=ManualClock(),
                                     environment={"SSL_CERT_FILE": responses.ca_file}) as simulator:
            yield simulator


def custom(**properties: Any) -> dict[str, Any]:
    return {"Type": "Custom::Thing", "Properties": {"ServiceToken": ARN, **properties}}


def waiting(hours: float) -> dict[str, Any]:
    """A stack whose create waits ``hours`` for a signal that never comes, after a custom resource."""
    return {"Resources": {
        "Thing": custom(),
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Wait": {"Type": "AWS::CloudFormation::WaitCondition", "DependsOn": "Thing",
                 "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": str(int(hours * HOUR))}}}}


# --- DeleteStack while the create waits -----------------------------------------------------------------------

def test_a_delete_during_a_waiting_create_cancels_it_rolls_back_and_deletes_the_stack(stack):
    start = stack.clock()
    stack.delete_at(start + 2 * HOUR)

    result = stack.deploy(waiting(hours=12))

    assert result.status == "DELETE_COMPLETE", result.reason
    assert "DeleteStack was called during CREATE_IN_PROGRESS" in result.reason
    assert stack.clock() == start + 2 * HOUR  # not the 12-hour timeout
    assert [w.status for w in result.wait_conditions] == ["CREATE_FAILED"]
    assert result.wait_conditions[0].reason == "Resource creation cancelled"
    assert [(e.logical_id, e.request_type) for e in result.events] == [("Thing", "Create"), ("Thing", "Delete")]
    assert stack.resources == {} and stack.status == "DELETE_COMPLETE"


def test_a_delete_at_a_moment_the_stack_is_not_creating_is_refused_by_the_operation(stack):
    stack.deploy({"Resources": {"Thing": custom()}})
    stack.delete_at(stack.clock() + HOUR)

    with pytest.raises(ValueError, match="between operations call delete"):
        stack.wait(2 * HOUR)


# --- delete(retain_resources=...) -------------------------------------------------------------------------------

def test_retain_resources_deletes_a_delete_failed_stack_leaving_those_resources(stack):
    stack.deploy({"Resources": {"Stuck": custom(FailDelete="yes"), "Other": custom()}})
    failed = stack.delete()

    retained = stack.delete(retain_resources=["Stuck"])

    assert failed.status == "DELETE_FAILED"
    assert retained.status == "DELETE_COMPLETE", retained.reason
    assert retained.events == []  # no Delete sent to the retained resource
    assert "Stuck" not in stack.deletions


@pytest.mark.parametrize("make_state", ["created", "never created"])
def test_retain_resources_outside_delete_failed_is_a_validation_error_and_deletes_nothing(stack, make_state):
    if make_state == "created":
        stack.deploy({"Resources": {"Thing": custom()}})
    before = dict(stack.resources)

    with pytest.raises(ValidationError, match="only when the stack is in the DELETE_FAILED state"):
        stack.delete(retain_resources=["Thing"])

    assert stack.resources == before and stack.deletions == []


def test_retain_resources_naming_a_resource_already_deleted_is_a_validation_error(stack):
    stack.deploy({"Resources": {"Stuck": custom(FailDelete="yes"), "Other": custom()}})
    stack.delete()

    with pytest.raises(ValidationError, match="DELETE_COMPLETE state. \\(Other\\)"):
        stack.delete(retain_resources=["Stuck", "Other"])
    assert stack.status == "DELETE_FAILED"


# --- actions at set virtual times ---------------------------------------------------------------------------

def test_an_action_runs_when_virtual_time_reaches_its_moment(stack):
    start = stack.clock()
    seen: list[float] = []
    stack.at(start + 3 * HOUR, lambda: seen.append(stack.clock()))
    stack.at(start + 1 * HOUR, lambda: seen.append(stack.clock()))

    stack.wait(5 * HOUR)

    assert seen == [start + HOUR, start + 3 * HOUR]
    assert stack.clock() == start + 5 * HOUR


# --- the emulator: faults by virtual time, duplicated and forged events ------------------------------------

@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator(clock: ManualClock) -> BackupEmulator:
    return emulator_with_vaults(clock, done_after=600)


def test_a_fault_between_two_virtual_times_takes_every_call_then_and_none_outside(emulator, clock):
    start = clock()
    emulator.state.faults.append(Fault.between("DescribeBackupJob", start + 6 * HOUR, start + 7 * HOUR))
    with backup_server(emulator) as server:
        api = backup_client(server.endpoint_url)
        job_id = api.start_backup_job(BackupVaultName="primary", ResourceArn=VOLUME, IamRoleArn=ROLE)["BackupJobId"]
        outcomes = []
        for hour in (1, 6, 6.5, 7):
            clock.now = start + hour * HOUR
            try:
                api.describe_backup_job(BackupJobId=job_id)
                outcomes.append("answered")
            except ClientError as error:
                outcomes.append(error.response["Error"]["Code"])

    assert outcomes == ["answered", "ThrottlingException", "ThrottlingException", "answered"]


def test_duplicated_events_are_delivered_twice_the_copy_after_the_delay(emulator, clock):
    delivered: list[dict[str, Any]] = []
    emulator.event_sink = delivered.append
    emulator.duplicate_event_if = lambda event: event["detail"]["state"] == "COMPLETED"
    emulator.duplicate_delay = 300
    job_id = emulator.call("StartBackupJob", {"BackupVaultName": "primary", "ResourceArn": VOLUME,
                                              "IamRoleArn": ROLE})["BackupJobId"]
    clock.advance(600)
    emulator.publish_due_events()
    first = [e["detail"]["state"] for e in delivered]
    clock.advance(300)
    emulator.publish_due_events()

    completed = [e for e in delivered if e["detail"]["state"] == "COMPLETED"]
    assert first.count("COMPLETED") == 1
    assert len(completed) == 2 and completed[0] == completed[1]  # the same event, its ID too
    assert completed[0]["detail"]["backupJobId"] == job_id


def test_duplicate_events_by_job_and_state(emulator, clock):
    delivered: list[dict[str, Any]] = []
    emulator.event_sink = delivered.append
    job_id = emulator.call("StartBackupJob", {"BackupVaultName": "primary", "ResourceArn": VOLUME,
                                              "IamRoleArn": ROLE})["BackupJobId"]
    emulator.duplicate_events.add((job_id, "RUNNING"))
    clock.advance(600)
    emulator.publish_due_events()

    assert [e["detail"]["state"] for e in delivered] == ["CREATED", "PENDING", "RUNNING", "RUNNING", "COMPLETED"]


def test_a_forged_event_is_delivered_at_its_moment_in_aws_shape(emulator, clock):
    delivered: list[dict[str, Any]] = []
    emulator.event_sink = delivered.append
    job_id = emulator.call("StartBackupJob", {"BackupVaultName": "primary", "ResourceArn": VOLUME,
                                              "IamRoleArn": ROLE})["BackupJobId"]
    emulator.publish_due_events()  # CREATED
    forged = emulator.job_event(job_id, "COMPLETED", backupJobId=job_id.lower())  # COMPLETED while it runs
    emulator.send_event(forged, at=clock() + 200)

    assert emulator.next_event_at() == clock() + 60  # PENDING first
    clock.advance(200)
    emulator.publish_due_events()

    assert [e["detail"]["state"] for e in delivered] == ["CREATED", "PENDING", "RUNNING", "COMPLETED"]
    assert delivered[-1] is forged and forged["detail"]["backupJobId"] == job_id.lower()
    assert forged["source"] == "aws.backup" and forged["detail-type"] == "Backup Job State Change"
    assert emulator.describe_backup(emulator.state.backup_jobs[job_id])["State"] == "RUNNING"
    json.dumps(forged)
