"""The local EventBridge (and the stack's CloudFormation API), through botocore over HTTP: what AWS documents, it does."""

from __future__ import annotations

import calendar
import json
import time
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cdk_backup_jobs.testing import ManualClock, events_server
from cdk_backup_jobs.testing.eventbridge.schedules import parse_schedule

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:provider"
JOB = "D0D1D2D3-0000-4000-8000-000000000001"
PATTERN = {"source": ["aws.backup"], "detail-type": ["Backup Job State Change"], "detail": {"backupJobId": [JOB]}}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_764_000_000.0)  # 2025-11-24T16:00:00Z


@pytest.fixture
def events(clock: ManualClock) -> Iterator[Any]:
    with events_server(clock=clock) as running:
        yield running


def client(events: Any, service: str = "events") -> Any:
    return boto3.client(service, endpoint_url=events.endpoint_url, region_name="us-east-1",
                        config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def job_event(state: str, job_id: str = JOB, **detail: Any) -> dict[str, Any]:
    return {"version": "0", "id": "e-1", "detail-type": "Backup Job State Change", "source": "aws.backup",
            "account": "123456789012", "time": "2025-11-24T16:00:00Z", "region": "us-east-1",
            "resources": [], "detail": {"backupJobId": job_id, "state": state, **detail}}


def test_put_rule_creates_and_replaces_resetting_what_it_omits(events):
    api = client(events)
    arn = api.put_rule(Name="watch", EventPattern=json.dumps(PATTERN), ScheduleExpression="rate(5 minutes)",
                       Description="first", State="DISABLED")["RuleArn"]
    first = api.describe_rule(Name="watch")
    api.put_targets(Rule="watch", Targets=[{"Id": "t", "Arn": FUNCTION}])
    api.put_rule(Name="watch", ScheduleExpression="cron(37 14 30 11 ? 2026)")
    second = api.describe_rule(Name="watch")

    assert arn == "arn:aws:events:us-east-1:123456789012:rule/watch" == first["Arn"]
    assert (first["State"], first["Description"], json.loads(first["EventPattern"])) == ("DISABLED", "first", PATTERN)
    assert first["ScheduleExpression"] == "rate(5 minutes)" and first["EventBusName"] == "default"
    # "If you omit arguments in PutRule, the old values for those arguments are not kept": State back to ENABLED.
    assert second["State"] == "ENABLED" and "EventPattern" not in second and "Description" not in second
    assert second["ScheduleExpression"] == "cron(37 14 30 11 ? 2026)"
    assert [t["Id"] for t in api.list_targets_by_rule(Rule="watch")["Targets"]] == ["t"]  # targets stay


def test_missing_rules_and_bad_rules_get_eventbridges_errors(events):
    api = client(events)
    missing = ("ResourceNotFoundException", "Rule nope does not exist on EventBus default.")
    assert error_of(lambda: api.remove_targets(Rule="nope", Ids=["t"])) == missing
    assert error_of(lambda: api.put_targets(Rule="nope", Targets=[{"Id": "t", "Arn": FUNCTION}])) == missing
    assert error_of(lambda: api.describe_rule(Name="nope")) == missing
    assert error_of(lambda: api.list_targets_by_rule(Rule="nope")) == missing
    api.delete_rule(Name="nope")  # "If you call delete rule multiple times for the same rule, all calls will succeed"

    api.put_rule(Name="r", ScheduleExpression="rate(1 minute)")
    api.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": FUNCTION}])
    assert error_of(lambda: api.delete_rule(Name="r")) == ("ValidationException",
                                                           "Rule can't be deleted since it has targets.")
    api.remove_targets(Rule="r", Ids=["t"])
    api.delete_rule(Name="r")
    assert events.state.rules == {}

    for schedule in ("rate(1 minutes)", "rate(5 minute)", "cron(0 12 * * * *)", "cron(0 25 * * ? *)", "every day"):
        assert error_of(lambda: api.put_rule(Name="r", ScheduleExpression=schedule)) == (
            "ValidationException", "Parameter ScheduleExpression is not valid.")
    code, message = error_of(lambda: api.put_rule(Name="r", EventPattern='{"source": "aws.backup"}'))
    assert code == "InvalidEventPatternException"
    assert message == 'Event pattern is not valid. Reason: "source" must be an object or an array'
    assert error_of(lambda: api.put_rule(Name="r"))[0] == "ValidationException"


def test_a_matching_event_reaches_each_target_and_others_do_not(events):
    api = client(events)
    api.put_rule(Name="mine", EventPattern=json.dumps(PATTERN))
    api.put_rule(Name="anything-but-failed", EventPattern=json.dumps(
        {"source": ["aws.backup"], "detail": {"state": [{"anything-but": ["FAILED", "ABORTED"]}]}}))
    api.put_rule(Name="off", EventPattern=json.dumps({"source": ["aws.backup"]}), State="DISABLED")
    for rule in ("mine", "anything-but-failed", "off"):
        api.put_targets(Rule=rule, Targets=[{"Id": "t", "Arn": FUNCTION}])

    events.publish(job_event("RUNNING"))
    running = {(d.rule_name, d.cause) for d in events.bus.take_due()}
    events.publish(job_event("FAILED", job_id="another"))
    failed_elsewhere = events.bus.take_due()

    assert running == {("mine", "event"), ("anything-but-failed", "event")}
    assert failed_elsewhere == []  # another job's, and FAILED: no rule matches; a disabled one never does


def test_an_input_transformer_gets_the_predefined_variables_and_json_paths(events, clock):
    api = client(events)
    api.put_rule(Name="watch", EventPattern=json.dumps(PATTERN))
    template = ('{"watch": {"job": "J"}, "event": <aws.events.event.json>, "rule": <aws.events.rule-name>, '
                '"arn": "<aws.events.rule-arn>", "at": <aws.events.event.ingestion-time>, "state": <state>, '
                '"says": "job is <state>", "missing": <nothing>}')
    api.put_targets(Rule="watch", Targets=[
        {"Id": "transformed", "Arn": FUNCTION, "InputTransformer": {
            "InputPathsMap": {"state": "$.detail.state", "nothing": "$.detail.nope"}, "InputTemplate": template}},
        {"Id": "constant", "Arn": FUNCTION, "Input": '{"fixed": true}'},
        {"Id": "path", "Arn": FUNCTION, "InputPath": "$.detail"},
        {"Id": "plain", "Arn": FUNCTION}])
    clock.advance(90)
    event = job_event("COMPLETED")
    events.publish(event)
    payloads = {d.target["Id"]: d.payload() for d in events.bus.take_due()}

    assert payloads["transformed"] == {
        "watch": {"job": "J"}, "event": event, "rule": "watch", "arn": "arn:aws:events:us-east-1:123456789012:rule/watch",
        "at": "2025-11-24T16:01:30Z", "state": "COMPLETED", "says": "job is COMPLETED", "missing": None}
    assert payloads["constant"] == {"fixed": True}
    assert payloads["path"] == event["detail"]
    assert payloads["plain"] == event


def test_a_rate_fires_every_period_and_a_one_time_cron_once_within_its_minute(events, clock):
    api = client(events)
    api.put_rule(Name="poll", ScheduleExpression="rate(5 minutes)")
    api.put_targets(Rule="poll", Targets=[{"Id": "t", "Arn": FUNCTION}])
    fired = []
    for _ in range(3):
        clock.now = events.bus.next_due()
        fired += [(d.rule_name, clock.now) for d in events.bus.take_due()]
    api.remove_targets(Rule="poll", Ids=["t"])
    api.delete_rule(Name="poll")

    start = 1_764_000_000.0
    assert fired == [("poll", start + 300), ("poll", start + 600), ("poll", start + 900)]

    api.put_rule(Name="once", ScheduleExpression="cron(37 14 30 11 ? 2026)")
    api.put_targets(Rule="once", Targets=[{"Id": "t", "Arn": FUNCTION}])
    due = events.bus.next_due()
    clock.now = due
    [delivery] = events.bus.take_due()
    assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(due)) == "2026-11-30T14:37:00Z"
    assert delivery.cause == "schedule" and delivery.payload() == {
        "version": "0", "id": delivery.event["id"], "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-11-30T14:37:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/once"], "detail": {}}
    assert events.bus.next_due() is None  # a one-time schedule does not fire again


