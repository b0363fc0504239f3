"""Jobs on a shared provider (issue 15, item 1): BackupJobsProvider.from_service_token and from_export_name.

A stack whose jobs all use a provider deployed elsewhere holds their
resources only; no right can be granted to that provider, so a job that needs
one it may lack is warned at synth.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnResource, Stack, Validations, aws_backup as backup, aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template

from cdk_backup_jobs import (BackupJob, BackupJobsProvider, BackupJobsProviderStack, CopyJob, IBackupJobsProvider,
                             JobValidationError)
from cdk_backup_jobs.provider.shared_provider import DEFAULT_EXPORT_NAME, WARNING_PREFIX

SERVICE_TOKEN = "arn:aws:lambda:us-east-1:123456789012:function:shared-backup-jobs-provider"
ROLE_ARN = "arn:aws:iam::123456789012:role/backup-jobs/backup-role"
TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
DR_VAULT_ARN = "arn:aws:backup:us-east-1:123456789012:backup-vault:dr"
PROVIDER_TYPES = ("AWS::Lambda::Function", "AWS::Lambda::Permission", "AWS::Lambda::EventInvokeConfig",
                  "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::Logs::LogGroup")


def stack_and_role(app: App | None = None) -> tuple[Stack, iam.IRole]:
    stack = Stack(app or App(), "Jobs")
    return stack, iam.Role.from_role_arn(stack, "BackupRole", ROLE_ARN)


def types(stack: Stack) -> list[str]:
    return [resource["Type"] for resource in Template.from_stack(stack).to_json()["Resources"].values()]


def warnings(stack: Stack) -> list[str]:
    found = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp(".*"))
    return [str(entry.entry.data) for entry in found]


def test_a_one_job_stack_on_a_shared_provider_is_that_job_alone():
    stack, role = stack_and_role()
    shared = BackupJobsProvider.from_service_token(stack, "Provider", SERVICE_TOKEN)
    BackupJob(stack, "Job", backup_vault="primary-vault", resource_arn=TABLE_ARN, role=role, provider=shared)
    template = Template.from_stack(stack)

    assert types(stack) == ["Custom::BackupJob"]
    for provider_type in PROVIDER_TYPES:
        template.resource_count_is(provider_type, 0)
    template.has_resource_properties("Custom::BackupJob", {"ServiceToken": SERVICE_TOKEN})
    assert stack.node.try_find_child("BackupJobsProvider") is None
    assert isinstance(shared, IBackupJobsProvider)
    assert warnings(stack) == []


def test_waits_final_backups_copies_and_stops_add_only_their_own_resources():
    stack, role = stack_and_role()
    shared = BackupJobsProvider.from_export_name(stack, "Provider")
    table = CfnResource(stack, "Table", type="AWS::SQS::Queue")
    vault = backup.BackupVault.from_backup_vault_name(stack, "Vault", "primary-vault")
    waited = BackupJob(stack, "Waited", backup_vault=vault, resource_arn=TABLE_ARN, role=role,
                       wait_for_completion=True, stop_on_delete=True, provider=shared)
    waited.copy_to("Copy", destination_backup_vault=DR_VAULT_ARN)
    BackupJob.final_backup(stack, "Final", resource=table, resource_arn=TABLE_ARN, backup_vault=vault, role=role,
                           provider=shared)
    resources = Template.from_stack(stack).to_json()["Resources"]

    assert sorted(types(stack)) == sorted(["AWS::SQS::Queue", "Custom::BackupJob", "Custom::BackupJob",
                                           "Custom::CopyJob", "AWS::CloudFormation::WaitCondition",
                                           "Custom::BackupJobResult"])
    imported = {"Fn::ImportValue": DEFAULT_EXPORT_NAME}
    custom = [r for r in resources.values() if r["Type"].startswith("Custom::")]
    assert len(custom) == 4 and all(r["Properties"]["ServiceToken"] == imported for r in custom)
    # Nothing of a provider to wait for: each resource depends only on what it did before.
    [final] = [r for r in resources.values() if r.get("Properties", {}).get("RunOnDelete")]
    assert final["DependsOn"] == ["Table"]
    assert warnings(stack) == []  # a BackupJobsProviderStack allows all of it


def test_the_export_name_is_the_provider_stacks_one_constant():
    provider_stack = BackupJobsProviderStack(App(), "Provider")
    output = Template.from_stack(provider_stack).to_json()["Outputs"]["ServiceToken"]

    assert output["Export"]["Name"] == DEFAULT_EXPORT_NAME == "BackupJobsProviderServiceToken"
    import inspect

    for takes_it in (BackupJobsProvider.from_export_name, BackupJobsProviderStack.__init__):
        assert inspect.signature(takes_it).parameters["export_name"].default == DEFAULT_EXPORT_NAME


def test_another_export_name_is_imported_as_given():
    stack, role = stack_and_role()
    shared = BackupJobsProvider.from_export_name(stack, "Provider", "TeamBackupJobs")
    BackupJob(stack, "Job", backup_vault="primary-vault", resource_arn=TABLE_ARN, role=role, provider=shared)
    Template.from_stack(stack).has_resource_properties(
        "Custom::BackupJob", {"ServiceToken": {"Fn::ImportValue": "TeamBackupJobs"}})


def warned(stack: Stack, need: str) -> list[str]:
    found = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp(".*"))
    return [str(entry.entry.data) for entry in found if f"[ack: {WARNING_PREFIX}{need}]" in str(entry.entry.data)]


def test_a_vault_outside_the_providers_vault_names_is_warned_naming_it():
    stack, role = stack_and_role()
    shared = BackupJobsProvider.from_service_token(stack, "Provider", SERVICE_TOKEN, vault_names=["prod-*", "audit"])
    BackupJob(stack, "Inside", backup_vault="prod-orders", resource_arn=TABLE_ARN, role=role, provider=shared)
    BackupJob(stack, "Outside", backup_vault="scratch", resource_arn=TABLE_ARN, role=role, provider=shared)
    BackupJob(stack, "AirGapped", backup_vault="audit", resource_arn=TABLE_ARN, role=role, provider=shared,
              logically_air_gapped_backup_vault_arn="arn:aws:backup:us-east-1:123456789012:backup-vault:vault-lag")

    [outside, air_gapped] = warned(stack, "vault")
    assert "vault scratch is not one of them" in outside and "prod-*, audit" in outside and "vault_names" in outside
    assert "vault vault-lag is not one of them" in air_gapped


def test_a_role_outside_the_providers_job_role_arns_or_not_known_is_warned():
    stack, role = stack_and_role()
    shared = BackupJobsProvider.from_service_token(stack, "Provider", SERVICE_TOKEN,
                                                   job_role_arns=["arn:aws:iam::123456789012:role/backup-*"])
    BackupJob(stack, "Listed", backup_vault="v1", resource_arn=TABLE_ARN, role=role, provider=shared)
    other = iam.Role.from_role_arn(stack, "Other", "arn:aws:iam::123456789012:role/ops")
    BackupJob(stack, "Unlisted", backup_vault="v1", resource_arn=TABLE_ARN, role=other, provider=shared)
    made = iam.Role(stack, "Made", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    CopyJob(stack, "Copy", recovery_point_arn="arn:aws:backup:us-east-1:123456789012:recovery-point:x",
            source_backup_vault="v1", destination_backup_vault=DR_VAULT_ARN, role=made, provider=shared)

    [unlisted, unknown] = warned(stack, "role")
    assert "role arn:aws:iam::123456789012:role/ops is not one of them" in unlisted
    assert "known only at deploy, so it cannot be checked" in unknown
    assert "role/backup-*" in unknown


def test_without_allow_any_job_each_right_beyond_starting_is_warned():
    stack, role = stack_and_role()
    shared = BackupJobsProvider.from_service_token(stack, "Provider", SERVICE_TOKEN, allows_any_job=False)
    BackupJob(stack, "Plain", backup_vault="v1", resource_arn=TABLE_ARN, role=role, provider=shared)
    BackupJob(stack, "Waited", backup_vault="v1", resource_arn=TABLE_ARN, role=role, provider=shared,
              wait_for_completion=True, stop_on_delete=True)

    assert len(warned(stack, "stack-reads")) == 2
    [watch] = warned(stack, "watch")
    assert "allow_watching(wait_conditions=True, any_stack=True)" in watch and "Jobs/Waited" not in watch
    [stop] = warned(stack, "stop")
    assert "backup:StopBackupJob" in stop
    paths = {entry.id for entry in Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp(f".*{WARNING_PREFIX}stop.*"))}
    assert paths == {"/Jobs/Waited"}


def test_without_allow_any_job_a_copy_is_warned_of_start_copy_job():
    stack, role = stack_and_role()
    shared = BackupJobsProvider.from_service_token(stack, "Provider", SERVICE_TOKEN, allows_any_job=False)
    CopyJob(stack, "Copy", recovery_point_arn="arn:aws:backup:us-east-1:123456789012:recovery-point:x",
            source_backup_vault="v1", destination_backup_vault=DR_VAULT_ARN, role=role, provider=shared)
    BackupJob(stack, "Plain", backup_vault="v1", resource_arn=TABLE_ARN, role=role, provider=shared)

    [copy] = warned(stack, "copy")
    assert "backup:StartCopyJob" in copy and "allow_copy_job or allow_any_job" in copy


def test_with_allow_any_job_a_copy_is_not_warned():
    stack, role = stack_and_role()
    shared = BackupJobsProvider.from_service_token(stack, "Provider", SERVICE_TOKEN)
    CopyJob(stack, "Copy", recovery_point_arn="arn:aws:backup:us-east-1:123456789012:recovery-point:x",
            source_backup_vault="v1", destination_backup_vault=DR_VAULT_ARN, role=role, provider=shared)
    assert warnings(stack) == []


def test_a_vault_of_the_stack_with_a_literal_name_is_checked_by_that_name():
    stack, role = stack_and_role()
    shared = BackupJobsProvider.from_service_token(stack, "Provider", SERVICE_TOKEN, vault_names=["prod-*"])
    made = backup.BackupVault(stack, "Made", backup_vault_name="prod-made")
    outside = backup.BackupVault(stack, "Outside", backup_vault_name="scratch-made")
    generated = backup.BackupVault(stack, "Generated")  # aws-cdk-lib names it at synth: a literal too
    from aws_cdk import CfnParameter
    chosen = backup.BackupVault(stack, "Chosen", backup_vault_name=CfnParameter(stack, "VaultName").value_as_string)
    for vault in (made, outside, generated, chosen):
        BackupJob(stack, f"Into{vault.node.id}", backup_vault=vault, resource_arn=TABLE_ARN, role=role,
                  provider=shared)

    [not_listed, not_listed_generated, unknown] = warned(stack, "vault")
    assert "vault scratch-made is not one of them" in not_listed
    assert f"vault {generated.node.default_child.backup_vault_name} is not one of them" in not_listed_generated
    assert "known only at deploy" in unknown
    paths = {entry.id for entry in Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp(f".*{WARNING_PREFIX}vault.*"))}
    assert paths == {"/Jobs/IntoOutside", "/Jobs/IntoGenerated", "/Jobs/IntoChosen"}


@pytest.mark.parametrize("make, expected", [
    (lambda stack: 42, "provider (ServiceToken) must be an IBackupJobsProvider (BackupJobsProvider.from_service_token "
                       "or from_export_name), got int"),
    (lambda stack: BackupJobsProvider.of(Stack(stack.node.root, "Elsewhere")),
     "provider (ServiceToken) must be this stack's own provider or a shared one"),
])
def test_a_provider_that_cannot_serve_the_job_is_refused_naming_the_prop(make, expected):
    stack, role = stack_and_role()
    with pytest.raises(JobValidationError) as raised:
        BackupJob(stack, "Job", backup_vault="v1", resource_arn=TABLE_ARN, role=role, provider=make(stack))
    assert expected in str(raised.value)
    assert stack.node.try_find_child("BackupJobsProvider") is None


def test_the_stacks_own_provider_may_be_given_explicitly():
    stack, role = stack_and_role()
    BackupJob(stack, "Job", backup_vault="v1", resource_arn=TABLE_ARN, role=role,
              provider=BackupJobsProvider.of(stack))
    assert types(stack).count("AWS::Lambda::Function") == 1


@pytest.mark.parametrize("props, expected", [
    ({"service_token": "not-an-arn"}, "service_token must be the ARN of a Lambda function (or an SNS topic), "
                                      "got 'not-an-arn'"),
    ({"service_token": "arn:aws:s3:::bucket"}, "service_token must be the ARN of a Lambda function"),
    ({"service_token": SERVICE_TOKEN, "vault_names": "prod"}, "vault_names must be a list of strings, got str"),
    ({"service_token": SERVICE_TOKEN, "job_role_arns": [1]},
     "job_role_arns must be a list of strings, got a list holding int"),
    ({"service_token": SERVICE_TOKEN, "vault_names": []},
     "vault_names must name at least one (leave it out, or None, for all), got []"),
    ({"service_token": SERVICE_TOKEN, "job_role_arns": ()},
     "job_role_arns must name at least one (leave it out, or None, for the roles under /backup-jobs/), got []"),
    ({"service_token": SERVICE_TOKEN, "allows_any_job_role": "yes"}, "allows_any_job_role must be True or False, got str"),
])
def test_a_shared_provider_with_wrong_props_is_refused_naming_them(props, expected):
    stack, _ = stack_and_role()
    token = props.pop("service_token")
    with pytest.raises(JobValidationError, match=re_escape(expected)):
        BackupJobsProvider.from_service_token(stack, "Provider", token, **props)
    if props:  # the narrowing props are checked alike on an import
        with pytest.raises(JobValidationError, match=re_escape(expected)):
            BackupJobsProvider.from_export_name(stack, "Imported", **props)


@pytest.mark.parametrize("prop", ["vault_names", "job_role_arns"])
def test_an_empty_narrowing_list_is_refused_by_the_provider_stack_not_read_as_all(prop):
    with pytest.raises(JobValidationError, match=re_escape(
            f"Invalid props for Provider (BackupJobsProviderStack):\n  - {prop} must name at least one")):
        BackupJobsProviderStack(App(), "Provider", **{prop: []})


def test_a_provider_stack_narrowed_to_one_vault_and_role_grants_those_alone():
    stack = BackupJobsProviderStack(App(), "Provider", vault_names=["prod"], job_role_arns=[ROLE_ARN])
    policies = json.dumps([statement for policy in Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
                           for statement in policy["Properties"]["PolicyDocument"]["Statement"]
                           if statement["Effect"] == "Allow"])
    assert "backup-vault:prod" in policies and ROLE_ARN in policies
    assert "backup-vault:*" not in policies and "role/*" not in policies


def test_by_default_a_role_not_under_the_backup_jobs_path_is_warned():
    # A BackupJobsProviderStack passes only roles under /backup-jobs/ unless told otherwise: a job whose role
    # has another path is warned, naming the path and the fix; a role of the stack is read by its Path.
    stack, role = stack_and_role()
    shared = BackupJobsProvider.from_service_token(stack, "Provider", SERVICE_TOKEN)
    BackupJob(stack, "Inside", backup_vault="v1", resource_arn=TABLE_ARN, role=role, provider=shared)
    ops = iam.Role.from_role_arn(stack, "Ops", "arn:aws:iam::123456789012:role/ops/backup")
    BackupJob(stack, "OtherPath", backup_vault="v1", resource_arn=TABLE_ARN, role=ops, provider=shared)
    made = iam.Role(stack, "Made", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"), path="/backup-jobs/")
    BackupJob(stack, "MadeInside", backup_vault="v1", resource_arn=TABLE_ARN, role=made, provider=shared)
    unpathed = iam.Role(stack, "Unpathed", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    BackupJob(stack, "MadeOutside", backup_vault="v1", resource_arn=TABLE_ARN, role=unpathed, provider=shared)

    [other_path, made_outside] = warned(stack, "role")
    assert "this job's role has the path /ops/" in other_path and 'path="/backup-jobs/"' in other_path
    assert "this job's role has the path /:" in made_outside


def test_a_provider_stack_given_allow_any_job_role_is_imported_alike_without_warnings():
    stack, _ = stack_and_role()
    shared = BackupJobsProvider.from_service_token(stack, "Provider", SERVICE_TOKEN, allows_any_job_role=True)
    ops = iam.Role.from_role_arn(stack, "Ops", "arn:aws:iam::123456789012:role/ops")
    BackupJob(stack, "Job", backup_vault="v1", resource_arn=TABLE_ARN, role=ops, provider=shared)

    assert warned(stack, "role") == []


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_a_service_token_that_is_a_token_is_taken_as_given():
    from aws_cdk import CfnParameter

    stack, role = stack_and_role()
    token = CfnParameter(stack, "ProviderArnParameter").value_as_string
    shared = BackupJobsProvider.from_service_token(stack, "Provider", token)
    BackupJob(stack, "Job", backup_vault="v1", resource_arn=TABLE_ARN, role=role, provider=shared)
    Template.from_stack(stack).has_resource_properties("Custom::BackupJob",
                                                       {"ServiceToken": {"Ref": "ProviderArnParameter"}})


# --- the template a stack on a shared provider deploys ----------------------------

def shared_provider_app(outdir: Path, *, bad: bool = False) -> App:
    """A stack of jobs on a shared provider, checked by cdk-nag (``bad``: with a finding cdk-nag must report)."""
    from cdk_nag import AwsSolutionsChecks

    app = App(outdir=str(outdir))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = Stack(app, "Jobs")
    role = iam.Role.from_role_arn(stack, "BackupRole", ROLE_ARN)
    shared = BackupJobsProvider.from_export_name(stack, "Provider")
    queue = CfnResource(stack, "Queue", type="AWS::SQS::Queue", properties={"SqsManagedSseEnabled": True})
    job = BackupJob(stack, "Snapshot", backup_vault="primary-vault", resource_arn=TABLE_ARN, role=role,
                    wait_for_completion=True, provider=shared)
    job.copy_to("Copy", destination_backup_vault=DR_VAULT_ARN)
    BackupJob.final_backup(stack, "Final", resource=queue, resource_arn=TABLE_ARN, backup_vault="primary-vault",
                           role=role, provider=shared)
    if bad:
        iam.Role(stack, "Admin", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                 managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AdministratorAccess")])
    return app


@pytest.mark.slow
def test_a_stack_on_a_shared_provider_passes_cdk_nag_and_cfn_lint(tmp_path):
    with pytest.raises(Exception, match=r"(?s)ValidationFailed.*AwsSolutions-IAM4"):
        shared_provider_app(tmp_path / "bad", bad=True).synth()  # cdk-nag does check this stack

    shared_provider_app(tmp_path).synth()  # raises ValidationFailed on any unacknowledged cdk-nag finding

    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert report["pluginReports"] == []  # nothing found, nothing acknowledged
    template = tmp_path / "Jobs.template.json"
    cfn_lint = Path(sysconfig.get_path("scripts")) / "cfn-lint"
    result = subprocess.run([str(cfn_lint), "--format", "parseable", str(template)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the figures in docs/performance.md --------------------------------------------

def test_the_performance_pages_shared_provider_section_is_what_the_bench_measures_now():
    import importlib.util

    script = Path(__file__).resolve().parents[3] / "bench" / "shared_provider.py"
    spec = importlib.util.spec_from_file_location("bench_shared_provider", script)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up
    path = list(sys.path)
    try:
        spec.loader.exec_module(bench)  # puts bench/ on sys.path, for its footprint module
    finally:
        del sys.modules[spec.name]
        sys.path[:] = path
    rows = bench.measure()
    page = (Path(__file__).resolve().parents[3] / "docs" / "performance.md").read_text()
    section = "\n".join(bench.section_lines(rows))

    by = {row.stack.split(" (")[0]: row for row in rows}
    assert by["cdk-backup-jobs on a shared provider"].resources == 1
    assert by["cdk-backup-jobs on a shared provider"].resources < by["AwsCustomResource"].resources
    assert section in page, "docs/performance.md is stale: run `python bench/shared_provider.py --write`"
    assert "MET" in section.rsplit("Target:", 1)[1]


# --- deployed: the exported provider serves another stack's jobs ----------------------

@pytest.mark.slow
def test_jobs_on_the_exported_provider_wait_copy_and_back_up_before_their_stack_deletes_the_table(
        tmp_path, aws_backup: Any, cfn_stack: Any):
    from aws_cdk import RemovalPolicy, aws_dynamodb as dynamodb

    from cdk_backup_jobs.provider.asset import provider_asset_dir
    from cdk_backup_jobs.testing import JobTiming, ManualClock, read_assembly_template

    clock = ManualClock()
    aws_backup.emulator.clock = clock
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=1800)
    out = tmp_path / "cdk.out"
    app = App(outdir=str(out))
    BackupJobsProviderStack(app, "BackupJobsProvider")
    stack, role = stack_and_role(app)
    shared = BackupJobsProvider.from_export_name(stack, "Provider")
    key = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    table = dynamodb.Table(stack, "Table", partition_key=key, removal_policy=RemovalPolicy.DESTROY)
    vault, copies = backup.BackupVault(stack, "Vault"), backup.BackupVault(stack, "Copies")
    job = BackupJob(stack, "Snapshot", backup_vault=vault, resource_arn=table.table_arn, role=role,
                    wait_for_completion=True, provider=shared)
    job.copy_to("Copy", destination_backup_vault=copies)
    BackupJob.final_backup(stack, "Final", resource=table, resource_arn=table.table_arn, backup_vault=vault,
                           role=role, provider=shared)
    app.synth()

    with cfn_stack(out, stack_name="BackupJobsProvider", on_tick=clock.advance) as provider_stack:
        token = provider_stack.deploy(read_assembly_template(out, "BackupJobsProvider")).outputs["ServiceToken"]
        with cfn_stack(stack_name="Jobs", functions={token: provider_asset_dir()}, on_tick=clock.advance,
                       exports=provider_stack.exports) as jobs:
            created = jobs.deploy(read_assembly_template(out, "Jobs"))
            started_before_delete = len(aws_backup.state.calls_of("StartBackupJob"))
            deleted = jobs.delete()

    assert created.status == "CREATE_COMPLETE", created.reason
    assert started_before_delete == 1 and len(aws_backup.state.copy_jobs) == 1
    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    final = aws_backup.state.calls_of("StartBackupJob")[1:]
    assert len(final) == 1  # the final backup, started by the shared provider when the stack went


def test_provider_functions_names_the_service_token_the_simulator_deploys_and_its_code_folder(tmp_path, cfn_stack):
    # A stack on a shared provider needs functions={service_token: code_dir}; the code folder is the
    # provider's asset.<hash> folder, whose hash is the function's S3Key.
    from cdk_backup_jobs.testing import provider_functions, read_assembly_template

    app = App(outdir=str(tmp_path))
    BackupJobsProviderStack(app, "BackupJobsProvider")
    app.synth()
    template = read_assembly_template(tmp_path, "BackupJobsProvider")
    [key] = [r["Properties"]["Code"]["S3Key"] for r in template["Resources"].values()
             if r["Type"] == "AWS::Lambda::Function"]

    functions = provider_functions(tmp_path, "BackupJobsProvider")
    with cfn_stack(tmp_path, stack_name="BackupJobsProvider") as provider:
        token = provider.deploy(template).outputs["ServiceToken"]

    assert functions == {token: tmp_path / f"asset.{key.removesuffix('.zip')}"}
    assert (functions[token] / "index.py").is_file()
