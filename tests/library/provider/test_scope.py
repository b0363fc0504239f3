"""A shared provider passes only roles made for it and copies only into its own account's vaults, unless
widened by name; docs/iam.md shows the very statements synthesized; the simulator refuses a job role
outside the scope (conditions, such as the copy targets', are held at synth: its IAM model ignores them)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from cdk_backup_jobs import BackupJobsProviderStack, BackupJobsProviderStackSet, JobValidationError
from cdk_backup_jobs.provider.asset import provider_asset_dir
from cdk_backup_jobs.testing import read_assembly_template

REPO = Path(__file__).resolve().parents[3]
SCOPED = ("iam:PassRole", "backup:StartCopyJob", "backup:CopyFromBackupVault")
DOC_POLICY = re.compile(r"<!-- policy of BackupJobsProviderStack with (\{.*?\})(?:: (\S+))? -->\s*```json\n(.*?)```",
                        re.DOTALL)
TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"


def rendered(value: Any) -> Any:
    """A resolved template value as the docs write it: ``Ref`` and ``Fn::Join`` of them as ``${...}`` text."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return "${%s}" % value["Ref"]
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(rendered(part) for part in parts)
    if isinstance(value, dict):
        return {key: rendered(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rendered(item) for item in value]
    return value


def actions(statement: dict[str, Any]) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def statements(template: dict[str, Any], *of: str) -> list[dict[str, Any]]:
    """The provider role's statements with any of the actions ``of``, rendered as the docs write them."""
    return [rendered(statement)
            for resource in template["Resources"].values() if resource["Type"] == "AWS::IAM::Policy"
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]
            if set(actions(statement)) & set(of)]


def provider_template(**props: Any) -> dict[str, Any]:
    return Template.from_stack(BackupJobsProviderStack(App(), "BackupJobsProvider", **props)).to_json()


# --- the defaults -------------------------------------------------------------------------------------------

def test_by_default_the_shared_provider_passes_only_roles_under_backup_jobs():
    [pass_role] = statements(provider_template(), "iam:PassRole")

    assert pass_role["Resource"] == "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/backup-jobs/*"
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}
    every = json.dumps(statements(provider_template(), *SCOPED))
    assert ":role/*" not in every


def test_by_default_every_copy_is_bounded_to_this_accounts_vaults():
    # StartCopyJob cannot name the destination (its only condition key is aws:ResourceTag): the bound is a Deny
    # of backup:CopyFromBackupVault on backup:CopyTargets, the form of AWS's own examples.
    template = provider_template()
    [start_copy] = statements(template, "backup:StartCopyJob")
    [deny] = statements(template, "backup:CopyFromBackupVault")

    assert start_copy["Effect"] == "Allow" and "Condition" not in start_copy
    assert deny == {"Action": "backup:CopyFromBackupVault", "Effect": "Deny", "Resource": "*",
                    "Condition": {"ForAllValues:ArnNotLike": {"backup:CopyTargets": [
                        "arn:${AWS::Partition}:backup:*:${AWS::AccountId}:backup-vault:*"]}}}


def test_the_stack_set_carries_the_same_defaults_and_widening_props():
    def carried(**props: Any) -> dict[str, Any]:
        construct = BackupJobsProviderStackSet(Stack(App(), "Fleet"), "Provider",
                                               organizational_unit_ids=["ou-ab12-cdef5678"], regions=["us-east-1"],
                                               asset_bucket_prefix="acme-code", **props)
        return construct.provider_template.template

    default = carried()
    widened = carried(allow_any_job_role=True, copy_target_org_paths=["o-a1b2c3d4e5/*"])

    assert statements(default, *SCOPED) == statements(provider_template(), *SCOPED)
    assert statements(widened, *SCOPED) == statements(
        provider_template(allow_any_job_role=True, copy_target_org_paths=["o-a1b2c3d4e5/*"]), *SCOPED)
    [pass_role] = statements(widened, "iam:PassRole")
    assert pass_role["Resource"].endswith(":role/*")


# --- widening, by name --------------------------------------------------------------------------------------

def documented_policies() -> list[tuple[dict[str, Any], str | None, list[dict[str, Any]]]]:
    page = (REPO / "docs" / "iam.md").read_text()
    return [(json.loads(props), action, json.loads(body)) for props, action, body in DOC_POLICY.findall(page)]


def test_docs_iam_shows_a_policy_for_the_default_and_for_each_widening_prop():
    shown = {prop for props, _, _ in documented_policies() for prop in props} | {
        "default" for props, _, _ in documented_policies() if not props}
    assert shown == {"default", "allow_any_job_role", "job_role_arns", "copy_targets", "copy_target_org_paths",
                     "allow_any_copy_target"}


@pytest.mark.parametrize("props, action, documented", documented_policies(),
                         ids=[json.dumps(p) for p, _, _ in documented_policies()])
def test_each_policy_in_docs_iam_is_the_one_synthesized(props, action, documented):
    synthesized = statements(provider_template(**props), *([action] if action else SCOPED))
    assert synthesized == documented


