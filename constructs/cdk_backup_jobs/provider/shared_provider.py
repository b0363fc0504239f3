"""A provider deployed elsewhere (a BackupJobsProviderStack), used by the jobs of this stack.

Nothing of the provider is added to the stack: its jobs' resources take the
shared function's ARN as their ServiceToken. Rights cannot be added to a role
of another stack, so instead of growing a policy, the shared provider checks
each job's needs against what it was told the provider was given (the
provider stack's ``vault_names`` and ``job_role_arns``, and whether it has
``allow_any_job``), and warns at synth of each need it cannot confirm.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Sequence

from aws_cdk import Annotations, Fn, Stack, Token, aws_backup as backup, aws_iam as iam
from constructs import Construct, IConstruct

from cdk_backup_jobs.props.validation import JobValidationError, raise_problems, type_name
from cdk_backup_jobs.provider.rights import JobRights
from cdk_backup_jobs.provider.scope import JOB_ROLE_PATH, narrowing_problems

DEFAULT_EXPORT_NAME = "BackupJobsProviderServiceToken"
"""The export that holds a BackupJobsProviderStack's ServiceToken, unless it was given another name."""
WARNING_PREFIX = "cdk-backup-jobs:shared-provider-"
"""The IDs of the warnings a job on a shared provider may get: this, then what the provider may lack."""
SERVICES = ("lambda", "sns")
"""What a custom resource's ServiceToken can be: a Lambda function's or an SNS topic's ARN."""


class SharedBackupJobsProvider(Construct):
    """A provider deployed elsewhere; jobs given it as ``provider`` add nothing of a provider to their stack.

    Use ``BackupJobsProvider.from_service_token`` or ``BackupJobsProvider.from_export_name``.

    :param service_token: the provider function's ARN (a BackupJobsProviderStack's ServiceToken).
    :param vault_names: the vaults the provider may back up into, as given to its
        BackupJobsProviderStack (names, or patterns with ``*``; not empty). Default: all.
    :param job_role_arns: the roles the provider may pass, as given to its stack
        (ARNs, or patterns with ``*``; not empty). Default: the roles under ``/backup-jobs/``,
        unless ``allows_any_job_role``.
    :param allows_any_job_role: whether the provider stack was given ``allow_any_job_role``. Default: False.
    :param allows_any_job: whether the provider was given ``allow_any_job``, as every
        BackupJobsProviderStack is: watching waited jobs and final backups, signalling
        WaitConditions and reading any stack, and ``backup:StopBackupJob``. False: a job that
        needs one of these is warned. Default: True.
    """

    def __init__(self, scope: Construct, construct_id: str, *, service_token: str,
                 vault_names: Sequence[str] | None = None, job_role_arns: Sequence[str] | None = None,
                 allows_any_job: bool = True, allows_any_job_role: bool = False) -> None:
        super().__init__(scope, construct_id)
        problems = [*_token_problems(service_token), *narrowing_problems("vault_names", vault_names),
                    *narrowing_problems("job_role_arns", job_role_arns, "the roles under /backup-jobs/")]
        for prop, flag in (("allows_any_job", allows_any_job), ("allows_any_job_role", allows_any_job_role)):
            if not isinstance(flag, bool):
                problems.append(f"{prop} must be True or False, got {type_name(flag)}")
        raise_problems(self.node.path, "shared provider", problems)
        self._service_token = service_token
        self.vault_names = tuple(vault_names) if vault_names is not None else None
        self.job_role_arns = tuple(job_role_arns) if job_role_arns is not None else None
        self.allows_any_job = allows_any_job
        self.allows_any_job_role = allows_any_job_role

    @property
    def service_token(self) -> str:
        """The shared function's ARN: the ServiceToken of every job resource it serves."""
        return self._service_token

    def serve(self, job: Construct, rights: JobRights) -> Sequence[IConstruct]:
        """Grant nothing (the provider's role is another stack's); warn ``job`` of each right it
        needs that the provider may lack. Nothing of this stack must outlive the job's resources."""
        for need, message in self.unconfirmed(rights, job):
            Annotations.of(job).add_warning_v2(WARNING_PREFIX + need, message)
        return []

    def unconfirmed(self, rights: JobRights, job: IConstruct | None = None) -> list[tuple[str, str]]:
        """(need, message) for each right the job needs that this provider may lack (a vault of
        ``job``'s stack named by a literal is checked by that name)."""
        found = []
        for name in rights.backup_vault_names:
            name = literal_vault_name(job, name) if job is not None else name
            found += _outside("vault", name, self.vault_names, "vault_names")
        if self.job_role_arns is not None:
            found += _outside("role", rights.role_arn, self.job_role_arns, "job_role_arns")
        elif not self.allows_any_job_role:
            found += _outside_job_role_path(rights.role_arn, job)
        if self.allows_any_job:
            return found
        reads = "DescribeStacks" + (" and GetTemplate" if rights.reads_template or rights.signals else "")
        found.append(("stack-reads", f"The shared provider needs cloudformation:{reads} on this job's stack "
                                     "(allow_any_job gives them on every stack)."))
        if rights.watched:
            found.append(("watch", "This job is watched (it waits, or is a final backup): the shared provider "
                                   "needs allow_watching(wait_conditions=True, any_stack=True): its backup-jobs-wait-* "
                                   "EventBridge rules, their permission to invoke it, and SignalResource on this "
                                   "job's stack (allow_any_job gives them)."))
        if rights.stops:
            found.append(("stop", "This job stops on delete: the shared provider needs backup:StopBackupJob "
                                  "(allow_stop or allow_any_job)."))
        if rights.copies:
            found.append(("copy", "This job copies a recovery point: the shared provider needs backup:StartCopyJob "
                                  "on this account's recovery points (allow_copy_job or allow_any_job)."))
        return found


