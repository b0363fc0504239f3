"""The one provider function per stack that every BackupJob and CopyJob shares, unless given a shared one."""

from __future__ import annotations

from typing import Any, Sequence

from aws_cdk import ArnFormat, Duration, Stack, aws_iam as iam, aws_lambda as lambda_, aws_logs as logs
from constructs import Construct, IConstruct

from cdk_backup_jobs.provider.asset import provider_asset_dir
from cdk_backup_jobs.provider.policy import WILDCARD_REASONS as WILDCARD_REASONS, GrowingPolicy
from cdk_backup_jobs.provider.rights import JobRights
from cdk_backup_jobs.provider.scope import COPY_FROM_ACTION
from cdk_backup_jobs.provider.shared_provider import DEFAULT_EXPORT_NAME, SharedBackupJobsProvider, import_service_token
from cdk_backup_jobs_runtime.watches.waiter import RULE_PREFIX as WATCH_RULE_PREFIX

PROVIDER_ID = "BackupJobsProvider"
RUNTIME = lambda_.Runtime.PYTHON_3_14
"""The newest Python runtime aws-cdk-lib offers (a test keeps this true)."""
FUNCTION_TIMEOUT = Duration.minutes(2)
MEMORY_SIZE_MB = 256
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
MAX_EVENT_AGE = Duration.hours(1)
FUNCTION_DESCRIPTION = "cdk-backup-jobs provider: starts AWS Backup jobs idempotently"


