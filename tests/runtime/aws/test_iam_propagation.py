"""A new IAM policy or role not in effect yet: the provider's retry, decided without AWS and applied at its
chokepoints (botocore's own ClientError objects, a fake clock: no test waits)."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from cdk_backup_jobs_runtime import invocation
from cdk_backup_jobs_runtime.aws import backup_service, iam_propagation
from cdk_backup_jobs_runtime.aws.iam_propagation import (ANSWER_MARGIN_SECONDS, MAX_RETRY_SECONDS, has_time_for,
                                                     is_propagation_symptom, next_delay)
from cdk_backup_jobs_runtime.errors import BackupServiceError
from cdk_backup_jobs_runtime.watches import signals
from cdk_backup_jobs_runtime.watches.waiter import Waiter
from provider_events import backup_properties, make_event

# AWS's implicit-deny form (IAM User Guide, "Troubleshoot access denied error messages"), as
# aws/aws-cdk#37939 quotes it from a provider's log.
DENIED_MESSAGE = ("User: arn:aws:sts::123456789012:assumed-role/Jobs-ProviderRole/Jobs-Provider is not "
                  "authorized to perform: backup:StartBackupJob on resource: "
                  "arn:aws:backup:us-east-1:123456789012:backup-vault:vault because no identity-based policy "
                  "allows the backup:StartBackupJob action")
# hashicorp/terraform-provider-aws#9297: AWS Backup's answer for a role IAM has not spread yet.
NOT_ASSUMABLE = "IAM Role arn:aws:iam::123456789012:role/Jobs-BackupRole cannot be assumed by AWS Backup"


def client_error(code: str, message: str, operation: str = "StartBackupJob") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)


class FakeTime:
    """A clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def failing(errors: list[ClientError], answer: Any = "answer") -> Callable[[], Any]:
    """A call that raises each of ``errors`` in turn, then answers."""
    calls: list[int] = []

    def call() -> Any:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return answer

    call.calls = calls  # type: ignore[attr-defined]
    return call


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """An invocation with two minutes left, on a fake clock."""
    fake = FakeTime()
    invocation.begin(120.0, clock=fake.clock)
    yield fake
    invocation.begin(None)


def test_denials_and_a_role_aws_backup_cannot_assume_yet_are_propagation_symptoms():
    assert is_propagation_symptom("AccessDeniedException", DENIED_MESSAGE)
    assert is_propagation_symptom("AccessDenied", "User: ... is not authorized to perform: "
                                                  "cloudformation:SignalResource")
    assert is_propagation_symptom("InvalidParameterValueException", NOT_ASSUMABLE)


def test_other_errors_are_not():
    assert not is_propagation_symptom("InvalidParameterValueException", "Lifecycle.DeleteAfterDays is invalid")
    assert not is_propagation_symptom("ResourceNotFoundException", "Backup vault vault does not exist")
    assert not is_propagation_symptom("ThrottlingException", "Rate exceeded")


