"""Waits of hours, end to end on the simulator and the local AWS Backup, on one ManualClock.

A waited job is three resources: the job's custom resource (answered once the
job started), a WaitCondition that the provider signals when the job ended
(up to 12 hours), and a ``Custom::BackupJobResult`` with the finished job's
attributes. The provider watches the job with one EventBridge rule: the job's
state change events, and fallback checks 5, 15 and 30 minutes after it
started, then every 30 minutes, the last at the deadline. A final backup
still waits inside its Delete (at most 55 minutes) and resumes its job on the
next delete attempt; a stack operation CloudFormation retries with the same
RequestId replaces a job that ended badly. Hours of waiting run in seconds.
"""

from __future__ import annotations

import json
import textwrap
import time
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from aws_cdk import App, CfnOutput, CustomResource, Duration, Stack, aws_backup as backup, aws_iam as iam

from cdk_backup_jobs import BackupJob, JobValidationError
from cdk_backup_jobs.testing import CloudFormationSimulator, JobTiming, ManualClock, read_assembly_template
from provider_events import LambdaContext, backup_properties, make_event
from scenarios.test_waiting import (VOLUME, deploy_data, logged, logical_id_of_type, no_watch_left, synth,
                                    wait_of, wake_ups, watches)

from cdk_backup_jobs_runtime.watches.waiter import rule_name

pytestmark = pytest.mark.slow

HOUR = 3600
MINUTE = 60
EFS = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0"
MIGRATION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:migration"
MIGRATION = textwrap.dedent('''
    import json, urllib.request

    def handler(event, context):
        properties = event["ResourceProperties"]
        print(json.dumps({"message": "migrating", "request_type": event["RequestType"],
                          "recovery_point_arn": properties.get("RecoveryPointArn"),
                          "copy_recovery_point_arn": properties.get("CopyRecoveryPointArn")}))
        body = json.dumps({"Status": "SUCCESS", "PhysicalResourceId": "file-system-migration",
                           "StackId": event["StackId"], "RequestId": event["RequestId"],
                           "LogicalResourceId": event["LogicalResourceId"], "Data": {}}).encode()
        request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                         headers={"content-type": ""})
        urllib.request.urlopen(request, timeout=10)
''')


@pytest.fixture
def clock(aws_backup: Any) -> ManualClock:
    """The stack's and the emulator's clock; jobs are PENDING at 1 minute and RUNNING at 2 (each
    test sets when they end)."""
    clock = ManualClock()
    aws_backup.emulator.clock = clock
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=10 * MINUTE)
    return clock


def timing(done_after: float) -> JobTiming:
    return JobTiming(pending_after=60, running_after=120, done_after=done_after)