def test_a_rule_with_a_pattern_and_a_schedule_triggers_on_both(events, clock):
    api = client(events)
    api.put_rule(Name="both", EventPattern=json.dumps(PATTERN), ScheduleExpression="rate(30 minutes)")
    api.put_targets(Rule="both", Targets=[{"Id": "t", "Arn": FUNCTION}])
    events.publish(job_event("RUNNING"))
    clock.now = events.bus.next_due()
    first = events.bus.take_due()
    clock.now = events.bus.next_due()
    second = events.bus.take_due()

    assert [d.cause for d in first] == ["event"]
    assert [d.cause for d in second] == ["schedule"] and clock.now == 1_764_000_000.0 + 1800


def test_a_rule_replaced_in_the_minute_it_fired_does_not_fire_again(events, clock):
    api = client(events)
    api.put_rule(Name="once", ScheduleExpression="cron(5 16 24 11 ? 2025)")
    api.put_targets(Rule="once", Targets=[{"Id": "t", "Arn": FUNCTION}])
    clock.now = events.bus.next_due()
    assert len(events.bus.take_due()) == 1
    api.put_rule(Name="once", ScheduleExpression="cron(5 16 24 11 ? 2025)")  # put again, same minute
    assert events.bus.next_due() is None


def test_put_events_matches_custom_events_and_refuses_aws_sources(events):
    api = client(events)
    api.put_rule(Name="orders", EventPattern=json.dumps({"source": ["my.orders"], "detail": {"total": [{"numeric": [">", 100]}]}}))
    api.put_targets(Rule="orders", Targets=[{"Id": "t", "Arn": FUNCTION}])
    answer = api.put_events(Entries=[
        {"Source": "my.orders", "DetailType": "Order", "Detail": json.dumps({"total": 150})},
        {"Source": "my.orders", "DetailType": "Order", "Detail": json.dumps({"total": 50})},
        {"Source": "aws.backup", "DetailType": "Backup Job State Change", "Detail": "{}"}])

    assert answer["FailedEntryCount"] == 1
    assert answer["Entries"][2] == {"ErrorCode": "NotAuthorizedForSourceException",
                                    "ErrorMessage": "Not authorized for the source."}
    [delivery] = events.bus.take_due()
    assert delivery.payload()["detail"] == {"total": 150} and delivery.payload()["id"] == answer["Entries"][0]["EventId"]


