"""WaitConditionHandle and WaitCondition in the simulator, and waiting for a job with an EventBridge rule.

A tiny provider (a Python function in a temp folder, given by ARN) signals
the handle itself, or starts a backup job and keeps one rule per job (the
job's state change events, and a one-time fallback schedule moved 30 minutes
on at each check), signalling when the job ends, as the CloudFormation User
Guide's "Create wait conditions in a CloudFormation template" describes.
Everything runs in virtual time: hours of waiting take a second or two.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest

from cdk_backup_jobs.testing import CloudFormationSimulator, JobTiming, ManualClock

ARN = "arn:aws:lambda:us-east-1:123456789012:function:waiter"
VOLUME = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc"
ROLE = "arn:aws:iam::123456789012:role/backup-role"
START = 1_764_000_000.0  # 2025-11-24T16:00:00Z
CHECK_SECONDS = 1800

PROVIDER = textwrap.dedent('''
    import json, time, urllib.error, urllib.request
    from datetime import datetime
    from email.utils import parsedate_to_datetime

    import boto3

    CHECK_SECONDS = 1800
    ENDED = ("FAILED", "ABORTED", "EXPIRED", "PARTIAL")


    def put(url, body, content_type=""):
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PUT",
                                         headers={"Content-Type": content_type})
        try:
            urllib.request.urlopen(request, timeout=10).read()
        except urllib.error.HTTPError:
            pass


    def respond(event, physical_id, data=None):
        put(event["ResponseURL"], {"Status": "SUCCESS", "PhysicalResourceId": physical_id, "StackId": event["StackId"],
                                   "RequestId": event["RequestId"], "LogicalResourceId": event["LogicalResourceId"],
                                   "Data": data or {}})


    def signal_resource(signal):
        """SignalResource; the error's message if CloudFormation refuses it, else ""."""
        from botocore.exceptions import ClientError
        try:
            boto3.client("cloudformation").signal_resource(
                StackName=signal["stack"], LogicalResourceId=signal["wait"], UniqueId=signal["id"],
                Status=signal["status"])
        except ClientError as error:
            return error.response["Error"]["Message"]
        events = boto3.client("events")
        if any(r["Name"] == "signal-later" for r in events.list_rules()["Rules"]):
            events.remove_targets(Rule="signal-later", Ids=["provider"])
            events.delete_rule(Name="signal-later")
        return ""


    def handler(event, context):
        if "signal" in event:  # a rule's target: call SignalResource now
            return signal_resource(event["signal"])
        if "watch" in event:
            return wake(event["watch"], event["event"])
        props = event["ResourceProperties"]
        if event["RequestType"] == "Delete":
            return respond(event, event["PhysicalResourceId"])
        if "SignalResource" in props:  # signal the WaitCondition later: it is not waiting yet
            signal = {"stack": event["StackId"], **json.loads(props["SignalResource"])}
            early = signal_resource(signal)
            events = boto3.client("events")
            events.put_rule(Name="signal-later", ScheduleExpression="rate(10 minutes)")
            events.put_targets(Rule="signal-later", Targets=[{"Id": "provider", "Arn": context.invoked_function_arn,
                                                              "Input": json.dumps({"signal": signal})}])
            return respond(event, event["LogicalResourceId"] + "-1", {"Early": early})
        if "Signals" in props:
            for signal in json.loads(props["Signals"]):
                content_type = signal.pop("ContentType", "")
                put(props["Handle"], signal, content_type)
            return respond(event, event.get("PhysicalResourceId") or event["LogicalResourceId"] + "-1")
        answer = boto3.client("backup").start_backup_job(BackupVaultName=props["Vault"], ResourceArn=props["Resource"],
                                                         IamRoleArn=props["Role"])
        now = parsedate_to_datetime(answer["ResponseMetadata"]["HTTPHeaders"]["date"]).timestamp()  # AWS's clock
        watch = {"job": answer["BackupJobId"], "stack": event["StackId"], "rule": "watch-" + event["LogicalResourceId"],
                 "handle": handle_logical_id(event["StackId"], props["Handle"])}
        arm(watch, context.invoked_function_arn, now + CHECK_SECONDS)
        respond(event, answer["BackupJobId"])


    def handle_logical_id(stack_id, url):
        pages = boto3.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack_id)
        for page in pages:
            for summary in page["StackResourceSummaries"]:
                if summary.get("PhysicalResourceId") == url:
                    return summary["LogicalResourceId"]
        raise RuntimeError("no such handle")


    def cron_at(moment):
        minute = time.gmtime(-(-int(moment) // 60) * 60)
        return f"cron({minute.tm_min} {minute.tm_hour} {minute.tm_mday} {minute.tm_mon} ? {minute.tm_year})"


    def schedule(watch, check_at):
        pattern = {"source": ["aws.backup"], "detail-type": ["Backup Job State Change"],
                   "detail": {"backupJobId": [watch["job"]]}}
        boto3.client("events").put_rule(Name=watch["rule"], EventPattern=json.dumps(pattern),
                                        ScheduleExpression=cron_at(check_at))


    def arm(watch, function_arn, check_at):
        schedule(watch, check_at)
        template = '{"watch": ' + json.dumps(watch) + ', "event": <aws.events.event.json>}'
        boto3.client("events").put_targets(Rule=watch["rule"], Targets=[{
            "Id": "provider", "Arn": function_arn,
            "InputTransformer": {"InputPathsMap": {}, "InputTemplate": template}}])


    def wake(watch, event):
        now = datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()
        if event["source"] == "aws.backup":
            state, message = event["detail"]["state"], event["detail"].get("statusMessage", "")
            point = event["resources"][0] if event["resources"] else ""
        else:  # the fallback schedule: ask
            job = boto3.client("backup").describe_backup_job(BackupJobId=watch["job"])
            state, message, point = job["State"], job.get("StatusMessage", ""), job.get("RecoveryPointArn", "")
            if state != "COMPLETED" and state not in ENDED:
                return schedule(watch, now + CHECK_SECONDS)
        if state == "COMPLETED":
            finish(watch, "SUCCESS", f"{point}|{state}", "")
        elif state in ENDED:
            finish(watch, "FAILURE", "", f"Backup job {watch['job']} ended {state}: {message}")


    def finish(watch, status, data, reason):
        detail = boto3.client("cloudformation").describe_stack_resource(
            StackName=watch["stack"], LogicalResourceId=watch["handle"])["StackResourceDetail"]
        put(detail["PhysicalResourceId"], {"Status": status, "UniqueId": watch["job"], "Data": data, "Reason": reason})
        events = boto3.client("events")
        events.remove_targets(Rule=watch["rule"], Ids=["provider"])
        events.delete_rule(Name=watch["rule"])
''')


@pytest.fixture
def clock(aws_backup: Any, cfn_scheduler: Any) -> ManualClock:
    """One virtual clock for the emulator, EventBridge and the simulator; the emulator's events go to the bus."""
    clock = ManualClock(START)
    aws_backup.emulator.clock = clock
    aws_backup.emulator.event_sink = cfn_scheduler.publish
    aws_backup.emulator.create_vault("primary")
    return clock


@pytest.fixture
def stack(tmp_path: Path, cfn_stack: Callable[..., CloudFormationSimulator], aws_backup: Any,
          clock: ManualClock) -> Callable[..., CloudFormationSimulator]:
    (tmp_path / "index.py").write_text(PROVIDER)

    def make(**options: Any) -> CloudFormationSimulator:
        return cfn_stack(functions={ARN: str(tmp_path)}, clock=clock, event_sources=[aws_backup.emulator],
                         **options)
    return make


def signals(*bodies: dict[str, Any]) -> dict[str, str]:
    return {"Signals": json.dumps(list(bodies))}


def success(unique_id: str = "job-1", data: str = "arn:aws:backup:rp|2025-11-24T16:10:00Z|42") -> dict[str, Any]:
    return {"Status": "SUCCESS", "UniqueId": unique_id, "Data": data, "Reason": "done"}


def template(job: dict[str, Any], timeout: str = "43200", count: int | None = None, handle: str = "Handle",
             wait: str = "Wait", job_id: str = "Job") -> dict[str, Any]:
    data = {"Fn::GetAtt": [wait, "Data"]}
    signal_data = {"Fn::Select": [3, {"Fn::Split": ['"', data]}]}  # {"<UniqueId>":"<Data>"}: the 4th piece
    return {
        "Resources": {
            handle: {"Type": "AWS::CloudFormation::WaitConditionHandle"},
            job_id: {"Type": "Custom::Job", "Properties": {"ServiceToken": ARN, "Handle": {"Ref": handle}, **job}},
            wait: {"Type": "AWS::CloudFormation::WaitCondition", "DependsOn": job_id,
                   "Properties": {"Handle": {"Ref": handle}, "Timeout": timeout,
                                  **({"Count": count} if count else {})}},
        },
        "Outputs": {"Data": {"Value": data}, "Signalled": {"Value": signal_data},
                    "Second": {"Value": {"Fn::Select": [1, {"Fn::Split": ["|", signal_data]}]}}},
    }


def backup_job(**extra: str) -> dict[str, str]:
    return {"Vault": "primary", "Resource": VOLUME, "Role": ROLE, **extra}


def test_a_success_signal_completes_the_wait_and_its_data_reaches_outputs(stack, clock):
    with stack() as simulated:
        result = simulated.deploy(template(signals(success())))
        handle_url = simulated.physical_id("Handle")
        wait_id = simulated.physical_id("Wait")

    assert result.status == "CREATE_COMPLETE", result.reason
    assert result.outputs["Data"] == '{"job-1":"arn:aws:backup:rp|2025-11-24T16:10:00Z|42"}'
    assert result.outputs["Signalled"] == "arn:aws:backup:rp|2025-11-24T16:10:00Z|42"
    assert result.outputs["Second"] == "2025-11-24T16:10:00Z"
    assert "/cloudformation-waitcondition/" in handle_url and "X-Amz-Signature=" in handle_url
    assert wait_id == f"{simulated.stack_id}/Handle"
    [waited] = result.wait_conditions
    assert waited.succeeded and waited.data == {"job-1": "arn:aws:backup:rp|2025-11-24T16:10:00Z|42"}
    assert clock.now == START  # the signal was there before the wait began: no time passed


def test_a_failure_signal_fails_the_wait_and_rolls_the_stack_back(stack):
    failure = {"Status": "FAILURE", "UniqueId": "job-1", "Data": "", "Reason": "Backup job job-1 ended FAILED: no"}
    with stack() as simulated:
        result = simulated.deploy(template(signals(failure, success("job-2"))))

    assert result.status == "ROLLBACK_COMPLETE"
    assert result.reason == "Wait: WaitCondition received failed message: 'Backup job job-1 ended FAILED: no' " \
                            "for uniqueId: job-1"
    assert [(e.logical_id, e.request_type) for e in result.events] == [("Job", "Create"), ("Job", "Delete")]
    assert result.wait_conditions[0].status == "CREATE_FAILED"
    assert simulated.resources == {}


def test_without_a_signal_the_wait_times_out_in_virtual_time(stack, clock):
    with stack() as simulated:
        result = simulated.deploy(template(signals(), timeout="900"))

    assert result.status == "ROLLBACK_COMPLETE"
    assert result.reason == "Wait: WaitCondition timed out. Received 0 conditions when expecting 1"
    assert clock.now == START + 900 and result.wait_conditions[0].seconds == 900


def test_count_wants_distinct_unique_ids_and_a_repeat_is_a_retransmission(stack):
    with stack() as simulated:
        repeated = simulated.deploy(template(signals(success("a", "x|1"), success("a", "x|again")), timeout="60",
                                             count=2))
        simulated.delete()  # a rolled-back create is deleted before the stack is created again
        distinct = simulated.deploy(template(signals(success("a", "x|1"), success("a", "x|again"), success("b", "x|2")),
                                             timeout="60", count=2))

    assert repeated.reason == "Wait: WaitCondition timed out. Received 1 conditions when expecting 2"
    assert distinct.status == "CREATE_COMPLETE", distinct.reason
    assert json.loads(distinct.outputs["Data"]) == {"a": "x|1", "b": "x|2"}  # the first of each UniqueId


def test_a_signal_with_a_content_type_is_refused_as_s3_refuses_it(stack):
    with stack() as simulated:
        result = simulated.deploy(template(signals({**success(), "ContentType": "application/json"}), timeout="60"))
        url = result.wait_conditions[0].handle_url

    assert "timed out. Received 0 conditions" in result.reason
    assert simulated.responses.rejected_for(url) == ["application/json"]


def test_a_wait_condition_cannot_be_updated_and_a_new_logical_id_waits_again(stack):
    with stack() as simulated:
        simulated.deploy(template(signals(success("one", "x|first")), timeout="600"))
        changed = simulated.update(template(signals(success("one", "x|first")), timeout="900"))
        again = simulated.update(template(signals(success("two", "x|second")), handle="Handle2", wait="Wait2"))
        left = sorted(simulated.resources)

    assert changed.status == "UPDATE_ROLLBACK_COMPLETE"
    assert changed.reason.startswith("Wait: Updates are not supported for AWS::CloudFormation::WaitCondition")
    assert again.status == "UPDATE_COMPLETE", again.reason
    assert again.outputs["Second"] == "second"
    assert left == ["Handle2", "Job", "Wait2"]  # the old handle and wait condition were removed


def test_a_timeout_over_twelve_hours_is_refused(stack):
    with stack() as simulated:
        result = simulated.deploy(template(signals(success()), timeout="43201"))
    assert result.reason == "Wait: Value for Timeout property must be less than 43200"


def test_a_job_is_waited_for_by_its_events_with_a_slower_fallback_schedule(stack, aws_backup, cfn_scheduler, clock):
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=3 * 3600 + 420)
    with stack() as simulated:
        result = simulated.deploy(template(backup_job()))
        counts = simulated.invocation_counts[ARN]
        waited = simulated.waited_seconds

    [job] = aws_backup.state.backup_jobs.values()
    assert result.status == "CREATE_COMPLETE", result.reason
    assert result.outputs["Signalled"] == f"{job.recovery_point_arn}|COMPLETED"  # the event's resources[0]
    assert result.outputs["Second"] == "COMPLETED"
    assert clock.now == START + 3 * 3600 + 420 == START + waited  # the signal came with the COMPLETED event
    # Create; the four state change events; a fallback check every 30 minutes while it ran (6 of them).
    assert counts == {"cloudformation": 1, "event": 4, "schedule": 6}
    assert cfn_scheduler.state.rules == {}  # the watch removed itself
    assert {"ListStackResources", "DescribeStackResource"} <= set(cfn_scheduler.state.calls)


@pytest.mark.parametrize("lose, delay, signalled_after", [
    (True, 0.0, 3 * 3600 + 1800),  # COMPLETED lost: the next fallback check (at 3 h 30) finds it
    (False, 240.0, 3 * 3600 + 420 + 240),  # COMPLETED 4 minutes late: signalled when it arrives
])
def test_a_lost_or_late_event_is_caught(stack, aws_backup, clock, lose, delay, signalled_after):
    emulator = aws_backup.emulator
    emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=3 * 3600 + 420)
    emulator.drop_event_if = lambda event: lose and event["detail"]["state"] == "COMPLETED"
    emulator.event_delay = lambda event: delay if event["detail"]["state"] == "COMPLETED" else 0.0
    with stack() as simulated:
        result = simulated.deploy(template(backup_job()))
        counts = simulated.invocation_counts[ARN]
        per_hour = simulated.wake_ups_per_hour(ARN)

    assert result.status == "CREATE_COMPLETE", result.reason
    assert clock.now == START + signalled_after
    woken = counts["event"] + counts["schedule"]
    assert per_hour == woken / ((clock.now - START) / 3600) < 4  # invocations per hour of waiting: a few
    assert [e["detail"]["state"] for e in emulator.dropped_events] == (["COMPLETED"] if lose else [])


def test_a_failed_job_signals_failure_and_the_stack_rolls_back(stack, aws_backup, cfn_scheduler, clock):
    aws_backup.emulator.timing = JobTiming(running_after=60, done_after=2 * 3600)
    aws_backup.emulator.script_outcome("vol-0abc", "FAILED", "Insufficient privileges to perform this action")
    with stack() as simulated:
        result = simulated.deploy(template(backup_job()))

    [job] = aws_backup.state.backup_jobs.values()
    assert result.status == "ROLLBACK_COMPLETE"
    assert result.reason == (f"Wait: WaitCondition received failed message: 'Backup job {job.job_id} ended FAILED: "
                             f"Insufficient privileges to perform this action' for uniqueId: {job.job_id}")
    assert clock.now == START + 2 * 3600


@pytest.mark.parametrize("max_parallel, waits", [(10, [3600, 3600]), (1, [3600, 0])])
def test_parallel_waits_share_one_timeline(stack, aws_backup, clock, max_parallel, waits):
    aws_backup.emulator.timing = JobTiming(running_after=60, done_after=3600)
    first = template(backup_job(), handle="HandleA", wait="WaitA", job_id="JobA")
    second = template(backup_job(Resource=VOLUME + "b"), handle="HandleB", wait="WaitB", job_id="JobB")
    both = {"Resources": {**first["Resources"], **second["Resources"]}}
    with stack(max_parallel=max_parallel) as simulated:
        result = simulated.deploy(both)

    assert result.status == "CREATE_COMPLETE", result.reason
    assert [w.status for w in result.wait_conditions] == ["CREATE_COMPLETE", "CREATE_COMPLETE"]
    # Both jobs run at once and neither wait moves time for itself alone. One resource at a time, the
    # second wait begins when the first ended, and finds its signal there already.
    assert clock.now == START + 3600
    assert [w.seconds for w in result.wait_conditions] == waits


def creation_policy_template(status: str = "SUCCESS", timeout: str = "PT1H") -> dict[str, Any]:
    signal = {"wait": "Wait", "id": "job-1" if status == "SUCCESS" else "Backup job ended FAILED", "status": status}
    return {"Resources": {
        "Job": {"Type": "Custom::Job", "Properties": {"ServiceToken": ARN, "SignalResource": json.dumps(signal)}},
        "Wait": {"Type": "AWS::CloudFormation::WaitCondition", "DependsOn": "Job",
                 "CreationPolicy": {"ResourceSignal": {"Count": 1, "Timeout": timeout}}}},
        "Outputs": {"Early": {"Value": {"Fn::GetAtt": ["Job", "Early"]}}}}


def test_a_wait_condition_with_a_creation_policy_waits_for_signal_resource(stack, cfn_scheduler, clock):
    with stack() as simulated:
        result = simulated.deploy(creation_policy_template())
        stack_id = simulated.stack_id

    assert result.status == "CREATE_COMPLETE", result.reason
    # Signalled while the wait condition was not waiting yet: refused, as CloudFormation refuses it.
    assert result.outputs["Early"] == "Resource Wait does not exist for stack Stack"
    assert clock.now == START + 600  # signalled by the rule, 10 minutes on
    assert [(s["UniqueId"], s["Status"]) for s in cfn_scheduler.state.signals_for(stack_id, "Wait")] == [
        ("job-1", "SUCCESS")]
    assert result.wait_conditions[0].seconds == 600


def test_a_wait_condition_without_depends_on_waits_while_the_job_is_created(stack, cfn_scheduler, clock):
    # CloudFormation starts each resource once its own dependencies are done, independent ones in
    # parallel (DependsOn attribute), so the WaitCondition waits from the start while the job waits
    # only for its Topic; not one after the other.
    template = creation_policy_template()
    template["Resources"]["Topic"] = {"Type": "AWS::SNS::Topic"}
    template["Resources"]["Job"]["Properties"]["After"] = {"Ref": "Topic"}
    del template["Resources"]["Wait"]["DependsOn"]
    with stack() as simulated:
        result = simulated.deploy(template)
        stack_id = simulated.stack_id

    assert result.status == "CREATE_COMPLETE", result.reason
    assert result.outputs["Early"] == ""  # the WaitCondition was waiting already: the first signal counted
    assert clock.now == START
    assert [(s["UniqueId"], s["Status"]) for s in cfn_scheduler.state.signals_for(stack_id, "Wait")] == [
        ("job-1", "SUCCESS")]


@pytest.mark.parametrize("status, timeout, reason", [
    ("FAILURE", "PT1H", "Wait: Received FAILURE signal with UniqueId Backup job ended FAILED"),
    ("SUCCESS", "PT5M", "Wait: Failed to receive 1 resource signal(s) within the specified duration"),
])
def test_a_creation_policy_wait_fails_on_a_failure_signal_or_its_timeout(stack, clock, status, timeout, reason):
    with stack() as simulated:
        result = simulated.deploy(creation_policy_template(status, timeout))

    assert result.status == "ROLLBACK_COMPLETE"
    assert result.reason == reason
    assert clock.now == START + min(600, 300 if timeout == "PT5M" else 3600)


def test_a_wait_that_times_out_cancels_the_others_of_its_wave(stack, clock):
    short = template(signals(), timeout="600", handle="HandleB", wait="WaitB", job_id="JobB")
    long = template(signals(), timeout="3600", handle="HandleA", wait="WaitA", job_id="JobA")
    with stack() as simulated:
        result = simulated.deploy({"Resources": {**short["Resources"], **long["Resources"]}})

    assert result.status == "ROLLBACK_COMPLETE"
    assert result.reason == "WaitB: WaitCondition timed out. Received 0 conditions when expecting 1"
    assert sorted((w.logical_id, w.reason, w.seconds) for w in result.wait_conditions) == [
        ("WaitA", "Resource creation cancelled", 600), ("WaitB", result.reason[len("WaitB: "):], 600)]
    assert clock.now == START + 600
