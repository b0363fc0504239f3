"""The provider role's policy, grown statement by statement, with the reason for each wildcard.

A statement joins the policy with its first resource, so an action no job
needs is never granted, and a vault or role many jobs use is listed once.
Each wildcard resource is acknowledged for cdk-nag (AwsSolutions-IAM5) with
every reason given for it.
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations, aws_iam as iam

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


class GrowingPolicy:
    """``policy`` (of ``stack``), grown by named statements: one statement per name, one entry per resource."""

    def __init__(self, policy: iam.Policy, stack: Stack) -> None:
        self.policy = policy
        self._stack = stack
        self._statements: dict[str, iam.PolicyStatement] = {}
        self._granted: set[tuple[str, str]] = set()
        self._nag_reasons: dict[str, list[str]] = {}

    def grant(self, name: str, actions: list[str], resource: str, conditions: dict[str, Any] | None = None) -> None:
        """Add ``resource`` to the statement ``name``, creating it on first use."""
        if (name, resource) in self._granted:
            return
        statement = self._statements.get(name)
        if statement is None:
            statement = iam.PolicyStatement(actions=actions, conditions=conditions)
            self._statements[name] = statement
            self.policy.add_statements(statement)
        statement.add_resources(resource)
        self._granted.add((name, resource))
        rendered = nag_text(self._stack.resolve(resource))
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


def nag_text(value: Any) -> str:
    """A resolved value as cdk-nag prints it in a finding's ID (``Ref`` and ``${...}`` as ``<...>``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        return re.sub(r"\$\{([^}]+)\}", r"<\1>", value["Fn::Sub"])
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(nag_text(part) for part in parts)
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    return str(value)