@pytest.mark.parametrize("props, expected", [
    ({"allow_any_job_role": True, "job_role_arns": ["arn:aws:iam::123456789012:role/r"]},
     "allow_any_job_role=True and job_role_arns both given"),
    ({"allow_any_copy_target": True, "copy_targets": ["arn:aws:backup:*:123456789012:backup-vault:v"]},
     "allow_any_copy_target=True and copy_targets or copy_target_org_paths both given"),
    ({"allow_any_job_role": "yes"}, "allow_any_job_role must be True or False, got str"),
    ({"copy_targets": []}, "copy_targets must name at least one (leave it out, or None, for this account's vaults)"),
    ({"copy_target_org_paths": ["ou-ab12-cdef5678"]}, "copy_target_org_paths must hold organization paths"),
])
def test_wrong_or_conflicting_scope_props_are_refused_naming_them(props, expected):
    with pytest.raises(JobValidationError, match=re.escape(expected)):
        BackupJobsProviderStack(App(), "BackupJobsProvider", **props)
    with pytest.raises(JobValidationError, match=re.escape(expected.split(" (")[0])):
        BackupJobsProviderStackSet(Stack(App(), "Fleet"), "Provider", organizational_unit_ids=["ou-ab12-cdef5678"],
                                   regions=["us-east-1"], asset_bucket_prefix="acme-code", **props)


# --- in the simulator: the role path is a resource, which its IAM model judges ------------------------------

def job_template(role_path: str | None) -> dict[str, Any]:
    """One unwaited backup job on the exported provider, with a role of ``role_path`` (None: no Path)."""
    role: dict[str, Any] = {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}
    if role_path is not None:
        role["Path"] = role_path
    return {"Resources": {
        "Vault": {"Type": "AWS::Backup::BackupVault", "Properties": {"BackupVaultName": "scoped-vault"}},
        "BackupRole": {"Type": "AWS::IAM::Role", "Properties": role},
        "Snapshot": {"Type": "Custom::BackupJob", "Properties": {
            "ServiceToken": {"Fn::ImportValue": "BackupJobsProviderServiceToken"},
            "BackupVaultName": {"Ref": "Vault"}, "ResourceArn": TABLE_ARN,
            "IamRoleArn": {"Fn::GetAtt": ["BackupRole", "Arn"]}}}}}


def deploy_job(tmp_path: Path, cfn_stack: Any, role_path: str | None, **provider_props: Any) -> Any:
    out = tmp_path / "cdk.out"
    app = App(outdir=str(out))
    BackupJobsProviderStack(app, "BackupJobsProvider", **provider_props)
    app.synth()
    with cfn_stack(out, stack_name="BackupJobsProvider") as provider_stack:
        provider = provider_stack.deploy(read_assembly_template(out, "BackupJobsProvider"))
        token = provider.outputs["ServiceToken"]
        with cfn_stack(stack_name="Jobs", functions={token: provider_asset_dir()},
                       exports=provider_stack.exports) as stack:
            return stack.deploy(job_template(role_path))


def test_a_job_whose_role_is_under_backup_jobs_starts(tmp_path, aws_backup, cfn_stack, cfn_scheduler):
    result = deploy_job(tmp_path, cfn_stack, "/backup-jobs/")

    assert result.status == "CREATE_COMPLETE", result.reason
    [job] = aws_backup.state.backup_jobs.values()
    assert ":role/backup-jobs/Jobs-BackupRole-" in job.params["IamRoleArn"]
    # Nothing denied but while the new provider policy was not in effect yet (retried, as on AWS).
    assert [denial for denial in cfn_scheduler.state.iam.denials if not denial.pending] == []


@pytest.mark.slow  # the provider retries a denial for 60 s (IAM changes not in effect yet) before it fails
def test_a_job_whose_role_is_outside_the_path_is_denied_pass_role_and_fails(tmp_path, aws_backup, cfn_stack,
                                                                           cfn_scheduler):
    result = deploy_job(tmp_path, cfn_stack, None)

    assert result.status == "ROLLBACK_COMPLETE"
    assert "Message returned: StartBackupJob failed: AccessDeniedException: User: arn:aws:sts::123456789012:" \
           "assumed-role/BackupJobsProvider-BackupJobsProviderRole" in result.reason
    denials = cfn_scheduler.state.iam.denials
    # Calls denied while the new provider policy was not in effect yet (pending) were retried; what stays
    # denied is passing the role.
    assert {denial.action for denial in denials if not denial.pending} == {"iam:PassRole"}
    assert re.fullmatch(r"arn:aws:iam::123456789012:role/Jobs-BackupRole-\w+", denials[-1].resource)
    assert denials[-1].message.endswith("because no identity-based policy allows the iam:PassRole action")
    assert aws_backup.state.backup_jobs == {}


def test_allow_any_job_role_lets_a_role_outside_the_path_start(tmp_path, aws_backup, cfn_stack, cfn_scheduler):
    result = deploy_job(tmp_path, cfn_stack, None, allow_any_job_role=True)

    assert result.status == "CREATE_COMPLETE", result.reason
    assert len(aws_backup.state.backup_jobs) == 1
