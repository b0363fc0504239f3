"""CopyJob synthesized: one custom resource with the API member names, its source given once."""

from __future__ import annotations

import pytest
from aws_cdk import aws_backup as backup
from aws_cdk.assertions import Match, Template

from cdk_backup_jobs import CopyJob, JobLifecycle, JobValidationError, RunOn
from library.job_stacks import DR_VAULT_ARN, backup_job, job_role, new_stack


def test_copy_job_is_one_custom_resource_with_the_api_member_names():
    stack = new_stack()
    source = backup.BackupVault(stack, "Source")
    job = backup_job(stack, backup_vault=source)
    CopyJob(stack, "Copy", recovery_point_arn=job.recovery_point_arn, source_backup_vault=source,
            destination_backup_vault="arn:aws:backup:eu-west-1:210987654321:backup-vault:dr",
            role=job_role(stack, "CopyRole"), lifecycle=JobLifecycle.keep_forever())
    template = Template.from_stack(stack)

    template.resource_count_is("Custom::CopyJob", 1)
    template.has_resource_properties("Custom::CopyJob", {
        "RecoveryPointArn": {"Fn::GetAtt": [Match.string_like_regexp("^Job"), "RecoveryPointArn"]},
        "SourceBackupVaultName": {"Fn::GetAtt": [Match.string_like_regexp("Source"), "BackupVaultName"]},
        "DestinationBackupVaultArn": "arn:aws:backup:eu-west-1:210987654321:backup-vault:dr",
        "Lifecycle": {"MoveToColdStorageAfterDays": -1, "DeleteAfterDays": -1},
    })


def test_a_copy_source_is_one_prop_in_place_of_two():
    stack = new_stack()
    waited = backup_job(stack, wait_for_completion=True)
    with pytest.raises(JobValidationError) as raised:
        CopyJob(stack, "Mixed", source=waited, recovery_point_arn="arn:aws:backup:us-east-1:1:recovery-point:x",
                source_backup_vault="primary-vault",
                destination_backup_vault=DR_VAULT_ARN, role=waited.role)
    assert ("source (RecoveryPointArn, SourceBackupVaultName) must be given alone: give either source, or "
            "recovery_point_arn and source_backup_vault, got source, recovery_point_arn and source_backup_vault"
            ) in str(raised.value)
    with pytest.raises(JobValidationError, match=r"source \(RecoveryPointArn, SourceBackupVaultName\) must be a "
                                                 r"BackupJob, got CopyJob"):
        CopyJob(stack, "OfACopy", source=waited.copy_to("Copy", destination_backup_vault=DR_VAULT_ARN),
                destination_backup_vault=DR_VAULT_ARN, role=waited.role)


def test_copy_source_must_wait_and_must_not_be_mixed():
    stack = new_stack()
    role = job_role(stack)
    unwaited = backup_job(stack, "Unwaited", role=role)
    with pytest.raises(JobValidationError, match="must wait_for_completion=True"):
        unwaited.copy_to("Copy", destination_backup_vault="arn:aws:backup:us-east-1:123456789012:backup-vault:dr")
    waited = backup_job(stack, "Waited", wait_for_completion=True, role=role)
    with pytest.raises(JobValidationError, match="give either source, or recovery_point_arn"):
        CopyJob(stack, "Mixed", source=waited, recovery_point_arn="arn:aws:backup:us-east-1:1:recovery-point:x",
                destination_backup_vault="arn:aws:backup:us-east-1:123456789012:backup-vault:dr",
                role=waited.role)


def test_a_copy_job_refuses_run_on_delete():
    stack = new_stack()
    source = backup_job(stack, wait_for_completion=True)
    with pytest.raises(JobValidationError, match=r"TestStack/Copy \(Custom::CopyJob\):\n  - run_on \(RunOnDelete\) "
                                                 r"is not a Custom::CopyJob member"):
        source.copy_to("Copy", destination_backup_vault="arn:aws:backup:us-east-1:123456789012:backup-vault:dr",
                       run_on=RunOn.delete())
    with pytest.raises(JobValidationError, match=r"run_on \(RunOnDelete\) is not a Custom::CopyJob member"):
        CopyJob(stack, "Direct", recovery_point_arn="arn:aws:backup:us-east-1:123456789012:recovery-point:x",
                source_backup_vault="primary-vault",
                destination_backup_vault="arn:aws:backup:us-east-1:123456789012:backup-vault:dr",
                role=source.role, run_on=RunOn.delete())


def test_a_copy_with_no_recovery_point_names_source_as_the_alternative():
    stack = new_stack()
    with pytest.raises(JobValidationError) as raised:
        CopyJob(stack, "Copy", destination_backup_vault=DR_VAULT_ARN, role=job_role(stack))
    assert "recovery_point_arn (RecoveryPointArn) is required: give recovery_point_arn or source" in str(raised.value)
    assert ("source_backup_vault (SourceBackupVaultName) is required: give source_backup_vault or source"
            in str(raised.value))
