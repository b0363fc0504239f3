"""The provider role's policy grows by what the jobs use: distinct vaults and roles, watch and stop rights,
stack reads; no wildcard action."""

from __future__ import annotations

import json

from aws_cdk import App
from aws_cdk.assertions import Template

from cdk_backup_jobs import CopyJob, RunOn
from library.job_stacks import backup_job, job_role, new_stack, provider_policy, statements_by_action


def test_policy_grows_by_distinct_vaults_and_roles_only():
    stack = new_stack()
    role_a, role_b = job_role(stack, "RoleA"), job_role(stack, "RoleB")
    for index in range(5):
        backup_job(stack, f"A{index}", role=role_a, backup_vault="vault-a")
    backup_job(stack, "B", role=role_b, backup_vault="vault-b")
    statements = provider_policy(Template.from_stack(stack))
    by_action = {s["Action"] if isinstance(s["Action"], str) else tuple(s["Action"]): s
                 for s in statements}

    start = by_action["backup:StartBackupJob"]
    assert len(start["Resource"]) == 2
    assert all("backup-vault:vault-" in str(stack.resolve(r)) for r in start["Resource"])
    pass_role = by_action["iam:PassRole"]
    assert len(pass_role["Resource"]) == 2
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}
    assert "backup:StartCopyJob" not in by_action  # no copy job, no copy permission
    # Updates read their own stack's status (no job is started in a rollback); nothing more.
    assert by_action["cloudformation:DescribeStacks"]["Resource"] == {"Ref": "AWS::StackId"}
    assert len(statements) == 4


def test_provider_policy_has_no_wildcard_action():
    stack = new_stack()
    job = backup_job(stack)
    CopyJob(stack, "Copy", recovery_point_arn=job.recovery_point_arn, source_backup_vault="primary-vault",
            destination_backup_vault="arn:aws:backup:us-east-1:123456789012:backup-vault:dr",
            role=job_role(stack, "CopyRole"))
    template = Template.from_stack(stack)
    for policy in template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all("*" not in action for action in actions), statement
            if statement["Resource"] == "*":
                assert set(actions) <= {"backup:DescribeBackupJob", "backup:DescribeCopyJob"}


def test_watch_rights_only_when_a_job_waits_and_only_for_its_rules():
    plain, waited, final = new_stack(), new_stack(), new_stack()
    backup_job(plain)
    backup_job(waited, wait_for_completion=True)
    backup_job(final, run_on=RunOn.delete())
    plain_template, waited_template = Template.from_stack(plain), Template.from_stack(waited)
    waited_statements = statements_by_action(waited_template)

    assert not any("events:PutRule" in str(a) for a in statements_by_action(plain_template))
    assert plain_template.find_resources("AWS::Lambda::Permission") == {}
    rule = waited_statements[("events:PutRule", "events:PutTargets", "events:RemoveTargets", "events:DeleteRule",
                              "events:ListTargetsByRule")]
    assert json.dumps(waited.resolve(rule["Resource"])).endswith(':rule/backup-jobs-wait-*"]]}')
    signal = waited_statements[("cloudformation:SignalResource", "cloudformation:GetTemplate")]
    assert signal["Resource"] == {"Ref": "AWS::StackId"}
    [permission] = waited_template.find_resources("AWS::Lambda::Permission").values()
    assert permission["Properties"]["Principal"] == "events.amazonaws.com"
    assert permission["Properties"]["SourceArn"] == rule["Resource"]
    final_statements = statements_by_action(Template.from_stack(final))
    assert ("cloudformation:SignalResource", "cloudformation:GetTemplate") not in final_statements
    assert any("events:PutRule" in a for a in final_statements)


def test_stop_on_delete_adds_the_stop_right_and_property():
    stack = new_stack()
    backup_job(stack, stop_on_delete=True)
    template = Template.from_stack(stack)

    template.has_resource_properties("Custom::BackupJob", {"StopOnDelete": True})
    assert statements_by_action(template)["backup:StopBackupJob"]["Resource"] == "*"
    plain = new_stack()
    backup_job(plain)
    assert "backup:StopBackupJob" not in statements_by_action(Template.from_stack(plain))


def test_the_shared_provider_stack_may_read_any_stack_for_final_backups():
    from cdk_backup_jobs import BackupJobsProviderStack

    stack = BackupJobsProviderStack(App(), "Provider")
    reads = statements_by_action(Template.from_stack(stack))[
        ("cloudformation:DescribeStacks", "cloudformation:GetTemplate")]
    assert ":stack/*" in json.dumps(stack.resolve(reads["Resource"]))
