"""One rule set: every rule that has a plain-CloudFormation form refuses the same input at synth and in the handler.

Each case is the same mistake written twice: as the ``Custom::`` resource
properties CloudFormation sends (strings), read by ``coercion`` and checked by ``rules.resource_violations`` as the
handler does; and as construct props, which must raise JobValidationError
naming the same API member.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest
from aws_cdk import App, CfnResource, Duration, Environment, Stack, aws_iam as iam

from cdk_backup_jobs import BackupJob, CopyJob, JobValidationError, RunOn
from cdk_backup_jobs_runtime.input import coercion, rules, shapes, violation_report

ACCOUNT, REGION = "123456789012", "us-east-1"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/backup-role"
DR_VAULT_ARN = f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:dr"
RECOVERY_POINT_ARN = f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:x"
VALID = {
    "Custom::BackupJob": {"BackupVaultName": "primary-vault", "ResourceArn": TABLE_ARN, "IamRoleArn": ROLE_ARN},
    "Custom::CopyJob": {"RecoveryPointArn": RECOVERY_POINT_ARN, "SourceBackupVaultName": "primary-vault",
                        "DestinationBackupVaultArn": DR_VAULT_ARN, "IamRoleArn": ROLE_ARN},
}
SHAPES = {"Custom::BackupJob": shapes.BACKUP_JOB_RESOURCE, "Custom::CopyJob": shapes.COPY_JOB_RESOURCE}
WAIT_CONDITION = "TableBackupWait"


def handler_violations(resource_type: str, properties: dict[str, Any]) -> list[str]:
    """What the handler refuses in these properties (CloudFormation's strings): ``member message`` each."""
    shape = SHAPES[resource_type]
    try:
        values = coercion.coerce(shape, {**VALID[resource_type], **properties})
    except violation_report.InvalidJobInput as error:
        return [str(v) for v in error.violations]
    return [str(v) for v in rules.resource_violations(shape, values, ACCOUNT, REGION)]


def new_stack() -> Stack:
    return Stack(App(), "OneRuleSet", env=Environment(account=ACCOUNT, region=REGION))


def job_role(stack: Stack) -> iam.IRole:
    return iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))


def backup_job(construct_id: str = "Job", **props: Any) -> Callable[[Stack], BackupJob]:
    """A BackupJob in a given stack (``protects="Table"``: a table resource of that stack)."""
    def build(stack: Stack) -> BackupJob:
        given = dict(props)
        if given.get("protects") == "Table":
            given["protects"] = CfnResource(stack, "Table", type="AWS::DynamoDB::Table")
        return BackupJob(stack, construct_id, backup_vault="primary-vault", resource_arn=TABLE_ARN,
                         role=job_role(stack), **given)
    return build


def copy_job(construct_id: str = "Copy", **props: Any) -> Callable[[Stack], CopyJob]:
    def build(stack: Stack) -> CopyJob:
        return CopyJob(stack, construct_id, recovery_point_arn=RECOVERY_POINT_ARN, source_backup_vault="primary-vault",
                       destination_backup_vault=DR_VAULT_ARN, role=job_role(stack), **props)
    return build


@dataclass(frozen=True)
class Case:
    """One mistake: as CloudFormation properties, and as construct props; the member both sides name."""

    name: str
    member: str
    says: str
    resource_type: str
    properties: dict[str, Any]
    synth: Callable[[Stack], object]


