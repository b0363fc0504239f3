"""BackupJob: one on-demand AWS Backup job (StartBackupJob) as a CloudFormation resource."""

from __future__ import annotations

import enum
from typing import Any, Mapping

from aws_cdk import Duration, Stack, aws_backup as backup, aws_iam as iam
from constructs import Construct

from cdk_backup_jobs.lifecycle import PROP_NAMES as LIFECYCLE_PROP_NAMES, JobLifecycle
from cdk_backup_jobs.provider import BackupJobsProvider
from cdk_backup_jobs.provider_code.backup_jobs_rules import START_BACKUP_JOB, Violation
from cdk_backup_jobs.job_resource import JobConstruct, checked_properties, job_custom_resource
from cdk_backup_jobs.validation import whole_units
from cdk_backup_jobs.vaults import vault_arn, vault_name

RESOURCE_TYPE = "Custom::BackupJob"

PROP_NAMES: Mapping[str, str] = {
    "BackupVaultName": "backup_vault",
    "ResourceArn": "resource_arn",
    "IamRoleArn": "role",
    "IdempotencyToken": "idempotency_token",
    "StartWindowMinutes": "start_window",
    "CompleteWindowMinutes": "complete_window",
    **LIFECYCLE_PROP_NAMES,
    "RecoveryPointTags": "recovery_point_tags",
    "BackupOptions": "backup_options",
    "Index": "index",
    "LogicallyAirGappedBackupVaultArn": "logically_air_gapped_backup_vault_arn",
}


class BackupIndex(str, enum.Enum):
    """Whether the job creates a backup index (EBS and S3 recovery points)."""

    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class BackupJob(JobConstruct):
    """Starts one on-demand AWS Backup job when the stack creates this resource.

    The resource is ``Custom::BackupJob``; its properties are StartBackupJob's
    members, so the same resource can be written in a plain CloudFormation
    template. A retried or duplicated request never starts a second job.
    Deleting the resource keeps the job and its recovery point.

    :param backup_vault: the vault to back up into, as ``IBackupVault`` or a vault name.
    :param resource_arn: ARN of the resource to back up.
    :param role: the role AWS Backup assumes to create the recovery point
        (trusts ``backup.amazonaws.com``).
    :param idempotency_token: a fixed IdempotencyToken. Default: derived from
        the stack, the resource and the CloudFormation request, so each Create
        or changed Update starts exactly one job.
    :param start_window: how long after it is scheduled the job may start, in
        whole minutes, at least 60. Default: 8 hours (AWS Backup's default).
    :param complete_window: how long after it is scheduled the job must
        complete, in whole minutes. Default: no limit set (AWS Backup's default).
    :param lifecycle: when the recovery point moves to cold storage and is
        deleted. Default: the recovery point is kept.
    :param recovery_point_tags: tags for the recovery point (at most 50).
        Default: none.
    :param backup_options: backup options; only ``{"WindowsVSS": "enabled" | "disabled"}``
        is documented. Default: none.
    :param index: whether to create a backup index (EBS and S3). Default: not set.
    :param logically_air_gapped_backup_vault_arn: a logically air-gapped vault
        (same account and region) to back up into. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        backup_vault: backup.IBackupVault | str,
        resource_arn: str,
        role: iam.IRole,
        idempotency_token: str | None = None,
        start_window: Duration | None = None,
        complete_window: Duration | None = None,
        lifecycle: JobLifecycle | None = None,
        recovery_point_tags: Mapping[str, str] | None = None,
        backup_options: Mapping[str, str] | None = None,
        index: BackupIndex | str | None = None,
        logically_air_gapped_backup_vault_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems: list[Violation] = []
        properties = checked_properties(self, START_BACKUP_JOB, {
            "BackupVaultName": vault_name(backup_vault),
            "ResourceArn": resource_arn,
            "IamRoleArn": role.role_arn,
            "IdempotencyToken": idempotency_token,
            "StartWindowMinutes": _minutes(start_window, "StartWindowMinutes", problems),
            "CompleteWindowMinutes": _minutes(complete_window, "CompleteWindowMinutes", problems),
            "Lifecycle": lifecycle.to_api(problems) if lifecycle else None,
            "RecoveryPointTags": dict(recovery_point_tags) if recovery_point_tags is not None else None,
            "BackupOptions": dict(backup_options) if backup_options is not None else None,
            "Index": index.value if isinstance(index, BackupIndex) else index,
            "LogicallyAirGappedBackupVaultArn": logically_air_gapped_backup_vault_arn,
        }, PROP_NAMES, problems)

        provider = BackupJobsProvider.of(self)
        vaults = [vault_arn(Stack.of(self), backup_vault)]
        if logically_air_gapped_backup_vault_arn:
            vaults.append(logically_air_gapped_backup_vault_arn)
        provider.allow_backup_job(vaults, role.role_arn)
        self.resource = job_custom_resource(self, provider, RESOURCE_TYPE, properties)

    @property
    def backup_job_id(self) -> str:
        """The job's ID (also the resource's physical ID). Token: ``GetAtt BackupJobId``."""
        return self.resource.get_att_string("BackupJobId")

    @property
    def recovery_point_arn(self) -> str:
        """The recovery point ARN where AWS Backup returns it at start (EFS and
        advanced DynamoDB backups); an empty string otherwise."""
        return self.resource.get_att_string("RecoveryPointArn")


def _minutes(window: Duration | None, member: str, problems: list[Violation]) -> Any:
    return whole_units(window, "minutes", member, problems) if window is not None else None
