"""examples/cloudformation/long-wait.yaml, deployed: a hand-written wait of hours on the exported provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from cdk_backup_jobs import BackupJobsProviderStack
from cdk_backup_jobs.release.reference_tables import answered_attributes, reference_tables
from cdk_backup_jobs.provider.asset import provider_asset_dir
from cdk_backup_jobs.testing import JobTiming, ManualClock, load_template, read_assembly_template

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
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


def deploy_long_wait(tmp_path: Path, aws_backup: Any, cfn_stack: Any, template: Any,
                     **stack_options: Any) -> tuple[Any, float]:
    """The example (or a variant) deployed on the exported provider: the stack's result and the hours it took.
    ``stack_options`` go to the job stack's simulator (``role_arn=``, ``caller_session_seconds=``)."""
    clock = ManualClock()
    began = clock()
    aws_backup.emulator.clock = clock
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=3 * HOURS)
    out = tmp_path / "cdk.out"
    app = App(outdir=str(out))
    BackupJobsProviderStack(app, "BackupJobsProvider")
    app.synth()
    with cfn_stack(out, stack_name="BackupJobsProvider", on_tick=clock.advance) as provider_stack:
        token = provider_stack.deploy(read_assembly_template(out, "BackupJobsProvider")).outputs["ServiceToken"]
        with cfn_stack(stack_name="LongWait", functions={token: provider_asset_dir()}, on_tick=clock.advance,
                       exports=provider_stack.exports, **stack_options) as stack:
            result = stack.deploy(template)
    return result, (clock() - began) / HOURS


@pytest.mark.parametrize("role_arn", [None, "arn:aws:iam::123456789012:role/cloudformation-deployer"])
def test_a_wait_of_hours_needs_a_service_role_once_the_callers_session_expires(tmp_path, aws_backup: Any,
                                                                             cfn_stack: Any, role_arn: Any):
    # Without a role, CloudFormation acts with the caller's session, which it cannot renew (eksctl#7095):
    # the copy after a 3-hour backup starts after a 1-hour session expired.
    result, _ = deploy_long_wait(tmp_path, aws_backup, cfn_stack, TEMPLATE, role_arn=role_arn,
                                 caller_session_seconds=HOURS)

    assert len(aws_backup.state.backup_jobs) == 1
    if role_arn:
        assert result.status == "CREATE_COMPLETE", result.reason
        assert len(aws_backup.state.copy_jobs) == 1
    else:
        assert result.status == "ROLLBACK_COMPLETE"
        assert "SnapshotResult: The security token included in the request is expired" in result.reason
        assert "ExpiredToken" in result.reason
        assert aws_backup.state.copy_jobs == {}  # nothing after the wait started


@pytest.mark.parametrize("minutes, timeout, depends_on, refusal", [
    (180, "PT2H", True, "WaitCondition SnapshotCompleted's Timeout must be WaitTimeoutMinutes + 10 minutes "
                        "(PT190M for 180) to PT12H, got 'PT2H'"),
    (710, "PT730M", True, "WaitCondition SnapshotCompleted's Timeout must be WaitTimeoutMinutes + 10 minutes "
                          "(PT720M for 710) to PT12H, got 'PT730M'"),
    (180, "PT190M", False, "WaitCondition SnapshotCompleted must have DependsOn: Snapshot (its Timeout starts when "
                           "CloudFormation starts creating it)"),
])
@pytest.mark.parametrize("form", ["yaml", "json"])
def test_a_wait_condition_that_cannot_carry_the_wait_fails_the_job_before_it_starts(
        tmp_path, aws_backup: Any, cfn_stack: Any, minutes: int, timeout: str, depends_on: bool, refusal: str,
        form: str):
    # Before: PT2H ended in CloudFormation's bare "Failed to receive 1 resource signal(s)" with the job left
    # running; PT730M was refused by CloudFormation only once the job had started; without DependsOn no job
    # started and the WaitCondition timed out. GetTemplate answers a YAML template as its YAML text, which the
    # provider read as unreadable (a warning, the job started) before it bundled a YAML parser.
    text = TEMPLATE.read_text()
    for written, changed in ((f"WaitTimeoutMinutes: 710\n", f"WaitTimeoutMinutes: {minutes}\n"),
                             ("Timeout: PT720M\n", f"Timeout: {timeout}\n"),
                             ("    DependsOn: Snapshot\n", "    DependsOn: Snapshot\n" if depends_on else "")):
        assert text.count(written) == 1
        text = text.replace(written, changed)
    template = text if form == "yaml" else load_template(text)
    result, hours = deploy_long_wait(tmp_path, aws_backup, cfn_stack, template)

    assert result.status == "ROLLBACK_COMPLETE"
    assert result.reason == ("Snapshot: Received response status [FAILED] from custom resource. Message returned: "
                             f"Invalid Custom::BackupJob properties: {refusal}")
    assert aws_backup.state.backup_jobs == {} and aws_backup.state.calls_of("StartBackupJob") == []
    assert hours < 0.1  # refused at once, not at the WaitCondition's timeout