def iso(seconds: float) -> str:
    """A date as the provider's attributes write it (ISO 8601, milliseconds, Z)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(seconds))


def provider_arn(stack: CloudFormationSimulator) -> str:
    [arn] = [arn for arn in stack.invocation_counts if arn != MIGRATION_ARN]
    return arn


def efs_backup_stack(copy: bool = False, migration: bool = False) -> Callable[[App], None]:
    """A waited backup of the EFS file system; optionally a waited copy of it, then a migration that
    takes both recovery point ARNs (so it runs after both jobs COMPLETED)."""
    def build(app: App) -> None:
        stack = Stack(app, "LongWait")
        role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
        job = BackupJob(stack, "FileSystemBackup", backup_vault=backup.BackupVault(stack, "Vault"), resource_arn=EFS,
                        role=role, wait_for_completion=True, timeout=Duration.minutes(710))
        CfnOutput(stack, "RecoveryPointArn", value=job.recovery_point_arn)
        if not copy:
            return
        copied = job.copy_to("FileSystemCopy", destination_backup_vault=backup.BackupVault(stack, "CopyVault"),
                             wait_for_completion=True, timeout=Duration.minutes(710))
        CfnOutput(stack, "CopyRecoveryPointArn", value=copied.destination_recovery_point_arn)
        if migration:
            CustomResource(stack, "Migration", service_token=MIGRATION_ARN, resource_type="Custom::Migration",
                           properties={"RecoveryPointArn": job.recovery_point_arn,
                                       "CopyRecoveryPointArn": copied.destination_recovery_point_arn})
    return build


# --- 1. six hours of backup, then a copy, then a migration --------------------------------------

def test_a_six_hour_efs_backup_then_its_copy_then_a_migration(tmp_path, aws_backup, cfn_stack, cfn_scheduler,
                                                              clock):
    emulator = aws_backup.emulator
    emulator.timing = timing(6 * HOUR)
    publish = emulator.event_sink

    def copies_take_an_hour(event: dict[str, Any]) -> Any:
        # The copy starts only once the backup COMPLETED: from then on, jobs take an hour.
        if event["detail-type"] == "Backup Job State Change" and event["detail"]["state"] == "COMPLETED":
            emulator.timing = timing(HOUR)
        return publish(event)

    emulator.event_sink = copies_take_an_hour
    migration_code = tmp_path / "migration"
    migration_code.mkdir()
    (migration_code / "index.py").write_text(MIGRATION)
    out = synth(tmp_path, efs_backup_stack(copy=True, migration=True))
    with cfn_stack(out, stack_name="LongWait", on_tick=clock.advance,
                   functions={MIGRATION_ARN: migration_code}) as stack:
        result = stack.deploy(read_assembly_template(out, "LongWait"))
        migration_logs = stack.runtimes[MIGRATION_ARN].logs

    assert result.status == "CREATE_COMPLETE", result.reason
    assert len(aws_backup.state.calls_of("StartBackupJob")) == len(aws_backup.state.calls_of("StartCopyJob")) == 1
    [backup_job] = aws_backup.state.backup_jobs.values()
    [copy_job] = aws_backup.state.copy_jobs.values()
    assert backup_job.finished_at() - backup_job.created_at == 6 * HOUR
    assert copy_job.finished_at() - copy_job.created_at == HOUR
    # StartCopyJob came once the backup COMPLETED (the emulator's timestamps), on its recovery point.
    assert copy_job.created_at >= backup_job.finished_at()
    assert copy_job.params["RecoveryPointArn"] == backup_job.recovery_point_arn
    # The migration ran last, once, with both recovery point ARNs.
    [migrated] = [json.loads(line) for line in migration_logs.splitlines() if '"migrating"' in line]
    assert migrated == {"message": "migrating", "request_type": "Create",
                        "recovery_point_arn": backup_job.recovery_point_arn,
                        "copy_recovery_point_arn": copy_job.recovery_point_arn}
    [migration_at] = [r.at for r in stack.invocations.snapshot() if r.function_arn == MIGRATION_ARN]
    assert migration_at >= copy_job.finished_at()
    assert result.outputs == {"RecoveryPointArn": backup_job.recovery_point_arn,
                              "CopyRecoveryPointArn": copy_job.recovery_point_arn}
    # Each WaitCondition waited for its job, not longer.
    waits = {w.logical_id.split("Wait")[0]: (w.status, w.seconds) for w in result.wait_conditions}
    assert waits == {"FileSystemBackup": ("CREATE_COMPLETE", 6.0 * HOUR),
                     "FileSystemCopy": ("CREATE_COMPLETE", 1.0 * HOUR)}
    assert stack.waited_seconds == 7 * HOUR
    # What seven hours of waiting cost: a handful of invocations an hour.
    counts = stack.invocation_counts[provider_arn(stack)]
    hours = stack.waited_seconds / HOUR
    per_hour = sum(counts.values()) / hours
    by_hour = [0] * int(hours)
    for record in stack.invocations.snapshot():
        if record.function_arn == provider_arn(stack):
            by_hour[min(int((record.at - backup_job.created_at) // HOUR), len(by_hour) - 1)] += 1
    print(f"\nprovider invocations over {hours:.1f} waited hours: {counts} = {per_hour:.2f} an hour; "
          f"hour by hour {by_hour}; backup watch {wake_ups(stack, backup_job.job_id)}, "
          f"copy watch {wake_ups(stack, copy_job.job_id)}")
    assert counts["cloudformation"] == 4  # each job's Create and its Result's
    assert per_hour <= 4
    assert no_watch_left(cfn_scheduler)



# --- 2. a job that fails after three hours ---------------------------------------------------------

def test_a_job_failing_at_hour_three_fails_the_stack_within_minutes(tmp_path, aws_backup, cfn_stack, cfn_scheduler,
                                                                    clock):
    aws_backup.emulator.timing = timing(3 * HOUR)
    aws_backup.emulator.script_outcome("fs-0123456789abcdef0", "FAILED", "Access denied to the file system's KMS key")
    out = synth(tmp_path, efs_backup_stack())
    with cfn_stack(out, stack_name="LongWait", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "LongWait"))
        logs = stack.function_logs

    [job] = aws_backup.state.backup_jobs.values()
    wait = wait_of(result, "FileSystemBackup")
    assert result.status == "ROLLBACK_COMPLETE"
    assert job.finished_at() - job.created_at == 3 * HOUR
    # The stack failed as soon as the job did, not at the WaitCondition's 12-hour timeout.
    assert wait.status == "CREATE_FAILED" and 3 * HOUR <= wait.seconds <= 3 * HOUR + 5 * MINUTE
    assert stack.waited_seconds == wait.seconds
    summary = "ended FAILED: Access denied to the file system's KMS key"
    assert f"{wait.logical_id}: Received FAILURE signal with UniqueId {summary}" in result.reason
    # The FAILED event and the check due at 3:00 were delivered together: the event ended the watch,
    # and the check, whose rule was gone by then, did nothing (no second signal). The provider's log
    # has the whole message with the job's ID.
    ended = logged(logs, "Wait ended")
    assert [e["woken_by"] for e in ended] == ["event"]
    assert {e["reason"] for e in ended} == {
        f"Backup job {job.job_id} ended FAILED: Access denied to the file system's KMS key"}
    assert [e.request_type for e in result.events] == ["Create", "Delete"]  # its rollback; no Result
    assert result.events[1].succeeded and aws_backup.state.calls_of("StopBackupJob") == []
    assert no_watch_left(cfn_scheduler)


# --- 3. a lost COMPLETED event ------------------------------------------------------------------------

@pytest.mark.parametrize("done_after, next_check", [
    (11 * MINUTE, 15 * MINUTE),            # between the first checks
    (31 * MINUTE, HOUR),                   # just after the 30-minute check: the longest gap
    (2 * HOUR + MINUTE, 2 * HOUR + 30 * MINUTE),
])
def test_a_lost_completed_event_is_caught_by_the_next_check(tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock,
                                                             done_after, next_check):
    aws_backup.emulator.timing = timing(done_after)
    aws_backup.emulator.drop_event_if = lambda event: event["detail"].get("state") == "COMPLETED"
    out = synth(tmp_path, efs_backup_stack())
    with cfn_stack(out, stack_name="LongWait", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "LongWait"))

    assert result.status == "CREATE_COMPLETE", result.reason
    [job] = aws_backup.state.backup_jobs.values()
    [lost] = aws_backup.emulator.dropped_events
    assert (lost["detail"]["backupJobId"], lost["detail"]["state"]) == (job.job_id, "COMPLETED")
    wait = wait_of(result, "FileSystemBackup")
    assert wait.seconds == next_check and next_check - done_after <= 30 * MINUTE
    last = [r for r in stack.invocations.snapshot() if r.cause != "cloudformation"][-1]
    assert last.cause == "schedule" and last.at == job.created_at + next_check  # the check caught it
    # The Result reads the job as AWS Backup has it: completed when it did, not when it was noticed.
    [result_event] = [e for e in result.events if e.request["ResourceType"] == "Custom::BackupJobResult"]
    assert result_event.response["Data"]["CompletionDate"] == iso(job.finished_at())
    assert result.outputs["RecoveryPointArn"] == job.recovery_point_arn
    assert no_watch_left(cfn_scheduler)


# --- 4. more than 12 hours ------------------------------------------------------------------------

def test_a_wait_of_thirteen_hours_is_refused_at_synth():
    stack = Stack(App(), "TooLong")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    with pytest.raises(JobValidationError) as raised:
        BackupJob(stack, "FileSystemBackup", backup_vault="primary-vault", resource_arn=EFS, role=role,
                  wait_for_completion=True, timeout=Duration.hours(13))

    assert "timeout (WaitTimeoutMinutes) must be between 1 and 710, got 780" in str(raised.value)


def test_a_wait_of_thirteen_hours_is_refused_by_the_handler_before_any_call(invoke, cfn, backup_api, cfn_scheduler):
    event = make_event(cfn, "Create", "Custom::BackupJob", backup_properties(
        ResourceArn=EFS, WaitForCompletion="true", WaitTimeoutMinutes="780", WaitCondition="FileSystemBackupWait"))
    response = invoke(event)

    assert response["Status"] == "FAILED"
    assert "WaitTimeoutMinutes must be between 1 and 710, got 780" in response["Reason"]
    assert backup_api.state.calls == [] and cfn_scheduler.state.calls == []


# --- 5. a stack operation retried with the same RequestId --------------------------------------

@dataclass
class FunctionContext(LambdaContext):
    """A context that names the function invoked: a watch's rule targets it."""

    invoked_function_arn: str = ""


