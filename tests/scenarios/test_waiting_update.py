"""An Update that turns on waiting waits for the job the resource already has.

Before this, the job's unchanged API members made the Update answer at once
with the running job's attributes: a copy chained to its recovery point then
got an empty ARN and the update rolled back.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack, aws_backup as backup, aws_iam as iam

from cdk_backup_jobs import BackupJob
from cdk_backup_jobs.testing import JobTiming, ManualClock, read_assembly_template
from scenarios.test_waiting import VOLUME, job_events, no_watch_left, synth, wake_ups

from cdk_backup_jobs_runtime.aws.service_clock import service_time
from cdk_backup_jobs_runtime.errors import JobDidNotComplete
from cdk_backup_jobs_runtime.jobs import decisions
from cdk_backup_jobs_runtime.jobs.job_types import BACKUP_JOB


def volume_backup(wait: bool, copy: bool) -> Any:
    """An EBS backup (its recovery point is known only once it completes), optionally copied."""
    def build(app: App) -> None:
        stack = Stack(app, "Jobs")
        role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
        job = BackupJob(stack, "Job", backup_vault=backup.BackupVault(stack, "Vault"), resource_arn=VOLUME,
                        role=role, wait_for_completion=wait)
        if copy:
            job.copy_to("Copy", destination_backup_vault=backup.BackupVault(stack, "CopyVault"),
                        wait_for_completion=True)
    return build


@pytest.mark.slow
@pytest.mark.parametrize("template_during_update", ["new", "previous"])  # GetTemplate does not say which
def test_turning_on_waiting_waits_for_the_running_job_before_its_copy(tmp_path, aws_backup, cfn_stack,
                                                                      cfn_scheduler, template_during_update):
    clock = ManualClock()
    aws_backup.emulator.clock = clock
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=600)
    unwaited, waited = synth(tmp_path, volume_backup(False, False)), synth(tmp_path, volume_backup(True, True))
    with cfn_stack(unwaited, stack_name="Jobs", on_tick=clock.advance,
                   template_during_update=template_during_update) as stack:
        created = stack.deploy(read_assembly_template(unwaited, "Jobs"))
        stack.assets_dir = waited
        updated = stack.update(read_assembly_template(waited, "Jobs"))

    assert created.status == "CREATE_COMPLETE", created.reason
    assert updated.status == "UPDATE_COMPLETE", updated.reason
    [backup_job] = aws_backup.state.backup_jobs.values()  # the update started no second backup
    assert len(aws_backup.state.calls_of("StartBackupJob")) == 1
    [copy_job] = aws_backup.state.copy_jobs.values()
    assert copy_job.params["RecoveryPointArn"] == backup_job.recovery_point_arn
    assert copy_job.created_at >= backup_job.finished_at()
    # Only the backup was updated, answered at once with its job; the WaitCondition the update
    # added waited for that job until it COMPLETED, and its Result and the copy came after.
    [update] = [e for e in updated.events if e.request_type == "Update"]
    assert update.request["ResourceType"] == "Custom::BackupJob" and update.polls == 0
    assert update.response["PhysicalResourceId"] == backup_job.job_id
    assert [e.request["ResourceType"] for e in updated.events] == [
        "Custom::BackupJob", "Custom::BackupJobResult", "Custom::CopyJob", "Custom::BackupJobResult"]
    [backup_wait] = [w for w in updated.wait_conditions if w.logical_id.startswith("JobWait")]
    assert (backup_wait.status, backup_wait.seconds) == ("CREATE_COMPLETE", 600.0)
    assert [s["UniqueId"] for s in backup_wait.signals] == [backup_job.job_id]
    assert job_events(aws_backup.emulator, backup_job.job_id) == ["CREATED", "PENDING", "RUNNING", "COMPLETED"]
    assert wake_ups(stack, backup_job.job_id) == {"event": 4, "schedule": 1}  # its events, the 5-minute check
    assert no_watch_left(cfn_scheduler)


def _described(state: str, **members: Any) -> dict[str, Any]:
    return {"BackupJobId": "job-1", "State": state, "CreationDate": "2026-11-25T00:00:00Z",
            "ResponseMetadata": {"HTTPHeaders": {"date": "Wed, 25 Nov 2026 00:10:00 GMT"}}, **members}


def _deadline_in(seconds: float) -> dict[str, str]:
    now = service_time(_described("RUNNING"))
    return {"BackupJobId": "job-1", decisions.WAIT_DEADLINE: f"{now + seconds:.3f}"}


def test_an_aborting_job_is_waited_for_not_reported_as_ended():
    outcome = decisions.judge_job(BACKUP_JOB, _described("ABORTING", PercentDone="40.0"), "job-1",
                             _deadline_in(600))
    assert outcome.waiting


@pytest.mark.parametrize("state", ["ABORTED", "FAILED", "EXPIRED", "PARTIAL"])
def test_a_job_that_ended_otherwise_than_completed_fails_with_its_status_message(state):
    with pytest.raises(JobDidNotComplete, match=f"Backup job job-1 ended {state}: disk gone"):
        decisions.judge_job(BACKUP_JOB, _described(state, StatusMessage="disk gone"), "job-1", _deadline_in(600))