def test_waits_double_from_half_a_second_to_at_most_eight():
    assert [next_delay(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_the_budget_is_sixty_seconds_and_keeps_a_margin_before_the_invocation_ends():
    assert has_time_for(1.0, started=0.0, now=58.0, deadline=1000.0)
    assert not has_time_for(1.0, started=0.0, now=59.5, deadline=1000.0)  # past 60 s of retrying
    assert has_time_for(1.0, started=0.0, now=0.0, deadline=11.0)
    assert not has_time_for(1.0, started=0.0, now=0.5, deadline=11.0)  # into the last 10 s
    assert (MAX_RETRY_SECONDS, ANSWER_MARGIN_SECONDS) == (60.0, 10.0)


def test_a_denied_start_is_tried_again_until_the_policy_is_in_effect(fake_time):
    call = failing([client_error("AccessDeniedException", DENIED_MESSAGE)] * 3)

    assert iam_propagation.retrying("StartBackupJob", call, fake_time.sleep, fake_time.clock) == "answer"
    assert fake_time.slept == [0.5, 1.0, 2.0]
    assert len(call.calls) == 4  # type: ignore[attr-defined]


def test_a_role_aws_backup_cannot_assume_yet_is_tried_again(fake_time):
    call = failing([client_error("InvalidParameterValueException", NOT_ASSUMABLE)])

    assert iam_propagation.retrying("StartCopyJob", call, fake_time.sleep, fake_time.clock) == "answer"
    assert fake_time.slept == [0.5]


def test_a_denial_that_lasts_ends_within_sixty_seconds_with_aws_s_own_error(fake_time):
    denied = client_error("AccessDeniedException", DENIED_MESSAGE)
    call = failing([denied] * 100)

    with pytest.raises(ClientError) as raised:
        iam_propagation.retrying("StartBackupJob", call, fake_time.sleep, fake_time.clock)

    assert raised.value is denied
    assert sum(fake_time.slept) <= MAX_RETRY_SECONDS
    assert sum(fake_time.slept) + next_delay(len(fake_time.slept) + 1) > MAX_RETRY_SECONDS  # all it could


def test_the_retries_stop_before_the_invocation_s_last_ten_seconds():
    fake = FakeTime()
    invocation.begin(15.0, clock=fake.clock)  # a function with 15 s left
    try:
        with pytest.raises(ClientError):
            iam_propagation.retrying("PutRule", failing([client_error("AccessDeniedException", "denied")] * 100),
                                     fake.sleep, fake.clock)
    finally:
        invocation.begin(None)
    assert fake.slept == [0.5, 1.0, 2.0]  # 3.5 s; 4 more would end 2.5 s into the margin


@pytest.mark.parametrize("operation", ["DescribeBackupJob", "DescribeCopyJob", "StopBackupJob"])
def test_calls_outside_the_deployment_s_first_calls_are_not_retried(fake_time, operation):
    call = failing([client_error("AccessDeniedException", "denied", operation)])

    with pytest.raises(ClientError):
        iam_propagation.retrying(operation, call, fake_time.sleep, fake_time.clock)
    assert fake_time.slept == []


def test_other_errors_are_raised_at_once(fake_time):
    call = failing([client_error("ResourceNotFoundException", "Backup vault vault does not exist")])

    with pytest.raises(ClientError):
        iam_propagation.retrying("StartBackupJob", call, fake_time.sleep, fake_time.clock)
    assert fake_time.slept == []


def test_nothing_is_retried_outside_an_invocation():
    invocation.begin(None)
    fake = FakeTime()
    with pytest.raises(ClientError):
        iam_propagation.retrying("StartBackupJob", failing([client_error("AccessDeniedException", "denied")]),
                                 fake.sleep, fake.clock)
    assert fake.slept == []


def test_backup_service_fails_with_aws_s_original_message_once_the_budget_is_spent(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(iam_propagation.time, "sleep", fake.sleep)
    monkeypatch.setattr(iam_propagation.time, "monotonic", fake.clock)
    invocation.begin(120.0, clock=fake.clock)
    call = failing([client_error("AccessDeniedException", DENIED_MESSAGE)] * 100)
    try:
        with pytest.raises(BackupServiceError) as raised:
            backup_service.call("StartBackupJob", call)
    finally:
        invocation.begin(None)

    assert str(raised.value) == f"StartBackupJob failed: AccessDeniedException: {DENIED_MESSAGE}"
    assert 1 < len(call.calls) and sum(fake.slept) <= MAX_RETRY_SECONDS  # type: ignore[attr-defined]


class SignalClient:
    """A CloudFormation client whose SignalResource is denied ``denials`` times."""

    def __init__(self, denials: int) -> None:
        self.denials = denials
        self.signals: list[dict[str, str]] = []

    def signal_resource(self, **signal: str) -> None:
        if self.denials:
            self.denials -= 1
            raise client_error("AccessDenied", "User: ... is not authorized to perform: "
                                               "cloudformation:SignalResource", "SignalResource")
        self.signals.append(signal)


def test_a_denied_signal_is_tried_again_and_delivered(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(iam_propagation.time, "sleep", fake.sleep)
    monkeypatch.setattr(iam_propagation.time, "monotonic", fake.clock)
    invocation.begin(120.0, clock=fake.clock)
    waiter = Waiter(resource_type="Custom::BackupJob", job_id="job-1", stack_id="stack", logical_resource_id="Job",
                    started=0.0, deadline=3600.0, signal="wait_condition", wait_condition="JobWait")
    client = SignalClient(denials=2)
    try:
        delivery = signals.send(waiter, client, True, "done", "done", {})
    finally:
        invocation.begin(None)

    assert delivery is signals.SignalResult.DONE
    assert [s["Status"] for s in client.signals] == ["SUCCESS"] and fake.slept == [0.5, 1.0]


def test_the_handler_retries_a_denied_start_and_starts_one_job(invoke, cfn, backup_api):
    from cdk_backup_jobs.testing import Fault

    backup_api.state.faults.append(Fault("StartBackupJob", 1, status=400, code="AccessDeniedException",
                                         message=DENIED_MESSAGE))  # not retried by botocore
    response = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))

    assert response["Status"] == "SUCCESS", response.get("Reason")
    assert len(backup_api.state.calls_of("StartBackupJob")) == 2  # denied once, then started
    assert len(backup_api.state.backup_jobs) == 1
