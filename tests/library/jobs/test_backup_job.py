"""BackupJob synthesized: one custom resource with the API member names, ``copy_to`` and ``final_backup``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import CfnResource, Duration, aws_backup as backup
from aws_cdk.assertions import Match, Template

from cdk_backup_jobs import BackupIndex, BackupJob, JobLifecycle, JobValidationError, RunOn
from library.job_stacks import TABLE_ARN, backup_job, job_role, new_stack, statements_by_action


def test_backup_job_is_one_custom_resource_with_the_api_member_names():
    stack = new_stack()
    vault = backup.BackupVault(stack, "Vault")
    backup_job(
        stack, backup_vault=vault, start_window=Duration.hours(2), complete_window=Duration.days(1),
        lifecycle=JobLifecycle(move_to_cold_storage_after=Duration.days(30),
                               delete_after=Duration.days(120),
                               opt_in_to_archive_for_supported_resources=True),
        recovery_point_tags={"team": "payments"}, backup_options={"WindowsVSS": "enabled"},
        index=BackupIndex.ENABLED, idempotency_token="fixed-token",
        logically_air_gapped_backup_vault_arn="arn:aws:backup:us-east-1:123456789012:backup-vault:air-gapped",
    )
    template = Template.from_stack(stack)

    template.resource_count_is("Custom::BackupJob", 1)
    template.has_resource_properties("Custom::BackupJob", {
        "BackupVaultName": {"Fn::GetAtt": [Match.string_like_regexp("Vault"), "BackupVaultName"]},
        "ResourceArn": TABLE_ARN,
        "IamRoleArn": {"Fn::GetAtt": [Match.string_like_regexp("BackupRole"), "Arn"]},
        "StartWindowMinutes": 120,
        "CompleteWindowMinutes": 1440,
        "Lifecycle": {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 120,
                      "OptInToArchiveForSupportedResources": True},
        "RecoveryPointTags": {"team": "payments"},
        "BackupOptions": {"WindowsVSS": "enabled"},
        "Index": "ENABLED",
        "IdempotencyToken": "fixed-token",
        "LogicallyAirGappedBackupVaultArn": "arn:aws:backup:us-east-1:123456789012:backup-vault:air-gapped",
        "ServiceToken": {"Fn::GetAtt": [Match.string_like_regexp("BackupJobsProviderFunction"), "Arn"]},
    })


def test_unset_props_are_left_out_of_the_resource():
    stack = new_stack()
    backup_job(stack)
    [resource] = Template.from_stack(stack).find_resources("Custom::BackupJob").values()

    assert set(resource["Properties"]) == {"ServiceToken", "ServiceTimeout", "BackupVaultName",
                                           "ResourceArn", "IamRoleArn"}


def test_a_refused_job_adds_nothing_to_the_stack():
    stack = new_stack()
    with pytest.raises(JobValidationError):
        backup_job(stack, "Waited", backup_vault="x", wait_for_completion=True)

    assert stack.node.find_child("Waited").node.children == []
    assert stack.node.try_find_child("BackupJobsProvider") is None


def test_copy_of_a_waited_backup_job_takes_its_recovery_point_and_vault():
    stack = new_stack()
    vault = backup.BackupVault(stack, "Vault")
    job = backup_job(stack, backup_vault=vault, wait_for_completion=True)
    copy = job.copy_to("Copy", destination_backup_vault="arn:aws:backup:eu-west-1:210987654321:backup-vault:dr",
                       wait_for_completion=True)
    template = Template.from_stack(stack)

    [copy_result, backup_result] = sorted(template.find_resources("Custom::BackupJobResult"))
    template.has_resource_properties("Custom::CopyJob", {
        # known, and so copied, only once the job COMPLETED
        "RecoveryPointArn": {"Fn::GetAtt": [backup_result, "RecoveryPointArn"]},
        "SourceBackupVaultName": {"Fn::GetAtt": [Match.string_like_regexp("^Vault"), "BackupVaultName"]},
        "IamRoleArn": {"Fn::GetAtt": [Match.string_like_regexp("BackupRole"), "Arn"]},
        "WaitForCompletion": True,
    })
    assert backup_result.startswith("JobResult") and copy_result.startswith("CopyResult")
    assert stack.resolve(copy.destination_recovery_point_arn) == {
        "Fn::GetAtt": [copy_result, "DestinationRecoveryPointArn"]}
    assert stack.resolve(copy.backup_size_in_bytes) == {"Fn::GetAtt": [copy_result, "BackupSizeInBytes"]}


def test_final_backup_depends_on_the_protected_resource_and_may_read_its_stack():
    from aws_cdk import aws_dynamodb as dynamodb

    stack = new_stack()
    table = dynamodb.Table(stack, "Table",
                           partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
    job = BackupJob.final_backup(stack, "Final", resource=table, resource_arn=table.table_arn,
                                 backup_vault="primary-vault", role=job_role(stack))
    template = Template.from_stack(stack)
    table_id = stack.resolve(stack.get_logical_id(table.node.default_child))
    [resource] = template.find_resources("Custom::BackupJob").values()

    # Deleted before the table: ordered by its ResourceArn's reference (a DependsOn too is cfn-lint's W3005).
    assert resource["Properties"]["ResourceArn"] == {"Fn::GetAtt": [table_id, "Arn"]}
    assert table_id not in resource["DependsOn"]
    assert resource["Properties"]["RunOnDelete"] is True
    assert resource["Properties"]["ProtectedLogicalId"] == table_id
    assert resource["Properties"]["ServiceTimeout"] == "3600"
    statements = statements_by_action(template)
    assert statements["cloudformation:GetTemplate"]["Resource"] == {"Ref": "AWS::StackId"}
    assert statements["cloudformation:DescribeStacks"]["Resource"] == {"Ref": "AWS::StackId"}
    with pytest.raises(JobValidationError, match="known only when the job is waited for"):
        job.completion_date


def test_final_backup_accepts_a_timeout_and_the_function_drops_stale_events():
    from aws_cdk import aws_dynamodb as dynamodb

    stack = new_stack()
    table = dynamodb.Table(stack, "Table",
                           partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
    BackupJob.final_backup(stack, "Final", resource=table, resource_arn=table.table_arn,
                           backup_vault="primary-vault", role=job_role(stack), timeout=Duration.minutes(30))
    template = Template.from_stack(stack)

    template.has_resource_properties("Custom::BackupJob", {"WaitTimeoutMinutes": 30, "ServiceTimeout": "2100"})
    template.has_resource_properties("AWS::Lambda::EventInvokeConfig", {"MaximumEventAgeInSeconds": 3600})


def test_skip_final_backup_goes_on_the_resource_only_when_set():
    from aws_cdk import aws_dynamodb as dynamodb

    stack = new_stack()
    role = job_role(stack)
    table = dynamodb.Table(stack, "Table",
                           partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
    skipped = BackupJob.final_backup(stack, "Skipped", resource=table, resource_arn=table.table_arn,
                                     backup_vault="primary-vault", role=role, skip_final_backup=True)
    armed = BackupJob.final_backup(stack, "Armed", resource=table, resource_arn=table.table_arn,
                                   backup_vault="primary-vault", role=role)
    resources = Template.from_stack(stack).to_json()["Resources"]

    def properties(job: BackupJob) -> dict[str, Any]:
        return resources[stack.resolve(stack.get_logical_id(job.resource.node.default_child))]["Properties"]

    assert properties(skipped)["SkipFinalBackup"] is True
    assert "SkipFinalBackup" not in properties(armed)


@pytest.mark.parametrize("props, expected", [
    ({"wait_for_completion": True},
     "wait_for_completion (WaitForCompletion) must not be true when RunOnDelete is true"),
    ({"idempotency_token": "fixed"}, "idempotency_token (IdempotencyToken) must not be set when RunOnDelete"),
    ({"stop_on_delete": True}, "stop_on_delete (StopOnDelete) must not be true when RunOnDelete is true"),
    ({"run_on": RunOn.create()}, "run_on is final_backup's own"),
    ({"protects": None, "run_on": RunOn.delete()}, "run_on is final_backup's own"),
])
def test_a_final_backup_refuses_what_does_not_apply_naming_the_prop(props, expected):
    stack = new_stack()
    table = CfnResource(stack, "Table", type="AWS::DynamoDB::Table")
    with pytest.raises(JobValidationError, match=re.escape(expected)):
        BackupJob.final_backup(stack, "Final", resource=table, resource_arn=TABLE_ARN, backup_vault="primary-vault",
                               role=job_role(stack), **props)


def test_a_prop_no_backup_job_has_is_refused_naming_final_backup():
    stack = new_stack()
    table = CfnResource(stack, "Table", type="AWS::DynamoDB::Table")
    with pytest.raises(TypeError, match=r"final_backup\(\) got an unexpected keyword argument 'lifecyle'"):
        BackupJob.final_backup(stack, "Final", resource=table, resource_arn=TABLE_ARN,  # type: ignore[call-arg]
                               backup_vault="primary-vault", role=job_role(stack), lifecyle=None)


def test_a_final_backup_takes_the_windows_options_and_index_of_a_backup_job():
    stack = new_stack()
    table = CfnResource(stack, "Table", type="AWS::DynamoDB::Table")
    BackupJob.final_backup(stack, "Final", resource=table, resource_arn=TABLE_ARN, backup_vault="primary-vault",
                           role=job_role(stack), start_window=Duration.hours(2), complete_window=Duration.hours(6),
                           backup_options={"WindowsVSS": "enabled"}, index="ENABLED")
    Template.from_stack(stack).has_resource_properties("Custom::BackupJob", {
        "RunOnDelete": True, "StartWindowMinutes": 120, "CompleteWindowMinutes": 360,
        "BackupOptions": {"WindowsVSS": "enabled"}, "Index": "ENABLED"})
