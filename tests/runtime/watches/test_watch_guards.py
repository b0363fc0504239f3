"""The watch's guards: against a forged wake-up, a template it cannot read, a WaitCondition not created
yet, a one-time check scheduled into the minute that just fired, and a watch left behind."""

from __future__ import annotations

import time
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from cdk_backup_jobs_runtime.aws.clients import Clients
from cdk_backup_jobs_runtime.cloudformation.request import CustomResourceRequest
from cdk_backup_jobs_runtime.errors import InvalidProperties
from cdk_backup_jobs_runtime.input import rules
from cdk_backup_jobs_runtime.jobs import waits
from cdk_backup_jobs_runtime.watches import eventbridge, signals
from cdk_backup_jobs_runtime.watches.waiter import Waiter, next_check, rule_name, schedule_expression

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/Jobs/guid"
REQUEST = CustomResourceRequest("Create", "Custom::BackupJob", STACK_ID, "Job", "r1")
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:provider"
WATCH = Waiter("Custom::BackupJob", "job-1", STACK_ID, "Job", 1_796_040_000.0, 1_796_043_600.0,
               "wait_condition", wait_condition="JobWait")


@pytest.fixture
def events(cfn_scheduler: Any) -> Any:
    return botocore.session.get_session().create_client(
        "events", endpoint_url=cfn_scheduler.endpoint_url, region_name="us-east-1")


class TemplateReader:
    """Answers GetTemplate with a fixed body, as CloudFormation does for a YAML or a JSON template."""

    def __init__(self, body: Any, status: str = "CREATE_IN_PROGRESS") -> None:
        self.body = body
        self.status = status

    def get_template(self, StackName: str) -> dict[str, Any]:  # noqa: N803 (botocore's spelling)
        return {"TemplateBody": self.body}

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803
        return {"Stacks": [{"StackName": StackName, "StackStatus": self.status}]}


class Signaller:
    """Refuses SignalResource as CloudFormation does."""

    def __init__(self, message: str) -> None:
        self.message = message

    def signal_resource(self, **_: Any) -> None:
        raise ClientError({"Error": {"Code": "ValidationError", "Message": self.message}}, "SignalResource")


def test_a_forged_wake_up_does_nothing(events: Any):
    eventbridge.arm(events, WATCH, FUNCTION_ARN, WATCH.started + 300)
    forged = Waiter(**{**WATCH.to_json(), "wait_condition": "SomeoneElsesWait"})
    calls: list[str] = []

    def backup() -> Any:
        calls.append("backup")
        raise AssertionError("a forged wake-up must not reach AWS Backup")

    waits.on_wake(forged, None, backup, backup, lambda: events)

    assert calls == []
    assert eventbridge.recorded(events, STACK_ID, "Job") == WATCH  # the real watch is untouched


def test_a_resources_delete_removes_only_its_own_jobs_watch(events: Any):
    eventbridge.arm(events, WATCH, FUNCTION_ARN, WATCH.started + 300)
    waits.forget(STACK_ID, "Job", lambda: events, job_id="another-job")
    assert eventbridge.recorded(events, STACK_ID, "Job") == WATCH
    waits.forget(STACK_ID, "Job", lambda: events, job_id="job-1")
    assert eventbridge.recorded(events, STACK_ID, "Job") is None
    waits.forget(STACK_ID, "Job", lambda: events, job_id="job-1")  # already gone: no error


def test_a_wait_condition_waiting_for_more_than_one_signal_is_refused():
    # The provider signals once; a Count of 2 would end in "Failed to receive 2 resource signal(s)".
    body = {"Resources": {"JobWait": {"Type": "AWS::CloudFormation::WaitCondition", "DependsOn": "Job",
                                      "CreationPolicy": {"ResourceSignal": {"Count": 2, "Timeout": "PT65M"}}}}}
    clients = Clients(backup=lambda: None, stack=lambda: TemplateReader(body), events=lambda: None)
    with pytest.raises(InvalidProperties, match=r"JobWait's ResourceSignal Count must be 1 \(the provider signals "
                                                r"once\), got 2"):
        waits.check_wait_condition(REQUEST, "JobWait", 55, clients)
    body["Resources"]["JobWait"]["CreationPolicy"]["ResourceSignal"]["Count"] = "1"
    waits.check_wait_condition(REQUEST, "JobWait", 55, clients)


