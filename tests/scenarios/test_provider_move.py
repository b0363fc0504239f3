"""Moving a deployed stack's jobs between its own provider and a shared one (issue 19, item 1).

CloudFormation refuses an update that changes a custom resource's
ServiceToken ("Modifying service token is not allowed."), so a job on another
provider is another resource: its logical IDs carry a digest of that
provider's ServiceToken (``job_resource.provider_suffix``), and the move
replaces it. Deployed through the simulator from real aws-cdk-lib synths,
with the shared provider a BackupJobsProviderStack of the same account.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from aws_cdk import App, CfnOutput, RemovalPolicy, Stack, aws_backup as backup, aws_dynamodb as dynamodb, aws_iam as iam

from cdk_backup_jobs import BackupJob, BackupJobsProvider, BackupJobsProviderStack
from cdk_backup_jobs.jobs.job_resource import provider_suffix
from cdk_backup_jobs.provider.asset import provider_asset_dir
from cdk_backup_jobs.testing import JobTiming, ManualClock, read_assembly_template
from cdk_backup_jobs.testing.cloudformation.resources import SERVICE_TOKEN_CHANGED

ROLE_ARN = "arn:aws:iam::123456789012:role/backup-jobs/backup-role"
TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"


def jobs_app(outdir: Path, *, shared: bool) -> Path:
    """The provider stack, and a stack whose waited backup (copied, waited), final backup of its
    table and backup that stops on delete use its own provider or the provider stack's export."""
    app = App(outdir=str(outdir))
    BackupJobsProviderStack(app, "BackupJobsProvider")
    stack = Stack(app, "Jobs")
    role = iam.Role.from_role_arn(stack, "BackupRole", ROLE_ARN)
    provider = BackupJobsProvider.from_export_name(stack, "Provider") if shared else None
    key = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    table = dynamodb.Table(stack, "Table", partition_key=key, removal_policy=RemovalPolicy.DESTROY)
    vault, copies = backup.BackupVault(stack, "Vault"), backup.BackupVault(stack, "Copies")
    job = BackupJob(stack, "Snapshot", backup_vault=vault, resource_arn=table.table_arn, role=role,
                    wait_for_completion=True, provider=provider)
    copy = job.copy_to("Copy", destination_backup_vault=copies, wait_for_completion=True)
    BackupJob.final_backup(stack, "Final", resource=table, resource_arn=table.table_arn, backup_vault=vault,
                           role=role, provider=provider)
    CfnOutput(stack, "SnapshotJob", value=job.backup_job_id)
    CfnOutput(stack, "CopyPoint", value=copy.destination_recovery_point_arn)
    app.synth()
    return outdir


def logical_ids(template: dict[str, Any], resource_type: str) -> list[str]:
    return sorted(lid for lid, r in template["Resources"].items() if r["Type"] == resource_type)


def started(aws_backup: Any) -> tuple[int, int]:
    return len(aws_backup.state.calls_of("StartBackupJob")), len(aws_backup.state.calls_of("StartCopyJob"))


def not_needed(logs: str) -> set[str]:
    """The final backups whose Delete found their protected resource staying, by logical ID."""
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    return {line["logical_resource_id"] for line in lines
            if line.get("message") == "Final backup not needed: the protected resource stays"}


def jobs_on_a_clock(aws_backup: Any, done_after: float) -> ManualClock:
    """The emulator's jobs on a clock of the test's: PENDING at 1 minute, RUNNING at 2, done at ``done_after``."""
    clock = ManualClock()
    aws_backup.emulator.clock = clock
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=done_after)
    return clock


@contextmanager
def jobs_beside_the_shared_provider(cfn_stack: Any, clock: ManualClock, own_out: Path,
                                    shared_out: Path) -> Iterator[Any]:
    """The shared provider (its BackupJobsProviderStack deployed, its export for the jobs) and the Jobs stack,
    not deployed yet, whose templates may use either provider."""
    with cfn_stack(shared_out, stack_name="BackupJobsProvider", on_tick=clock.advance) as provider_stack:
        token = provider_stack.deploy(read_assembly_template(shared_out, "BackupJobsProvider")).outputs["ServiceToken"]
        with cfn_stack(own_out, stack_name="Jobs", functions={token: provider_asset_dir()}, on_tick=clock.advance,
                       exports=provider_stack.exports) as jobs:
            yield jobs


def shared_suffix() -> str:
    stack = Stack(App(), "Scratch")
    return provider_suffix(stack, BackupJobsProvider.from_export_name(stack, "Provider"))


