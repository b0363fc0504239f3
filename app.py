#!/usr/bin/env python3
"""Example app: back up a DynamoDB table on demand and copy the backup to a second vault.

Synthesize with ``npx cdk synth`` (or ``python app.py``); deploys into any
account and region with ``npx cdk deploy``.
"""

from __future__ import annotations

from aws_cdk import App, CfnOutput, Duration, RemovalPolicy, Stack, aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb, aws_iam as iam
from constructs import Construct

from cdk_backup_jobs import BackupJob, CopyJob, JobLifecycle


class BackupJobsExampleStack(Stack):
    """A table, two vaults, a backup role, one backup job and one copy job."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        table = dynamodb.Table(
            self, "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        vault = backup.BackupVault(self, "Vault")
        copy_vault = backup.BackupVault(self, "CopyVault")
        role = iam.Role(
            self, "BackupRole",
            assumed_by=iam.ServicePrincipal("backup.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AWSBackupServiceRolePolicyForBackup"
                )
            ],
        )

        backup_job = BackupJob(
            self, "TableBackup",
            backup_vault=vault,
            resource_arn=table.table_arn,
            role=role,
            start_window=Duration.hours(1),
            complete_window=Duration.hours(4),
            lifecycle=JobLifecycle(delete_after=Duration.days(35)),
            recovery_point_tags={"purpose": "example"},
        )
        copy_job = CopyJob(
            self, "TableBackupCopy",
            recovery_point_arn=backup_job.recovery_point_arn,
            source_backup_vault=vault,
            destination_backup_vault=copy_vault,
            role=role,
            lifecycle=JobLifecycle(delete_after=Duration.days(35)),
        )

        for name, value in {
            "BackupJobId": backup_job.backup_job_id,
            "RecoveryPointArn": backup_job.recovery_point_arn,
            "BackupJobCreationDate": backup_job.creation_date,
            "BackupJobIsParent": backup_job.is_parent,
            "CopyJobId": copy_job.copy_job_id,
            "CopyJobCreationDate": copy_job.creation_date,
            "CopyJobIsParent": copy_job.is_parent,
        }.items():
            CfnOutput(self, name, value=value)


def build_app(app: App | None = None) -> App:
    """The example app; tests build it in-process the same way ``cdk synth`` does."""
    app = app or App()
    BackupJobsExampleStack(app, "BackupJobsExample")
    return app


if __name__ == "__main__":
    build_app().synth()
