"""The provider's policies stay within IAM's size limits at any number of jobs, or synth says why not.

IAM counts a policy's characters without white space: a role's inline
policies together at most 10,240, one managed policy at most 6,144, and 10
managed policies on a role by default ("IAM and AWS STS quotas", IAM User
Guide). The sizes here are the deployed ones at their longest, worked out by
this test itself from the synthesized template: every deploy-time value at its
longest plausible text (a 12-digit account ID, the longest Region and
partition names in botocore's endpoint data), vault names of 50 characters and
role names of 64 (the most each service allows).
"""

from __future__ import annotations

import json
import re
from typing import Any

import botocore.loaders
import pytest
from aws_cdk import App, Stack, Validations, aws_iam as iam
from cdk_nag import AwsSolutionsChecks

from cdk_backup_jobs import BackupJob
from cdk_backup_jobs.provider.policy import PolicyLimitExceeded

ACCOUNT = "123456789012"
_PARTITIONS = botocore.loaders.create_loader().load_data("endpoints")["partitions"]
LONGEST_REGION = max((region for p in _PARTITIONS for region in p["regions"]), key=len)
LONGEST_PARTITION = max((p["partition"] for p in _PARTITIONS), key=len)


def fleet(app: App, jobs: int) -> list[str]:
    """One stack whose jobs each back up into a vault of their own with a role of their own; the jobs'
    logical IDs."""
    stack = Stack(app, "Fleet")
    logical_ids = []
    for index in range(jobs):
        role = iam.Role.from_role_arn(stack, f"Role{index}", f"arn:aws:iam::{ACCOUNT}:role/"
                                      + f"backup-role-{index:04d}-".ljust(64, "r"), mutable=False)
        job = BackupJob(stack, f"Job{index}", backup_vault=f"vault-{index:04d}-".ljust(50, "v"), role=role,
                        resource_arn=f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/table-{index}")
        logical_ids.append(stack.get_logical_id(job.resource.node.default_child))
    return logical_ids


PSEUDO_PARAMETERS = {
    "AWS::AccountId": ACCOUNT, "AWS::Region": LONGEST_REGION, "AWS::Partition": LONGEST_PARTITION,
    # Stack names have at most 128 characters; a stack ID ends in a UUID.
    "AWS::StackId": f"arn:{LONGEST_PARTITION}:cloudformation:{LONGEST_REGION}:{ACCOUNT}:stack/{'s' * 128}/"
                    "01234567-89ab-cdef-0123-456789abcdef",
}
LONGEST_LOG_GROUP_ARN = f"arn:{LONGEST_PARTITION}:logs:{LONGEST_REGION}:{ACCOUNT}:log-group:{'g' * 512}:*"
"""The provider's log group, named by CloudFormation: at most 512 characters (CreateLogGroup)."""


def deployed(value: Any) -> Any:
    """A template fragment as deployed, at its longest (the job roles and vault names are literal)."""
    if isinstance(value, list):
        return [deployed(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return PSEUDO_PARAMETERS[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            assert value["Fn::GetAtt"][0].startswith("BackupJobsProviderLogGroup"), value
            return LONGEST_LOG_GROUP_ARN
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(deployed(p) for p in parts)
        return {k: deployed(v) for k, v in value.items()}
    return value


def characters(document: dict[str, Any]) -> int:
    return len(re.sub(r"\s", "", json.dumps(deployed(document))))


def provider_role_policies(template: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The provider role's inline and managed policies, by logical ID."""
    [role] = [lid for lid, r in template["Resources"].items()
              if r["Type"] == "AWS::IAM::Role" and lid.startswith("BackupJobsProviderRole")]
    attached = {lid: r for lid, r in template["Resources"].items()
                if {"Ref": role} in r.get("Properties", {}).get("Roles", [])}
    inline = {lid: r for lid, r in attached.items() if r["Type"] == "AWS::IAM::Policy"}
    managed = {lid: r for lid, r in attached.items() if r["Type"] == "AWS::IAM::ManagedPolicy"}
    return inline, managed


def resources_of(policy: dict[str, Any], action: str) -> list[str]:
    found = []
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if action in actions:
            resource = statement["Resource"]
            found += [json.dumps(deployed(r)) for r in (resource if isinstance(resource, list) else [resource])]
    return found


def test_two_hundred_jobs_with_their_own_vaults_and_roles_fit_in_iams_limits():
    app = App()
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    jobs = fleet(app, 200)
    template = app.synth().get_stack_by_name("Fleet").template  # cdk-nag raises on any unacknowledged finding

    inline, managed = provider_role_policies(template)
    inline_total = sum(characters(p["Properties"]["PolicyDocument"]) for p in inline.values())
    managed_sizes = [characters(p["Properties"]["PolicyDocument"]) for p in managed.values()]
    assert inline_total <= 10_240, inline_total
    assert managed and max(managed_sizes) <= 6_144, managed_sizes
    assert len(managed) <= 10
    # Nothing lost, nothing twice: each vault and each role once, over all the policies.
    policies = [*inline.values(), *managed.values()]
    vaults = [r for p in policies for r in resources_of(p, "backup:StartBackupJob")]
    roles = [r for p in policies for r in resources_of(p, "iam:PassRole")]
    assert len(vaults) == len(set(vaults)) == 200 and len(roles) == len(set(roles)) == 200
    # Every job is created after (and deleted before) each policy that holds its rights.
    for index in range(200):
        job = template["Resources"][jobs[index]]
        holding = {lid for lid, p in [*inline.items(), *managed.items()]
                   if any(f"vault-{index:04d}-" in v for v in resources_of(p, "backup:StartBackupJob"))
                   or any(f"backup-role-{index:04d}-" in r for r in resources_of(p, "iam:PassRole"))}
        assert holding and holding <= set(job["DependsOn"]), (index, holding)


def test_more_jobs_than_iam_lets_one_role_allow_fail_at_synth_naming_the_limit_and_the_fix():
    with pytest.raises(PolicyLimitExceeded) as raised:
        fleet(App(), 600)

    message = str(raised.value)
    assert "10,240 characters inline and 10 managed policies of 6,144" in message
    assert "share vaults and job roles" in message.lower()
