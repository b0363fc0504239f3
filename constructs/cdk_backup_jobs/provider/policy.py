"""The provider role's policies, grown statement by statement, with the reason for each wildcard.

A statement joins a policy with its first resource, so an action no job
needs is never granted, and a vault or role many jobs use is listed once.
Each wildcard resource is acknowledged for cdk-nag (AwsSolutions-IAM5) with
every reason given for it.

The role's inline policies may hold 10,240 characters, about 40 jobs that each
have a vault and a role of their own. What does not fit goes into managed
policies of the role, created as needed (6,144 characters each, at most
``MANAGED_POLICIES_PER_ROLE``); past that, synth fails naming the limit and the
fix.

IAM counts a policy's characters without white space, and limits them
("IAM and AWS STS quotas", IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):

- the inline policies of a role, all together: 10,240 characters;
- one managed policy: 6,144 characters;
- managed policies attached to one role: 10 by default (a quota that can be
  raised to 20).

A template holds deploy-time values as intrinsics (``{"Ref": "AWS::Region"}``),
whose length says nothing about the value's. Each is counted here (``size``)
at its longest plausible value: a 12-digit account ID, the longest Region and
partition names, a 128-character stack name, and a resource's name or ARN at
the longest its service allows.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from aws_cdk import Acknowledgment, Stack, Token, Validations, aws_iam as iam
from constructs import Construct

ROLE_INLINE_POLICIES_LIMIT = 10_240
MANAGED_POLICY_LIMIT = 6_144
MANAGED_POLICIES_PER_ROLE = 10
"""The default quota: a policy the role cannot attach would fail the deployment."""

ACCOUNT_ID = "123456789012"
LONGEST_REGION = "us-isof-south-1"
LONGEST_PARTITION = "aws-us-gov"
LONGEST_URL_SUFFIX = "amazonaws.com.cn"
LONGEST_STACK_NAME = "S" * 128
"""CloudFormation stack names are at most 128 characters (CreateStack, StackName)."""
LONGEST_STACK_ID = (f"arn:{LONGEST_PARTITION}:cloudformation:{LONGEST_REGION}:{ACCOUNT_ID}:stack/"
                    f"{LONGEST_STACK_NAME}/00000000-0000-0000-0000-000000000000")
LONGEST_NAME = "N" * 64
"""A ``Ref`` to a resource: its name (an IAM role's is at most 64 characters, a vault's 50)."""
LONGEST_ARN = "arn:" + LONGEST_PARTITION + ":iam::" + ACCOUNT_ID + ":role/" + "p" * 64 + "/" + LONGEST_NAME
"""A deploy-time ARN (``Fn::GetAtt ...Arn``, an import): an IAM role's with a 64-character path and name.
IAM allows paths of up to 512 characters; a role with a longer path, known only at deploy time, would be
undercounted (docs/iam.md says so)."""

PSEUDO_PARAMETERS: Mapping[str, str] = {
    "AWS::AccountId": ACCOUNT_ID, "AWS::Region": LONGEST_REGION, "AWS::Partition": LONGEST_PARTITION,
    "AWS::URLSuffix": LONGEST_URL_SUFFIX, "AWS::StackName": LONGEST_STACK_NAME, "AWS::StackId": LONGEST_STACK_ID,
    "AWS::NoValue": "",
}


def longest_value(value: Any) -> Any:
    """``value`` (a resolved template fragment) with every intrinsic replaced by its longest plausible text."""
    if isinstance(value, list):
        return [longest_value(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        [(key, argument)] = value.items()
        if key == "Ref":
            return PSEUDO_PARAMETERS.get(str(argument), LONGEST_NAME)
        if key == "Fn::GetAtt":
            return LONGEST_ARN
        if key == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            separator, parts = argument
            return str(separator).join(str(longest_value(part)) for part in parts)
        if key == "Fn::Sub" and isinstance(argument, str):
            return re.sub(r"\$\{([^}!]+)\}", lambda m: _substituted(m.group(1)), argument)
        if key.startswith("Fn::"):
            return LONGEST_ARN
    return {k: longest_value(v) for k, v in value.items()}


def _substituted(name: str) -> str:
    if name in PSEUDO_PARAMETERS:
        return PSEUDO_PARAMETERS[name]
    return LONGEST_ARN if "." in name else LONGEST_NAME


def size(value: Any) -> int:
    """Characters IAM counts for ``value`` (a resolved policy document or part of one) at its longest."""
    return len(re.sub(r"\s", "", json.dumps(longest_value(value), separators=(",", ":"))))


INLINE_RESERVE = 1_024
"""Characters of the role's inline budget left for its other inline policy (the log group's rights,
which aws-cdk-lib puts in the role's DefaultPolicy: 225 characters at their longest)."""
DOCUMENT_OVERHEAD = len('{"Version":"2012-10-17","Statement":[]}')
OVERFLOW_ID = "OverflowPolicy"

WILDCARD_REASONS = {
    "Describe": "DescribeBackupJob and DescribeCopyJob have no resource-level permissions in AWS Backup",
    "StopBackupJob": "StopBackupJob has no resource-level permissions in AWS Backup",
    "StartCopyJob": "the recovery points to copy are made by jobs at deploy time, so their IDs are not "
                    "known at synth; limited to this account and region",
    "WatchRule": "each waited job's EventBridge rule is named backup-jobs-wait- plus a digest of its stack and "
                 "logical ID, made at deploy time",
    "StartBackupJob": "a shared provider serves templates not known at synth; narrow it with vault_names",
    "PassRole": "a shared provider serves templates not known at synth: by default the job roles under the "
                "path /backup-jobs/, which only those who may create roles there can add to; narrow it with "
                "job_role_arns; PassRole is limited to backup.amazonaws.com",
    "Signal": "a shared provider signals the WaitConditions of the stacks that use it, which are not known at "
              "synth",
    "StackReads": "a shared provider's jobs read the status (final backups also the template) of the stack "
                  "they are in, which is not known at synth",
}
"""Why each statement that has a wildcard needs it (cdk-nag AwsSolutions-IAM5 acknowledgements)."""