def test_answers_carry_the_bus_clocks_time(events, clock):
    clock.advance(3600)
    answer = client(events).list_rules()
    assert answer["ResponseMetadata"]["HTTPHeaders"]["date"] == "Mon, 24 Nov 2025 17:00:00 GMT"


def test_the_cloudformation_api_describes_and_pages_the_stacks_resources(events):
    stack_id = "arn:aws:cloudformation:us-east-1:123456789012:stack/Jobs/1111"
    handle_url = "https://127.0.0.1:1/cloudformation-waitcondition/x/Handle?X-Amz-Signature=abc&b=c"
    resources = [{"LogicalResourceId": f"R{i}", "PhysicalResourceId": f"r-{i}", "ResourceType": "AWS::SNS::Topic"}
                 for i in range(5)]
    resources.append({"LogicalResourceId": "Handle", "PhysicalResourceId": handle_url,
                      "ResourceType": "AWS::CloudFormation::WaitConditionHandle"})
    events.set_stack(stack_id, "Jobs", "CREATE_IN_PROGRESS", {"Resources": {}}, resources=lambda: resources)
    events.state.list_page_size = 2
    cfn = client(events, "cloudformation")

    detail = cfn.describe_stack_resource(StackName="Jobs", LogicalResourceId="Handle")["StackResourceDetail"]
    pages = list(cfn.get_paginator("list_stack_resources").paginate(StackName=stack_id))
    missing = error_of(lambda: cfn.describe_stack_resource(StackName="Jobs", LogicalResourceId="Nope"))

    assert detail["PhysicalResourceId"] == handle_url and detail["StackId"] == stack_id
    assert (detail["ResourceType"], detail["ResourceStatus"]) == ("AWS::CloudFormation::WaitConditionHandle",
                                                                  "CREATE_COMPLETE")
    assert [len(p["StackResourceSummaries"]) for p in pages] == [2, 2, 2]
    assert [s["PhysicalResourceId"] for p in pages for s in p["StackResourceSummaries"]][-1] == handle_url
    assert missing == ("ValidationError", "Resource Nope does not exist for stack Jobs")
    assert error_of(lambda: cfn.list_stack_resources(StackName="Other"))[1] == "Stack with id Other does not exist"


