"""The example app deployed, updated and deleted on the lifecycle simulator against the emulator.

Everything here is real but AWS itself: the template from aws-cdk-lib, the
provider code from its cdk.out asset running in its own processes, crhelper
PUTting responses over HTTPS, botocore calling the local AWS Backup over HTTP.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cdk_backup_jobs.provider.asset import provider_asset_dir
from cdk_backup_jobs.testing import CloudFormationSimulator, Fault, read_assembly_template

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
STACK = "BackupJobsExample"


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example app synthesized once, in-process, the way `cdk synth` runs it."""
    import sys

    from aws_cdk import App

    out = tmp_path_factory.mktemp("cdk.out")
    sys.path.insert(0, str(REPO))
    try:
        import app as example
    finally:
        sys.path.remove(str(REPO))
    example.build_app(App(outdir=str(out))).synth()
    return out


@pytest.fixture
def world(aws_backup: Any, cfn_stack: Any) -> tuple[Any, Any]:
    return aws_backup, cfn_stack


def simulator(world: tuple[Any, Any], assembly: Path | None = None, **options: Any) -> CloudFormationSimulator:
    _, make = world
    options.setdefault("stack_name", STACK)
    return make(assembly, **options)


def example_template(assembly: Path) -> dict[str, Any]:
    return read_assembly_template(assembly, STACK)


def logical_id(template: dict[str, Any], resource_type: str, contains: str = "") -> str:
    [found] = [lid for lid, r in template["Resources"].items()
               if r["Type"] == resource_type and contains in lid and "Final" not in lid]
    return found


def deploy_then_update(stack: CloudFormationSimulator, template: dict[str, Any],
                       changes: dict[str, dict[str, Any]]) -> tuple[Any, Any, dict[str, str]]:
    """Deploys `template`, then updates the stack to a copy of it in which each resource type named in
    `changes` has those properties set. Returns the deploy's and the update's results, and the changed
    resources' logical ids by type."""
    first = stack.deploy(template)
    changed = copy.deepcopy(template)
    changed_ids = {}
    for resource_type, properties in changes.items():
        changed_ids[resource_type] = logical_id(changed, resource_type)
        changed["Resources"][changed_ids[resource_type]]["Properties"].update(properties)
        new_run_waits_anew(changed, changed_ids[resource_type])
    return first, stack.update(changed), changed_ids


def new_run_waits_anew(template: dict[str, Any], job_id: str) -> None:
    """What a new synth does for a changed waited job: its WaitCondition and its result under new
    logical IDs (a WaitCondition cannot be updated), everything that named them following, and a
    waited job that uses the result run anew in turn (as a chained copy does)."""
    job = template["Resources"][job_id]["Properties"]
    old = job.get("WaitCondition")
    if old is None:
        return
    results = [lid for lid, r in template["Resources"].items()
               if r["Type"] == "Custom::BackupJobResult" and old in r.get("DependsOn", [])]
    renamed = {old: f"{old}Run2", **{lid: f"{lid}Run2" for lid in results}}
    text = json.dumps(template)
    for before, after in renamed.items():
        text = text.replace(f'"{before}"', f'"{after}"')
    template.clear()
    template.update(json.loads(text))
    for lid, resource in template["Resources"].items():
        uses = json.dumps(resource.get("Properties", {}))
        if lid != job_id and any(f'"{renamed[r]}"' in uses for r in results):
            new_run_waits_anew(template, lid)


def test_deploy_reports_the_emulators_job_ids_as_outputs(world, assembly):
    backup, _ = world
    with simulator(world, assembly) as stack:
        result = stack.deploy(example_template(assembly))

    assert result.status == "CREATE_COMPLETE", result.reason
    [backup_job] = backup.state.backup_jobs.values()
    [copy_job] = backup.state.copy_jobs.values()
    assert result.outputs["BackupJobId"] == backup_job.job_id
    assert result.outputs["RecoveryPointArn"] == backup_job.recovery_point_arn
    assert result.outputs["CopyJobId"] == copy_job.job_id
    assert result.outputs["BackupJobIsParent"] == "false"
    assert copy_job.params["RecoveryPointArn"] == backup_job.recovery_point_arn
    assert len(backup.state.calls_of("StartBackupJob")) == 1
    assert len(backup.state.calls_of("StartCopyJob")) == 1