def resend(provider: Any, cfn: Any, request: dict[str, Any], function_arn: str) -> dict[str, Any]:
    """CloudFormation sending a request again with its RequestId (to a new presigned URL): the one answer."""
    event = {**request, "ResponseURL": cfn.new_url()}
    provider.handler(event, FunctionContext(deadline=time.monotonic() + 60, invoked_function_arn=function_arn))
    [response] = cfn.responses_for(event["ResponseURL"])
    return response


def waited_volume_backup(app: App) -> None:
    stack = Stack(app, "Jobs")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    BackupJob(stack, "Job", backup_vault=backup.BackupVault(stack, "Vault"), resource_arn=VOLUME, role=role,
              wait_for_completion=True)


def test_a_retried_operation_replaces_a_failed_job_once(tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock,
                                                        provider, cfn, capsys):
    aws_backup.emulator.script_outcome("vol-0abc", "FAILED", "Volume is in use by a restore")
    out = synth(tmp_path, waited_volume_backup)
    stack = cfn_stack(out, stack_name="Jobs", on_tick=clock.advance)
    failed = stack.deploy(read_assembly_template(out, "Jobs"))
    assert failed.status == "ROLLBACK_COMPLETE"
    [first] = aws_backup.state.backup_jobs.values()
    create = failed.events[0].request
    aws_backup.emulator.outcomes.clear()
    clock.advance(2 * MINUTE)  # CloudFormation retries later: the job was created 12 minutes before
    retried = resend(provider, cfn, create, provider_arn(stack))
    duplicate = resend(provider, cfn, create, provider_arn(stack))  # the retry, delivered twice
    handler_logs = capsys.readouterr().out
    stack.wait(30 * MINUTE)  # the fresh job completes; its watch signals and goes
    stack.close()

    [fresh] = [j for j in aws_backup.state.backup_jobs.values() if j is not first]
    assert len(aws_backup.state.backup_jobs) == 2
    assert aws_backup.emulator.backup_job_states() == {first.job_id: "FAILED", fresh.job_id: "COMPLETED"}
    assert retried["Status"] == duplicate["Status"] == "SUCCESS"
    assert retried["PhysicalResourceId"] == duplicate["PhysicalResourceId"] == fresh.job_id
    assert retried["Data"]["BackupJobId"] == fresh.job_id
    # Each delivery of the retry: its token finds the failed job (described: FAILED), then a token
    # derived from it finds or starts the fresh one.
    starts = [call["IdempotencyToken"] for call in aws_backup.state.calls_of("StartBackupJob")]
    assert starts[0] == starts[1] == starts[3] != starts[2] == starts[4] == fresh.params["IdempotencyToken"]
    assert len(starts) == 5 and first.params["IdempotencyToken"] == starts[0]
    assert [c["BackupJobId"] for c in aws_backup.state.calls_of("DescribeBackupJob")][:2] == [first.job_id] * 2
    replaced = logged(handler_logs, "Backup job of an earlier attempt ended FAILED; starting a fresh one")
    assert [e["job_id"] for e in replaced] == [first.job_id] * 2
    # The fresh job is watched like the first: its CREATED, PENDING, RUNNING and COMPLETED events
    # and the 5-minute check (its stack rolled back, so the signal had nowhere to go), then the
    # watch was removed.
    assert wake_ups(stack, fresh.job_id) == {"event": 4, "schedule": 1}
    assert no_watch_left(cfn_scheduler)


