"""What both jobs share: attributes as tokens, the custom resource after the provider's policy, a waited job's
WaitCondition and result, the service timeout, and ``RunOn``'s run token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration
from aws_cdk.assertions import Template

from cdk_backup_jobs import CopyJob, JobValidationError, RunOn
from cdk_backup_jobs_runtime.input import rules
from library.job_stacks import backup_job, job_role, new_stack


def test_attributes_are_get_att_tokens():
    stack = new_stack()
    job = backup_job(stack)
    copy = CopyJob(stack, "Copy", recovery_point_arn=job.recovery_point_arn,
                   source_backup_vault="primary-vault",
                   destination_backup_vault="arn:aws:backup:us-east-1:123456789012:backup-vault:dr",
                   role=job_role(stack, "CopyRole"))
    resolved = {name: stack.resolve(getattr(job, name))
                for name in ("backup_job_id", "recovery_point_arn", "creation_date", "is_parent")}
    resolved.update({f"copy.{name}": stack.resolve(getattr(copy, name))
                     for name in ("copy_job_id", "creation_date", "is_parent")})

    assert resolved["backup_job_id"]["Fn::GetAtt"][1] == "BackupJobId"
    assert resolved["recovery_point_arn"]["Fn::GetAtt"][1] == "RecoveryPointArn"
    assert resolved["creation_date"]["Fn::GetAtt"][1] == "CreationDate"
    assert resolved["is_parent"]["Fn::GetAtt"][1] == "IsParent"
    assert resolved["copy.copy_job_id"]["Fn::GetAtt"][1] == "CopyJobId"
    assert resolved["copy.is_parent"]["Fn::GetAtt"][1] == "IsParent"


def test_jobs_depend_on_the_provider_policy_so_it_outlives_their_delete():
    stack = new_stack()
    backup_job(stack)
    template = Template.from_stack(stack)
    [resource] = template.find_resources("Custom::BackupJob").values()

    assert any(dep.startswith("BackupJobsProviderPolicy") for dep in resource["DependsOn"])


@pytest.mark.parametrize("minutes", [1, 55, 180, 710])
def test_a_waited_jobs_wait_condition_keeps_the_rule_the_handler_checks(minutes):
    # The handler refuses, before it starts a job, a WaitCondition that breaks this rule: the constructs'
    # own never does (a wait over 710 minutes, which no WaitCondition could hold, is refused at synth).
    stack = new_stack()
    job = backup_job(stack, wait_for_completion=True, timeout=Duration.minutes(minutes))
    resources = Template.from_stack(stack).to_json()["Resources"]
    job_id = stack.resolve(stack.get_logical_id(job.resource.node.default_child))
    [condition_id] = [lid for lid, r in resources.items() if r["Type"] == "AWS::CloudFormation::WaitCondition"]

    assert rules.wait_condition_violations(job_id, minutes, condition_id, resources) == []
    assert rules.wait_condition_violations(job_id, minutes + 1, condition_id, resources) != []  # the shortest


def test_a_waited_job_is_its_resource_a_wait_condition_and_a_result_that_follow_it():
    stack = new_stack()
    job = backup_job(stack, wait_for_completion=True, timeout=Duration.minutes(710))
    template = Template.from_stack(stack)
    [(condition_id, condition)] = template.find_resources("AWS::CloudFormation::WaitCondition").items()
    [(result_id, result)] = template.find_resources("Custom::BackupJobResult").items()
    resource_id = stack.resolve(stack.get_logical_id(job.resource.node.default_child))

    template.has_resource_properties("Custom::BackupJob", {"WaitForCompletion": True, "WaitTimeoutMinutes": 710,
                                                           "WaitCondition": condition_id})
    assert condition["CreationPolicy"] == {"ResourceSignal": {"Count": 1, "Timeout": "PT720M"}}
    assert "Properties" not in condition and resource_id in condition["DependsOn"]
    assert result["Properties"]["BackupJobId"] == {"Fn::GetAtt": [resource_id, "BackupJobId"]}
    assert condition_id in result["DependsOn"]
    assert stack.resolve(job.recovery_point_arn) == {"Fn::GetAtt": [result_id, "RecoveryPointArn"]}
    assert stack.resolve(job.completion_date) == {"Fn::GetAtt": [result_id, "CompletionDate"]}
    assert len([r for r in template.to_json()["Resources"].values()
                if r["Type"] in ("Custom::BackupJob", "AWS::CloudFormation::WaitCondition",
                                 "Custom::BackupJobResult")]) == 3


def test_a_job_that_does_not_wait_is_one_resource():
    stack = new_stack()
    backup_job(stack)
    template = Template.from_stack(stack)
    assert template.find_resources("AWS::CloudFormation::WaitCondition") == {}
    assert template.find_resources("Custom::BackupJobResult") == {}


def test_each_run_of_a_waited_job_waits_on_a_wait_condition_of_its_own():
    def condition_ids(run_on: RunOn | None) -> set[str]:
        stack = new_stack()
        backup_job(stack, wait_for_completion=True, run_on=run_on)
        return set(Template.from_stack(stack).find_resources("AWS::CloudFormation::WaitCondition"))

    assert condition_ids(None) == condition_ids(RunOn.create())
    assert condition_ids(RunOn.change_of("v1")) == condition_ids(RunOn.change_of("v1"))
    assert condition_ids(RunOn.change_of("v1")) != condition_ids(RunOn.change_of("v2"))
    assert condition_ids(RunOn.every_deployment()) != condition_ids(RunOn.every_deployment())


@pytest.mark.parametrize("props, seconds", [
    ({}, "300"),
    ({"wait_for_completion": True}, "300"),  # the WaitCondition waits; the resource answers once started
    ({"run_on": RunOn.delete()}, "3600"),
    ({"run_on": RunOn.delete(), "timeout": Duration.minutes(20)}, "1500"),
])
def test_service_timeout_follows_the_wait(props, seconds):
    stack = new_stack()
    backup_job(stack, **props)
    Template.from_stack(stack).has_resource_properties("Custom::BackupJob", {"ServiceTimeout": seconds})


def test_finished_attributes_need_a_waited_job():
    job = backup_job(new_stack())
    with pytest.raises(JobValidationError, match="completion_date is known only when the job is waited for"):
        job.completion_date


def test_run_on_sets_the_run_token():
    stack = new_stack()
    role = job_role(stack)
    backup_job(stack, "Versioned", run_on=RunOn.change_of("v1.2.3"), role=role)
    once = backup_job(stack, "Once", run_on=RunOn.create(), role=role)
    template = Template.from_stack(stack)

    template.has_resource_properties("Custom::BackupJob", {"RunToken": "v1.2.3"})
    assert "RunToken" not in Template.from_stack(stack).to_json()["Resources"][
        stack.resolve(stack.get_logical_id(once.resource.node.default_child))]["Properties"]
    assert RunOn.every_deployment().run_token != RunOn.every_deployment().run_token


def test_synthesizing_an_unchanged_app_again_changes_nothing_but_every_deployment_runs():
    # `cdk diff` on an unchanged app: the same templates, WaitConditions included; only a job run
    # on every deployment differs (a new run, waited on a WaitCondition of its own).
    def templates() -> dict[str, dict[str, Any]]:
        import sys

        repo = str(Path(__file__).resolve().parents[3])
        sys.path.insert(0, repo)
        try:
            import app as example
        finally:
            sys.path.remove(repo)
        assembly = example.build_app(App()).synth()
        return {s.stack_name: s.template for s in assembly.stacks}

    first, second = templates(), templates()
    assert first["BackupJobsExample"] == second["BackupJobsExample"]
    assert first["BackupJobsProvider"] == second["BackupJobsProvider"]
    changed = {lid for lid in first["SnapshotBeforeMigration"]["Resources"]} ^ {
        lid for lid in second["SnapshotBeforeMigration"]["Resources"]}
    # the run's WaitCondition and result, nothing else renamed
    assert changed and all("Wait" in lid or "Result" in lid for lid in changed)
    assert any("Result" in lid for lid in changed) and any("Wait" in lid for lid in changed)