def test_update_of_the_copy_starts_exactly_one_new_job(world, assembly):
    backup, _ = world
    with simulator(world, assembly) as stack:
        first, second, changed_ids = deploy_then_update(
            stack, example_template(assembly), {"Custom::CopyJob": {"Lifecycle": {"DeleteAfterDays": 90}}})
    copy_id = changed_ids["Custom::CopyJob"]

    assert second.status == "UPDATE_COMPLETE", second.reason
    assert len(backup.state.backup_jobs) == 1
    assert len(backup.state.copy_jobs) == 2
    assert second.outputs["CopyJobId"] != first.outputs["CopyJobId"]
    assert second.outputs["BackupJobId"] == first.outputs["BackupJobId"]
    deletes = [e for e in second.events if e.request_type == "Delete"]
    # The replaced copy job, and the first run's result (each run has its own); nothing else.
    [old_result] = [lid for lid in stack.deletions if lid.startswith("TableBackupCopyResult")]
    assert sorted((e.logical_id, e.request["PhysicalResourceId"]) for e in deletes) == sorted([
        (copy_id, first.outputs["CopyJobId"]),
        (old_result, f"job-result-{STACK}-{old_result}")])


def test_update_of_the_backup_re_runs_the_chained_copy_once(world, assembly):
    backup, _ = world
    with simulator(world, assembly) as stack:
        _, result, _ = deploy_then_update(
            stack, example_template(assembly), {"Custom::BackupJob": {"StartWindowMinutes": 120}})

    assert result.status == "UPDATE_COMPLETE", result.reason
    assert len(backup.state.backup_jobs) == 2
    assert len(backup.state.copy_jobs) == 2


def test_a_failed_update_rolls_back_without_starting_a_job(world, assembly):
    backup, _ = world
    with simulator(world, assembly) as stack:
        first, result, changed_ids = deploy_then_update(stack, example_template(assembly), {
            "Custom::BackupJob": {"StartWindowMinutes": 120},  # a new backup job
            "Custom::CopyJob": {"Lifecycle": {"DeleteAfterDays": 0}},  # the copy refuses it
        })
        backup_id, copy_id = changed_ids["Custom::BackupJob"], changed_ids["Custom::CopyJob"]
        physical = {lid: stack.physical_id(lid) for lid in (backup_id, copy_id)}

    assert result.status == "UPDATE_ROLLBACK_COMPLETE"
    assert "DeleteAfterDays must be between 1 and 36500" in (result.reason or "")
    # The replaced backup goes back to its first job; its replacement is deleted (and kept by AWS Backup).
    backup_events = [(e.request_type, e.request["PhysicalResourceId"] if e.request_type == "Delete" else None)
                     for e in result.events if e.logical_id == backup_id]
    replacement = next(e for e in result.events if e.logical_id == backup_id).response["PhysicalResourceId"]
    assert backup_events == [("Update", None), ("Delete", replacement)]
    # The copy, updated in place and refused, is sent its previous properties back: it starts nothing.
    [forward, rollback] = [e for e in result.events if e.logical_id == copy_id]
    assert not forward.succeeded and rollback.request_type == "Update" and rollback.succeeded
    assert rollback.request["OldResourceProperties"]["Lifecycle"] == {"DeleteAfterDays": "0"}
    assert rollback.response["PhysicalResourceId"] == first.outputs["CopyJobId"]
    assert physical == {backup_id: first.outputs["BackupJobId"], copy_id: first.outputs["CopyJobId"]}
    assert len(backup.state.backup_jobs) == 2 and len(backup.state.copy_jobs) == 1


