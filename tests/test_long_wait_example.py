"""examples/cloudformation/long-wait.yaml, deployed: a hand-written wait of hours on the exported provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from cdk_backup_jobs import BackupJobsProviderStack
from cdk_backup_jobs.cfn_reference import answered_attributes, reference_tables
from cdk_backup_jobs.provider_asset import provider_asset_dir
from cdk_backup_jobs.testing import JobTiming, ManualClock, read_assembly_template

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "examples" / "cloudformation" / "long-wait.yaml"
HOURS = 3600


def test_the_long_wait_example_waits_hours_then_copies_the_recovery_point(tmp_path, aws_backup: Any,
                                                                        cfn_stack: Any):
    clock = ManualClock()
    aws_backup.emulator.clock = clock
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=3 * HOURS)  # the backup, then the copy
    out = tmp_path / "cdk.out"
    app = App(outdir=str(out))
    BackupJobsProviderStack(app, "BackupJobsProvider")
    app.synth()
    with cfn_stack(out, stack_name="BackupJobsProvider", on_tick=clock.advance) as provider_stack:
        provider = provider_stack.deploy(read_assembly_template(out, "BackupJobsProvider"))
        token = provider.outputs["ServiceToken"]
        with cfn_stack(stack_name="LongWait", functions={token: provider_asset_dir()}, on_tick=clock.advance,
                       exports=provider_stack.exports) as stack:
            result = stack.deploy(TEMPLATE)
            waited_hours = stack.waited_seconds / HOURS
            per_hour = stack.wake_ups_per_hour(token)
            deleted = stack.delete()

    assert result.status == "CREATE_COMPLETE", result.reason
    [backup_job] = aws_backup.state.backup_jobs.values()
    [copy_job] = aws_backup.state.copy_jobs.values()
    assert result.outputs["BackupJobId"] == backup_job.job_id
    assert result.outputs["RecoveryPointArn"] == backup_job.recovery_point_arn
    assert result.outputs["BackupSizeInBytes"] == str(backup_job.timing.size_in_bytes)
    assert result.outputs["BackupCompletionDate"].endswith("Z")
    assert copy_job.params["RecoveryPointArn"] == backup_job.recovery_point_arn
    assert copy_job.created_at >= backup_job.finished_at()  # copied only once the backup completed
    assert result.outputs["CopyRecoveryPointArn"] == copy_job.recovery_point_arn
    assert len(aws_backup.state.calls_of("StartBackupJob")) == 1
    assert len(aws_backup.state.calls_of("StartCopyJob")) == 1
    assert waited_hours >= 6 and per_hour <= 4
    # The attributes each resource answers with are those docs/cloudformation.md's reference gives: a job
    # whose WaitCondition carries the wait, those at start; its result, the completed job's.
    tables = {table.heading: table for table in reference_tables()}
    answered = {(e.request["ResourceType"], "CopyJobId" in e.request["ResourceProperties"]): set(e.response["Data"])
                for e in result.events if e.request_type == "Create"
                and e.request["ResourceType"].startswith("Custom::")}
    waited = "`WaitForCompletion` with a `WaitCondition`"
    assert answered == {
        ("Custom::BackupJob", False): answered_attributes(tables["#### `Custom::BackupJob` return values"], waited),
        ("Custom::CopyJob", False): answered_attributes(tables["#### `Custom::CopyJob` return values"], waited),
        ("Custom::BackupJobResult", False): answered_attributes(
            tables["#### `Custom::BackupJobResult` return values"], "With `BackupJobId`"),
        ("Custom::BackupJobResult", True): answered_attributes(
            tables["#### `Custom::BackupJobResult` return values"], "With `CopyJobId`"),
    }
    assert deleted.status == "DELETE_COMPLETE", deleted.reason


@pytest.mark.parametrize("role_arn", [None, "arn:aws:iam::123456789012:role/cloudformation-deployer"])
def test_a_wait_of_hours_needs_a_service_role_once_the_callers_session_expires(tmp_path, aws_backup: Any,
                                                                             cfn_stack: Any, role_arn: Any):
    # Without a role, CloudFormation acts with the caller's session, which it cannot renew (eksctl#7095):
    # the copy after a 3-hour backup starts after a 1-hour session expired.
    clock = ManualClock()
    aws_backup.emulator.clock = clock
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=3 * HOURS)
    out = tmp_path / "cdk.out"
    app = App(outdir=str(out))
    BackupJobsProviderStack(app, "BackupJobsProvider")
    app.synth()
    with cfn_stack(out, stack_name="BackupJobsProvider", on_tick=clock.advance) as provider_stack:
        token = provider_stack.deploy(read_assembly_template(out, "BackupJobsProvider")).outputs["ServiceToken"]
        with cfn_stack(stack_name="LongWait", functions={token: provider_asset_dir()}, on_tick=clock.advance,
                       exports=provider_stack.exports, role_arn=role_arn, caller_session_seconds=HOURS) as stack:
            result = stack.deploy(TEMPLATE)

    assert len(aws_backup.state.backup_jobs) == 1
    if role_arn:
        assert result.status == "CREATE_COMPLETE", result.reason
        assert len(aws_backup.state.copy_jobs) == 1
    else:
        assert result.status == "ROLLBACK_COMPLETE"
        assert "SnapshotResult: The security token included in the request is expired" in result.reason
        assert "ExpiredToken" in result.reason
        assert aws_backup.state.copy_jobs == {}  # nothing after the wait started