@pytest.mark.slow
def test_a_stack_moves_to_the_shared_provider_and_back_each_job_replaced_and_run_again(
        tmp_path, aws_backup: Any, cfn_stack: Any):
    clock = jobs_on_a_clock(aws_backup, done_after=1800)
    own_out, shared_out = jobs_app(tmp_path / "own", shared=False), jobs_app(tmp_path / "shared", shared=True)
    own, shared = read_assembly_template(own_out, "Jobs"), read_assembly_template(shared_out, "Jobs")

    with jobs_beside_the_shared_provider(cfn_stack, clock, own_out, shared_out) as jobs:
        created = jobs.deploy(own)
        after_create = started(aws_backup)
        moved = jobs.update(shared)
        after_move = started(aws_backup)
        skipped_on_move = not_needed(jobs.function_logs)
        on_shared = {row["LogicalResourceId"] for row in jobs.stack_resources()}
        moved_back = jobs.update(own)
        after_move_back = started(aws_backup)
        skipped_on_move_back = not_needed(jobs.function_logs)
        on_own = {row["LogicalResourceId"] for row in jobs.stack_resources()}
        deleted = jobs.delete()

    assert created.status == "CREATE_COMPLETE", created.reason
    assert moved.status == "UPDATE_COMPLETE", moved.reason
    assert moved_back.status == "UPDATE_COMPLETE", moved_back.reason
    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    # Each move replaces every job resource, its WaitCondition and its result: the waited backup and
    # its copy run (and are waited for) again; the final backup is armed again and takes no backup.
    suffix = shared_suffix()
    for resource_type in ("Custom::BackupJob", "Custom::CopyJob", "Custom::BackupJobResult",
                          "AWS::CloudFormation::WaitCondition"):
        assert all(lid.endswith(suffix) for lid in logical_ids(shared, resource_type)), resource_type
        assert not any(lid.endswith(suffix) for lid in logical_ids(own, resource_type)), resource_type
    assert after_create == (1, 1)
    assert after_move == (2, 2)  # the snapshot and its copy; no final backup of the table, which stays
    assert after_move_back == (3, 3)
    assert on_shared == set(shared["Resources"]) and on_own == set(own["Resources"])
    # The old final backup's Delete, in each move's clean-up, found its table still in the template.
    [own_final], [shared_final] = logical_ids(own, "Custom::BackupJob")[:1], logical_ids(shared, "Custom::BackupJob")[:1]
    assert own_final.startswith("Final") and shared_final.startswith("Final")
    assert own_final in skipped_on_move and shared_final in skipped_on_move_back
    # The outputs follow the replacements: the newest snapshot and copy.
    jobs_by_start = sorted(aws_backup.state.backup_jobs.values(), key=lambda job: job.created_at)
    assert moved.outputs["SnapshotJob"] == jobs_by_start[1].job_id
    assert moved_back.outputs["SnapshotJob"] == jobs_by_start[2].job_id
    assert moved.outputs["CopyPoint"] != created.outputs["CopyPoint"] != moved_back.outputs["CopyPoint"]
    # The stack's delete takes the final backup once, with its own provider.
    assert len(aws_backup.state.calls_of("StartBackupJob")) == 4
    assert aws_backup.state.calls_of("StartBackupJob")[-1]["ResourceArn"] == jobs_by_start[0].resource_arn


@pytest.mark.slow
def test_without_new_logical_ids_the_move_is_rolled_back_as_cloudformation_does(
        tmp_path, aws_backup: Any, cfn_stack: Any):
    """The library before this change: the jobs' logical IDs stayed with a new ServiceToken."""
    clock = jobs_on_a_clock(aws_backup, done_after=1800)
    own_out, shared_out = jobs_app(tmp_path / "own", shared=False), jobs_app(tmp_path / "shared", shared=True)
    own = read_assembly_template(own_out, "Jobs")
    as_before = json.loads(json.dumps(read_assembly_template(shared_out, "Jobs")).replace(shared_suffix(), ""))
    assert logical_ids(as_before, "Custom::BackupJob") == logical_ids(own, "Custom::BackupJob")

    with jobs_beside_the_shared_provider(cfn_stack, clock, own_out, shared_out) as jobs:
        assert jobs.deploy(own).status == "CREATE_COMPLETE"
        moved = jobs.update(as_before)

    assert moved.status == "UPDATE_ROLLBACK_COMPLETE"
    assert moved.reason.endswith(SERVICE_TOKEN_CHANGED)