def test_a_retried_operation_keeps_a_healthy_job(tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock,
                                                 provider, cfn, capsys):
    out = synth(tmp_path, waited_volume_backup)
    stack = cfn_stack(out, stack_name="Jobs", on_tick=clock.advance)
    created = stack.deploy(read_assembly_template(out, "Jobs"))
    assert created.status == "CREATE_COMPLETE", created.reason
    [job] = aws_backup.state.backup_jobs.values()
    clock.advance(2 * MINUTE)  # the job was created 12 minutes before
    again = resend(provider, cfn, created.events[0].request, provider_arn(stack))
    handler_logs = capsys.readouterr().out
    stack.wait(30 * MINUTE)
    watched_again = [r.cause for r in stack.invocations.snapshot() if r.at > job.created_at + 12 * MINUTE]
    stack.close()

    assert again["Status"] == "SUCCESS" and again["PhysicalResourceId"] == job.job_id
    assert list(aws_backup.state.backup_jobs) == [job.job_id]  # one job ...
    starts = aws_backup.state.calls_of("StartBackupJob")  # ... asked for twice, with the same token
    assert [c["IdempotencyToken"] for c in starts] == [job.params["IdempotencyToken"]] * 2
    assert [c["BackupJobId"] for c in aws_backup.state.calls_of("DescribeBackupJob")][0] == job.job_id
    assert [e["job_id"] for e in logged(handler_logs, "Backup job started")] == [job.job_id]
    assert "of an earlier attempt ended" not in handler_logs
    # Its watch, armed again, found the job COMPLETED at its first check (15 minutes after the job
    # started), and went.
    assert watched_again == ["schedule"] and wake_ups(stack, job.job_id) == {"event": 4, "schedule": 2}
    assert no_watch_left(cfn_scheduler)