def test_a_yaml_template_is_read_and_held_to_the_rule():
    # GetTemplate answers a YAML template as its text (API Reference, GetTemplate); it used to pass unread.
    yaml_body = ("Resources:\n  JobWait:\n    Type: AWS::CloudFormation::WaitCondition\n    DependsOn: Job\n"
                 "    CreationPolicy:\n      ResourceSignal:\n        Timeout: {timeout}\n")
    fits = Clients(backup=lambda: None, stack=lambda: TemplateReader(yaml_body.format(timeout="!Ref Timeout")),
                   events=lambda: None)
    short = Clients(backup=lambda: None, stack=lambda: TemplateReader(yaml_body.format(timeout="PT2H")),
                    events=lambda: None)
    waits.check_wait_condition(REQUEST, "JobWait", 55, Clients(
        backup=lambda: None, stack=lambda: TemplateReader(yaml_body.format(timeout="PT65M")), events=lambda: None))
    with pytest.raises(InvalidProperties, match=r"JobWait's Timeout must be .*\(PT190M for 180\) to PT12H, got 'PT2H'"):
        waits.check_wait_condition(REQUEST, "JobWait", 180, short)
    # A Timeout given by Ref (a CreationPolicy may take one: cdklabs/decdk#360) is not resolved in the template
    # read, so it is not judged.
    waits.check_wait_condition(REQUEST, "JobWait", 180, fits)


def test_a_wait_condition_missing_from_a_readable_template_is_refused():
    body = {"Resources": {"JobWait": {"Type": "AWS::CloudFormation::WaitCondition"}}}  # no CreationPolicy
    clients = Clients(backup=lambda: None, stack=lambda: TemplateReader(body), events=lambda: None)
    with pytest.raises(InvalidProperties, match="WaitCondition must be the logical ID of an"):
        waits.check_wait_condition(REQUEST, "JobWait", 55, clients)
    body["Resources"]["JobWait"].update(DependsOn="Job", CreationPolicy={"ResourceSignal": {"Timeout": "PT65M"}})
    waits.check_wait_condition(REQUEST, "JobWait", 55, clients)


@pytest.mark.parametrize("timeout, minutes, depends_on, reason", [
    ("PT2H", 180, "Job", "JobWait's Timeout must be WaitTimeoutMinutes + 10 minutes (PT190M for 180) to PT12H, "
                         "got 'PT2H'"),
    ("PT730M", 710, "Job", "JobWait's Timeout must be WaitTimeoutMinutes + 10 minutes (PT720M for 710) to PT12H, "
                           "got 'PT730M'"),
    (None, 55, ["Vault", "Job"], "JobWait's Timeout must be WaitTimeoutMinutes + 10 minutes (PT65M for 55) to "
                                 "PT12H, got 'PT5M'"),  # CloudFormation's default Timeout
    ("2 hours", 60, "Job", "JobWait's Timeout must be WaitTimeoutMinutes + 10 minutes (PT70M for 60) to PT12H, "
                           "got '2 hours'"),
    ("PT4H", 180, None, "JobWait must have DependsOn: Job (its Timeout starts when CloudFormation starts "
                        "creating it)"),
])
def test_a_wait_condition_that_cannot_carry_the_wait_is_refused(timeout, minutes, depends_on, reason):
    signal = {"Count": 1, **({"Timeout": timeout} if timeout else {})}
    condition = {"Type": "AWS::CloudFormation::WaitCondition", "CreationPolicy": {"ResourceSignal": signal},
                 **({"DependsOn": depends_on} if depends_on else {})}
    clients = Clients(backup=lambda: None, stack=lambda: TemplateReader({"Resources": {"JobWait": condition}},
                                                                        "UPDATE_IN_PROGRESS"), events=lambda: None)
    with pytest.raises(InvalidProperties) as refused:
        waits.check_wait_condition(REQUEST, "JobWait", minutes, clients)
    assert str(refused.value) == f"Invalid Custom::BackupJob properties: WaitCondition {reason}"


@pytest.mark.parametrize("timeout, minutes", [("PT190M", 180), ("PT3H10M", 180), ("PT12H", 710), ("PT11H", 1),
                                              ("PT3900S", 55)])
