"""Waiting for jobs, chaining backup into copy, re-running, stopping: end to end on the simulator.

Jobs take minutes of emulator time; every crhelper poll the simulator fires
advances the emulator's ManualClock by the rule's interval, so an hour of
polling runs in seconds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from aws_cdk import App, Duration, Stack, aws_backup as backup, aws_iam as iam

from cdk_backup_jobs import BackupJob
from cdk_backup_jobs.testing import CloudFormationSimulator, JobTiming, ManualClock, read_assembly_template

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
VOLUME = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc"


@pytest.fixture
def clock(aws_backup: Any) -> ManualClock:
    """Emulator jobs take 10 minutes: PENDING at 1, RUNNING at 2, done at 10."""
    clock = ManualClock()
    aws_backup.emulator.clock = clock
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=600)
    return clock


def synth(tmp_path: Path, build: Callable[[App], None]) -> Path:
    out = tmp_path / f"cdk.out{len(list(tmp_path.iterdir()))}"
    app = App(outdir=str(out))
    build(app)
    app.synth()
    return out


def example_app(app: App) -> None:
    sys.path.insert(0, str(REPO))
    try:
        import app as example
    finally:
        sys.path.remove(str(REPO))
    example.build_app(app)


def single_job_stack(**props: Any) -> Callable[[App], None]:
    def build(app: App) -> None:
        stack = Stack(app, "Jobs")
        role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
        BackupJob(stack, "Job", backup_vault=backup.BackupVault(stack, "Vault"), resource_arn=VOLUME,
                  role=role, **props)
    return build


def no_polling_left(scheduler: Any) -> bool:
    return scheduler.state.rules == {} and all(not p for p in scheduler.state.permissions.values())


def progress_logged(logs: str) -> list[dict[str, Any]]:
    """The handler's "Backup job progress" lines, in order, from the functions' JSON logs."""
    entries = []
    for line in logs.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("message") == "Backup job progress":
            entries.append(entry)
    return entries


def logical_id_of_type(stack: CloudFormationSimulator, resource_type: str) -> str:
    [found] = [lid for lid, r in stack.template["Resources"].items() if r["Type"] == resource_type]
    return found


def logical_ids_starting(stack: CloudFormationSimulator, prefix: str) -> list[str]:
    return sorted(lid for lid in stack.template["Resources"] if lid.startswith(prefix))


def test_waited_backup_then_copy_reports_both_recovery_points(tmp_path, aws_backup, cfn_stack,
                                                              cfn_scheduler, clock):
    out = synth(tmp_path, example_app)
    with cfn_stack(out, stack_name="BackupJobsExample", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "BackupJobsExample"))

    assert result.status == "CREATE_COMPLETE", result.reason
    [backup_job] = aws_backup.state.backup_jobs.values()
    [copy_job] = aws_backup.state.copy_jobs.values()
    assert result.outputs["RecoveryPointArn"] == backup_job.recovery_point_arn
    assert result.outputs["CopyRecoveryPointArn"] == copy_job.recovery_point_arn
    assert result.outputs["BackupJobCompletionDate"].endswith("Z")
    assert copy_job.created_at >= backup_job.finished_at()  # the copy started after the backup completed
    polls = {e.logical_id: e.polls for e in result.events}
    assert sorted(polls.values()) == [0, 10, 10]  # one poll a minute for 10 minutes each; the final backup: none
    assert [v for k, v in polls.items() if "FinalBackup" in k] == [0]
    assert no_polling_left(cfn_scheduler)
    assert cfn_scheduler.state.calls.count("PutRule") == 2


def test_waited_data_has_results_for_every_resource_type(tmp_path, aws_backup, cfn_stack, clock):
    out = synth(tmp_path, single_job_stack(wait_for_completion=True))
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))

    [job] = aws_backup.state.backup_jobs.values()
    data = result.events[0].response["Data"]
    assert data["RecoveryPointArn"] == job.recovery_point_arn  # an EBS volume: known only at completion
    assert data["BackupSizeInBytes"] == str(job.timing.size_in_bytes)
    assert data["CompletionDate"].endswith("Z")
    assert "WaitDeadline" not in data and "PhysicalResourceId" not in data


def test_a_failing_job_fails_the_stack_with_its_status_message(tmp_path, aws_backup, cfn_stack,
                                                               cfn_scheduler, clock):
    aws_backup.emulator.script_outcome("vol-0abc", "FAILED", "Insufficient privileges to perform this action")
    out = synth(tmp_path, single_job_stack(wait_for_completion=True))
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))

    [job] = aws_backup.state.backup_jobs.values()
    assert result.status == "ROLLBACK_COMPLETE"
    assert f"Backup job {job.job_id} ended FAILED: Insufficient privileges to perform this action" in result.reason
    [create, rollback] = result.events
    assert create.response["PhysicalResourceId"] == job.job_id
    assert rollback.request["PhysicalResourceId"] == job.job_id and rollback.succeeded
    assert no_polling_left(cfn_scheduler)


def test_every_check_of_a_waited_job_logs_its_progress(tmp_path, aws_backup, cfn_stack, clock):
    out = synth(tmp_path, single_job_stack(wait_for_completion=True))
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))
        logs = stack.function_logs

    [job] = aws_backup.state.backup_jobs.values()
    progress = progress_logged(logs)
    assert result.status == "CREATE_COMPLETE", result.reason
    assert len(progress) == result.events[0].polls + 1 == 11  # the check at the start, then one a poll
    assert {p["job_id"] for p in progress} == {job.job_id}
    assert [p["state"] for p in progress[:3]] == ["CREATED", "PENDING", "RUNNING"]
    assert progress[-1]["state"] == "COMPLETED" and progress[-1]["percent_done"] == "100.0"
    percents = [float(p["percent_done"]) for p in progress]
    assert percents == sorted(percents) and 0 < percents[5] < 100


@pytest.mark.parametrize("state", ["PARTIAL", "EXPIRED", "ABORTED"])
def test_a_waited_job_ending_other_than_completed_fails_with_its_state_and_message(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock, state):
    aws_backup.emulator.script_outcome("vol-0abc", state, f"Scripted {state.lower()} end")
    out = synth(tmp_path, single_job_stack(wait_for_completion=True))
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))

    [job] = aws_backup.state.backup_jobs.values()
    assert result.status == "ROLLBACK_COMPLETE"
    assert f"Backup job {job.job_id} ended {state}: Scripted {state.lower()} end" in result.reason
    assert result.events[0].polls == 10  # failed when the job ended, not before
    assert no_polling_left(cfn_scheduler)


def test_a_waited_ebs_backup_chained_into_a_copy_outputs_both_recovery_points(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    from aws_cdk import CfnOutput

    from cdk_backup_jobs.testing.backup_emulator import IMMEDIATE_RECOVERY_POINT

    def build(app: App) -> None:
        stack = Stack(app, "Jobs")
        role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
        job = BackupJob(stack, "Job", backup_vault=backup.BackupVault(stack, "Vault"), resource_arn=VOLUME,
                        role=role, wait_for_completion=True)
        copy = job.copy_to("Copy", destination_backup_vault=backup.BackupVault(stack, "CopyVault"),
                           wait_for_completion=True)
        CfnOutput(stack, "RecoveryPointArn", value=job.recovery_point_arn)
        CfnOutput(stack, "CopyRecoveryPointArn", value=copy.destination_recovery_point_arn)

    out = synth(tmp_path, build)
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))

    assert result.status == "CREATE_COMPLETE", result.reason
    [backup_job] = aws_backup.state.backup_jobs.values()
    [copy_job] = aws_backup.state.copy_jobs.values()
    assert not IMMEDIATE_RECOVERY_POINT.match(VOLUME)  # an EBS volume: its ARN comes only at completion
    assert result.outputs["RecoveryPointArn"] == backup_job.recovery_point_arn != ""
    assert copy_job.params["RecoveryPointArn"] == backup_job.recovery_point_arn
    assert result.outputs["CopyRecoveryPointArn"] == copy_job.recovery_point_arn != backup_job.recovery_point_arn
    assert [e.polls for e in result.events] == [10, 10]
    assert no_polling_left(cfn_scheduler)


def test_a_job_that_outlasts_its_timeout_fails_cleanly(tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=3600)
    out = synth(tmp_path, single_job_stack(wait_for_completion=True, timeout=Duration.minutes(10)))
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))

    [job] = aws_backup.state.backup_jobs.values()
    state, percent, _ = job.state_at(job.created_at + 600)  # the last check, at the 10-minute deadline
    assert result.status == "ROLLBACK_COMPLETE"
    assert (state, percent) == ("RUNNING", 13.8)  # RUNNING from minute 2 of 60: 8 of 58 minutes done
    assert f"Timed out waiting for backup job {job.job_id}: last state RUNNING, 13.8% done" in result.reason
    assert result.events[0].polls == 10
    assert no_polling_left(cfn_scheduler)


def test_every_deployment_starts_exactly_one_snapshot_per_deploy_before_the_migration(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    first, second = synth(tmp_path, example_app), synth(tmp_path, example_app)
    with cfn_stack(first, stack_name="SnapshotBeforeMigration", on_tick=clock.advance) as stack:
        created = stack.deploy(read_assembly_template(first, "SnapshotBeforeMigration"))
        stack.assets_dir = second
        updated = stack.update(read_assembly_template(second, "SnapshotBeforeMigration"))
        logs = stack.function_logs

    assert created.status == "CREATE_COMPLETE", created.reason
    assert updated.status == "UPDATE_COMPLETE", updated.reason
    assert len(aws_backup.state.backup_jobs) == 2
    for operation in (created, updated):
        kinds = [e.request["ResourceType"] for e in operation.events if e.request_type != "Delete"]
        assert kinds == ["Custom::BackupJob", "Custom::TableMigration"]
    # The Update waited too: crhelper polled it (poll_update) until the new job COMPLETED.
    [snapshot_update] = [e for e in updated.events if e.request_type == "Update"
                         and e.request["ResourceType"] == "Custom::BackupJob"]
    assert snapshot_update.polls == 10
    assert snapshot_update.response["Data"]["BackupJobId"] in aws_backup.state.backup_jobs
    assert "CompletionDate" in snapshot_update.response["Data"]
    polled = [json.loads(i)["RequestType"] for i in cfn_scheduler.state.target_inputs]
    assert polled == ["Create", "Update"]
    assert no_polling_left(cfn_scheduler)
    assert updated.outputs["SnapshotRecoveryPointArn"] != created.outputs["SnapshotRecoveryPointArn"]
    assert logs.count('"message": "migrating"') == 2


def test_an_unchanged_template_starts_no_new_job(tmp_path, aws_backup, cfn_stack, clock):
    out = synth(tmp_path, example_app)
    template = read_assembly_template(out, "BackupJobsExample")
    with cfn_stack(out, stack_name="BackupJobsExample", on_tick=clock.advance) as stack:
        stack.deploy(template)
        result = stack.update(template)

    assert result.status == "UPDATE_COMPLETE"
    assert result.events == []
    assert len(aws_backup.state.backup_jobs) == 1


@pytest.mark.parametrize("stop_on_delete, calls, state", [(True, 1, "ABORTED"), (False, 0, "RUNNING")])
def test_stop_on_delete_stops_a_running_job(tmp_path, aws_backup, cfn_stack, clock, stop_on_delete,
                                            calls, state):
    out = synth(tmp_path, single_job_stack(stop_on_delete=stop_on_delete))
    with cfn_stack(out, stack_name="Jobs") as stack:
        stack.deploy(read_assembly_template(out, "Jobs"))
        clock.advance(180)
        result = stack.delete()
        logs = stack.function_logs

    assert result.status == "DELETE_COMPLETE"
    assert len(aws_backup.state.calls_of("StopBackupJob")) == calls
    assert list(aws_backup.emulator.backup_job_states().values()) == [state]
    assert ("Stopped backup job on delete" in logs) is stop_on_delete


# --- final backup on delete --------------------------------------------------

def final_backup_stack(with_job: bool = True, with_table: bool = True, vault_destroyed: bool = False,
                       table_name: str = "orders", **job_props: Any) -> Callable[[App], None]:
    """A table the stack deletes, its final backup (``job_props`` go to ``final_backup``), a
    retained vault and a role whose inline grant on the table is a separate DefaultPolicy."""
    from aws_cdk import RemovalPolicy, aws_dynamodb as dynamodb

    def build(app: App) -> None:
        stack = Stack(app, "Data")
        role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
        vault = backup.BackupVault(stack, "Vault",
                                   removal_policy=RemovalPolicy.DESTROY if vault_destroyed else RemovalPolicy.RETAIN)
        if with_table:
            table = dynamodb.Table(stack, "Table", table_name=table_name, removal_policy=RemovalPolicy.DESTROY,
                                   partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
            role.add_to_principal_policy(iam.PolicyStatement(
                actions=["dynamodb:CreateBackup", "dynamodb:DescribeTable"], resources=[table.table_arn]))
            if with_job:
                BackupJob.final_backup(stack, "FinalBackup", resource=table, resource_arn=table.table_arn,
                                       backup_vault=vault, role=role, **job_props)
    return build


def deploy_data(tmp_path: Path, cfn_stack: Any, clock: ManualClock, **options: Any) -> tuple[Any, Path]:
    out = synth(tmp_path, final_backup_stack(**options))
    stack = cfn_stack(out, stack_name="Data", on_tick=clock.advance)
    created = stack.deploy(read_assembly_template(out, "Data"))
    assert created.status == "CREATE_COMPLETE", created.reason
    return stack, out


def test_create_starts_nothing_and_stack_delete_backs_the_table_up_first(tmp_path, aws_backup, cfn_stack,
                                                                         cfn_scheduler, clock):
    stack, _ = deploy_data(tmp_path, cfn_stack, clock)
    assert aws_backup.state.backup_jobs == {}
    table_arn = stack.resources["TableCD117FA1"].attributes["Arn"]
    deleted = stack.delete()
    stack.close()

    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    [job] = aws_backup.state.backup_jobs.values()
    assert job.resource_arn == table_arn
    assert aws_backup.emulator.backup_job_states() == {job.job_id: "COMPLETED"}
    [event] = deleted.events
    assert event.polls == 10 and event.response["PhysicalResourceId"] == event.request["PhysicalResourceId"]
    assert any(p["RecoveryPointArn"] == job.recovery_point_arn for p in aws_backup.emulator._recovery_points())
    assert no_polling_left(cfn_scheduler)


def test_the_final_backup_completes_before_the_table_or_the_roles_policy_is_deleted(
        tmp_path, aws_backup, cfn_stack, clock):
    stack, _ = deploy_data(tmp_path, cfn_stack, clock)
    job_id = logical_id_of_type(stack, "Custom::BackupJob")
    role_id, policy_id = logical_ids_starting(stack, "Role")
    deleted = stack.delete()
    stack.close()

    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    [event] = deleted.events
    assert event.logical_id == job_id and event.polls == 10  # the backup ran inside the job's Delete
    order = stack.deletions  # one at a time: each Delete completed before the next began
    assert order.index(job_id) < order.index("TableCD117FA1")
    assert order.index(job_id) < order.index(policy_id) < order.index(role_id)
    assert not any(lid.startswith("Vault") for lid in order)  # retained: it holds the final recovery point


def test_a_failed_final_backup_fails_the_stack_delete_and_a_retry_takes_a_new_one(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    stack, _ = deploy_data(tmp_path, cfn_stack, clock)
    job_id = logical_id_of_type(stack, "Custom::BackupJob")
    aws_backup.emulator.script_outcome("table/orders", "FAILED", "Table is being restored")
    failed = stack.delete()
    [first] = aws_backup.state.backup_jobs.values()
    table_kept, rules_left = "TableCD117FA1" in stack.resources, not no_polling_left(cfn_scheduler)
    aws_backup.emulator.outcomes.clear()
    retried = stack.delete()
    stack.close()

    assert failed.status == "DELETE_FAILED"
    assert f"Backup job {first.job_id} ended FAILED: Table is being restored" in failed.reason
    assert table_kept and not rules_left
    assert retried.status == "DELETE_COMPLETE", retried.reason
    [second] = [j for j in aws_backup.state.backup_jobs.values() if j is not first]
    assert aws_backup.emulator.backup_job_states() == {first.job_id: "FAILED", second.job_id: "COMPLETED"}
    assert first.params["IdempotencyToken"] != second.params["IdempotencyToken"]
    assert stack.deletions.count(job_id) == 1  # the failed Delete did not delete it
    assert stack.deletions.index(job_id) < stack.deletions.index("TableCD117FA1")
    assert no_polling_left(cfn_scheduler)


def test_a_stack_deployed_with_skip_final_backup_is_deleted_without_one(tmp_path, aws_backup, cfn_stack, clock):
    stack, _ = deploy_data(tmp_path, cfn_stack, clock)
    out = synth(tmp_path, final_backup_stack(skip_final_backup=True))
    stack.assets_dir = out
    updated = stack.update(read_assembly_template(out, "Data"))
    deleted = stack.delete()
    logs = stack.function_logs
    stack.close()

    assert updated.status == "UPDATE_COMPLETE", updated.reason
    [update] = updated.events
    assert update.request["ResourceProperties"]["SkipFinalBackup"] == "true"
    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    assert aws_backup.state.calls_of("StartBackupJob") == []
    assert "TableCD117FA1" in stack.deletions
    assert "Final backup skipped (SkipFinalBackup)" in logs


def test_a_final_backup_that_outlasts_its_timeout_fails_the_delete_cleanly(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    stack, _ = deploy_data(tmp_path, cfn_stack, clock, timeout=Duration.minutes(10))
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=3600)
    deleted = stack.delete()
    stack.close()

    [job] = aws_backup.state.backup_jobs.values()
    assert deleted.status == "DELETE_FAILED"
    assert f"Timed out waiting for backup job {job.job_id}: last state RUNNING, 13.8% done" in deleted.reason
    assert deleted.events[0].polls == 10
    assert "TableCD117FA1" in stack.resources and "TableCD117FA1" not in stack.deletions
    assert no_polling_left(cfn_scheduler)


def test_a_duplicated_final_backup_delete_starts_one_backup(tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    out = synth(tmp_path, final_backup_stack())
    with cfn_stack(out, stack_name="Data", on_tick=clock.advance, duplicate={"*"}) as stack:
        created = stack.deploy(read_assembly_template(out, "Data"))
        deleted = stack.delete()

    assert created.status == "CREATE_COMPLETE", created.reason
    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    [event] = deleted.events
    assert event.delivery == 2
    assert len(aws_backup.state.calls_of("StartBackupJob")) == 2  # both deliveries asked ...
    [job] = aws_backup.state.backup_jobs.values()  # ... for the same job
    assert aws_backup.emulator.backup_job_states() == {job.job_id: "COMPLETED"}
    assert no_polling_left(cfn_scheduler)


@pytest.mark.parametrize("next_stack, backups", [
    ({"with_job": False}, 0),                     # only the job resource removed: the table stays
    ({"with_job": False, "with_table": False}, 1),  # both removed: back the table up
    ({"table_name": "orders-v2"}, 1),             # the table replaced: back the old one up
])
def test_updates_back_up_only_when_the_protected_resource_goes(tmp_path, aws_backup, cfn_stack, clock,
                                                               next_stack, backups):
    stack, _ = deploy_data(tmp_path, cfn_stack, clock)
    old_table = stack.resources["TableCD117FA1"].attributes["Arn"]
    out = synth(tmp_path, final_backup_stack(**next_stack))
    stack.assets_dir = out
    updated = stack.update(read_assembly_template(out, "Data"))
    stack.close()

    assert updated.status == "UPDATE_COMPLETE", updated.reason
    assert len(aws_backup.state.backup_jobs) == backups
    assert all(j.resource_arn == old_table for j in aws_backup.state.backup_jobs.values())


def test_a_vault_deleted_with_the_stack_draws_a_warning():
    from aws_cdk.assertions import Annotations, Match

    app = App()
    final_backup_stack(vault_destroyed=True)(app)
    warnings = Annotations.from_stack(app.node.find_child("Data")).find_warning(
        "*", Match.string_like_regexp("final backup's vault is deleted with the stack"))
    assert len(warnings) == 1


def test_polling_rule_input_carries_no_properties(tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    out = synth(tmp_path, single_job_stack(wait_for_completion=True,
                                           recovery_point_tags={f"k{i}": "v" * 250 for i in range(40)}))
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))

    assert result.status == "CREATE_COMPLETE", result.reason
    [target_input] = cfn_scheduler.state.target_inputs
    assert "ResourceProperties" not in target_input and "v" * 250 not in target_input
    assert len(target_input) < 8192  # EventBridge's limit for a target's Input


def test_a_failed_check_is_retried_at_the_next_poll(tmp_path, aws_backup, cfn_stack, clock):
    from cdk_backup_jobs.testing import Fault

    aws_backup.state.faults.append(Fault("DescribeBackupJob", 1, code="AccessDeniedException",
                                         message="temporarily denied"))  # not retried by botocore
    out = synth(tmp_path, single_job_stack(wait_for_completion=True))
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))
        logs = stack.function_logs

    assert result.status == "CREATE_COMPLETE", result.reason
    assert "Could not check the job; trying again at the next poll" in logs
    assert len(aws_backup.state.backup_jobs) == 1


def test_a_job_that_cannot_be_checked_fails_at_its_deadline_and_leaves_no_rule(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    from cdk_backup_jobs.testing import Fault

    aws_backup.state.faults.append(Fault("DescribeBackupJob", 10_000, code="AccessDeniedException",
                                         message="denied"))
    out = synth(tmp_path, single_job_stack(wait_for_completion=True, timeout=Duration.minutes(5)))
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))

    [job] = aws_backup.state.backup_jobs.values()
    assert result.status == "ROLLBACK_COMPLETE"
    assert f"Timed out waiting for backup job {job.job_id}: DescribeBackupJob failed: AccessDenied" in result.reason
    assert result.events[0].polls == 5
    assert result.events[0].response["PhysicalResourceId"] == job.job_id
    assert no_polling_left(cfn_scheduler)
