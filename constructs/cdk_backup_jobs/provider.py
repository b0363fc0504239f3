"""The one provider function per stack that every BackupJob and CopyJob shares."""

from __future__ import annotations

from typing import Any

from aws_cdk import (Acknowledgment, ArnFormat, Duration, Stack, Validations, aws_iam as iam,
                     aws_lambda as lambda_, aws_logs as logs)
from constructs import Construct

from cdk_backup_jobs.provider_asset import provider_asset_dir
from cdk_backup_jobs_runtime.waiter import RULE_PREFIX as WATCH_RULE_PREFIX

PROVIDER_ID = "BackupJobsProvider"
RUNTIME = lambda_.Runtime.PYTHON_3_14
"""The newest Python runtime aws-cdk-lib offers (a test keeps this true)."""
FUNCTION_TIMEOUT = Duration.minutes(2)
MEMORY_SIZE_MB = 256
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
MAX_EVENT_AGE = Duration.hours(1)

WILDCARD_REASONS = {
    "Describe": "DescribeBackupJob and DescribeCopyJob have no resource-level permissions in AWS Backup",
    "StopBackupJob": "StopBackupJob has no resource-level permissions in AWS Backup",
    "StartCopyJob": "the recovery points to copy are made by jobs at deploy time, so their IDs are not "
                    "known at synth; limited to this account and region",
    "WatchRule": "each waited job's EventBridge rule is named backup-jobs-wait- plus a digest of its stack and "
                 "logical ID, made at deploy time",
    "StartBackupJob": "a shared provider serves templates not known at synth; narrow it with vault_names",
    "PassRole": "a shared provider serves templates not known at synth; narrow it with job_role_arns; "
                "PassRole is limited to backup.amazonaws.com",
    "Signal": "a shared provider signals the WaitConditions of the stacks that use it, which are not known at "
              "synth",
    "StackReads": "a shared provider's jobs read the status (final backups also the template) of the stack "
                  "they are in, which is not known at synth",
}
"""Why each statement that has a wildcard needs it (cdk-nag AwsSolutions-IAM5 acknowledgements)."""


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
            # AWS Backup's idempotency tokens last one hour: a request Lambda
            # redelivers later than that would start a second job.
            max_event_age=MAX_EVENT_AGE,
        )
        self._stack = stack
        self._statements: dict[str, iam.PolicyStatement] = {}
        self._granted: set[tuple[str, str]] = set()
        self._nag_reasons: dict[str, list[str]] = {}
        self._watch_permission: lambda_.CfnPermission | None = None

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
        """The function's ARN: the ServiceToken of every job resource."""
        return self.function.function_arn

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

    def _grant(self, name: str, actions: list[str], resource: str,
               conditions: dict[str, Any] | None = None) -> None:
        """Add ``resource`` to the statement ``name``, creating it on first use.

        A statement joins the policy with its first resource, so an action no
        job needs is never granted, and a vault or role used by many jobs is
        listed once.
        """
        if (name, resource) in self._granted:
            return
        statement = self._statements.get(name)
        if statement is None:
            statement = iam.PolicyStatement(actions=actions, conditions=conditions)
            self._statements[name] = statement
            self.policy.add_statements(statement)
        statement.add_resources(resource)
        self._granted.add((name, resource))
        rendered = _nag_text(self._stack.resolve(resource))
        if "*" in rendered:
            self._acknowledge_wildcard(f"AwsSolutions::AwsSolutions-IAM5[Resource::{rendered}]",
                                       WILDCARD_REASONS[name])

    def _acknowledge_wildcard(self, finding_id: str, reason: str) -> None:
        """Acknowledge a wildcard finding with every reason given for it so far.

        One finding can stand for several statements (``Resource::*`` is both
        the Describe calls and StopBackupJob), and aws-cdk-lib keeps only the
        last acknowledgement of an ID on a construct, so each new reason
        acknowledges the ID again with all of them.
        """
        reasons = self._nag_reasons.setdefault(finding_id, [])
        if reason in reasons:
            return
        reasons.append(reason)
        Validations.of(self.policy).acknowledge(Acknowledgment(id=finding_id, reason="; ".join(reasons)))


def _nag_text(value: Any) -> str:
    """A resolved ARN as cdk-nag prints it in a finding (pseudo parameters as <AWS::Region>)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_nag_text(part) for part in parts)
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    return str(value)