# --- 6. a final backup longer than a Delete can wait -------------------------------------------

TABLE_ID = "TableCD117FA1"


def test_a_final_backup_of_80_minutes_fails_the_first_delete_and_the_second_waits_for_the_same_job(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    stack, _ = deploy_data(tmp_path, cfn_stack, clock)
    final_id = logical_id_of_type(stack, "Custom::BackupJob")
    aws_backup.emulator.timing = timing(80 * MINUTE)
    first = stack.delete()
    left = watches(cfn_scheduler)
    table_kept = TABLE_ID in stack.resources
    second = stack.delete()
    logs = stack.function_logs
    stack.close()

    [job] = aws_backup.state.backup_jobs.values()
    assert len(aws_backup.state.calls_of("StartBackupJob")) == 1  # over both attempts
    # The first attempt gave up at the final backup's 55 minutes, naming the job's state and progress.
    assert first.status == "DELETE_FAILED"
    state, percent, _ = job.state_at(job.created_at + 55 * MINUTE)
    assert (state, percent) == ("RUNNING", 67.9)  # RUNNING from minute 2 of 80: 53 of 78 minutes done
    assert f"Timed out waiting for backup job {job.job_id}: last state RUNNING, 67.9% done" in first.reason
    [failed] = first.events
    assert 55 * MINUTE <= failed.seconds < 55 * MINUTE + 1
    # ... woken by the CREATED, PENDING and RUNNING events and the checks at 5, 15, 30 and 55 minutes.
    assert failed.polls == 7
    assert table_kept and left == {rule_name(stack.stack_id, final_id): ("DISABLED", job.job_id)}
    # The second attempt waited for that same job, from its 55th minute until it COMPLETED at the 80th:
    # the check at 60 minutes, then the COMPLETED event.
    assert second.status == "DELETE_COMPLETE", second.reason
    [done] = second.events
    assert 25 * MINUTE <= done.seconds < 25 * MINUTE + 1 and done.polls == 2
    assert done.response["Data"]["BackupJobId"] == job.job_id
    assert done.response["Data"]["RecoveryPointArn"] == job.recovery_point_arn
    assert [e["job_id"] for e in logged(logs, "Waiting for the final backup an earlier delete attempt started")] == [
        job.job_id]
    assert aws_backup.emulator.backup_job_states() == {job.job_id: "COMPLETED"}
    assert stack.deletions.index(final_id) < stack.deletions.index(TABLE_ID)
    assert no_watch_left(cfn_scheduler)


def test_a_final_backup_that_completed_between_two_delete_attempts_lets_the_second_succeed_at_once(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    stack, _ = deploy_data(tmp_path, cfn_stack, clock)
    final_id = logical_id_of_type(stack, "Custom::BackupJob")
    aws_backup.emulator.timing = timing(80 * MINUTE)
    first = stack.delete()
    invoked_before = len(stack.invocations.snapshot())
    stack.wait(30 * MINUTE)  # the job COMPLETED meanwhile (at 80 minutes); its disabled rule stayed quiet
    quiet = len(stack.invocations.snapshot()) == invoked_before
    waited_before = stack.waited_seconds
    second = stack.delete()
    logs = stack.function_logs
    stack.close()

    [job] = aws_backup.state.backup_jobs.values()
    assert first.status == "DELETE_FAILED" and quiet
    assert second.status == "DELETE_COMPLETE", second.reason
    assert len(aws_backup.state.calls_of("StartBackupJob")) == 1
    [done] = second.events
    assert done.polls == 0 and stack.waited_seconds == waited_before  # answered at once, no wait
    assert done.response["Data"]["RecoveryPointArn"] == job.recovery_point_arn
    assert done.response["Data"]["CompletionDate"] == iso(job.finished_at())
    assert [e["job_id"] for e in logged(logs, "Final backup of an earlier delete attempt COMPLETED")] == [job.job_id]
    assert stack.deletions.index(final_id) < stack.deletions.index(TABLE_ID)
    assert no_watch_left(cfn_scheduler)