def test_a_wait_condition_whose_timeout_holds_the_wait_and_the_grace_passes(timeout, minutes):
    resources = {"Job": {"Type": "Custom::BackupJob"},
                 "Step": {"Type": "AWS::SNS::Topic", "DependsOn": "Job"},
                 "JobWait": {"Type": "AWS::CloudFormation::WaitCondition", "DependsOn": ["Step"],
                             "CreationPolicy": {"ResourceSignal": {"Timeout": timeout}}}}
    assert rules.wait_condition_violations("Job", minutes, "JobWait", resources) == []  # after the job, through Step


@pytest.mark.parametrize("status", ["UPDATE_IN_PROGRESS", ""])
def test_a_template_read_during_an_update_may_be_the_previous_one_and_is_not_held_against_it(status, capsys):
    # GetTemplate does not say which template it answers with during an update: the previous one lacks a
    # WaitCondition this update adds. Only a stack being created has one template to trust.
    body = {"Resources": {"Job": {"Type": "Custom::BackupJob"}}}
    clients = Clients(backup=lambda: None, stack=lambda: TemplateReader(body, status), events=lambda: None)
    waits.check_wait_condition(REQUEST, "JobWaitRun2", 55, clients)

    assert "The template read has no such WaitCondition; it may be the previous one" in capsys.readouterr().out


@pytest.mark.parametrize("message, delivery", [
    ("Resource JobWait does not exist for stack Jobs", signals.SignalResult.RETRY),  # not created yet
    ("Stack Jobs does not exist", signals.SignalResult.RETRY),  # any other text: tried again, never final
    ("1 validation error detected: something else entirely", signals.SignalResult.RETRY),
    (f"Stack {STACK_ID} is in CREATE_IN_PROGRESS state and cannot be signaled", signals.SignalResult.RETRY),
    (f"Stack {STACK_ID} is in ROLLBACK_IN_PROGRESS state and cannot be signaled", signals.SignalResult.RETRY),
    # aws-cloudformation/aws-cloudformation-templates#34: the operation ended, no signal is taken any more
    (f"Stack {STACK_ID} is in CREATE_COMPLETE state and cannot be signaled", signals.SignalResult.NEVER),
    (f"Stack {STACK_ID} is in UPDATE_COMPLETE state and cannot be signaled", signals.SignalResult.NEVER),
    ("Resource JobWait is in CREATE_FAILED state and cannot be signaled", signals.SignalResult.NEVER),
])
def test_a_refused_signal_is_tried_again_unless_its_stack_no_longer_waits(message, delivery):
    assert signals.send(WATCH, Signaller(message), True, "COMPLETED", "COMPLETED", {}) is delivery


def completed_event(at: float) -> dict[str, Any]:
    """The job's COMPLETED state change event, at ``at`` (AWS's clock)."""
    return {"source": "aws.backup", "detail-type": "Backup Job State Change",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)),
            "detail": {"backupJobId": "job-1", "state": "COMPLETED", "percentDone": 100.0}}


@pytest.mark.parametrize("message, watched", [
    (f"Stack {STACK_ID} is in CREATE_COMPLETE state and cannot be signaled", False),
    ("Resource JobWait does not exist for stack Jobs", True),
    ("Some ValidationError CloudFormation has not documented", True),
])
def test_a_watch_whose_stack_ended_stops_and_any_other_refusal_checks_again(events: Any, message: str,
                                                                           watched: bool, monkeypatch):
    eventbridge.arm(events, WATCH, FUNCTION_ARN, WATCH.started + 300)
    at = WATCH.started + 120
    monkeypatch.setattr("time.time", lambda: at)  # the function's clock agrees with the event's
    waits.on_wake(WATCH, completed_event(at), lambda: None, lambda: Signaller(message), lambda: events)

    rule = events.describe_rule(Name=rule_name(STACK_ID, "Job")) if watched else None
    assert (eventbridge.recorded(events, STACK_ID, "Job") == WATCH) is watched
    if watched:  # no more checks of a stack that ended; otherwise the signal is tried again 5 minutes on
        assert rule["ScheduleExpression"] == schedule_expression(at + 300)


def test_a_check_is_never_scheduled_into_the_minute_that_just_fired():
    started = 1_796_040_000.7  # a job created 0.7 s into a minute
    woken = started - 0.7 + 30 * 60  # the 30-minute check, whose event says 12:30:00
    after = next_check(woken, started, started + 6 * 3600)
    assert schedule_expression(after) != schedule_expression(woken)
    assert after >= woken + 60
