"""Waiting for jobs, chaining backup into copy, re-running, stopping: end to end on the simulator.

Jobs take minutes of emulator time; every crhelper poll the simulator fires
advances the emulator's ManualClock by the rule's interval, so an hour of
polling runs in seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from aws_cdk import App, Duration, Stack, aws_backup as backup, aws_iam as iam

from cdk_backup_jobs import BackupJob
from cdk_backup_jobs.testing import JobTiming, ManualClock, read_assembly_template

REPO = Path(__file__).resolve().parent.parent
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
VOLUME = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc"


@pytest.fixture
def clock(aws_backup: Any) -> ManualClock:
    """Emulator jobs take 10 minutes: PENDING at 1, RUNNING at 2, done at 10."""
    clock = ManualClock()
    aws_backup.emulator.clock = clock
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=600)
    return clock


def synth(tmp_path: Path, build: Callable[[App], None]) -> Path:
    out = tmp_path / f"cdk.out{len(list(tmp_path.iterdir()))}"
    app = App(outdir=str(out))
    build(app)
    app.synth()
    return out


def example_app(app: App) -> None:
    sys.path.insert(0, str(REPO))
    try:
        import app as example
    finally:
        sys.path.remove(str(REPO))
    example.build_app(app)


def single_job_stack(**props: Any) -> Callable[[App], None]:
    def build(app: App) -> None:
        stack = Stack(app, "Jobs")
        role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
        BackupJob(stack, "Job", backup_vault=backup.BackupVault(stack, "Vault"), resource_arn=VOLUME,
                  role=role, **props)
    return build


def no_polling_left(scheduler: Any) -> bool:
    return scheduler.state.rules == {} and all(not p for p in scheduler.state.permissions.values())


def test_waited_backup_then_copy_reports_both_recovery_points(tmp_path, aws_backup, cfn_stack,
                                                              cfn_scheduler, clock):
    out = synth(tmp_path, example_app)
    with cfn_stack(out, stack_name="BackupJobsExample", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "BackupJobsExample"))

    assert result.status == "CREATE_COMPLETE", result.reason
    [backup_job] = aws_backup.state.backup_jobs.values()
    [copy_job] = aws_backup.state.copy_jobs.values()
    assert result.outputs["RecoveryPointArn"] == backup_job.recovery_point_arn
    assert result.outputs["CopyRecoveryPointArn"] == copy_job.recovery_point_arn
    assert result.outputs["BackupJobCompletionDate"].endswith("Z")
    assert copy_job.created_at >= backup_job.finished_at()  # the copy started after the backup completed
    assert [e.polls for e in result.events] == [10, 10]  # one poll a minute for 10 minutes each
    assert no_polling_left(cfn_scheduler)
    assert cfn_scheduler.state.calls.count("PutRule") == 2


def test_waited_data_has_results_for_every_resource_type(tmp_path, aws_backup, cfn_stack, clock):
    out = synth(tmp_path, single_job_stack(wait_for_completion=True))
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))

    [job] = aws_backup.state.backup_jobs.values()
    data = result.events[0].response["Data"]
    assert data["RecoveryPointArn"] == job.recovery_point_arn  # an EBS volume: known only at completion
    assert data["BackupSizeInBytes"] == str(job.timing.size_in_bytes)
    assert data["CompletionDate"].endswith("Z")
    assert "WaitDeadline" not in data and "PhysicalResourceId" not in data


def test_a_failing_job_fails_the_stack_with_its_status_message(tmp_path, aws_backup, cfn_stack,
                                                               cfn_scheduler, clock):
    aws_backup.emulator.script_outcome("vol-0abc", "FAILED", "Insufficient privileges to perform this action")
    out = synth(tmp_path, single_job_stack(wait_for_completion=True))
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))

    [job] = aws_backup.state.backup_jobs.values()
    assert result.status == "ROLLBACK_COMPLETE"
    assert f"Backup job {job.job_id} ended FAILED: Insufficient privileges to perform this action" in result.reason
    [create, rollback] = result.events
    assert create.response["PhysicalResourceId"] == job.job_id
    assert rollback.request["PhysicalResourceId"] == job.job_id and rollback.succeeded
    assert no_polling_left(cfn_scheduler)


def test_a_job_that_outlasts_its_timeout_fails_cleanly(tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=3600)
    out = synth(tmp_path, single_job_stack(wait_for_completion=True, timeout=Duration.minutes(10)))
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))

    [job] = aws_backup.state.backup_jobs.values()
    assert result.status == "ROLLBACK_COMPLETE"
    assert f"Timed out waiting for backup job {job.job_id}: last state RUNNING," in result.reason
    assert "% done" in result.reason
    assert result.events[0].polls == 10
    assert no_polling_left(cfn_scheduler)


def test_every_deployment_starts_exactly_one_snapshot_per_deploy_before_the_migration(
        tmp_path, aws_backup, cfn_stack, clock):
    first, second = synth(tmp_path, example_app), synth(tmp_path, example_app)
    with cfn_stack(first, stack_name="SnapshotBeforeMigration", on_tick=clock.advance) as stack:
        created = stack.deploy(read_assembly_template(first, "SnapshotBeforeMigration"))
        stack.assets_dir = second
        updated = stack.update(read_assembly_template(second, "SnapshotBeforeMigration"))
        logs = stack.function_logs

    assert created.status == "CREATE_COMPLETE", created.reason
    assert updated.status == "UPDATE_COMPLETE", updated.reason
    assert len(aws_backup.state.backup_jobs) == 2
    for operation in (created, updated):
        kinds = [e.request["ResourceType"] for e in operation.events if e.request_type != "Delete"]
        assert kinds == ["Custom::BackupJob", "Custom::TableMigration"]
    assert updated.outputs["SnapshotRecoveryPointArn"] != created.outputs["SnapshotRecoveryPointArn"]
    assert logs.count('"message": "migrating"') == 2


def test_an_unchanged_template_starts_no_new_job(tmp_path, aws_backup, cfn_stack, clock):
    out = synth(tmp_path, example_app)
    template = read_assembly_template(out, "BackupJobsExample")
    with cfn_stack(out, stack_name="BackupJobsExample", on_tick=clock.advance) as stack:
        stack.deploy(template)
        result = stack.update(template)

    assert result.status == "UPDATE_COMPLETE"
    assert result.events == []
    assert len(aws_backup.state.backup_jobs) == 1


@pytest.mark.parametrize("stop_on_delete, calls, state", [(True, 1, "ABORTED"), (False, 0, "RUNNING")])
def test_stop_on_delete_stops_a_running_job(tmp_path, aws_backup, cfn_stack, clock, stop_on_delete,
                                            calls, state):
    out = synth(tmp_path, single_job_stack(stop_on_delete=stop_on_delete))
    with cfn_stack(out, stack_name="Jobs") as stack:
        stack.deploy(read_assembly_template(out, "Jobs"))
        clock.advance(180)
        result = stack.delete()
        logs = stack.function_logs

    assert result.status == "DELETE_COMPLETE"
    assert len(aws_backup.state.calls_of("StopBackupJob")) == calls
    assert list(aws_backup.emulator.backup_job_states().values()) == [state]
    assert ("Stopped backup job on delete" in logs) is stop_on_delete