class BackupJobsProvider(Construct):
    """The Lambda function, role and log group behind ``Custom::BackupJob`` and ``Custom::CopyJob``.

    Created once per stack by the first job (use ``BackupJobsProvider.of``).
    Its policy grows only by the distinct vaults and roles the jobs use:
    ``backup:StartBackupJob`` on the target vaults, ``backup:StartCopyJob`` on
    this account's recovery points, ``iam:PassRole`` on the job roles for
    ``backup.amazonaws.com`` only, the Describe calls (which AWS Backup
    does not scope to resources) on ``*``, and ``cloudformation:DescribeStacks``
    on its own stack (no job is started in a rollback). Only stacks with a waiting job get
    the rights to watch it (EventBridge rules named ``backup-jobs-wait-*``, a
    permission for EventBridge to invoke the function from them, and
    signalling its WaitCondition), and only stacks with
    ``stop_on_delete`` get ``backup:StopBackupJob``.

    Jobs can use a provider deployed elsewhere instead (their ``provider``
    prop): ``from_service_token`` and ``from_export_name``.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(self, "LogGroup", retention=LOG_RETENTION)
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             description="Starts on-demand AWS Backup jobs for Custom::BackupJob and Custom::CopyJob")
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
            description=FUNCTION_DESCRIPTION,
            # AWS Backup documents no lifetime for its idempotency tokens (older references said one
            # hour; docs/behaviour.md#idempotency): a later redelivery may start a second job.
            max_event_age=MAX_EVENT_AGE,
        )
        # aws-cdk-lib makes a Function depend on its role, so that the role's DefaultPolicy comes first; the
        # role itself is ordered already by the Role property's GetAtt, which cfn-lint warns of (W3005).
        self.function.node.default_child.add_metadata(  # type: ignore[union-attr]
            "cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        self._stack = stack
        self._policies = GrowingPolicy(self.policy, stack, role=self.role, scope=self)
        self._grant = self._policies.grant
        self._watch_permission: lambda_.CfnPermission | None = None

    @classmethod
    def of(cls, scope: Construct) -> "BackupJobsProvider":
        """The stack's provider, created on first use."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(PROVIDER_ID)
        if isinstance(existing, BackupJobsProvider):
            return existing
        return cls(stack, PROVIDER_ID)

    @classmethod
    def from_service_token(cls, scope: Construct, construct_id: str, service_token: str, *,
                           vault_names: Sequence[str] | None = None, job_role_arns: Sequence[str] | None = None,
                           allows_any_job: bool = True,
                           allows_any_job_role: bool = False) -> SharedBackupJobsProvider:
        """A provider deployed elsewhere (a BackupJobsProviderStack's function), for jobs' ``provider``.

        Their stack then holds their resources only. No right can be added to that provider's
        role: a job that needs one it may lack gets a synth warning instead (``shared_provider``).

        :param service_token: the function's ARN (a token is fine, e.g. an SSM parameter's value).
        :param vault_names: the provider stack's ``vault_names`` (not empty). Default: all vaults.
        :param job_role_arns: the provider stack's ``job_role_arns`` (not empty). Default: the roles under
            ``/backup-jobs/``, as a BackupJobsProviderStack passes by default.
        :param allows_any_job: whether it was given ``allow_any_job`` (a BackupJobsProviderStack is).
            Default: True.
        :param allows_any_job_role: whether the provider stack was given ``allow_any_job_role``. Default: False.
        """
        return SharedBackupJobsProvider(scope, construct_id, service_token=service_token, vault_names=vault_names,
                                        job_role_arns=job_role_arns, allows_any_job=allows_any_job,
                                        allows_any_job_role=allows_any_job_role)

    @classmethod
    def from_export_name(cls, scope: Construct, construct_id: str, export_name: str = DEFAULT_EXPORT_NAME, *,
                         vault_names: Sequence[str] | None = None, job_role_arns: Sequence[str] | None = None,
                         allows_any_job: bool = True, allows_any_job_role: bool = False) -> SharedBackupJobsProvider:
        """The provider a BackupJobsProviderStack exports (``Fn::ImportValue``), for jobs' ``provider``.

        As ``from_service_token``; the import also keeps the provider stack from being deleted while a stack uses it.

        :param export_name: the provider stack's ``export_name``. Default: ``BackupJobsProviderServiceToken``.
        """
        return cls.from_service_token(scope, construct_id, import_service_token(export_name),
                                      vault_names=vault_names, job_role_arns=job_role_arns,
                                      allows_any_job=allows_any_job, allows_any_job_role=allows_any_job_role)

    @property
    def service_token(self) -> str:
        """The function's ARN: the ServiceToken of every job resource."""
        return self.function.function_arn

    def serve(self, job: Construct, rights: JobRights) -> Sequence[IConstruct]:
        """Grow the policy by what ``job`` needs; its resources must come after (and go before) the
        policy, and a watched job's after the permission that lets its watch invoke the function."""
        for vault_arn in rights.backup_vault_arns:
            self._grant("StartBackupJob", ["backup:StartBackupJob"], vault_arn)
        if rights.copies:
            self._allow_copies()
        self.allow_pass_role(rights.role_arn)
        self._allow_job_reads()
        if rights.stops:
            self.allow_stop()
        if rights.reads_template:
            self.allow_stack_reads()
        if not rights.watched:
            return self.policies
        self.allow_watching(wait_conditions=rights.signals)
        return [*self.policies, self.watch_permission]

    @property
    def policies(self) -> list[iam.Policy | iam.ManagedPolicy]:
        """The role's policies that hold the jobs' rights: the inline ``policy``, then a managed policy
        for each 6,144 characters that did not fit in the role's 10,240 inline (IAM quotas)."""
        return self._policies.policies

    def allow_backup_job(self, vault_arns: list[str], role_arn: str) -> None:
        """Let the function start backup jobs into these vaults with this role."""
        for vault_arn in vault_arns:
            self._grant("StartBackupJob", ["backup:StartBackupJob"], vault_arn)
        self.allow_pass_role(role_arn)
        self._allow_job_reads()

    def allow_copy_job(self, role_arn: str) -> None:
        """Let the function start copy jobs of this account's recovery points with this role."""
        self._allow_copies()
        self.allow_pass_role(role_arn)
        self._allow_job_reads()

    def allow_pass_role(self, role_arn: str) -> None:
        """Let the function pass this job role (an ARN, or a pattern) to AWS Backup, and to nothing else."""
        self._grant("PassRole", ["iam:PassRole"], role_arn,
                    {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}})

    def allow_watching(self, wait_conditions: bool = False, any_stack: bool = False) -> None:
        """Let the function watch waited jobs: each one's own EventBridge rule (its events and a
        fallback check), which invokes the function; with ``wait_conditions`` also signal a job's
        WaitCondition (SignalResource) after checking it in the stack's template (``any_stack``: of
        every stack, for a shared provider).
        """
        rule = self._stack.format_arn(service="events", resource="rule", resource_name=f"{WATCH_RULE_PREFIX}*")
        self._grant("WatchRule", ["events:PutRule", "events:PutTargets", "events:RemoveTargets",
                                  "events:DeleteRule", "events:ListTargetsByRule"], rule)
        if self._watch_permission is None:
            self._watch_permission = lambda_.CfnPermission(
                self, "WatchPermission", action="lambda:InvokeFunction",
                function_name=self.function.function_arn, principal="events.amazonaws.com",
                source_account=self._stack.account, source_arn=rule)
        if wait_conditions:
            stacks = self._stack.format_arn(service="cloudformation", resource="stack", resource_name="*") \
                if any_stack else self._stack.stack_id
            self._grant("Signal", ["cloudformation:SignalResource", "cloudformation:GetTemplate"], stacks)

    @property
    def watch_permission(self) -> lambda_.CfnPermission:
        """The permission that lets the watches' rules invoke the function (``allow_watching`` first)."""
        assert self._watch_permission is not None, "allow_watching() before watch_permission"
        return self._watch_permission

    def allow_stack_reads(self) -> None:
        """Let a final backup read its own stack's template too (is the protected resource going?)."""
        self._grant("StackTemplate", ["cloudformation:GetTemplate"], self._stack.stack_id)

    def allow_stop(self) -> None:
        """Let the function stop backup jobs (StopOnDelete); AWS Backup does not scope StopBackupJob."""
        self._grant("StopBackupJob", ["backup:StopBackupJob"], "*")

    def allow_any_job(self, vault_arns: list[str], role_arns: list[str]) -> None:
        """Rights for jobs not known at synth (a provider shared by plain CloudFormation templates).

        Backups into ``vault_arns`` and copies of this account's recovery
        points, each with any of ``role_arns`` (every job passes a role: with
        none, no job could start, so nothing of a job is granted).
        """
        for vault in vault_arns:
            self._grant("StartBackupJob", ["backup:StartBackupJob"], vault)
        if role_arns:
            self._allow_copies()
            for role in role_arns:
                self.allow_pass_role(role)
            self._allow_job_reads()
        self.allow_watching(wait_conditions=True, any_stack=True)
        self.allow_stop()
        # Final backups of any stack read that stack's status and template.
        self._grant("StackReads", ["cloudformation:DescribeStacks", "cloudformation:GetTemplate"],
                    self._stack.format_arn(service="cloudformation", resource="stack", resource_name="*"))

    def limit_copy_targets(self, conditions: dict[str, Any]) -> None:
        """Refuse copies whose destination ``conditions`` do not allow: a Deny of ``backup:CopyFromBackupVault``
        (the permission AWS Backup checks for a copy's destination; StartCopyJob cannot name it) on every
        recovery point, under ``conditions`` (``scope.ProviderScope.copy_conditions``)."""
        self._grant("CopyTargets", [COPY_FROM_ACTION], "*", conditions, effect=iam.Effect.DENY)

    def _allow_copies(self) -> None:
        """StartCopyJob on this account's recovery points (made by jobs at deploy time: no IDs at synth)."""
        recovery_points = self._stack.format_arn(
            service="backup", resource="recovery-point", resource_name="*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self._grant("StartCopyJob", ["backup:StartCopyJob"], recovery_points)

    def _allow_job_reads(self) -> None:
        """What every job needs besides its start right and its role: reading jobs, and its stack's status."""
        self._grant("Describe", ["backup:DescribeBackupJob", "backup:DescribeCopyJob"], "*")
        # An Update that would start a job first asks whether the stack is
        # rolling back, where it starts none.
        self._grant("StackStatus", ["cloudformation:DescribeStacks"], self._stack.stack_id)
