"""A stack with only the provider, for plain CloudFormation templates: its ServiceToken is exported."""

from __future__ import annotations

from typing import Any, Sequence

from aws_cdk import ArnFormat, CfnOutput, Stack
from constructs import Construct

from cdk_backup_jobs.provider import BackupJobsProvider
from cdk_backup_jobs.shared_provider import DEFAULT_EXPORT_NAME as DEFAULT_EXPORT_NAME
from cdk_backup_jobs.shared_provider import narrowing_problems
from cdk_backup_jobs.validation import raise_problems


class BackupJobsProviderStack(Stack):
    """Deploys the provider function once per account and region and exports its ARN.

    Templates then use ``ServiceToken: !ImportValue BackupJobsProviderServiceToken``, and CDK
    stacks ``BackupJobsProvider.from_export_name`` (their jobs' ``provider``).
    Its jobs are not known at synth, so its rights are by pattern: every vault
    and every role of the account unless narrowed here (PassRole is always
    limited to ``backup.amazonaws.com``), the watch rules of waited jobs, the
    WaitConditions of any stack, and StopBackupJob.

    :param export_name: the export holding the ServiceToken.
        Default: ``BackupJobsProviderServiceToken``.
    :param vault_names: the vaults jobs may back up into (not empty). Default: all (``backup-vault:*``).
    :param job_role_arns: the roles jobs may pass to AWS Backup (not empty). Default: all (``role/*``).
    """

    def __init__(self, scope: Construct, construct_id: str, *, export_name: str = DEFAULT_EXPORT_NAME,
                 vault_names: Sequence[str] | None = None, job_role_arns: Sequence[str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        problems = [*narrowing_problems("vault_names", vault_names), *narrowing_problems("job_role_arns", job_role_arns)]
        raise_problems(self.node.path, "BackupJobsProviderStack", problems)
        self.provider = BackupJobsProvider.of(self)
        vaults = [self.format_arn(service="backup", resource="backup-vault", resource_name=name,
                                  arn_format=ArnFormat.COLON_RESOURCE_NAME)
                  for name in (["*"] if vault_names is None else vault_names)]
        roles = list(job_role_arns) if job_role_arns is not None else \
            [self.format_arn(service="iam", region="", resource="role", resource_name="*")]
        self.provider.allow_any_job(vaults, roles)
        CfnOutput(self, "ServiceToken", value=self.provider.service_token, export_name=export_name,
                  description="ServiceToken for Custom::BackupJob and Custom::CopyJob resources")
