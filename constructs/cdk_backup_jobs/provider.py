"""The one provider function per stack that every BackupJob and CopyJob shares."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack, aws_iam as iam, aws_lambda as lambda_, aws_logs as logs
from constructs import Construct

from cdk_backup_jobs.provider_asset import provider_asset_dir

PROVIDER_ID = "BackupJobsProvider"
RUNTIME = lambda_.Runtime.PYTHON_3_14
"""The newest Python runtime aws-cdk-lib offers (a test keeps this true)."""
FUNCTION_TIMEOUT = Duration.minutes(2)
MEMORY_SIZE_MB = 256
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


class BackupJobsProvider(Construct):
    """The Lambda function, role and log group behind ``Custom::BackupJob`` and ``Custom::CopyJob``.

    Created once per stack by the first job (use ``BackupJobsProvider.of``).
    Its policy grows only by the distinct vaults and roles the jobs use:
    ``backup:StartBackupJob`` on the target vaults, ``backup:StartCopyJob`` on
    this account's recovery points, ``iam:PassRole`` on the job roles for
    ``backup.amazonaws.com`` only, and the Describe calls (which AWS Backup
    does not scope to resources) on ``*``.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(self, "LogGroup", retention=LOG_RETENTION)
        self.role = iam.Role(
            self, "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Starts on-demand AWS Backup jobs for Custom::BackupJob and Custom::CopyJob",
        )
        self.log_group.grant_write(self.role)
        self.policy = iam.Policy(self, "Policy", roles=[self.role])
        self.function = lambda_.Function(
            self, "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_asset(provider_asset_dir()),
            timeout=FUNCTION_TIMEOUT,
            memory_size=MEMORY_SIZE_MB,
            role=self.role,
            log_group=self.log_group,
            description="cdk-backup-jobs provider: starts AWS Backup jobs idempotently",
        )
        self._start_backup = self._statement("backup:StartBackupJob")
        self._start_copy = self._statement("backup:StartCopyJob")
        self._pass_role = self._statement("iam:PassRole")
        self._pass_role.add_condition(
            "StringEquals", {"iam:PassedToService": "backup.amazonaws.com"}
        )
        self._describe = iam.PolicyStatement(
            actions=["backup:DescribeBackupJob", "backup:DescribeCopyJob"], resources=["*"]
        )
        self._recovery_points = stack.format_arn(
            service="backup", resource="recovery-point", resource_name="*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self._granted: set[tuple[str, str]] = set()

    @classmethod
    def of(cls, scope: Construct) -> "BackupJobsProvider":
        """The stack's provider, created on first use."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(PROVIDER_ID)
        if isinstance(existing, BackupJobsProvider):
            return existing
        return cls(stack, PROVIDER_ID)

    @property
    def service_token(self) -> str:
        return self.function.function_arn

    def allow_backup_job(self, vault_arns: list[str], role_arn: str) -> None:
        """Let the function start backup jobs into these vaults with this role."""
        for vault_arn in vault_arns:
            self._grant(self._start_backup, vault_arn)
        self._grant(self._pass_role, role_arn)

    def allow_copy_job(self, role_arn: str) -> None:
        """Let the function start copy jobs of this account's recovery points with this role."""
        self._grant(self._start_copy, self._recovery_points)
        self._grant(self._pass_role, role_arn)

    def _statement(self, action: str) -> iam.PolicyStatement:
        # Resources are added as jobs register; the statement joins the policy
        # with its first resource, so an unused action is never granted.
        return iam.PolicyStatement(actions=[action])

    def _grant(self, statement: iam.PolicyStatement, resource: str) -> None:
        key = (statement.actions[0], resource)
        if key in self._granted:
            return
        if not any(action == statement.actions[0] for action, _ in self._granted):
            self.policy.add_statements(statement)
        if not self._granted:
            self.policy.add_statements(self._describe)
        self._granted.add(key)
        statement.add_resources(resource)
