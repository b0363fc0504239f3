"""CopyJob: one on-demand copy of a recovery point (StartCopyJob) as a CloudFormation resource."""

from __future__ import annotations

from typing import Any, Mapping

from aws_cdk import aws_backup as backup, aws_iam as iam
from constructs import Construct

from cdk_backup_jobs.lifecycle import PROP_NAMES as LIFECYCLE_PROP_NAMES, JobLifecycle
from cdk_backup_jobs.provider import BackupJobsProvider
from cdk_backup_jobs.provider_code.backup_jobs_rules import START_COPY_JOB, Violation
from cdk_backup_jobs.job_resource import JobConstruct, checked_properties, job_custom_resource
from cdk_backup_jobs.vaults import destination_vault_arn, vault_name

RESOURCE_TYPE = "Custom::CopyJob"

PROP_NAMES: Mapping[str, str] = {
    "RecoveryPointArn": "recovery_point_arn",
    "SourceBackupVaultName": "source_backup_vault",
    "DestinationBackupVaultArn": "destination_backup_vault",
    "IamRoleArn": "role",
    "IdempotencyToken": "idempotency_token",
    **LIFECYCLE_PROP_NAMES,
}


class CopyJob(JobConstruct):
    """Starts one on-demand copy of a recovery point when the stack creates this resource.

    The resource is ``Custom::CopyJob``; its properties are StartCopyJob's
    members. A retried or duplicated request never starts a second copy.
    Deleting the resource keeps the copy.

    :param recovery_point_arn: the recovery point to copy.
    :param source_backup_vault: the vault that holds it (this account and
        region), as ``IBackupVault`` or a vault name.
    :param destination_backup_vault: the vault to copy into, as
        ``IBackupVault`` or a vault ARN; another region or account is allowed
        (its vault access policy must let this account copy into it).
    :param role: the role AWS Backup assumes to copy (trusts ``backup.amazonaws.com``).
    :param lifecycle: lifecycle of the copy. Default: the copy is kept.
    :param idempotency_token: a fixed IdempotencyToken. Default: derived from
        the stack, the resource and the CloudFormation request.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        recovery_point_arn: str,
        source_backup_vault: backup.IBackupVault | str,
        destination_backup_vault: backup.IBackupVault | str,
        role: iam.IRole,
        lifecycle: JobLifecycle | None = None,
        idempotency_token: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems: list[Violation] = []
        properties = checked_properties(self, START_COPY_JOB, {
            "RecoveryPointArn": recovery_point_arn,
            "SourceBackupVaultName": vault_name(source_backup_vault),
            "DestinationBackupVaultArn": destination_vault_arn(destination_backup_vault),
            "IamRoleArn": role.role_arn,
            "IdempotencyToken": idempotency_token,
            "Lifecycle": lifecycle.to_api(problems) if lifecycle else None,
        }, PROP_NAMES, problems)

        provider = BackupJobsProvider.of(self)
        provider.allow_copy_job(role.role_arn)
        self.resource = job_custom_resource(self, provider, RESOURCE_TYPE, properties)

    @property
    def copy_job_id(self) -> str:
        """The copy job's ID (also the resource's physical ID)."""
        return self.resource.get_att_string("CopyJobId")