@pytest.mark.parametrize("expression, after, expected", [
    ("cron(0/15 * ? * MON-FRI *)", "2025-11-24T16:00:01Z", "2025-11-24T16:15:00Z"),
    ("cron(0 16 * * ? *)", "2025-11-24T16:00:00Z", "2025-11-24T16:00:00Z"),  # set at that very minute: it fires
    ("cron(0 10 ? * 6L 2026)", "2025-11-24T16:00:00Z", "2026-01-30T10:00:00Z"),  # the last Friday
    ("cron(0 8 LW * ? *)", "2025-11-24T16:00:00Z", "2025-11-28T08:00:00Z"),  # the 30th is a Sunday
    ("cron(0 8 ? * 2#1 *)", "2025-11-24T16:00:00Z", "2025-12-01T08:00:00Z"),  # the first Monday
    ("cron(30 9 1 JAN,JUL ? *)", "2025-11-24T16:00:00Z", "2026-01-01T09:30:00Z"),
    ("rate(1 day)", "2025-11-24T16:00:00Z", "2025-11-25T16:00:00Z"),
])
def test_schedule_expressions_fire_when_eventbridge_would(expression, after, expected):
    def epoch(text: str) -> float:
        return float(calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")))

    fired = parse_schedule(expression).next_after(epoch(after), epoch(after) - 1e-6)
    assert fired is not None and time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(fired)) == expected


def test_signal_resource_keeps_signals_only_for_a_creation_policy_resource_in_progress(events):
    stack_id = "arn:aws:cloudformation:us-east-1:123456789012:stack/Jobs/2222"
    template = {"Resources": {"Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                                       "CreationPolicy": {"ResourceSignal": {"Count": 1, "Timeout": "PT1H"}}},
                              "Topic": {"Type": "AWS::SNS::Topic"}}}
    rows = [{"LogicalResourceId": "Wait", "ResourceType": "AWS::CloudFormation::WaitCondition",
             "ResourceStatus": "CREATE_IN_PROGRESS"},
            {"LogicalResourceId": "Topic", "PhysicalResourceId": "t", "ResourceType": "AWS::SNS::Topic",
             "ResourceStatus": "CREATE_IN_PROGRESS"}]
    events.set_stack(stack_id, "Jobs", "CREATE_IN_PROGRESS", template, resources=rows)
    cfn = client(events, "cloudformation")

    cfn.signal_resource(StackName="Jobs", LogicalResourceId="Wait", UniqueId="job-1", Status="SUCCESS")
    no_policy = error_of(lambda: cfn.signal_resource(StackName="Jobs", LogicalResourceId="Topic", UniqueId="x",
                                                     Status="SUCCESS"))
    unknown = error_of(lambda: cfn.signal_resource(StackName="Jobs", LogicalResourceId="Nope", UniqueId="x",
                                                   Status="SUCCESS"))
    events.set_stack(stack_id, "Jobs", "CREATE_COMPLETE", template)
    done = error_of(lambda: cfn.signal_resource(StackName=stack_id, LogicalResourceId="Wait", UniqueId="job-2",
                                                Status="SUCCESS"))

    assert [(s["UniqueId"], s["Status"]) for s in events.state.signals_for(stack_id, "Wait")] == [("job-1", "SUCCESS")]
    assert no_policy == ("ValidationError", "Resource Topic is in CREATE_IN_PROGRESS state and cannot be signaled")
    assert unknown == ("ValidationError", "Resource Nope does not exist for stack Jobs")
    assert done == ("ValidationError", f"Stack {stack_id} is in CREATE_COMPLETE state and cannot be signaled")
