"""Waits that faults must neither cut short nor throw away, and a signal that comes before its WaitCondition.

End to end on the simulator, the local AWS Backup and one ManualClock (the
provider's own clock follows it): a check AWS Backup did not answer is judged
on the waking event's time and checked again 5 minutes later; a completed
job's result survives a minute of throttling; a job that ends before
CloudFormation created its WaitCondition still gets it signalled.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import (App, Duration, Stack, aws_backup as backup, aws_cloudformation as cloudformation, aws_iam as iam,
                     aws_sns as sns)

from cdk_backup_jobs import BackupJob
from cdk_backup_jobs.testing import Fault, JobTiming, ManualClock, read_assembly_template
from scenarios.test_waiting import (VOLUME, deploy_single_job, logged, no_watch_left, single_job_stack, synth,
                                    wait_of, wake_ups)

pytestmark = pytest.mark.slow

HOUR = 3600
MINUTE = 60


@pytest.fixture
def clock(aws_backup: Any) -> ManualClock:
    clock = ManualClock()
    aws_backup.emulator.clock = clock
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=10 * MINUTE)
    return clock


def faulted(aws_backup: Any, operation: str) -> list[str]:
    """The faults the emulator answered ``operation`` with, in order."""
    return [params["_fault"] for name, params in aws_backup.state.calls if name == operation and "_fault" in params]


def test_a_dropped_connection_on_a_check_does_not_end_a_12_hour_wait(tmp_path, aws_backup, cfn_stack,
                                                                     cfn_scheduler, clock):
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=6 * HOUR)
    aws_backup.emulator.drop_event_if = lambda event: True  # every wake-up is a DescribeBackupJob
    aws_backup.state.faults.append(Fault("DescribeBackupJob", 6, kind="drop"))  # all of botocore's attempts
    stack, result, logs = deploy_single_job(tmp_path, cfn_stack, clock, wait_for_completion=True,
                                            timeout=Duration.minutes(710))

    assert result.status == "CREATE_COMPLETE", result.reason
    [job] = aws_backup.state.backup_jobs.values()
    assert faulted(aws_backup, "DescribeBackupJob") == ["drop"] * 6
    [warning] = logged(logs, "Could not check the job; checking again in 5 minutes")
    assert "ConnectionClosedError" in warning["reason"]
    # The check at 5 minutes got no answer: judged at its event's time, far from the deadline, it
    # waited on; the check at 6 hours found the job COMPLETED.
    assert wait_of(result, "Job").seconds == 6 * HOUR
    assert no_watch_left(cfn_scheduler)


def test_a_check_that_fails_is_made_again_5_minutes_later_not_at_the_next_regular_check(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=35 * MINUTE)
    aws_backup.emulator.drop_event_if = lambda event: True
    start = clock.now
    armed: list[Fault] = []

    def fault_the_30_minute_check(_: float) -> None:  # told each move of the clock
        if clock.now >= start + 29 * MINUTE and not armed:  # AccessDenied: botocore does not retry it
            armed.append(Fault("DescribeBackupJob", 1, code="AccessDeniedException", message="denied"))
            aws_backup.state.faults.extend(armed)

    out = synth(tmp_path, single_job_stack(wait_for_completion=True, timeout=Duration.minutes(710)))
    with cfn_stack(out, stack_name="Jobs", clock=clock, on_tick=fault_the_30_minute_check) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))

    assert result.status == "CREATE_COMPLETE", result.reason
    [job] = aws_backup.state.backup_jobs.values()
    assert faulted(aws_backup, "DescribeBackupJob") == ["AccessDeniedException"]
    # Checks at 5 and 15 minutes; the one at 30 failed; 5 minutes later (not at 60) the job, COMPLETED
    # at 35, was found.
    assert wait_of(result, "Job").seconds == 35 * MINUTE
    assert wake_ups(stack, job.job_id) == {"event": 0, "schedule": 4}


def test_a_completed_jobs_result_survives_a_minute_of_throttling(tmp_path, aws_backup, cfn_stack, cfn_scheduler,
                                                                 clock):
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=3 * MINUTE)
    # The first DescribeBackupJob is the result's (the events tell the watch how the job goes).
    aws_backup.state.faults.append(Fault.lasting("DescribeBackupJob", 61.0))
    stack, result, logs = deploy_single_job(tmp_path, cfn_stack, clock, wait_for_completion=True)

    assert result.status == "CREATE_COMPLETE", result.reason
    [job] = aws_backup.state.backup_jobs.values()
    [answer] = [e.response for e in result.events if e.request["ResourceType"] == "Custom::BackupJobResult"]
    assert answer["Status"] == "SUCCESS" and answer["Data"]["RecoveryPointArn"] == job.recovery_point_arn
    throttled = faulted(aws_backup, "DescribeBackupJob")
    assert len(throttled) >= 6 and set(throttled) == {"ThrottlingException"}
    assert logged(logs, "Could not read the job's result; trying again")
    assert no_watch_left(cfn_scheduler)


def early_signal_stack(app: App) -> None:
    """Job Fast ends at once; its WaitCondition is created only after job Slow's WaitCondition completed
    (20 minutes on), so Fast's signal comes before CloudFormation created what it signals."""
    stack = Stack(app, "Jobs")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    fast = BackupJob(stack, "Fast", backup_vault=backup.BackupVault(stack, "Vault"), resource_arn=VOLUME,
                     role=role, wait_for_completion=True)
    gate = sns.Topic(stack, "Gate")  # created after Fast's job started: slower jobs from then on (on_resource)
    gate.node.add_dependency(fast.node.find_child("Resource"))
    slow = BackupJob(stack, "Slow", backup_vault="slow-vault",
                     resource_arn=VOLUME + "slow", role=role, wait_for_completion=True)
    slow.node.find_child("Resource").node.add_dependency(gate)
    [fast_wait] = [c for c in fast.node.find_all() if isinstance(c, cloudformation.CfnWaitCondition)]
    [slow_wait] = [c for c in slow.node.find_all() if isinstance(c, cloudformation.CfnWaitCondition)]
    fast_wait.node.add_dependency(slow_wait)


def test_a_job_that_ends_before_its_wait_condition_exists_still_gets_it_signalled(tmp_path, aws_backup, cfn_stack,
                                                                                  cfn_scheduler, clock):
    emulator = aws_backup.emulator
    emulator.timing = JobTiming(done_after=0)
    emulator.create_vault("slow-vault")

    def on_resource(resource_type: str, physical_id: str, properties: Any) -> None:
        emulator.on_stack_resource(resource_type, physical_id, properties)
        if resource_type == "AWS::SNS::Topic":
            emulator.timing = JobTiming(running_after=60, done_after=20 * MINUTE)

    out = synth(tmp_path, early_signal_stack)
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance, on_resource=on_resource) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))
        logs = stack.function_logs

    assert result.status == "CREATE_COMPLETE", result.reason
    refused = [e for e in logged(logs, "Could not signal the WaitCondition")
               if e["wait_condition"] == wait_of(result, "Fast").logical_id]
    assert refused and all("does not exist" in e["reason"] for e in refused)  # signalled too early, then retried
    assert [w.status for w in result.wait_conditions] == ["CREATE_COMPLETE", "CREATE_COMPLETE"]
    assert no_watch_left(cfn_scheduler)
