"""The CDK apps the scenarios deploy, each stack named after the run (``prefix``) so runs never collide.

``Base`` holds what the scenarios share and nothing else makes: a small DynamoDB table (on-demand, empty:
a backup of it takes a minute or two), two vaults (removed with the stack, once emptied) and a job role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from aws_cdk import CfnOutput, RemovalPolicy, Stack, aws_backup as backup, aws_dynamodb as dynamodb, aws_iam as iam

from cdk_backup_jobs import BackupJob, BackupJobsProvider, BackupJobsProviderStack, RunOn

App = Any
BACKUP_POLICY = "service-role/AWSBackupServiceRolePolicyForBackup"


@dataclass(frozen=True)
class Base:
    """The Base stack's names and ARNs, as its outputs give them."""

    table_arn: str
    vault: str
    copies: str
    copies_arn: str
    role_arn: str

    @classmethod
    def from_outputs(cls, outputs: dict[str, str]) -> "Base":
        return cls(outputs["TableArn"], outputs["VaultName"], outputs["CopiesName"], outputs["CopiesArn"],
                   outputs["RoleArn"])


def table(stack: Stack, construct_id: str) -> dynamodb.Table:
    return dynamodb.Table(stack, construct_id, partition_key=dynamodb.Attribute(
        name="pk", type=dynamodb.AttributeType.STRING), billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        removal_policy=RemovalPolicy.DESTROY)


def base(prefix: str) -> Callable[[App], None]:
    def build(app: App) -> None:
        stack = Stack(app, f"{prefix}-Base")
        data = table(stack, "Table")
        vault = backup.BackupVault(stack, "Vault", backup_vault_name=f"{prefix}-primary",
                                   removal_policy=RemovalPolicy.DESTROY)
        copies = backup.BackupVault(stack, "Copies", backup_vault_name=f"{prefix}-copies",
                                    removal_policy=RemovalPolicy.DESTROY)
        # Under /backup-jobs/: the path a shared provider passes roles from by default (docs/iam.md).
        role = iam.Role(stack, "BackupRole", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"),
                        path="/backup-jobs/", managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(BACKUP_POLICY)])
        for name, value in (("TableArn", data.table_arn), ("VaultName", vault.backup_vault_name),
                            ("CopiesName", copies.backup_vault_name), ("CopiesArn", copies.backup_vault_arn),
                            ("RoleArn", role.role_arn)):
            CfnOutput(stack, name, value=value)
    return build


def _role(stack: Stack, shared: Base) -> iam.IRole:
    return iam.Role.from_role_arn(stack, "BackupRole", shared.role_arn, mutable=False)


def a_job(stack_name: str, shared: Base) -> Callable[[App], None]:
    """(1) One backup of the table, not waited for."""
    def build(app: App) -> None:
        stack = Stack(app, stack_name)
        job = BackupJob(stack, "Snapshot", backup_vault=shared.vault, resource_arn=shared.table_arn,
                        role=_role(stack, shared))
        CfnOutput(stack, "BackupJobId", value=job.backup_job_id)
    return build


def waited_copy(stack_name: str, shared: Base) -> Callable[[App], None]:
    """(2) A backup the stack waits for, and its copy into the second vault, waited for too."""
    def build(app: App) -> None:
        stack = Stack(app, stack_name)
        job = BackupJob(stack, "Snapshot", backup_vault=shared.vault, resource_arn=shared.table_arn,
                        role=_role(stack, shared), wait_for_completion=True)
        copy = job.copy_to("SnapshotCopy", destination_backup_vault=shared.copies_arn, wait_for_completion=True)
        CfnOutput(stack, "BackupJobId", value=job.backup_job_id)
        CfnOutput(stack, "RecoveryPointArn", value=job.recovery_point_arn)
        CfnOutput(stack, "CopyJobId", value=copy.copy_job_id)
        CfnOutput(stack, "CopyRecoveryPointArn", value=copy.destination_recovery_point_arn)
    return build


def rerun(stack_name: str, shared: Base, version: str) -> Callable[[App], None]:
    """(3) A backup that runs again whenever ``version`` changes (``RunOn.change_of``: a new RunToken)."""
    def build(app: App) -> None:
        stack = Stack(app, stack_name)
        job = BackupJob(stack, "BeforeMigration", backup_vault=shared.vault, resource_arn=shared.table_arn,
                        role=_role(stack, shared), run_on=RunOn.change_of(version))
        CfnOutput(stack, "BackupJobId", value=job.backup_job_id)
    return build


def final_backup(stack_name: str, shared: Base) -> Callable[[App], None]:
    """(4) A table of the stack's own, backed up when the stack deletes it."""
    def build(app: App) -> None:
        stack = Stack(app, stack_name)
        data = table(stack, "Table")
        BackupJob.final_backup(stack, "FinalBackup", resource=data, resource_arn=data.table_arn,
                               backup_vault=shared.vault, role=_role(stack, shared))
        CfnOutput(stack, "TableArn", value=data.table_arn)
    return build


def provider(stack_name: str, export_name: str) -> Callable[[App], None]:
    """The shared provider, exporting its ServiceToken as ``export_name``."""
    def build(app: App) -> None:
        BackupJobsProviderStack(app, stack_name, export_name=export_name)
    return build


def moved(stack_name: str, shared: Base, export_name: str | None) -> Callable[[App], None]:
    """(5) A job on the stack's own provider (``export_name`` None) or on the shared one."""
    def build(app: App) -> None:
        stack = Stack(app, stack_name)
        on = BackupJobsProvider.from_export_name(stack, "Provider", export_name) if export_name else None
        job = BackupJob(stack, "Snapshot", backup_vault=shared.vault, resource_arn=shared.table_arn,
                        role=_role(stack, shared), provider=on)
        CfnOutput(stack, "BackupJobId", value=job.backup_job_id)
    return build


def service_role(stack_name: str, role_name: str) -> Callable[[App], None]:
    """(6) The CloudFormation service role the long-wait template is deployed with: it trusts
    cloudformation.amazonaws.com and may create what the template creates (docs/cloudformation.md)."""
    def build(app: App) -> None:
        stack = Stack(app, stack_name)
        role = iam.Role(stack, "Deployer", role_name=role_name,
                        assumed_by=iam.ServicePrincipal("cloudformation.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(actions=[
            "backup:CreateBackupVault", "backup:DeleteBackupVault", "backup:DescribeBackupVault",
            "backup:TagResource", "backup-storage:MountCapsule", "kms:CreateGrant", "kms:GenerateDataKey",
            "kms:Decrypt", "kms:DescribeKey", "kms:RetireGrant", "iam:CreateRole", "iam:DeleteRole",
            "iam:GetRole", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PassRole", "iam:TagRole",
            "lambda:InvokeFunction"], resources=["*"]))
        CfnOutput(stack, "RoleArn", value=role.role_arn)
    return build


def failing(stack_name: str, shared: Base) -> Callable[[App], None]:
    """(7) A waited backup whose role trusts Lambda, not AWS Backup: AWS Backup cannot assume it."""
    def build(app: App) -> None:
        stack = Stack(app, stack_name)
        role = iam.Role(stack, "NotForBackup", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(BACKUP_POLICY)])
        BackupJob(stack, "Snapshot", backup_vault=shared.vault, resource_arn=shared.table_arn, role=role,
                  wait_for_completion=True)
        CfnOutput(stack, "RoleArn", value=role.role_arn)
    return build
