"""A waited job's watch, without AWS: events read as AWS documents them, rules and schedules, verdicts."""

from __future__ import annotations

import calendar
import json
import time

import pytest

from cdk_backup_jobs_runtime.errors import JobDidNotComplete
from cdk_backup_jobs_runtime.jobs import decisions
from cdk_backup_jobs_runtime.jobs.job_types import BACKUP_JOB, COPY_JOB
from cdk_backup_jobs_runtime.watches import signals
from cdk_backup_jobs_runtime.watches.backup_events import read_state_change
from cdk_backup_jobs_runtime.watches.waiter import (RULE_PREFIX, WAITER_KEY, Waiter, event_pattern, next_check,
                                            read_invocation, rule_name, schedule_expression, target_input_template)

# Shapes from the AWS Backup Developer Guide's example events ("Monitoring AWS Backup events using
# Amazon EventBridge"): the recovery point of a backup is resources[0], its size a string; a copy's
# size is a number, its destination recovery point an object until it completed.
BACKUP_COMPLETED = {
    "version": "0", "id": "dafac799", "detail-type": "Backup Job State Change", "source": "aws.backup",
    "account": "123456789012", "time": "2026-11-30T12:41:17Z", "region": "us-east-1",
    "resources": ["arn:aws:backup:us-east-1:123456789012:recovery-point:f1d966fe"],
    "detail": {"backupJobId": "a827233a", "backupSizeInBytes": "36048", "bytesTransferred": "36048",
               "state": "COMPLETED", "completionDate": "2026-11-30T12:41:05.921Z", "percentDone": 100},
}
BACKUP_FAILED = {**BACKUP_COMPLETED, "resources": [], "detail": {
    "backupJobId": "a827233a", "state": "FAILED", "statusMessage": "Backup vault does not exist", "percentDone": 0}}
COPY_RUNNING = {**BACKUP_COMPLETED, "detail-type": "Copy Job State Change", "resources": ["arn:src"], "detail": {
    "copyJobId": "C0PY", "state": "RUNNING", "destinationRecoveryPointArn": {}, "backupSizeInBytes": 3221225472}}
COPY_COMPLETED = {**COPY_RUNNING, "detail": {**COPY_RUNNING["detail"], "state": "COMPLETED",
                                             "destinationRecoveryPointArn": "arn:aws:ec2:us-east-1::snapshot/snap-1",
                                             "completionDate": "2026-11-30T13:07:58.111Z"}}
COPY_CREATED = {**COPY_RUNNING, "detail": {"state": "CREATED", "creationDate": "2026-11-30T12:06:27.234Z"}}
START = 1_796_040_000.0  # a whole minute


def test_a_backup_event_names_its_recovery_point_in_resources_and_its_size_as_text():
    change = read_state_change(BACKUP_COMPLETED)
    assert change is not None
    assert (change.kind, change.job_id, change.state) == ("backup", "a827233a", "COMPLETED")
    assert change.recovery_point_arn == "arn:aws:backup:us-east-1:123456789012:recovery-point:f1d966fe"
    assert change.backup_size_in_bytes == "36048" and change.percent_done == "100.0"


def test_a_copy_event_names_its_destination_and_its_size_as_a_number():
    running, completed = read_state_change(COPY_RUNNING), read_state_change(COPY_COMPLETED)
    assert running is not None and completed is not None
    assert running.recovery_point_arn == ""  # {} until the copy completed
    assert completed.recovery_point_arn == "arn:aws:ec2:us-east-1::snapshot/snap-1"
    assert completed.backup_size_in_bytes == "3221225472"


def test_a_created_copy_event_has_no_job_id_and_other_events_are_not_job_changes():
    created = read_state_change(COPY_CREATED)
    assert created is not None and created.job_id is None and created.state == "CREATED"
    assert read_state_change({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}) is None
    assert read_state_change(None) is None


def data(deadline_in: float) -> dict[str, str]:
    return {"BackupJobId": "a827233a", "RecoveryPointArn": "", decisions.WAIT_DEADLINE: f"{START + deadline_in}"}


