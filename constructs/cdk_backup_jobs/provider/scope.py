"""What a shared provider may do by default, and the props that widen it.

A shared provider (``BackupJobsProviderStack``, each stack of a
``BackupJobsProviderStackSet``) serves whoever may use its ServiceToken, with
templates it never sees. So by default it passes only job roles made for it,
and copies only into its own account's vaults:

- **Job roles under the path ``/backup-jobs/``**
  (``arn:PARTITION:iam::ACCOUNT:role/backup-jobs/*``). A role's path is part
  of its ARN, is set when the role is created and cannot be changed after
  (``AWS::IAM::Role`` ``Path``; IAM identifiers, "Friendly names and paths":
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html),
  and ``iam:CreateRole`` is granted on role ARNs, paths included, so who may
  make a role the provider will pass can itself be limited. AWS Backup takes
  roles with paths (its own default role is ``role/service-role/AWSBackupDefaultServiceRole``).
  A tag (``iam:ResourceTag``) was not chosen: whoever may tag a role could
  bring it into scope. A required ``job_role_arns`` was not chosen either: a
  provider for plain templates would then need a redeployment for each new role.
- **Copies into this account's vaults, in any Region**
  (``arn:PARTITION:backup:*:ACCOUNT:backup-vault:*``). StartCopyJob's only
  resource is the recovery point copied, and its only condition key
  ``aws:ResourceTag/${TagKey}`` (Service Authorization Reference, "Actions,
  resources, and condition keys for AWS Backup":
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html),
  so nothing in an Allow of StartCopyJob can name the destination. The copy's
  destination is checked by the permission-only action
  ``backup:CopyFromBackupVault`` (resource: the recovery point), whose
  condition keys ``backup:CopyTargets`` (ArrayOfARN: the destination vaults)
  and ``backup:CopyTargetOrgPaths`` (ArrayOfString: the destination account's
  organization path) AWS documents in a Deny ("Limit destination accounts
  using account numbers and vault names" and "... using organizational units"
  in the AWS Backup Developer Guide:
  https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html).
  The provider's role gets such a Deny. ``aws:ResourceOrgID`` would name the
  recovery point's organization, not the destination's: it cannot limit where
  a copy goes.

``allow_any_job_role`` and ``allow_any_copy_target`` give back the old
defaults (any role of the account; any destination that accepts the copy),
``job_role_arns`` names roles, ``copy_targets`` vaults and
``copy_target_org_paths`` organizations or OUs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from aws_cdk import ArnFormat, Stack

from cdk_backup_jobs.props.validation import is_unresolved, type_name

JOB_ROLE_PATH = "/backup-jobs/"
"""The IAM path of the roles a shared provider passes unless told otherwise."""
ORG_PATH = re.compile(r"^o-[a-z0-9]{10,32}/[a-z0-9/*?-]*$")
"""An AWS Organizations path as ``backup:CopyTargetOrgPaths`` holds one (``o-id/r-id/ou-id/``, the form of
``aws:PrincipalOrgPaths``), or a pattern of it (``o-id/*``); an organization's ID is ``o-`` and 10 to 32
lower-case letters or digits (AWS Organizations API reference, Organization.Id)."""
COPY_TARGETS_KEY = "backup:CopyTargets"
COPY_TARGET_ORG_PATHS_KEY = "backup:CopyTargetOrgPaths"
COPY_FROM_ACTION = "backup:CopyFromBackupVault"
OUTSIDE_TARGETS = "ForAllValues:ArnNotLike"
"""The Deny's operator on ``backup:CopyTargets``."""
OUTSIDE_ORG_PATHS = "ForAllValues:StringNotLike"
"""The Deny's operator on ``backup:CopyTargetOrgPaths``."""


@dataclass(frozen=True)
class ProviderScope:
    """The job roles a shared provider may pass and where it may copy, as its stack was told."""

    job_role_arns: Sequence[str] | None = None
    """Roles (ARNs or patterns). None: ``allow_any_job_role`` decides."""
    allow_any_job_role: bool = False
    copy_targets: Sequence[str] | None = None
    """Destination vaults (ARNs or patterns). None: this account's, unless ``copy_target_org_paths``."""
    copy_target_org_paths: Sequence[str] | None = None
    allow_any_copy_target: bool = False

    def problems(self) -> list[str]:
        """Each prop that is wrong or conflicts with another, named with what it got."""
        found = [*narrowing_problems("job_role_arns", self.job_role_arns, "the roles under /backup-jobs/"),
                 *narrowing_problems("copy_targets", self.copy_targets, "this account's vaults"),
                 *narrowing_problems("copy_target_org_paths", self.copy_target_org_paths, "this account's vaults")]
        if not found and self.copy_target_org_paths is not None:
            found += [f"copy_target_org_paths must hold organization paths ({ORG_PATH.pattern}), got {path!r}"
                      for path in self.copy_target_org_paths if not is_unresolved(path) and not ORG_PATH.match(path)]
        return found + self.flag_problems()

    def flag_problems(self) -> list[str]:
        """The ``allow_any_*`` flags: booleans, and not given with the lists they would override."""
        found = []
        for prop, value in (("allow_any_job_role", self.allow_any_job_role),
                            ("allow_any_copy_target", self.allow_any_copy_target)):
            if not isinstance(value, bool):
                found.append(f"{prop} must be True or False, got {type_name(value)}")
        if self.allow_any_job_role is True and self.job_role_arns is not None:
            found.append("allow_any_job_role=True and job_role_arns both given: give one (job_role_arns names "
                         "the roles, allow_any_job_role allows every role of the account)")
        if self.allow_any_copy_target is True and (self.copy_targets is not None
                                                   or self.copy_target_org_paths is not None):
            found.append("allow_any_copy_target=True and copy_targets or copy_target_org_paths both given: give one")
        return found

    def role_arns(self, stack: Stack) -> list[str]:
        """The roles the provider's ``iam:PassRole`` names."""
        if self.job_role_arns is not None:
            return list(self.job_role_arns)
        name = "*" if self.allow_any_job_role else f"{JOB_ROLE_PATH.strip('/')}/*"
        return [stack.format_arn(service="iam", region="", resource="role", resource_name=name)]

    def copy_conditions(self, stack: Stack) -> dict[str, Any] | None:
        """The conditions of the Deny of ``backup:CopyFromBackupVault``: a copy is refused unless every
        destination is one of ``copy_targets`` (default: this account's vaults) or, when given, under one
        of ``copy_target_org_paths``. None: no Deny (``allow_any_copy_target``).

        ``ForAllValues:ArnNotLike`` and ``ForAllValues:StringNotLike`` are the operators of AWS's own
        examples (Developer Guide, cross-account backup, above); the two conditions of one statement
        must both hold for the Deny to apply, so either list lets a copy through.
        """
        if self.allow_any_copy_target:
            return None
        conditions: dict[str, Any] = {}
        if self.copy_targets is not None or self.copy_target_org_paths is None:
            conditions[OUTSIDE_TARGETS] = {COPY_TARGETS_KEY: self.target_vaults(stack)}
        if self.copy_target_org_paths is not None:
            conditions[OUTSIDE_ORG_PATHS] = {COPY_TARGET_ORG_PATHS_KEY: list(self.copy_target_org_paths)}
        return conditions

    def target_vaults(self, stack: Stack) -> list[str]:
        """``copy_targets``, or this account's vaults in every Region."""
        if self.copy_targets is not None:
            return list(self.copy_targets)
        return [stack.format_arn(service="backup", region="*", resource="backup-vault", resource_name="*",
                                 arn_format=ArnFormat.COLON_RESOURCE_NAME)]


def narrowing_problems(prop: str, values: Any, default: str = "all") -> list[str]:
    """A narrowing list (``vault_names``, ``job_role_arns`` ...): None (its default), or a list of one string
    or more.

    An empty list is refused rather than read as the default (for ``vault_names``, every vault: failing
    open) or as "none" (a provider that can start no job).
    """
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        return [f"{prop} must be a list of strings, got {type_name(values)}"]
    if not values:
        return [f"{prop} must name at least one (leave it out, or None, for {default}), got []"]
    wrong = sorted({type_name(value) for value in values if not isinstance(value, str)})
    return [f"{prop} must be a list of strings, got a list holding {', '.join(wrong)}"] if wrong else []
