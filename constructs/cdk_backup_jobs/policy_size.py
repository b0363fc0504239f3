"""IAM's size limits on the provider's policies, and a policy's size at its longest once deployed.

IAM counts a policy's characters without white space, and limits them
("IAM and AWS STS quotas", IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):

- the inline policies of a role, all together: 10,240 characters;
- one managed policy: 6,144 characters;
- managed policies attached to one role: 10 by default (a quota that can be
  raised to 20).

A template holds deploy-time values as intrinsics (``{"Ref": "AWS::Region"}``),
whose length says nothing about the value's. Each is counted here at its
longest plausible value: a 12-digit account ID, the longest Region and
partition names, a 128-character stack name, and a resource's name or ARN at
the longest its service allows.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

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
