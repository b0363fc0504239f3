"""Synthesized templates of BackupJob and CopyJob, read with aws_cdk.assertions."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest
from aws_cdk import App, CfnResource, Duration, RemovalPolicy, Stack, Token, aws_backup as backup, aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from cdk_backup_jobs import (KEEP_FOREVER, BackupIndex, BackupJob, CopyJob, JobLifecycle,
                             JobValidationError, RunOn)
from cdk_backup_jobs.provider import RUNTIME
from cdk_backup_jobs_runtime.input import rules

TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
DR_VAULT_ARN = "arn:aws:backup:us-east-1:123456789012:backup-vault:dr"


def new_stack() -> Stack:
    return Stack(App(), "TestStack")


def job_role(stack: Stack, name: str = "BackupRole") -> iam.IRole:
    return iam.Role(stack, name, assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))


def backup_job(stack: Stack, construct_id: str = "Job", **props: Any) -> BackupJob:
    defaults: dict[str, Any] = {"backup_vault": "primary-vault", "resource_arn": TABLE_ARN,
                                "role": props.pop("role", None) or job_role(stack)}
    return BackupJob(stack, construct_id, **{**defaults, **props})


def provider_policy(template: Template) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::Policy", {
        "Properties": {"PolicyName": Match.string_like_regexp("BackupJobsProviderPolicy")}
    })
    [policy] = policies.values()
    return policy["Properties"]["PolicyDocument"]["Statement"]


def test_backup_job_is_one_custom_resource_with_the_api_member_names():
    stack = new_stack()
    vault = backup.BackupVault(stack, "Vault")
    backup_job(
        stack, backup_vault=vault, start_window=Duration.hours(2), complete_window=Duration.days(1),
        lifecycle=JobLifecycle(move_to_cold_storage_after=Duration.days(30),
                               delete_after=Duration.days(120),
                               opt_in_to_archive_for_supported_resources=True),
        recovery_point_tags={"team": "payments"}, backup_options={"WindowsVSS": "enabled"},
        index=BackupIndex.ENABLED, idempotency_token="fixed-token",
        logically_air_gapped_backup_vault_arn="arn:aws:backup:us-east-1:123456789012:backup-vault:air-gapped",
    )
    template = Template.from_stack(stack)

    template.resource_count_is("Custom::BackupJob", 1)
    template.has_resource_properties("Custom::BackupJob", {
        "BackupVaultName": {"Fn::GetAtt": [Match.string_like_regexp("Vault"), "BackupVaultName"]},
        "ResourceArn": TABLE_ARN,
        "IamRoleArn": {"Fn::GetAtt": [Match.string_like_regexp("BackupRole"), "Arn"]},
        "StartWindowMinutes": 120,
        "CompleteWindowMinutes": 1440,
        "Lifecycle": {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 120,
                      "OptInToArchiveForSupportedResources": True},
        "RecoveryPointTags": {"team": "payments"},
        "BackupOptions": {"WindowsVSS": "enabled"},
        "Index": "ENABLED",
        "IdempotencyToken": "fixed-token",
        "LogicallyAirGappedBackupVaultArn": "arn:aws:backup:us-east-1:123456789012:backup-vault:air-gapped",
        "ServiceToken": {"Fn::GetAtt": [Match.string_like_regexp("BackupJobsProviderFunction"), "Arn"]},
    })


def test_unset_props_are_left_out_of_the_resource():
    stack = new_stack()
    backup_job(stack)
    [resource] = Template.from_stack(stack).find_resources("Custom::BackupJob").values()

    assert set(resource["Properties"]) == {"ServiceToken", "ServiceTimeout", "BackupVaultName",
                                           "ResourceArn", "IamRoleArn"}


def test_copy_job_is_one_custom_resource_with_the_api_member_names():
    stack = new_stack()
    source = backup.BackupVault(stack, "Source")
    job = backup_job(stack, backup_vault=source)
    CopyJob(stack, "Copy", recovery_point_arn=job.recovery_point_arn, source_backup_vault=source,
            destination_backup_vault="arn:aws:backup:eu-west-1:210987654321:backup-vault:dr",
            role=job_role(stack, "CopyRole"), lifecycle=JobLifecycle.keep_forever())
    template = Template.from_stack(stack)

    template.resource_count_is("Custom::CopyJob", 1)
    template.has_resource_properties("Custom::CopyJob", {
        "RecoveryPointArn": {"Fn::GetAtt": [Match.string_like_regexp("^Job"), "RecoveryPointArn"]},
        "SourceBackupVaultName": {"Fn::GetAtt": [Match.string_like_regexp("Source"), "BackupVaultName"]},
        "DestinationBackupVaultArn": "arn:aws:backup:eu-west-1:210987654321:backup-vault:dr",
        "Lifecycle": {"MoveToColdStorageAfterDays": -1, "DeleteAfterDays": -1},
    })


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


def test_all_jobs_in_a_stack_share_one_provider_function_and_role():
    stack = new_stack()
    role = job_role(stack)
    for index in range(3):
        backup_job(stack, f"Job{index}", role=role)
    CopyJob(stack, "Copy", recovery_point_arn="arn:aws:backup:us-east-1:123456789012:recovery-point:x",
            source_backup_vault="primary-vault",
            destination_backup_vault="arn:aws:backup:us-east-1:123456789012:backup-vault:dr", role=role)
    template = Template.from_stack(stack)

    template.resource_count_is("AWS::Lambda::Function", 1)
    template.resource_count_is("AWS::IAM::Role", 2)  # the job role and the provider's
    template.resource_count_is("Custom::BackupJob", 3)


def test_provider_uses_the_newest_python_runtime_with_a_log_retention():
    newest = max(
        (name for name in dir(lambda_.Runtime) if re.fullmatch(r"PYTHON_3_\d+", name)),
        key=lambda name: int(name.rsplit("_", 1)[1]),
    )
    stack = new_stack()
    backup_job(stack)
    template = Template.from_stack(stack)

    assert RUNTIME.name == getattr(lambda_.Runtime, newest).name
    template.has_resource_properties("AWS::Lambda::Function", {
        "Runtime": RUNTIME.name, "Handler": "index.handler",
        "LoggingConfig": {"LogGroup": Match.any_value()},
    })
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})


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


def test_jobs_depend_on_the_provider_policy_so_it_outlives_their_delete():
    stack = new_stack()
    backup_job(stack)
    template = Template.from_stack(stack)
    [resource] = template.find_resources("Custom::BackupJob").values()

    assert any(dep.startswith("BackupJobsProviderPolicy") for dep in resource["DependsOn"])


# --- synth-time validation -------------------------------------------------

def assert_backup_job_refused_naming(props: dict, expected: str) -> None:
    """A BackupJob built with `props` is refused at synth with an error that holds `expected` and its path."""
    with pytest.raises(JobValidationError) as raised:
        backup_job(new_stack(), **props)

    assert expected in str(raised.value)
    assert "TestStack/Job" in str(raised.value)


@pytest.mark.parametrize(
    "props, expected",
    [
        ({"start_window": Duration.minutes(59)},
         "start_window (StartWindowMinutes) must be between 60 and 52560000, got 59"),
        ({"start_window": Duration.days(36_501)}, "start_window (StartWindowMinutes) must be between 60"),
        ({"complete_window": Duration.seconds(90)},
         "complete_window (CompleteWindowMinutes) must be a whole number of minutes"),
        ({"backup_vault": "my vault"}, "backup_vault (BackupVaultName) must be 2 to 50 letters"),
        ({"resource_arn": "orders-table"}, "resource_arn (ResourceArn) must be an ARN"),
        ({"lifecycle": JobLifecycle(move_to_cold_storage_after=Duration.days(30),
                                    delete_after=Duration.days(119))},
         "lifecycle.delete_after (Lifecycle.DeleteAfterDays) must be at least "
         "MoveToColdStorageAfterDays + 90 (120), got 119"),
        ({"lifecycle": JobLifecycle(delete_after=Duration.days(36_501))},
         "lifecycle.delete_after (Lifecycle.DeleteAfterDays) must be between 1 and 36500 or -1"),
        ({"lifecycle": JobLifecycle(delete_after=Duration.hours(36))},
         "lifecycle.delete_after (Lifecycle.DeleteAfterDays) must be a whole number of days"),
        ({"backup_options": {"WindowsVSS": "yes"}},
         "backup_options (BackupOptions.WindowsVSS) must be one of enabled, disabled"),
        ({"backup_options": {"Compress": "true"}}, "backup_options (BackupOptions) key must be one of WindowsVSS"),
        ({"recovery_point_tags": {"aws:owner": "x"}}, "uses the reserved prefix 'aws:'"),
        ({"recovery_point_tags": {f"k{i}": "v" for i in range(51)}}, "may hold at most 50 tags, got 51"),
        ({"recovery_point_tags": {"k" * 129: "v"}}, "keys must be 1 to 128 characters"),
        ({"recovery_point_tags": {"k": "v" * 257}}, "must be at most 256 characters"),
        ({"index": "ON"}, "index (Index) must be one of ENABLED, DISABLED"),
        ({"logically_air_gapped_backup_vault_arn": "air-gapped"},
         "logically_air_gapped_backup_vault_arn (LogicallyAirGappedBackupVaultArn) must be a backup vault ARN"),
    ],
)
def test_invalid_backup_job_props_raise_an_error_naming_the_prop(props, expected):
    assert_backup_job_refused_naming(props, expected)


def test_every_problem_is_reported_at_once():
    with pytest.raises(JobValidationError) as raised:
        backup_job(new_stack(), backup_vault="x", start_window=Duration.minutes(5), index="maybe")

    message = str(raised.value)
    assert "backup_vault" in message and "start_window" in message and "index" in message


def test_wrong_types_rule_violations_and_conflicts_come_in_one_error():
    from constructs import Construct

    stack = new_stack()
    with pytest.raises(JobValidationError) as raised:
        backup_job(stack, start_window=5, complete_window=Duration.seconds(90), index="maybe",
                   run_on=RunOn.delete(), stop_on_delete=True, protects=Construct(stack, "Plain"))

    assert str(raised.value).splitlines() == [
        "Invalid props for TestStack/Job (Custom::BackupJob):",
        "  - start_window (StartWindowMinutes) must be a Duration, got int",
        "  - complete_window (CompleteWindowMinutes) must be a whole number of minutes, got 1 minute 30 seconds",
        "  - protects (ProtectedLogicalId) must be a CloudFormation resource or have one as its default child, "
        "got TestStack/Plain",
        "  - index (Index) must be one of ENABLED, DISABLED, got 'maybe'",
        "  - stop_on_delete (StopOnDelete) must not be true when RunOnDelete is true: "
        "the Delete is what runs the final backup",
    ]


def test_a_refused_job_adds_nothing_to_the_stack():
    stack = new_stack()
    with pytest.raises(JobValidationError):
        backup_job(stack, "Waited", backup_vault="x", wait_for_completion=True)

    assert stack.node.find_child("Waited").node.children == []
    assert stack.node.try_find_child("BackupJobsProvider") is None


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


def test_a_waited_job_run_on_a_change_of_a_token_is_refused():
    stack = new_stack()
    with pytest.raises(JobValidationError, match=r"run_on \(RunToken\) must be known at synth for a waited job"):
        backup_job(stack, wait_for_completion=True, run_on=RunOn.change_of(stack.stack_id))
    other = new_stack()
    backup_job(other, run_on=RunOn.change_of(other.stack_id))  # a job that does not wait may


def test_a_copy_source_is_one_prop_in_place_of_two():
    stack = new_stack()
    waited = backup_job(stack, wait_for_completion=True)
    with pytest.raises(JobValidationError) as raised:
        CopyJob(stack, "Mixed", source=waited, recovery_point_arn="arn:aws:backup:us-east-1:1:recovery-point:x",
                source_backup_vault="primary-vault",
                destination_backup_vault=DR_VAULT_ARN, role=waited.role)
    assert ("source (RecoveryPointArn, SourceBackupVaultName) must be given alone: give either source, or "
            "recovery_point_arn and source_backup_vault, got source, recovery_point_arn and source_backup_vault"
            ) in str(raised.value)
    with pytest.raises(JobValidationError, match=r"source \(RecoveryPointArn, SourceBackupVaultName\) must be a "
                                                 r"BackupJob, got CopyJob"):
        CopyJob(stack, "OfACopy", source=waited.copy_to("Copy", destination_backup_vault=DR_VAULT_ARN),
                destination_backup_vault=DR_VAULT_ARN, role=waited.role)


def test_tag_values_are_never_echoed_in_errors():
    with pytest.raises(JobValidationError) as raised:
        backup_job(new_stack(), recovery_point_tags={"k": "secret-" * 40})

    assert "secret-" not in str(raised.value)


@pytest.mark.parametrize(
    "props, expected",
    [
        ({"destination_backup_vault": "dr-vault"},
         "destination_backup_vault (DestinationBackupVaultArn) must be a backup vault ARN"),
        ({"recovery_point_arn": "snapshot-123"}, "recovery_point_arn (RecoveryPointArn) must be an ARN"),
        ({"source_backup_vault": "v"}, "source_backup_vault (SourceBackupVaultName) must be 2 to 50"),
        ({"lifecycle": JobLifecycle(move_to_cold_storage_after=Duration.days(0))},
         "lifecycle.move_to_cold_storage_after (Lifecycle.MoveToColdStorageAfterDays) must be between 1"),
    ],
)
def test_invalid_copy_job_props_raise_an_error_naming_the_prop(props, expected):
    stack = new_stack()
    defaults: dict[str, Any] = {
        "recovery_point_arn": "arn:aws:backup:us-east-1:123456789012:recovery-point:x",
        "source_backup_vault": "primary-vault",
        "destination_backup_vault": "arn:aws:backup:us-east-1:123456789012:backup-vault:dr",
        "role": job_role(stack),
    }
    with pytest.raises(JobValidationError) as raised:
        CopyJob(stack, "Copy", **{**defaults, **props})

    assert expected in str(raised.value)


def test_keep_forever_goes_on_both_lifecycle_fields_together():
    stack = new_stack()
    backup_job(stack, "Both", lifecycle=JobLifecycle.keep_forever(), role=job_role(stack))
    Template.from_stack(stack).has_resource_properties("Custom::BackupJob", {
        "Lifecycle": {"MoveToColdStorageAfterDays": -1, "DeleteAfterDays": -1},
    })
    with pytest.raises(JobValidationError, match="may be -1 only together with the other member"):
        backup_job(stack, "One", role=job_role(stack, "Other"),
                   lifecycle=JobLifecycle(move_to_cold_storage_after=Duration.days(7), delete_after=KEEP_FOREVER))


def test_a_lifecycle_gives_the_api_member_and_reports_what_it_cannot_convert():
    from cdk_backup_jobs_runtime.input.violation_report import Violation

    problems: list[Violation] = []
    api = JobLifecycle(move_to_cold_storage_after=Duration.days(30), delete_after=Duration.hours(36),
                       opt_in_to_archive_for_supported_resources=False).to_api(problems)

    assert api == {"MoveToColdStorageAfterDays": 30, "OptInToArchiveForSupportedResources": False}
    assert problems == [Violation("Lifecycle.DeleteAfterDays", "must be a whole number of days, got 1 day 12 hours")]


def test_the_air_gapped_vault_must_be_in_the_stacks_account_and_region():
    from aws_cdk import Environment

    stack = Stack(App(), "Pinned", env=Environment(account="123456789012", region="us-east-1"))
    elsewhere = "arn:aws:backup:eu-west-1:999999999999:backup-vault:air-gapped"
    with pytest.raises(JobValidationError) as raised:
        backup_job(stack, logically_air_gapped_backup_vault_arn=elsewhere)
    assert "must be in the job's own account 123456789012, got 999999999999" in str(raised.value)
    assert "must be in the job's own Region us-east-1, got eu-west-1" in str(raised.value)
    # An environment-agnostic stack cannot tell at synth: the handler checks at deploy.
    backup_job(new_stack(), logically_air_gapped_backup_vault_arn=elsewhere)


def test_tags_whose_values_are_tokens_still_count_towards_the_limit():
    with pytest.raises(JobValidationError, match="may hold at most 50 tags, got 51"):
        backup_job(new_stack(), recovery_point_tags={
            f"k{i}": Token.as_string({"Ref": f"Tag{i}"}) for i in range(51)})


def test_unresolved_tokens_are_left_for_the_handler():
    stack = new_stack()
    backup_job(
        stack,
        backup_vault=Token.as_string({"Ref": "VaultNameParameter"}),
        resource_arn=Token.as_string({"Ref": "ResourceParameter"}),
        start_window=Duration.minutes(Token.as_number({"Ref": "WindowParameter"})),
        recovery_point_tags={"owner": Token.as_string({"Ref": "OwnerParameter"})},
    )
    Template.from_stack(stack).has_resource_properties("Custom::BackupJob", {
        "BackupVaultName": {"Ref": "VaultNameParameter"},
        "StartWindowMinutes": {"Ref": "WindowParameter"},
    })


# --- waiting, chaining, re-running -------------------------------------------

def statements_by_action(template: Template) -> dict[Any, dict[str, Any]]:
    return {s["Action"] if isinstance(s["Action"], str) else tuple(s["Action"]): s
            for s in provider_policy(template)}


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


@pytest.mark.parametrize("props, expected", [
    ({"wait_for_completion": True, "timeout": Duration.minutes(711)},
     "timeout (WaitTimeoutMinutes) must be between 1 and 710, got 711"),
    ({"wait_for_completion": True, "timeout": Duration.hours(12)},  # its WaitCondition could not hold the grace
     "timeout (WaitTimeoutMinutes) must be between 1 and 710, got 720"),
    ({"run_on": RunOn.delete(), "timeout": Duration.minutes(56)},
     "timeout (WaitTimeoutMinutes) must be at most 55 for a final backup"),
    ({"timeout": Duration.minutes(10)}, "timeout (WaitTimeoutMinutes) applies only when WaitForCompletion or RunOnDelete is true"),
])
def test_wait_props_are_validated(props, expected):
    with pytest.raises(JobValidationError) as raised:
        backup_job(new_stack(), **props)
    assert expected in str(raised.value)


def test_a_timeout_without_waiting_is_reported_once_as_what_it_is():
    # Two hours without wait_for_completion: the cause is that nothing waits, not that it is over 55 minutes.
    with pytest.raises(JobValidationError) as raised:
        backup_job(new_stack(), timeout=Duration.hours(2))
    problems = [line for line in str(raised.value).splitlines() if line.startswith("  - ")]
    assert problems == ["  - timeout (WaitTimeoutMinutes) applies only when WaitForCompletion or RunOnDelete is true"]


def test_copy_of_a_waited_backup_job_takes_its_recovery_point_and_vault():
    stack = new_stack()
    vault = backup.BackupVault(stack, "Vault")
    job = backup_job(stack, backup_vault=vault, wait_for_completion=True)
    copy = job.copy_to("Copy", destination_backup_vault="arn:aws:backup:eu-west-1:210987654321:backup-vault:dr",
                       wait_for_completion=True)
    template = Template.from_stack(stack)

    [copy_result, backup_result] = sorted(template.find_resources("Custom::BackupJobResult"))
    template.has_resource_properties("Custom::CopyJob", {
        # known, and so copied, only once the job COMPLETED
        "RecoveryPointArn": {"Fn::GetAtt": [backup_result, "RecoveryPointArn"]},
        "SourceBackupVaultName": {"Fn::GetAtt": [Match.string_like_regexp("^Vault"), "BackupVaultName"]},
        "IamRoleArn": {"Fn::GetAtt": [Match.string_like_regexp("BackupRole"), "Arn"]},
        "WaitForCompletion": True,
    })
    assert backup_result.startswith("JobResult") and copy_result.startswith("CopyResult")
    assert stack.resolve(copy.destination_recovery_point_arn) == {
        "Fn::GetAtt": [copy_result, "DestinationRecoveryPointArn"]}
    assert stack.resolve(copy.backup_size_in_bytes) == {"Fn::GetAtt": [copy_result, "BackupSizeInBytes"]}


def test_copy_source_must_wait_and_must_not_be_mixed():
    stack = new_stack()
    role = job_role(stack)
    unwaited = backup_job(stack, "Unwaited", role=role)
    with pytest.raises(JobValidationError, match="must wait_for_completion=True"):
        unwaited.copy_to("Copy", destination_backup_vault="arn:aws:backup:us-east-1:123456789012:backup-vault:dr")
    waited = backup_job(stack, "Waited", wait_for_completion=True, role=role)
    with pytest.raises(JobValidationError, match="give either source, or recovery_point_arn"):
        CopyJob(stack, "Mixed", source=waited, recovery_point_arn="arn:aws:backup:us-east-1:1:recovery-point:x",
                destination_backup_vault="arn:aws:backup:us-east-1:123456789012:backup-vault:dr",
                role=waited.role)


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


def test_stop_on_delete_adds_the_stop_right_and_property():
    stack = new_stack()
    backup_job(stack, stop_on_delete=True)
    template = Template.from_stack(stack)

    template.has_resource_properties("Custom::BackupJob", {"StopOnDelete": True})
    assert statements_by_action(template)["backup:StopBackupJob"]["Resource"] == "*"
    plain = new_stack()
    backup_job(plain)
    assert "backup:StopBackupJob" not in statements_by_action(Template.from_stack(plain))


def test_final_backup_depends_on_the_protected_resource_and_may_read_its_stack():
    from aws_cdk import aws_dynamodb as dynamodb

    stack = new_stack()
    table = dynamodb.Table(stack, "Table",
                           partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
    job = BackupJob.final_backup(stack, "Final", resource=table, resource_arn=table.table_arn,
                                 backup_vault="primary-vault", role=job_role(stack))
    template = Template.from_stack(stack)
    table_id = stack.resolve(stack.get_logical_id(table.node.default_child))
    [resource] = template.find_resources("Custom::BackupJob").values()

    # Deleted before the table: ordered by its ResourceArn's reference (a DependsOn too is cfn-lint's W3005).
    assert resource["Properties"]["ResourceArn"] == {"Fn::GetAtt": [table_id, "Arn"]}
    assert table_id not in resource["DependsOn"]
    assert resource["Properties"]["RunOnDelete"] is True
    assert resource["Properties"]["ProtectedLogicalId"] == table_id
    assert resource["Properties"]["ServiceTimeout"] == "3600"
    statements = statements_by_action(template)
    assert statements["cloudformation:GetTemplate"]["Resource"] == {"Ref": "AWS::StackId"}
    assert statements["cloudformation:DescribeStacks"]["Resource"] == {"Ref": "AWS::StackId"}
    with pytest.raises(JobValidationError, match="known only when the job is waited for"):
        job.completion_date


def test_protects_needs_run_on_delete():
    stack = new_stack()
    with pytest.raises(JobValidationError, match=r"protects \(ProtectedLogicalId\) applies only when RunOnDelete is true"):
        backup_job(stack, protects=job_role(stack, "Other"))


def test_final_backup_accepts_a_timeout_and_the_function_drops_stale_events():
    from aws_cdk import aws_dynamodb as dynamodb

    stack = new_stack()
    table = dynamodb.Table(stack, "Table",
                           partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
    BackupJob.final_backup(stack, "Final", resource=table, resource_arn=table.table_arn,
                           backup_vault="primary-vault", role=job_role(stack), timeout=Duration.minutes(30))
    template = Template.from_stack(stack)

    template.has_resource_properties("Custom::BackupJob", {"WaitTimeoutMinutes": 30, "ServiceTimeout": "2100"})
    template.has_resource_properties("AWS::Lambda::EventInvokeConfig", {"MaximumEventAgeInSeconds": 3600})


def test_the_shared_provider_stack_may_read_any_stack_for_final_backups():
    from cdk_backup_jobs import BackupJobsProviderStack

    stack = BackupJobsProviderStack(App(), "Provider")
    reads = statements_by_action(Template.from_stack(stack))[
        ("cloudformation:DescribeStacks", "cloudformation:GetTemplate")]
    assert ":stack/*" in json.dumps(stack.resolve(reads["Resource"]))


def test_a_copy_job_refuses_run_on_delete():
    stack = new_stack()
    source = backup_job(stack, wait_for_completion=True)
    with pytest.raises(JobValidationError, match=r"TestStack/Copy \(Custom::CopyJob\):\n  - run_on \(RunOnDelete\) "
                                                 r"is not a Custom::CopyJob member"):
        source.copy_to("Copy", destination_backup_vault="arn:aws:backup:us-east-1:123456789012:backup-vault:dr",
                       run_on=RunOn.delete())
    with pytest.raises(JobValidationError, match=r"run_on \(RunOnDelete\) is not a Custom::CopyJob member"):
        CopyJob(stack, "Direct", recovery_point_arn="arn:aws:backup:us-east-1:123456789012:recovery-point:x",
                source_backup_vault="primary-vault",
                destination_backup_vault="arn:aws:backup:us-east-1:123456789012:backup-vault:dr",
                role=source.role, run_on=RunOn.delete())


@pytest.mark.parametrize("props, expected", [
    ({"run_on": RunOn.delete(), "idempotency_token": "fixed"},
     "idempotency_token (IdempotencyToken) must not be set when RunOnDelete is true"),
    ({"run_on": RunOn.delete(), "idempotency_token": Token.as_string({"Ref": "TokenParameter"})},
     "idempotency_token (IdempotencyToken) must not be set when RunOnDelete is true"),
    ({"run_on": RunOn.delete(), "wait_for_completion": True},
     "wait_for_completion (WaitForCompletion) must not be true when RunOnDelete is true"),
    ({"run_on": RunOn.delete(), "stop_on_delete": True},
     "stop_on_delete (StopOnDelete) must not be true when RunOnDelete is true"),
    ({"skip_final_backup": True}, "skip_final_backup (SkipFinalBackup) applies only when RunOnDelete is true"),
    ({"run_on": RunOn.every_deployment(), "skip_final_backup": True},
     "skip_final_backup (SkipFinalBackup) applies only when RunOnDelete is true"),
])
def test_final_backup_conflicts_are_refused_at_synth_naming_the_prop(props, expected):
    assert_backup_job_refused_naming(props, expected)


def test_every_final_backup_conflict_is_reported_at_once():
    with pytest.raises(JobValidationError) as raised:
        backup_job(new_stack(), run_on=RunOn.delete(), idempotency_token="fixed", wait_for_completion=True,
                   stop_on_delete=True)

    message = str(raised.value)
    assert "idempotency_token" in message and "wait_for_completion" in message and "stop_on_delete" in message


def test_skip_final_backup_goes_on_the_resource_only_when_set():
    from aws_cdk import aws_dynamodb as dynamodb

    stack = new_stack()
    role = job_role(stack)
    table = dynamodb.Table(stack, "Table",
                           partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
    skipped = BackupJob.final_backup(stack, "Skipped", resource=table, resource_arn=table.table_arn,
                                     backup_vault="primary-vault", role=role, skip_final_backup=True)
    armed = BackupJob.final_backup(stack, "Armed", resource=table, resource_arn=table.table_arn,
                                   backup_vault="primary-vault", role=role)
    resources = Template.from_stack(stack).to_json()["Resources"]

    def properties(job: BackupJob) -> dict[str, Any]:
        return resources[stack.resolve(stack.get_logical_id(job.resource.node.default_child))]["Properties"]

    assert properties(skipped)["SkipFinalBackup"] is True
    assert "SkipFinalBackup" not in properties(armed)


def depends_on(stack: Stack, job: BackupJob) -> list[str]:
    resources = Template.from_stack(stack).to_json()["Resources"]
    return resources[stack.resolve(stack.get_logical_id(job.resource.node.default_child))].get("DependsOn", [])


def test_a_final_backup_outlives_its_roles_policy_and_its_vault():
    from aws_cdk import aws_dynamodb as dynamodb

    stack = new_stack()
    role = job_role(stack)
    vault = backup.BackupVault(stack, "Vault")
    table = dynamodb.Table(stack, "Table",
                           partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
    job = BackupJob.final_backup(stack, "Final", resource=table, resource_arn=table.table_arn,
                                 backup_vault=vault, role=role)
    table.grant_read_data(role)  # an inline grant, made after the job: the role's separate DefaultPolicy
    [policy_id] = Template.from_stack(stack).find_resources("AWS::IAM::Policy", {
        "Properties": {"Roles": [{"Ref": Match.string_like_regexp("^BackupRole")}]}})
    vault_id = stack.resolve(stack.get_logical_id(vault.node.default_child))

    assert policy_id.startswith("BackupRoleDefaultPolicy")
    # The policy by DependsOn; the role, the vault and the table by the references of the job's own
    # properties, which order them as well (a DependsOn on them too is what cfn-lint warns of, W3005).
    resource = Template.from_stack(stack).to_json()["Resources"][
        stack.resolve(stack.get_logical_id(job.resource.node.default_child))]
    role_id, table_id = (stack.resolve(stack.get_logical_id(c.node.default_child)) for c in (role, table))
    assert set(depends_on(stack, job)) & {policy_id, vault_id, role_id, table_id} == {policy_id}
    assert resource["Properties"]["BackupVaultName"] == {"Fn::GetAtt": [vault_id, "BackupVaultName"]}
    assert resource["Properties"]["IamRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert resource["Properties"]["ResourceArn"] == {"Fn::GetAtt": [table_id, "Arn"]}


def test_a_final_backup_depends_on_what_its_properties_do_not_reference():
    from aws_cdk import aws_dynamodb as dynamodb

    stack = new_stack()
    table = dynamodb.Table(stack, "Table",
                           partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
    # The table's ARN given as text: nothing references the table, so the order must be said.
    job = BackupJob.final_backup(stack, "Final", resource=table, backup_vault="primary-vault",
                                 resource_arn="arn:aws:dynamodb:us-east-1:123456789012:table/orders",
                                 role=job_role(stack))

    assert stack.resolve(stack.get_logical_id(table.node.default_child)) in depends_on(stack, job)


def test_a_final_backup_outlives_the_policy_of_an_imported_role_too():
    stack = new_stack()
    role = iam.Role.from_role_arn(stack, "Imported", "arn:aws:iam::123456789012:role/backup-role")
    role.add_to_principal_policy(iam.PolicyStatement(actions=["dynamodb:DescribeTable"], resources=[TABLE_ARN]))
    job = backup_job(stack, role=role, run_on=RunOn.delete())
    [policy_id] = Template.from_stack(stack).find_resources("AWS::IAM::Policy", {
        "Properties": {"Roles": ["backup-role"]}})

    assert policy_id in depends_on(stack, job)


def test_only_a_final_backup_depends_on_its_role_and_vault():
    stack = new_stack()
    vault = backup.BackupVault(stack, "Vault")
    job = backup_job(stack, backup_vault=vault)
    vault_id = stack.resolve(stack.get_logical_id(vault.node.default_child))

    assert vault_id not in depends_on(stack, job)
    assert not any(d.startswith("BackupRole") for d in depends_on(stack, job))


def test_synthesizing_an_unchanged_app_again_changes_nothing_but_every_deployment_runs():
    # `cdk diff` on an unchanged app: the same templates, WaitConditions included; only a job run
    # on every deployment differs (a new run, waited on a WaitCondition of its own).
    def templates() -> dict[str, dict[str, Any]]:
        import sys

        repo = str(Path(__file__).resolve().parent.parent)
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


def test_a_copy_with_no_recovery_point_names_source_as_the_alternative():
    stack = new_stack()
    with pytest.raises(JobValidationError) as raised:
        CopyJob(stack, "Copy", destination_backup_vault=DR_VAULT_ARN, role=job_role(stack))
    assert "recovery_point_arn (RecoveryPointArn) is required: give recovery_point_arn or source" in str(raised.value)
    assert ("source_backup_vault (SourceBackupVaultName) is required: give source_backup_vault or source"
            in str(raised.value))


@pytest.mark.parametrize("props, expected", [
    ({"wait_for_completion": True},
     "wait_for_completion (WaitForCompletion) must not be true when RunOnDelete is true"),
    ({"idempotency_token": "fixed"}, "idempotency_token (IdempotencyToken) must not be set when RunOnDelete"),
    ({"stop_on_delete": True}, "stop_on_delete (StopOnDelete) must not be true when RunOnDelete is true"),
    ({"run_on": RunOn.create()}, "run_on is final_backup's own"),
    ({"protects": None, "run_on": RunOn.delete()}, "run_on is final_backup's own"),
])
def test_a_final_backup_refuses_what_does_not_apply_naming_the_prop(props, expected):
    stack = new_stack()
    table = CfnResource(stack, "Table", type="AWS::DynamoDB::Table")
    with pytest.raises(JobValidationError, match=re.escape(expected)):
        BackupJob.final_backup(stack, "Final", resource=table, resource_arn=TABLE_ARN, backup_vault="primary-vault",
                               role=job_role(stack), **props)


def test_a_prop_no_backup_job_has_is_refused_naming_final_backup():
    stack = new_stack()
    table = CfnResource(stack, "Table", type="AWS::DynamoDB::Table")
    with pytest.raises(TypeError, match=r"final_backup\(\) got an unexpected keyword argument 'lifecyle'"):
        BackupJob.final_backup(stack, "Final", resource=table, resource_arn=TABLE_ARN,  # type: ignore[call-arg]
                               backup_vault="primary-vault", role=job_role(stack), lifecyle=None)


def test_a_final_backup_takes_the_windows_options_and_index_of_a_backup_job():
    stack = new_stack()
    table = CfnResource(stack, "Table", type="AWS::DynamoDB::Table")
    BackupJob.final_backup(stack, "Final", resource=table, resource_arn=TABLE_ARN, backup_vault="primary-vault",
                           role=job_role(stack), start_window=Duration.hours(2), complete_window=Duration.hours(6),
                           backup_options={"WindowsVSS": "enabled"}, index="ENABLED")
    Template.from_stack(stack).has_resource_properties("Custom::BackupJob", {
        "RunOnDelete": True, "StartWindowMinutes": 120, "CompleteWindowMinutes": 360,
        "BackupOptions": {"WindowsVSS": "enabled"}, "Index": "ENABLED"})


def stacks_with_a_table(nested: str = "") -> tuple[Stack, Stack, CfnResource]:
    """A data stack with a table, and a second stack (a nested stack of it with ``nested="job"``,
    or the data stack nested in the other with ``nested="data"``)."""
    from aws_cdk import NestedStack

    app = App()
    if nested == "data":
        jobs = Stack(app, "JobStack")
        data: Stack = NestedStack(jobs, "DataStack")
    else:
        data = Stack(app, "DataStack")
        jobs = NestedStack(data, "JobStack") if nested == "job" else Stack(app, "JobStack")
    return data, jobs, CfnResource(data, "Table", type="AWS::DynamoDB::Table")


@pytest.mark.parametrize("nested", ["", "job", "data"])
def test_a_final_backup_of_a_resource_in_another_stack_is_refused_naming_both_stacks(nested):
    # Its stack's template never holds the resource, so every delete of that stack would look like
    # the resource going, and back it up though it stays. A nested stack is a template of its own.
    data, jobs, table = stacks_with_a_table(nested)
    with pytest.raises(JobValidationError) as raised:
        BackupJob.final_backup(jobs, "Final", resource=table, resource_arn=TABLE_ARN,
                               backup_vault="primary-vault", role=job_role(jobs))

    message = str(raised.value)
    assert "protects (ProtectedLogicalId)" in message and "final_backup's resource" in message
    assert f"job's stack {jobs.node.path}" in message and f"{table.node.path} of stack {data.node.path}" in message
    assert "declare the final backup (with final_backup's resource) in the resource's own stack" in message
    assert not jobs.node.try_find_child("BackupJobsProvider")  # a refused job adds nothing


def test_a_backup_job_protecting_a_resource_in_another_stack_is_refused_with_its_other_problems():
    data, jobs, table = stacks_with_a_table()
    with pytest.raises(JobValidationError) as raised:
        backup_job(jobs, run_on=RunOn.delete(), protects=table, start_window=Duration.minutes(5))

    message = str(raised.value)
    assert f"protects (ProtectedLogicalId) must be in the job's stack {jobs.node.path}" in message
    assert "start_window (StartWindowMinutes)" in message


def test_a_final_backup_in_the_resources_own_stack_is_still_accepted_beside_other_stacks():
    data, jobs, table = stacks_with_a_table("job")
    job = BackupJob.final_backup(data, "Final", resource=table, resource_arn=TABLE_ARN,
                                 backup_vault="primary-vault", role=job_role(data))
    assert job.resource.node.scope is job and Stack.of(job) is data
    Template.from_stack(data).has_resource_properties("Custom::BackupJob", {"ProtectedLogicalId": "Table"})


@pytest.mark.parametrize("removal_policy, warned", [(None, True), (RemovalPolicy.DESTROY, False)])
def test_a_final_backup_of_a_database_cdk_snapshots_anyway_is_warned_of(removal_policy, warned):
    from aws_cdk import aws_ec2 as ec2, aws_rds as rds
    from aws_cdk.assertions import Annotations, Match

    stack = new_stack()
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    database = rds.DatabaseInstance(stack, "Database", vpc=vpc,
                                    vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
                                    engine=rds.DatabaseInstanceEngine.postgres(
                                        version=rds.PostgresEngineVersion.VER_16),
                                    **({"removal_policy": removal_policy} if removal_policy else {}))
    BackupJob.final_backup(stack, "Final", resource=database, resource_arn=database.instance_arn,
                           backup_vault="primary-vault", role=job_role(stack))

    found = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("AWS::RDS::DBInstance is deleted with DeletionPolicy Snapshot"))
    assert len(found) == (1 if warned else 0)
