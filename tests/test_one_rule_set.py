"""One rule set: every rule that has a plain-CloudFormation form refuses the same input at synth and in the handler.

Each case is the same mistake written twice: as the ``Custom::`` resource
properties CloudFormation sends (strings, with the resource's logical ID),
read by ``coercion`` and checked by ``rules.resource_violations`` as the
handler does; and as construct props, which must raise JobValidationError
naming the same API member.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest
from aws_cdk import App, CfnResource, Duration, Environment, Stack, aws_iam as iam

from cdk_backup_jobs import BackupJob, CopyJob, JobValidationError, RunOn
from cdk_backup_jobs_runtime import coercion, rules, shapes, violation_report

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
LONGEST_POLLING_ID = "W" * (rules.MAX_POLLING_LOGICAL_ID - 8)
"""A construct ID at a stack's root whose resource's logical ID (the ID and an 8-character hash: "Resource"
is left out) is exactly as long as a waiting resource's may be."""


def handler_violations(resource_type: str, properties: dict[str, Any], logical_id: str = "TableBackup") -> list[str]:
    """What the handler refuses in these properties (CloudFormation's strings): ``member message`` each."""
    shape = SHAPES[resource_type]
    try:
        values = coercion.coerce(shape, {**VALID[resource_type], **properties})
    except violation_report.InvalidJobInput as error:
        return [str(v) for v in error.violations]
    return [str(v) for v in rules.resource_violations(shape, values, logical_id, ACCOUNT, REGION)]


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
    logical_id: str = "TableBackup"


CASES = [
    Case("protected logical ID without RunOnDelete", "ProtectedLogicalId", "applies only when RunOnDelete is true",
         "Custom::BackupJob", {"ProtectedLogicalId": "Table"}, backup_job(protects="Table")),
    Case("protected logical ID with RunOnDelete false", "ProtectedLogicalId", "applies only when RunOnDelete is true",
         "Custom::BackupJob", {"RunOnDelete": "false", "ProtectedLogicalId": "Table"},
         backup_job(protects="Table", run_on=RunOn.change_of("v2"))),
    Case("a waited job's logical ID too long for its polling rule", "WaitForCompletion",
         f"needs a logical ID of at most {rules.MAX_POLLING_LOGICAL_ID} characters",
         "Custom::BackupJob", {"WaitForCompletion": "true"}, backup_job(LONGEST_POLLING_ID + "W", wait_for_completion=True),
         logical_id="W" * (rules.MAX_POLLING_LOGICAL_ID + 1)),
    Case("a final backup's logical ID too long for its polling rule", "RunOnDelete",
         f"needs a logical ID of at most {rules.MAX_POLLING_LOGICAL_ID} characters",
         "Custom::BackupJob", {"RunOnDelete": "true", "ProtectedLogicalId": "Table"},
         backup_job(LONGEST_POLLING_ID + "W", run_on=RunOn.delete(), protects="Table"),
         logical_id="W" * (rules.MAX_POLLING_LOGICAL_ID + 1)),
    Case("a waited copy's logical ID too long for its polling rule", "WaitForCompletion",
         f"needs a logical ID of at most {rules.MAX_POLLING_LOGICAL_ID} characters",
         "Custom::CopyJob", {"WaitForCompletion": "true"}, copy_job(LONGEST_POLLING_ID + "W", wait_for_completion=True),
         logical_id="W" * (rules.MAX_POLLING_LOGICAL_ID + 1)),
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
    violations = handler_violations(case.resource_type, case.properties, case.logical_id)

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


def test_the_longest_logical_id_a_waiting_resource_may_have_passes_both_sides():
    stack = new_stack()
    job = backup_job(LONGEST_POLLING_ID, wait_for_completion=True)(stack)
    logical_id = stack.resolve(stack.get_logical_id(job.resource.node.default_child))

    assert len(logical_id) == rules.MAX_POLLING_LOGICAL_ID
    assert handler_violations("Custom::BackupJob", {"WaitForCompletion": "true"}, logical_id) == []
    # A job that never polls may have any logical ID.
    assert handler_violations("Custom::BackupJob", {}, "W" * 200) == []
    backup_job(LONGEST_POLLING_ID * 3)(new_stack())