def test_delete_keeps_every_recovery_point_and_takes_one_final_backup(world, assembly):
    backup, _ = world
    template = example_template(assembly)
    table_id = logical_id(template, "AWS::DynamoDB::Table")
    [final_id] = [lid for lid in template["Resources"] if lid.startswith("TableFinalBackup")]
    with simulator(world, assembly) as stack:
        stack.deploy(template)
        assert len(backup.state.backup_jobs) == 1  # the final backup waits for the delete
        table_arn = stack.resources[table_id].attributes["Arn"]
        result = stack.delete()
        order = stack.deletions

    assert result.status == "DELETE_COMPLETE", result.reason
    # The final backup's Delete completed before the table, the role AWS Backup assumes and the
    # provider's function, role and policies were deleted.
    later = [lid for lid in order if lid == table_id
             or lid.startswith(("BackupRole", "BackupJobsProviderPolicy", "BackupJobsProviderRole",
                                "BackupJobsProviderFunctionD"))]
    assert len(later) == 6 and all(order.index(final_id) < order.index(lid) for lid in later)
    # One Delete per job resource and per waited job's Result; none starts a job but the final backup's.
    assert {e.request_type for e in result.events} == {"Delete"}
    assert sorted(e.request["ResourceType"] for e in result.events) == [
        "Custom::BackupJob", "Custom::BackupJob", "Custom::BackupJobResult", "Custom::BackupJobResult",
        "Custom::CopyJob"]
    assert all(e.succeeded for e in result.events)
    assert len(backup.state.calls_of("StartBackupJob")) == 2 and len(backup.state.calls_of("StartCopyJob")) == 1
    final = [j for j in backup.state.backup_jobs.values() if j.created_at >= max(
        c.created_at for c in backup.state.copy_jobs.values())]
    assert len(backup.state.backup_jobs) == 2 and len(final) == 1
    assert final[0].resource_arn == table_arn
    assert len(backup.emulator._recovery_points()) == 3  # the backup, its copy, the final backup
    assert len(backup.state.calls_of("StopBackupJob")) == 0


def test_throttling_5xx_and_duplicate_delivery_still_give_one_job_per_resource(world, assembly):
    backup, _ = world
    backup.state.faults.extend([
        Fault("StartBackupJob", 2),
        Fault("StartCopyJob", 1, status=503, code="ServiceUnavailableException"),
        Fault("StartCopyJob", 1),
    ])
    with simulator(world, assembly, duplicate={"*"}) as stack:
        result = stack.deploy(example_template(assembly))

    assert result.status == "CREATE_COMPLETE", result.reason
    assert len(backup.state.backup_jobs) == 1
    assert len(backup.state.copy_jobs) == 1
    assert all(e.delivery == 2 and e.response is not None for e in result.events)
    assert len([c for c in backup.state.calls_of("StartBackupJob") if "_fault" not in c]) == 2


@pytest.mark.parametrize("token_reuse, jobs", [("same-job", 1), ("new-job", 2), ("error", 2)])
def test_a_duplicated_create_completes_whatever_aws_does_with_a_repeated_token(world, assembly, token_reuse, jobs):
    # AWS documents only "a success message with no action taken" for a repeated token: the stack
    # completes under each reading, each resource naming a job of what it asked for.
    backup, _ = world
    backup.emulator.token_reuse = token_reuse
    with simulator(world, assembly, duplicate={"*"}) as stack:
        result = stack.deploy(example_template(assembly))

    assert result.status == "CREATE_COMPLETE", result.reason
    assert len(backup.state.backup_jobs) == jobs and len(backup.state.copy_jobs) == jobs
    starts = [e for e in result.events if e.request["ResourceType"] in ("Custom::BackupJob", "Custom::CopyJob")
              and e.response["PhysicalResourceId"] in {**backup.state.backup_jobs, **backup.state.copy_jobs}]
    assert len(starts) == 2 and all(e.delivery == 2 for e in starts)
    for event in starts:
        asked, named = event.request["ResourceProperties"], event.response["PhysicalResourceId"]
        if event.request["ResourceType"] == "Custom::BackupJob":
            job = backup.state.backup_jobs[named].params
            assert (job["ResourceArn"], job["BackupVaultName"]) == (asked["ResourceArn"], asked["BackupVaultName"])
        else:
            job = backup.state.copy_jobs[named].params
            assert (job["RecoveryPointArn"], job["DestinationBackupVaultArn"]) == (
                asked["RecoveryPointArn"], asked["DestinationBackupVaultArn"])
    refusals = stack.function_logs.count("refused; trying once with a fresh token")
    assert refusals == (2 if token_reuse == "error" else 0)