def stopping_app(outdir: Path, *, shared: bool) -> Path:
    app = App(outdir=str(outdir))
    BackupJobsProviderStack(app, "BackupJobsProvider")
    stack = Stack(app, "Jobs")
    provider = BackupJobsProvider.from_export_name(stack, "Provider") if shared else None
    BackupJob(stack, "Nightly", backup_vault=backup.BackupVault(stack, "Vault"), resource_arn=TABLE_ARN,
              role=iam.Role.from_role_arn(stack, "BackupRole", ROLE_ARN), stop_on_delete=True, provider=provider)
    app.synth()
    return outdir


@pytest.mark.slow
def test_a_move_stops_the_old_job_still_running_as_a_new_run_does(tmp_path, aws_backup: Any, cfn_stack: Any):
    """StopOnDelete on a move: the moved resource starts the job anew, and the old resource's Delete,
    on the old provider, stops the old job if it still runs, as for any replaced job resource."""
    clock = jobs_on_a_clock(aws_backup, done_after=6 * 3600)
    own_out, shared_out = stopping_app(tmp_path / "own", shared=False), stopping_app(tmp_path / "shared", shared=True)

    with jobs_beside_the_shared_provider(cfn_stack, clock, own_out, shared_out) as jobs:
        assert jobs.deploy(read_assembly_template(own_out, "Jobs")).status == "CREATE_COMPLETE"
        jobs.wait(3600)  # the job runs
        moved = jobs.update(read_assembly_template(shared_out, "Jobs"))

    assert moved.status == "UPDATE_COMPLETE", moved.reason
    old, new = sorted(aws_backup.state.backup_jobs.values(), key=lambda job: job.created_at)
    assert [call["BackupJobId"] for call in aws_backup.state.calls_of("StopBackupJob")] == [old.job_id]
    assert old.state_at(clock())[0] == "ABORTED"
    assert new.state_at(clock())[0] == "CREATED"  # started by the move, and left to run


# --- what keeps a deployed job's ServiceToken stable from one library version to the next ------------

PROVIDER_FUNCTION_LOGICAL_ID = "BackupJobsProviderFunctionD88743C0"
"""The provider function's logical ID since the first release: its ARN is every job resource's ServiceToken."""


def provider_templates() -> dict[str, dict[str, Any]]:
    """A stack with a job on its own provider, and a BackupJobsProviderStack (whose export is the
    ServiceToken of the stacks that import it), as this version of the library synthesizes them."""
    app = App()
    stack = Stack(app, "Jobs")
    BackupJob(stack, "Snapshot", backup_vault="primary-vault", resource_arn=TABLE_ARN,
              role=iam.Role.from_role_arn(stack, "BackupRole", ROLE_ARN))
    provider_stack = BackupJobsProviderStack(app, "BackupJobsProvider")
    assembly = app.synth()
    return {name: assembly.get_stack_by_name(name).template for name in ("Jobs", provider_stack.stack_name)}


def lambda_create_only_properties() -> list[str]:
    """AWS::Lambda::Function's properties whose change replaces the function (a new ARN), from
    CloudFormation's registry schema as cfn-lint ships it."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::Lambda::Function").schema
    return sorted(pointer.removeprefix("/properties/") for pointer in schema["createOnlyProperties"])


@pytest.mark.parametrize("stack_name", ["Jobs", "BackupJobsProvider"])
def test_the_provider_functions_arn_cannot_change_from_one_library_version_to_the_next(stack_name):
    template = provider_templates()[stack_name]
    why = ("would change the provider function's ARN, the ServiceToken of every deployed job resource: "
           "CloudFormation fails each such update ('Modifying service token is not allowed.') and rolls "
           "the user's stack back")
    functions = {lid: r for lid, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}
    assert list(functions) == [PROVIDER_FUNCTION_LOGICAL_ID], f"a new logical ID {why}"
    token = {"Fn::GetAtt": [PROVIDER_FUNCTION_LOGICAL_ID, "Arn"]}
    tokens = [r["Properties"]["ServiceToken"] for r in template["Resources"].values()
              if r["Type"].startswith("Custom::")] + [o["Value"] for o in template.get("Outputs", {}).values()
                                                       if o["Value"] == token]
    assert tokens and all(t == token for t in tokens)
    properties = functions[PROVIDER_FUNCTION_LOGICAL_ID]["Properties"]
    create_only = lambda_create_only_properties()
    assert "FunctionName" in create_only  # the schema is read, not a list of our own
    set_now = {name: properties[name] for name in create_only if name in properties}
    assert set_now == {}, f"setting {sorted(set_now)}, which replace the function when changed, {why}"