def literal_vault_name(scope: IConstruct, name: Any) -> Any:
    """``name``, or, if it is the name of an ``AWS::Backup::BackupVault`` of ``scope``'s stack (its
    Ref, or its BackupVaultName attribute, as aws-cdk-lib's BackupVault gives it) whose
    BackupVaultName is a literal, that literal (a vault's Ref is its name:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-backup-backupvault.html)."""
    if not Token.is_unresolved(name):
        return name
    stack = Stack.of(scope)
    logical_id = _named_resource(stack.resolve(name))
    if logical_id is None:
        return name  # another stack's (an import), or built of parts
    for node in stack.node.find_all():
        if isinstance(node, backup.CfnBackupVault) and Stack.of(node) is stack \
                and stack.resolve(node.logical_id) == logical_id:
            literal = node.backup_vault_name
            return literal if isinstance(literal, str) and not Token.is_unresolved(literal) else name
    return name


def role_path(scope: IConstruct | None, role_arn: Any) -> str | None:
    """The IAM path of ``role_arn`` (``/`` for none): read from a literal ARN, or from the ``Path`` of the
    ``AWS::IAM::Role`` of ``scope``'s stack it is the ``Arn`` of (a literal, or none given); None if not
    known at synth. A role's ARN is ``arn:PARTITION:iam::ACCOUNT:role`` + path + name (IAM identifiers:
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html)."""
    if isinstance(role_arn, str) and not Token.is_unresolved(role_arn):
        folders = role_arn.split(":", 5)[-1].partition("/")[2].rpartition("/")[0]  # role/FOLDERS/name
        return f"/{folders}/" if folders else "/"
    if scope is None:
        return None
    stack = Stack.of(scope)
    reference = stack.resolve(role_arn)
    attribute = reference.get("Fn::GetAtt") if isinstance(reference, dict) and len(reference) == 1 else None
    if not (isinstance(attribute, list) and len(attribute) == 2 and attribute[1] == "Arn"):
        return None
    for node in stack.node.find_all():
        if isinstance(node, iam.CfnRole) and Stack.of(node) is stack and stack.resolve(node.logical_id) == attribute[0]:
            path = node.path
            if path is None:
                return "/"
            return path if isinstance(path, str) and not Token.is_unresolved(path) else None
    return None


def import_service_token(export_name: str) -> str:
    """The ServiceToken a BackupJobsProviderStack exports under ``export_name`` (``Fn::ImportValue``)."""
    if not isinstance(export_name, str) or not export_name:
        raise JobValidationError(f"export_name must be a non-empty string, got {type_name(export_name)}")
    return Fn.import_value(export_name)


def _outside(what: str, value: Any, allowed: Sequence[str] | None, prop: str) -> list[tuple[str, str]]:
    """The warning for ``value`` (a vault name, a role ARN) unless ``allowed`` (patterns) covers it."""
    if allowed is None:
        return []
    listed = ", ".join(allowed)
    if Token.is_unresolved(value):
        return [(what, f"The shared provider was narrowed to the {what}s {listed} ({prop}); this job's {what} is "
                       "known only at deploy, so it cannot be checked: make sure it is one of them.")]
    if any(fnmatch.fnmatchcase(value, pattern) for pattern in allowed):
        return []
    return [(what, f"The shared provider may use only the {what}s {listed} ({prop}); this job's {what} "
                   f"{value} is not one of them: add it to the provider stack's {prop}.")]


def _outside_job_role_path(role_arn: Any, job: IConstruct | None) -> list[tuple[str, str]]:
    """The warning for a job role not under the path a shared provider passes by default."""
    path = role_path(job, role_arn)
    if path is None:
        return [("role", f"The shared provider passes only roles under the path {JOB_ROLE_PATH} (unless its stack "
                         "was given job_role_arns or allow_any_job_role); this job's role is known only at deploy, "
                         "so it cannot be checked: make sure its path is " + JOB_ROLE_PATH + ".")]
    if path.startswith(JOB_ROLE_PATH):
        return []
    return [("role", f"The shared provider passes only roles under the path {JOB_ROLE_PATH} (unless its stack was "
                     f"given job_role_arns or allow_any_job_role); this job's role has the path {path}: create it "
                     f"with path=\"{JOB_ROLE_PATH}\", or give the provider stack (and this import) job_role_arns "
                     "or allow_any_job_role.")]


def _named_resource(reference: Any) -> str | None:
    """The logical ID in ``{"Ref": id}`` or ``{"Fn::GetAtt": [id, "BackupVaultName"]}``, else None."""
    if not isinstance(reference, dict) or len(reference) != 1:
        return None
    if isinstance(reference.get("Ref"), str):
        return str(reference["Ref"])
    attribute = reference.get("Fn::GetAtt")
    if isinstance(attribute, list) and len(attribute) == 2 and attribute[1] == "BackupVaultName":
        return str(attribute[0])
    return None


def _token_problems(service_token: Any) -> list[str]:
    if not isinstance(service_token, str) or not service_token:
        return [f"service_token must be a function's ARN, got {type_name(service_token)}"]
    if Token.is_unresolved(service_token):
        return []
    parts = service_token.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] not in SERVICES:
        return [f"service_token must be the ARN of a Lambda function (or an SNS topic), got {service_token!r}"]
    return []