class PolicyLimitExceeded(ValueError):
    """The provider's rights do not fit in the policies IAM lets one role have."""


class _Home:
    """One policy document the role has, and the characters it holds at their longest."""

    def __init__(self, policy: iam.Policy | iam.ManagedPolicy, limit: int) -> None:
        self.policy = policy
        self.limit = limit
        self.used = DOCUMENT_OVERHEAD
        self.statements: dict[str, iam.PolicyStatement] = {}


class GrowingPolicy:
    """``policy`` (of ``stack``), grown by named statements: one statement per name, one entry per resource,
    spilling into managed policies of ``role`` (children of ``scope``) when the inline budget is spent."""

    def __init__(self, policy: iam.Policy, stack: Stack, role: iam.IRole | None = None,
                 scope: Construct | None = None) -> None:
        self.policy = policy
        self._stack = stack
        self._role = role
        self._scope = scope
        self._homes = [_Home(policy, ROLE_INLINE_POLICIES_LIMIT - INLINE_RESERVE)]
        self._granted: set[tuple[str, str]] = set()
        self._nag_reasons: dict[tuple[str, str], list[str]] = {}

    @property
    def policies(self) -> list[iam.Policy | iam.ManagedPolicy]:
        """Every policy the grants are in: the inline one, then the managed ones made for the overflow."""
        return [home.policy for home in self._homes]

    def grant(self, name: str, actions: list[str], resource: str, conditions: dict[str, Any] | None = None,
              effect: iam.Effect = iam.Effect.ALLOW) -> None:
        """Add ``resource`` to the statement ``name``, creating it on first use (``effect``: Allow, or Deny
        for a statement that bounds what the others allow). ``resource`` may stand for a list known at
        deploy (``Token.as_list``: a list parameter of the release template), as the statement's only one."""
        key = (name, resource)
        if key in self._granted:
            return
        # A list token resolves only as the one element of a list (aws-cdk-lib: EncodedListTokenInScalarContext).
        resolved = self._stack.resolve([resource] if Token.is_unresolved([resource]) else resource)
        entry = size(resolved) + 1  # and its comma
        statement_overhead = size({"Action": actions, "Condition": self._stack.resolve(conditions or {}),
                                               "Effect": "Allow" if effect == iam.Effect.ALLOW else "Deny",
                                               "Resource": []}) + 1
        home = next((h for h in self._homes
                     if h.used + entry + (0 if name in h.statements else statement_overhead) <= h.limit), None)
        if home is None:
            home = self._new_home()
        statement = home.statements.get(name)
        if statement is None:
            statement = iam.PolicyStatement(effect=effect, actions=actions, conditions=conditions)
            home.statements[name] = statement
            home.policy.add_statements(statement)
            home.used += statement_overhead
        statement.add_resources(resource)
        home.used += entry
        self._granted.add(key)
        rendered = nag_text(resolved)
        if "*" in rendered and effect == iam.Effect.ALLOW:
            self._acknowledge_wildcard(home.policy, f"AwsSolutions::AwsSolutions-IAM5[Resource::{rendered}]",
                                       WILDCARD_REASONS[name])

    def _new_home(self) -> _Home:
        """A managed policy of the role for what the inline policy has no room for."""
        overflow = len(self._homes)
        if self._role is None or self._scope is None or overflow > MANAGED_POLICIES_PER_ROLE:
            raise PolicyLimitExceeded(
                f"The provider's role would need more IAM policy than a role can have "
                f"({ROLE_INLINE_POLICIES_LIMIT:,} characters inline and {MANAGED_POLICIES_PER_ROLE} managed "
                f"policies of {MANAGED_POLICY_LIMIT:,}, IAM quotas): its jobs use {self._distinct_resources()} "
                f"distinct vaults and roles. Let jobs share vaults and job roles, or split them across stacks, "
                f"each with its own provider")
        policy = iam.ManagedPolicy(self._scope, f"{OVERFLOW_ID}{overflow}", roles=[self._role],
                                   description="cdk-backup-jobs provider: rights that did not fit in its inline policy")
        home = _Home(policy, MANAGED_POLICY_LIMIT)
        self._homes.append(home)
        return home

    def _distinct_resources(self) -> int:
        return len({key for key in self._granted if key[0] in ("StartBackupJob", "PassRole")})

    def _acknowledge_wildcard(self, policy: Construct, finding_id: str, reason: str) -> None:
        """Acknowledge a wildcard finding with every reason given for it so far.

        One finding can stand for several statements (``Resource::*`` is both
        the Describe calls and StopBackupJob), and aws-cdk-lib keeps only the
        last acknowledgement of an ID on a construct, so each new reason
        acknowledges the ID again with all of them.
        """
        reasons = self._nag_reasons.setdefault((policy.node.path, finding_id), [])
        if reason in reasons:
            return
        reasons.append(reason)
        Validations.of(policy).acknowledge(Acknowledgment(id=finding_id, reason="; ".join(reasons)))


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
