"""CopyJob: one on-demand copy of a recovery point (StartCopyJob) as a CloudFormation resource."""

from __future__ import annotations

from aws_cdk import Duration, aws_backup as backup, aws_iam as iam
from constructs import Construct

from cdk_backup_jobs.jobs.job_resource import JobConstruct, RecoveryPointSource, RunOn, job_resources
from cdk_backup_jobs.jobs.properties import checked_properties
from cdk_backup_jobs.jobs.recovery_point_lifecycle import JobLifecycle
from cdk_backup_jobs.props.table import COPY_JOB_PROPS
from cdk_backup_jobs.provider.provider import BackupJobsProvider
from cdk_backup_jobs.provider.rights import IBackupJobsProvider, JobRights
from cdk_backup_jobs_runtime.input.shapes import START_COPY_JOB

RESOURCE_TYPE = "Custom::CopyJob"


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
    :param provider: the provider that serves the copy, as for ``BackupJob``.
        Default: the stack's own ``BackupJobsProvider``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        destination_backup_vault: backup.IBackupVault | str,
        role: iam.IRole,
        source: RecoveryPointSource | None = None,
        recovery_point_arn: str | None = None,
        source_backup_vault: backup.IBackupVault | str | None = None,
        lifecycle: JobLifecycle | None = None,
        idempotency_token: str | None = None,
        wait_for_completion: bool = False,
        timeout: Duration | None = None,
        run_on: RunOn | None = None,
        provider: IBackupJobsProvider | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        properties = checked_properties(self, COPY_JOB_PROPS, locals())
        self.waits = wait_for_completion
        self.provider: IBackupJobsProvider = provider if provider is not None else BackupJobsProvider.of(self)
        made = job_resources(self, self.provider, JobRights(role.role_arn, copies=True), RESOURCE_TYPE,
                             START_COPY_JOB, properties)
        self.resource, self.wait_condition, self.result = made.resource, made.wait_condition, made.result

    @property
    def copy_job_id(self) -> str:
        """The copy job's ID (also the resource's physical ID)."""
        return self.resource.get_att_string("CopyJobId")

    @property
    def destination_recovery_point_arn(self) -> str:
        """The copy's recovery point in the destination vault (waited copies only)."""
        return self._finished_attribute("DestinationRecoveryPointArn", "destination_recovery_point_arn")