def test_a_completed_event_ends_the_wait_with_the_events_results():
    change = read_state_change(BACKUP_COMPLETED)
    assert change is not None
    outcome = decisions.judge_state_change(BACKUP_JOB, change, "a827233a", data(3600), START)

    assert not outcome.waiting
    assert outcome.data == {"BackupJobId": "a827233a", "CompletionDate": "2026-11-30T12:41:05.921Z",
                            "BackupSizeInBytes": "36048",
                            "RecoveryPointArn": "arn:aws:backup:us-east-1:123456789012:recovery-point:f1d966fe"}


def test_a_failed_event_ends_the_wait_with_the_jobs_message():
    change = read_state_change(BACKUP_FAILED)
    assert change is not None
    with pytest.raises(JobDidNotComplete, match="Backup job a827233a ended FAILED: Backup vault does not exist") as raised:
        decisions.judge_state_change(BACKUP_JOB, change, "a827233a", data(3600), START)
    assert raised.value.summary == "ended FAILED: Backup vault does not exist"  # a FAILURE signal's UniqueId


def test_a_running_event_past_the_deadline_fails_naming_state_and_percent():
    change = read_state_change({**COPY_RUNNING, "detail": {**COPY_RUNNING["detail"], "percentDone": 42}})
    assert change is not None
    assert decisions.judge_state_change(COPY_JOB, change, "C0PY", data(60), START).waiting
    with pytest.raises(JobDidNotComplete, match="last state RUNNING, 42.0% done") as raised:
        decisions.judge_state_change(COPY_JOB, change, "C0PY", data(60), START + 60)
    assert raised.value.summary == "timed out: RUNNING, 42.0% done" and raised.value.unfinished


def test_fallback_checks_come_at_5_15_and_30_minutes_then_every_30_and_never_after_the_deadline():
    deadline = START + 6 * 3600
    checks, now = [], START
    while now < deadline:
        now = next_check(now, START, deadline)
        checks.append(round((now - START) / 60))
    assert checks[:5] == [5, 15, 30, 60, 90]
    assert checks[-1] == 360 and all(b - a <= 30 for a, b in zip(checks, checks[1:]))
    assert len(checks) == 14  # 14 checks in 6 hours: fewer than 3 an hour
    assert next_check(START + 3590, START, START + 3600) == START + 3650  # never in the minute just fired


def test_the_schedule_is_a_one_time_cron_for_the_minute_of_the_check():
    at = calendar.timegm(time.strptime("2026-11-30 14:37:20", "%Y-%m-%d %H:%M:%S"))
    assert schedule_expression(at) == "cron(38 14 30 11 ? 2026)"
    assert schedule_expression(at - 20) == "cron(37 14 30 11 ? 2026)"


def test_a_watch_round_trips_through_its_rule_target_and_matches_only_its_job():
    waiter = Waiter("Custom::CopyJob", "C0PY", "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1", "Copy",
                    START, START + 3600, "wait_condition", wait_condition="CopyWait")
    template = target_input_template(waiter)
    delivered = json.loads(template.replace("<aws.events.event.json>", json.dumps(COPY_RUNNING)))

    woken = read_invocation(delivered)
    assert woken is not None and woken[0] == waiter and woken[1] == COPY_RUNNING
    assert read_invocation({"RequestType": "Create"}) is None
    assert json.loads(event_pattern("copy", "C0PY")) == {
        "source": ["aws.backup"], "detail-type": ["Copy Job State Change"], "detail": {"copyJobId": [{"equals-ignore-case": "C0PY"}]}}
    name = rule_name(waiter.stack_id, "Copy")
    assert name.startswith(RULE_PREFIX) and len(name) <= 64 and name == rule_name(waiter.stack_id, "Copy")
    assert name != rule_name(waiter.stack_id, "Other")
    assert WAITER_KEY in template and "ResponseURL" not in template


def test_a_failure_signal_carries_its_reason_in_the_64_characters_of_its_unique_id():
    reason = "Backup job a827233a ended FAILED: Backup vault does not exist, and more words"
    assert signals.failure_unique_id(reason) == reason[:61] + "..."
    assert signals.failure_unique_id("short") == "short"