CASES = [
    Case("protected logical ID without RunOnDelete", "ProtectedLogicalId", "applies only when RunOnDelete is true",
         "Custom::BackupJob", {"ProtectedLogicalId": "Table"}, backup_job(protects="Table")),
    Case("protected logical ID with RunOnDelete false", "ProtectedLogicalId", "applies only when RunOnDelete is true",
         "Custom::BackupJob", {"RunOnDelete": "false", "ProtectedLogicalId": "Table"},
         backup_job(protects="Table", run_on=RunOn.change_of("v2"))),
    Case("a waited backup of more than 12 hours", "WaitTimeoutMinutes", "must be between 1 and 710, got 780",
         "Custom::BackupJob", {"WaitForCompletion": "true", "WaitTimeoutMinutes": "780", "WaitCondition": WAIT_CONDITION},
         backup_job(wait_for_completion=True, timeout=Duration.hours(13))),
    Case("a waited copy of more than 12 hours", "WaitTimeoutMinutes", "must be between 1 and 710, got 780",
         "Custom::CopyJob", {"WaitForCompletion": "true", "WaitTimeoutMinutes": "780", "WaitCondition": WAIT_CONDITION},
         copy_job(wait_for_completion=True, timeout=Duration.hours(13))),
    Case("a final backup of more than 55 minutes", "WaitTimeoutMinutes",
         "must be at most 55 for a final backup",
         "Custom::BackupJob", {"RunOnDelete": "true", "WaitTimeoutMinutes": "80", "ProtectedLogicalId": "Table"},
         backup_job(run_on=RunOn.delete(), protects="Table", timeout=Duration.minutes(80))),
    Case("a copy job run on delete", "RunOnDelete", "is not a Custom::CopyJob member",
         "Custom::CopyJob", {"RunOnDelete": "true"}, copy_job(run_on=RunOn.delete())),
    Case("an air-gapped vault in another account", "LogicallyAirGappedBackupVaultArn",
         "must be in the job's own account 123456789012, got 999999999999",
         "Custom::BackupJob", {"LogicallyAirGappedBackupVaultArn": f"arn:aws:backup:{REGION}:999999999999:backup-vault:ag"},
         backup_job(logically_air_gapped_backup_vault_arn=f"arn:aws:backup:{REGION}:999999999999:backup-vault:ag")),
    Case("a window that is not whole minutes", "StartWindowMinutes", "must be a whole number",
         "Custom::BackupJob", {"StartWindowMinutes": "90.5"}, backup_job(start_window=Duration.seconds(5430))),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_handler_refuses_it_naming_the_member(case):
    violations = handler_violations(case.resource_type, case.properties)

    assert any(v.startswith(f"{case.member} ") and case.says in v for v in violations), violations


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_constructs_refuse_it_naming_the_member(case):
    with pytest.raises(JobValidationError) as raised:
        case.synth(new_stack())

    assert f"({case.member}) {case.says}" in str(raised.value), str(raised.value)


def test_the_valid_bases_pass_both_sides():
    assert handler_violations("Custom::BackupJob", {}) == []
    assert handler_violations("Custom::CopyJob", {}) == []
    backup_job()(new_stack())
    copy_job()(new_stack())


def test_a_wait_of_710_minutes_passes_both_sides_and_any_logical_id_may_wait():
    handle = {"WaitForCompletion": "true", "WaitTimeoutMinutes": "710", "WaitCondition": WAIT_CONDITION}
    assert handler_violations("Custom::BackupJob", handle) == []
    assert handler_violations("Custom::CopyJob", handle) == []
    backup_job("W" * 200, wait_for_completion=True, timeout=Duration.minutes(710))(new_stack())
    copy_job(wait_for_completion=True, timeout=Duration.minutes(710))(new_stack())


def test_plain_cloudformation_without_a_wait_condition_waits_at_most_55_minutes():
    assert handler_violations("Custom::BackupJob", {"WaitForCompletion": "true", "WaitTimeoutMinutes": "55"}) == []
    [violation] = handler_violations("Custom::BackupJob", {"WaitForCompletion": "true", "WaitTimeoutMinutes": "56"})
    assert violation.startswith("WaitTimeoutMinutes must be at most 55 without a WaitCondition")


def test_a_wait_condition_needs_a_waited_job_so_a_final_backup_never_takes_one():
    assert handler_violations("Custom::BackupJob", {"WaitCondition": WAIT_CONDITION}) == [
        "WaitCondition applies only when WaitForCompletion is true"]
    assert handler_violations("Custom::BackupJob", {"RunOnDelete": "true", "WaitCondition": WAIT_CONDITION}) == [
        "WaitCondition applies only when WaitForCompletion is true"]
    violations = handler_violations("Custom::BackupJob", {"RunOnDelete": "true", "WaitForCompletion": "true",
                                                          "WaitCondition": WAIT_CONDITION})
    assert violations == ["WaitForCompletion must not be true when RunOnDelete is true: a final backup always waits"]
    assert handler_violations("Custom::BackupJob", {"WaitForCompletion": "true", "WaitCondition": "a b"}) \
        == ["WaitCondition must be the logical ID of an AWS::CloudFormation::WaitCondition of the same stack, "
            "got 'a b'"]
