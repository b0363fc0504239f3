"""BackupJob: one on-demand AWS Backup job (StartBackupJob) as a CloudFormation resource."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Mapping

from aws_cdk import Duration, Stack, aws_backup as backup, aws_iam as iam
from constructs import Construct, IConstruct

from cdk_backup_jobs.jobs.final_backup_guards import outlived_by, warn_if_snapshotted_too, warn_if_vault_is_destroyed
from cdk_backup_jobs.jobs.job_resource import JobConstruct, RunOn, job_resources
from cdk_backup_jobs.jobs.properties import checked_properties, vault_arn, vault_name, vault_name_of_arn
from cdk_backup_jobs.jobs.recovery_point_lifecycle import JobLifecycle
from cdk_backup_jobs.props.table import BACKUP_JOB_PROPS
from cdk_backup_jobs.props.validation import raise_problems
from cdk_backup_jobs.provider.provider import BackupJobsProvider
from cdk_backup_jobs.provider.rights import IBackupJobsProvider, JobRights
from cdk_backup_jobs_runtime.input.shapes import START_BACKUP_JOB

if TYPE_CHECKING:
    from cdk_backup_jobs.jobs.copy_job import CopyJob

RESOURCE_TYPE = "Custom::BackupJob"


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
        or changed Update starts exactly one job. Not with ``RunOn.delete()``: a
        retried stack delete would get the earlier, maybe failed, job back.
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
    :param wait_for_completion: the resource is created only when the job is
        COMPLETED; a job that ends FAILED, ABORTED, EXPIRED or PARTIAL fails it
        with the job's status message. Not with ``RunOn.delete()``, which always
        waits. Default: False (created once started).
    :param timeout: how long to wait, in whole minutes, at most 55 (CloudFormation
        waits at most one hour). Only with ``wait_for_completion`` or ``RunOn.delete()``.
        Default: 55 minutes.
    :param run_on: when the job runs: ``RunOn.create()``, ``RunOn.every_deployment()``,
        ``RunOn.change_of(value)`` or ``RunOn.delete()`` (a final backup; see
        ``final_backup``). Default: ``RunOn.create()``.
    :param stop_on_delete: stop the job if it is still running when the
        resource is deleted. Not with ``RunOn.delete()``. Default: False (the job runs on).
    :param skip_final_backup: with ``RunOn.delete()``: True makes a later delete
        of the stack (or of the protected resource) skip the final backup, for
        example after one failed; deploy it before that delete. Default: False.
    :param protects: with ``RunOn.delete()``: the construct whose deletion the
        final backup is for, in this job's stack (a nested stack is another
        stack: the provider reads the job's own stack's template); the job
        resource then depends on it, so CloudFormation deletes (and backs up)
        before removing it. Default: none.
    :param provider: the provider that serves the job: a shared one
        (``BackupJobsProvider.from_service_token``, ``from_export_name``) adds
        nothing of a provider to the stack, and warns of rights it may lack.
        Default: the stack's own ``BackupJobsProvider``, created by the first job.
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
        wait_for_completion: bool = False,
        timeout: Duration | None = None,
        run_on: RunOn | None = None,
        stop_on_delete: bool = False,
        protects: IConstruct | None = None,
        skip_final_backup: bool = False,
        provider: IBackupJobsProvider | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        properties = checked_properties(self, BACKUP_JOB_PROPS, locals())
        self.waits = wait_for_completion
        self.backup_vault_name: str = vault_name(backup_vault)
        self.role = role
        self.provider: IBackupJobsProvider = provider if provider is not None else BackupJobsProvider.of(self)
        on_delete = properties.get("RunOnDelete") is True

        air_gapped = [logically_air_gapped_backup_vault_arn] if logically_air_gapped_backup_vault_arn else []
        rights = JobRights(role.role_arn, (vault_arn(Stack.of(self), backup_vault), *air_gapped),
                           (self.backup_vault_name, *map(vault_name_of_arn, air_gapped)),
                           stops=stop_on_delete, reads_template=on_delete)
        if on_delete:
            warn_if_vault_is_destroyed(self, backup_vault)
            warn_if_snapshotted_too(self, protects)
        made = job_resources(self, self.provider, rights, RESOURCE_TYPE, START_BACKUP_JOB, properties)
        self.resource, self.wait_condition, self.result = made.resource, made.wait_condition, made.result
        if on_delete:  # ``protects`` comes with RunOn.delete() only (checked_properties refuses it otherwise)
            outlived_by(self.resource, properties, role, backup_vault, *([protects] if protects is not None else []))

    @property
    def backup_job_id(self) -> str:
        """The job's ID (also the resource's physical ID). Token: ``GetAtt BackupJobId``."""
        return self.resource.get_att_string("BackupJobId")

    @property
    def recovery_point_arn(self) -> str:
        """The recovery point ARN: for a waited job, its result's once the job COMPLETED (so a
        resource that uses it comes after); otherwise only where AWS Backup returns it at start (EFS
        and advanced DynamoDB), else an empty string."""
        if self.waits and self.result is not None:
            return self._finished_attribute("RecoveryPointArn", "recovery_point_arn")
        return self.resource.get_att_string("RecoveryPointArn")

    @classmethod
    def final_backup(
        cls,
        scope: Construct,
        construct_id: str,
        *,
        resource: IConstruct,
        resource_arn: str,
        backup_vault: backup.IBackupVault | str,
        role: iam.IRole,
        lifecycle: JobLifecycle | None = None,
        recovery_point_tags: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        skip_final_backup: bool = False,
        start_window: Duration | None = None,
        complete_window: Duration | None = None,
        backup_options: Mapping[str, str] | None = None,
        index: BackupIndex | str | None = None,
        logically_air_gapped_backup_vault_arn: str | None = None,
        provider: IBackupJobsProvider | None = None,
        idempotency_token: str | None = None,
        wait_for_completion: bool = False,
        stop_on_delete: bool = False,
        run_on: RunOn | None = None,
        protects: IConstruct | None = None,
    ) -> "BackupJob":
        """A backup taken when the stack deletes ``resource``: ``DeletionPolicy: Snapshot`` for any
        resource AWS Backup supports (DynamoDB, EFS, S3, FSx, EC2 ...).

        Its props are BackupJob's that make sense for a final backup. The other
        BackupJob props (``idempotency_token``, ``wait_for_completion``,
        ``stop_on_delete``) are taken, checked with the rest, and refused in the
        one ``JobValidationError`` saying why; ``run_on`` and ``protects`` are this
        method's own (``RunOn.delete()``, ``resource``), refused too. A prop no
        BackupJob has is a type error, and a TypeError naming ``final_backup``.

        ``scope`` must be in ``resource``'s stack (not a nested or parent
        stack of it): the provider tells whether the resource goes from the
        job's own stack's template, so a resource of another stack is refused.
        Create and Update start nothing. The job resource depends on
        ``resource``, so CloudFormation deletes it first; its Delete starts the
        backup and answers only when the job is COMPLETED (within ``timeout``).
        A failed backup fails the delete, so nothing is lost silently; deploy
        with ``skip_final_backup=True`` to delete without it. The job resource
        also depends on ``role`` and ``backup_vault`` when they are in the same
        stack, so the role's policies outlive the backup.
        """
        own = [prop for prop, value in (("protects", protects), ("run_on", run_on)) if value is not None]
        if own:
            raise_problems(f"{scope.node.path}/{construct_id}", "Custom::BackupJob",
                           [f"{prop} is final_backup's own: it runs on delete, for resource" for prop in own])
        return cls(scope, construct_id, backup_vault=backup_vault, resource_arn=resource_arn, role=role,
                   lifecycle=lifecycle, recovery_point_tags=recovery_point_tags, timeout=timeout,
                   run_on=RunOn.delete(), protects=resource, skip_final_backup=skip_final_backup,
                   start_window=start_window, complete_window=complete_window, backup_options=backup_options,
                   index=index, logically_air_gapped_backup_vault_arn=logically_air_gapped_backup_vault_arn,
                   provider=provider, idempotency_token=idempotency_token,
                   wait_for_completion=wait_for_completion, stop_on_delete=stop_on_delete)

    def copy_to(
        self,
        construct_id: str,
        *,
        destination_backup_vault: backup.IBackupVault | str,
        role: iam.IRole | None = None,
        lifecycle: JobLifecycle | None = None,
        wait_for_completion: bool = False,
        timeout: Duration | None = None,
        run_on: RunOn | None = None,
    ) -> "CopyJob":
        """A CopyJob of this job's recovery point, beside this job in the tree.

        This job must wait for completion: only a COMPLETED recovery point can
        be copied. The role defaults to this job's role; the copy is served by
        this job's provider.
        """
        from cdk_backup_jobs.jobs.copy_job import CopyJob

        scope = self.node.scope
        assert isinstance(scope, Construct)
        return CopyJob(
            scope, construct_id, source=self, destination_backup_vault=destination_backup_vault,
            role=role or self.role, lifecycle=lifecycle, wait_for_completion=wait_for_completion,
            timeout=timeout, run_on=run_on, provider=self.provider,
        )

