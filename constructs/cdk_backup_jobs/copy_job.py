"""CopyJob: one on-demand copy of a recovery point (StartCopyJob) as a CloudFormation resource."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from aws_cdk import Duration, aws_backup as backup, aws_iam as iam
from constructs import Construct

from cdk_backup_jobs.job_resource import (PROVIDER_PROP_NAMES, JobConstruct, check_shared_prop_types,
                                          checked_properties, job_custom_resource, provider_properties)
from cdk_backup_jobs.lifecycle import PROP_NAMES as LIFECYCLE_PROP_NAMES, JobLifecycle
from cdk_backup_jobs.provider import BackupJobsProvider
from cdk_backup_jobs_runtime.rules import Violation
from cdk_backup_jobs_runtime.shapes import COPY_JOB_RESOURCE
from cdk_backup_jobs.run_on import RunOn
from cdk_backup_jobs.validation import JobValidationError, PropType
from cdk_backup_jobs.vaults import destination_vault_arn, vault_name

if TYPE_CHECKING:
    from cdk_backup_jobs.backup_job import BackupJob

RESOURCE_TYPE = "Custom::CopyJob"

PROP_NAMES: Mapping[str, str] = {
    "RecoveryPointArn": "recovery_point_arn",
    "SourceBackupVaultName": "source_backup_vault",
    "DestinationBackupVaultArn": "destination_backup_vault",
    "IamRoleArn": "role",
    "IdempotencyToken": "idempotency_token",
    **LIFECYCLE_PROP_NAMES,
    **PROVIDER_PROP_NAMES,
}


class CopyJob(JobConstruct):
    """Starts one on-demand copy of a recovery point when the stack creates this resource.

    The resource is ``Custom::CopyJob``; its properties are StartCopyJob's
    members. A retried or duplicated request never starts a second copy.
    Deleting the resource keeps the copy.

    :param destination_backup_vault: the vault to copy into, as
        ``IBackupVault`` or a vault ARN; another region or account is allowed
        (its vault access policy must let this account copy into it).
    :param role: the role AWS Backup assumes to copy (trusts ``backup.amazonaws.com``).
    :param source: a waited BackupJob whose recovery point to copy; replaces
        ``recovery_point_arn`` and ``source_backup_vault``, and orders the copy
        after the backup.
    :param recovery_point_arn: the recovery point to copy (without ``source``).
    :param source_backup_vault: the vault that holds it (this account and
        region), as ``IBackupVault`` or a vault name (without ``source``).
    :param lifecycle: lifecycle of the copy. Default: the copy is kept.
    :param idempotency_token: a fixed IdempotencyToken. Default: derived from
        the stack, the resource and the CloudFormation request.
    :param wait_for_completion: created only when the copy is COMPLETED. Default: False.
    :param timeout: how long to wait, whole minutes, at most 55. Default: 55 minutes.
    :param run_on: when the copy runs: ``RunOn.create()``,
        ``RunOn.every_deployment()`` or ``RunOn.change_of(value)``; not
        ``RunOn.delete()`` (a final backup is a BackupJob). Default: ``RunOn.create()``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        destination_backup_vault: backup.IBackupVault | str,
        role: iam.IRole,
        source: "BackupJob | None" = None,
        recovery_point_arn: str | None = None,
        source_backup_vault: backup.IBackupVault | str | None = None,
        lifecycle: JobLifecycle | None = None,
        idempotency_token: str | None = None,
        wait_for_completion: bool = False,
        timeout: Duration | None = None,
        run_on: RunOn | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        from cdk_backup_jobs.backup_job import BackupJob  # each module needs the other

        check_shared_prop_types(self, role, lifecycle, wait_for_completion, timeout, run_on,
                                PropType("source", source, lambda value: isinstance(value, BackupJob), "a BackupJob"))
        self.waits = wait_for_completion
        if run_on is not None and run_on.on_delete:
            raise JobValidationError(
                f"{self.node.path}: run_on=RunOn.delete() applies only to a BackupJob (a final backup); "
                "a CopyJob runs on create, on every deployment or on a change of a value")
        if source is not None:
            if recovery_point_arn is not None or source_backup_vault is not None:
                raise JobValidationError(
                    f"{self.node.path}: give either source, or recovery_point_arn and source_backup_vault")
            if not source.waits:
                raise JobValidationError(
                    f"{self.node.path}: source {source.node.path} must wait_for_completion=True "
                    "(only a COMPLETED recovery point can be copied)")
            recovery_point_arn = source.recovery_point_arn
            source_backup_vault = source.backup_vault_name
        problems: list[Violation] = []
        properties = checked_properties(self, COPY_JOB_RESOURCE, {
            "RecoveryPointArn": recovery_point_arn,
            "SourceBackupVaultName": vault_name(source_backup_vault) if source_backup_vault is not None else None,
            "DestinationBackupVaultArn": destination_vault_arn(destination_backup_vault),
            "IamRoleArn": role.role_arn,
            "IdempotencyToken": idempotency_token,
            "Lifecycle": lifecycle.to_api(problems) if lifecycle else None,
            **provider_properties(wait_for_completion, timeout, run_on, problems),
        }, PROP_NAMES, problems)

        provider = BackupJobsProvider.of(self)
        provider.allow_copy_job(role.role_arn)
        self.resource = job_custom_resource(self, provider, RESOURCE_TYPE, properties)

    @property
    def copy_job_id(self) -> str:
        """The copy job's ID (also the resource's physical ID)."""
        return self.resource.get_att_string("CopyJobId")

    @property
    def destination_recovery_point_arn(self) -> str:
        """The copy's recovery point in the destination vault (waited copies only)."""
        return self._finished_attribute("DestinationRecoveryPointArn", "destination_recovery_point_arn")

    @property
    def completion_date(self) -> str:
        """When the copy completed, ISO 8601 in UTC (waited copies only)."""
        return self._finished_attribute("CompletionDate", "completion_date")

    @property
    def backup_size_in_bytes(self) -> str:
        """The size of the copy in bytes (waited copies only)."""
        return self._finished_attribute("BackupSizeInBytes", "backup_size_in_bytes")