def test_a_fixed_token_handed_back_with_another_resources_job_rolls_the_stack_back(world, assembly):
    backup, _ = world
    template = example_template(assembly)
    backup_id = logical_id(template, "Custom::BackupJob")
    template["Resources"][backup_id]["Properties"]["IdempotencyToken"] = "release-1"
    with simulator(world, assembly) as stack:
        backup.emulator.create_vault("elsewhere")
        other = backup.emulator.call("StartBackupJob", {
            "BackupVaultName": "elsewhere", "IdempotencyToken": "release-1",
            "ResourceArn": "arn:aws:dynamodb:us-east-1:123456789012:table/another",
            "IamRoleArn": "arn:aws:iam::123456789012:role/another"})["BackupJobId"]
        result = stack.deploy(template)

    assert result.status == "ROLLBACK_COMPLETE"
    assert f"IdempotencyToken 'release-1' already started backup job {other}, not this resource's" in result.reason
    assert list(backup.state.backup_jobs) == [other] and backup.state.copy_jobs == {}


def test_bad_properties_fail_the_create_and_roll_back_with_no_job(world, assembly):
    backup, _ = world
    template = example_template(assembly)
    backup_id = logical_id(template, "Custom::BackupJob")
    template["Resources"][backup_id]["Properties"]["StartWindowMinutes"] = 30
    with simulator(world, assembly) as stack:
        result = stack.deploy(template)

    assert result.status == "ROLLBACK_COMPLETE"
    assert "StartWindowMinutes must be between 60 and 52560000, got 30" in result.reason
    # No job at all: the final backup created beside it is rolled back without backing up.
    assert backup.state.backup_jobs == {} and backup.state.copy_jobs == {}
    [rollback] = [e for e in result.events if e.request_type == "Delete" and e.logical_id == backup_id]
    [create] = [e for e in result.events if e.request_type == "Create" and e.logical_id == backup_id]
    assert rollback.request["PhysicalResourceId"] == create.response["PhysicalResourceId"]
    assert all(e.succeeded for e in result.events if e.request_type == "Delete")


def test_provider_logs_hold_no_presigned_url_or_tag_value(world, assembly):
    with simulator(world, assembly) as stack:
        stack.deploy(example_template(assembly))
        stack.delete()
        logs = stack.function_logs

    assert '"message": "Request received"' in logs
    assert "X-Amz-Signature" not in logs and "cfn-responses" not in logs
    assert '"example"' not in logs  # the example's recovery point tag value


def test_handwritten_yaml_template_deploys_with_the_exported_provider(world, assembly):
    backup, _ = world
    template = REPO / "examples" / "cloudformation" / "backup-job.yaml"
    with simulator(world, assembly, stack_name="BackupJobsProvider") as provider_stack:
        provider = provider_stack.deploy(read_assembly_template(assembly, "BackupJobsProvider"))
        token = provider.outputs["ServiceToken"]
        assert provider_stack.exports == {"BackupJobsProviderServiceToken": token}
        with simulator(world, stack_name="Handwritten", functions={token: provider_asset_dir()},
                       exports=provider_stack.exports) as stack:
            result = stack.deploy(template)
            deleted = stack.delete()

    assert result.status == "CREATE_COMPLETE", result.reason
    [backup_job] = backup.state.backup_jobs.values()
    assert result.outputs["BackupJobId"] == backup_job.job_id
    assert backup_job.params["StartWindowMinutes"] == 60
    assert backup_job.params["Lifecycle"] == {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 120}
    assert result.outputs["CopyJobId"] in backup.state.copy_jobs
    assert deleted.status == "DELETE_COMPLETE"
