"""A stack with only the provider, for plain CloudFormation templates: its ServiceToken is exported."""

from __future__ import annotations

from typing import Any, Sequence

from aws_cdk import ArnFormat, CfnOutput, Stack, aws_lambda as lambda_
from constructs import Construct

from cdk_backup_jobs.props.validation import raise_problems
from cdk_backup_jobs.provider.asset import package_version
from cdk_backup_jobs.provider.provider import FUNCTION_DESCRIPTION, BackupJobsProvider
from cdk_backup_jobs.provider.scope import ProviderScope, narrowing_problems
from cdk_backup_jobs.provider.shared_provider import DEFAULT_EXPORT_NAME as DEFAULT_EXPORT_NAME


class BackupJobsProviderStack(Stack):
    """Deploys the provider function once per account and region and exports its ARN.

    Templates then use ``ServiceToken: !ImportValue BackupJobsProviderServiceToken``, and CDK
    stacks ``BackupJobsProvider.from_export_name`` (their jobs' ``provider``).
    Its jobs are not known at synth, so its rights are by pattern: every vault
    of the account unless narrowed here, the job roles under the path
    ``/backup-jobs/`` (PassRole always limited to ``backup.amazonaws.com``),
    copies only into this account's vaults (a Deny of
    ``backup:CopyFromBackupVault`` on ``backup:CopyTargets``), the watch rules
    of waited jobs, the WaitConditions of any stack, and StopBackupJob
    (``scope`` says why each default). Its function's description and
    its output ``ProviderVersion`` name the package version it was made from.

    :param export_name: the export holding the ServiceToken.
        Default: ``BackupJobsProviderServiceToken``.
    :param vault_names: the vaults jobs may back up into (not empty). Default: all (``backup-vault:*``).
    :param job_role_arns: the roles jobs may pass to AWS Backup (ARNs or patterns, not empty).
        Default: the roles under ``/backup-jobs/`` (``role/backup-jobs/*``), unless ``allow_any_job_role``.
    :param allow_any_job_role: let jobs pass any role of the account (``role/*``), as before 0.x: anyone
        who may use the ServiceToken can then have AWS Backup act with any role that trusts it.
        Default: False.
    :param copy_targets: the vaults copies may go into (ARNs or patterns, not empty).
        Default: this account's vaults in every Region (``arn:PARTITION:backup:*:ACCOUNT:backup-vault:*``),
        unless ``copy_target_org_paths`` is given.
    :param copy_target_org_paths: AWS Organizations paths (``o-id/*``, ``o-id/r-id/ou-id/*``) of the
        accounts copies may go into, besides ``copy_targets``. Default: none.
    :param allow_any_copy_target: let copies go into any vault that accepts them (no Deny). Default: False.
    """

    def __init__(self, scope: Construct, construct_id: str, *, export_name: str = DEFAULT_EXPORT_NAME,
                 vault_names: Sequence[str] | None = None, job_role_arns: Sequence[str] | None = None,
                 allow_any_job_role: bool = False, copy_targets: Sequence[str] | None = None,
                 copy_target_org_paths: Sequence[str] | None = None, allow_any_copy_target: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.scope = self._provider_scope(
            job_role_arns=job_role_arns, allow_any_job_role=allow_any_job_role, copy_targets=copy_targets,
            copy_target_org_paths=copy_target_org_paths, allow_any_copy_target=allow_any_copy_target)
        """The job roles it may pass and where it may copy."""
        problems = [*narrowing_problems("vault_names", vault_names), *self.scope.problems()]
        raise_problems(self.node.path, "BackupJobsProviderStack", problems)
        self.provider = BackupJobsProvider.of(self)
        self.provider.allow_any_job(self._vault_arns(vault_names), self.scope.role_arns(self))
        copy_conditions = self.scope.copy_conditions(self)
        if copy_conditions is not None:
            self.provider.limit_copy_targets(copy_conditions)
        version = package_version()
        function = self.provider.function.node.default_child
        assert isinstance(function, lambda_.CfnFunction)
        function.description = f"{FUNCTION_DESCRIPTION} (version {version})"
        CfnOutput(self, "ServiceToken", value=self.provider.service_token, export_name=export_name,
                  description="ServiceToken for Custom::BackupJob and Custom::CopyJob resources")
        CfnOutput(self, "ProviderVersion", value=version,
                  description="The cdk-backup-jobs version of this provider: compare it with a release's "
                              "before upgrading")

    def _provider_scope(self, **props: Any) -> ProviderScope:
        """The scope its props give; the release template's stack gives one whose lists are its parameters."""
        return ProviderScope(**props)

    def _vault_arns(self, vault_names: Sequence[str] | None) -> list[str]:
        """The vaults ``backup:StartBackupJob`` names: ``vault_names`` in this account and Region, else all."""
        return [self.format_arn(service="backup", resource="backup-vault", resource_name=name,
                                arn_format=ArnFormat.COLON_RESOURCE_NAME)
                for name in (["*"] if vault_names is None else vault_names)]
