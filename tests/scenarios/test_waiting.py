"""Waiting for jobs, chaining backup into copy, re-running, stopping: end to end on the simulator.

Jobs take minutes of emulator time. The simulator and the emulator share one
ManualClock: while CloudFormation waits (for a WaitCondition's signal, or a
final backup's Delete), time jumps to whatever is due next, a job state change
event the emulator publishes or a watch's fallback check, so an hour of
waiting runs in seconds.

A waited job is watched by one EventBridge rule of its own: it wakes the
provider on each of the job's state change events, and at fallback checks 5,
15 and 30 minutes after the job started, then every 30 minutes, the last at
the deadline. For the default 10-minute job here (PENDING at 1, RUNNING at 2,
done at 10) that is 4 events (CREATED, PENDING, RUNNING, the end) and one
check (at 5 minutes): the once-a-minute polling it replaced took 10.
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
from cdk_backup_jobs_runtime.watches.waiter import RULE_PREFIX, WAITER_KEY, rule_name

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
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


def deploy_single_job(tmp_path: Path, cfn_stack: Callable[..., Any], clock: ManualClock,
                      **props: Any) -> tuple[CloudFormationSimulator, Any, str]:
    """The one-job stack deployed on the test's clock: the simulator (closed), the result and the logs."""
    out = synth(tmp_path, single_job_stack(**props))
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))
        logs = stack.function_logs
    return stack, result, logs


@pytest.fixture
def put_targets(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every target a PutTargets call put on the simulated bus, in order (the events server's
    ``target_inputs`` keeps plain Inputs only, and a watch's target has an InputTransformer)."""
    from cdk_backup_jobs.testing.eventbridge import api as eventbridge_api

    seen: list[dict[str, Any]] = []
    call = eventbridge_api.call

    def spy(bus: Any, operation: str, body: dict[str, Any]) -> Any:
        if operation == "PutTargets":
            seen.extend(body.get("Targets") or [])
        return call(bus, operation, body)

    monkeypatch.setattr(eventbridge_api, "call", spy)
    return seen


def watched_job(target: dict[str, Any]) -> dict[str, Any]:
    """The watch (``Waiter``) a rule's target holds in its input template."""
    template = target["InputTransformer"]["InputTemplate"].replace("<aws.events.event.json>", "null")
    waiter: dict[str, Any] = json.loads(template)[WAITER_KEY]
    return waiter


def no_watch_left(scheduler: Any) -> bool:
    """No EventBridge rule is left (a watch removes its rule when its wait ended), and the provider
    added no Lambda permission at run time (the template's one permission covers its rules)."""
    return scheduler.state.rules == {} and all(not p for p in scheduler.state.permissions.values())


def watches(scheduler: Any) -> dict[str, tuple[str, str]]:
    """The watches' rules left on the bus: name -> (its state, the job ID its target's input holds)."""
    found = {}
    for name, rule in scheduler.state.rules.items():
        assert name.startswith(RULE_PREFIX), name
        [target] = rule.targets.values()
        found[name] = (rule.state, watched_job(target)["job_id"])
    return found


def wake_ups(stack: CloudFormationSimulator, job_id: str) -> dict[str, int]:
    """The watch's invocations of the provider for one job, by cause: its job's state change
    events, and its fallback checks (the rule's schedule)."""
    counts = {"event": 0, "schedule": 0}
    for record in stack.invocations.snapshot():
        waiter = record.payload.get(WAITER_KEY) if isinstance(record.payload, dict) else None
        if record.error is None and isinstance(waiter, dict) and waiter.get("job_id") == job_id:
            counts[record.cause] += 1
    return counts


def job_events(emulator: Any, job_id: str) -> list[str]:
    """The states of the events the emulator published that name the job (a copy's CREATED event
    names none, as AWS's does not)."""
    return [e["detail"]["state"] for e in emulator.published_events
            if job_id in (e["detail"].get("backupJobId"), e["detail"].get("copyJobId"))]


def logged(logs: str, message: str) -> list[dict[str, Any]]:
    """The provider's JSON log entries with this message, in order."""
    entries = []
    for line in logs.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("message") == message:
            entries.append(entry)
    return entries


def progress_logged(logs: str) -> list[dict[str, Any]]:
    """The provider's "Backup job progress" lines, in order, from the functions' JSON logs."""
    return logged(logs, "Backup job progress")


def wait_of(result: Any, construct_id: str) -> Any:
    """The WaitCondition result of the job with this construct ID (its logical ID is <Job>Wait<8 hex>...)."""
    [found] = [w for w in result.wait_conditions if w.logical_id.startswith(f"{construct_id}Wait")]
    return found


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
    assert len(aws_backup.state.calls_of("StartBackupJob")) == len(aws_backup.state.calls_of("StartCopyJob")) == 1
    # Every request is answered at once (the waited jobs' WaitConditions carry the waits), once each.
    assert sorted(e.request["ResourceType"] for e in result.events) == [
        "Custom::BackupJob", "Custom::BackupJob", "Custom::BackupJobResult", "Custom::BackupJobResult",
        "Custom::CopyJob"]
    assert [e.polls for e in result.events] == [0, 0, 0, 0, 0]
    # Each waited job woke its watch on its own events and at the 5-minute check, and completed at
    # minute 10, before the next check (15); the final backup was not watched at all.
    assert job_events(aws_backup.emulator, backup_job.job_id) == ["CREATED", "PENDING", "RUNNING", "COMPLETED"]
    assert job_events(aws_backup.emulator, copy_job.job_id) == ["RUNNING", "COMPLETED"]
    assert wake_ups(stack, backup_job.job_id) == {"event": 4, "schedule": 1}
    assert wake_ups(stack, copy_job.job_id) == {"event": 2, "schedule": 1}
    assert list(stack.invocation_counts.values()) == [{"cloudformation": 5, "event": 6, "schedule": 2}]
    waits = {w.logical_id.split("Wait")[0]: w for w in result.wait_conditions}
    assert {k: (w.status, w.seconds, [s["UniqueId"] for s in w.signals]) for k, w in waits.items()} == {
        "TableBackup": ("CREATE_COMPLETE", 600.0, [backup_job.job_id]),
        "TableBackupCopy": ("CREATE_COMPLETE", 600.0, [copy_job.job_id])}
    assert no_watch_left(cfn_scheduler)
    # One watch per waited job (the final backup's Create armed none), each removed when it signalled.
    assert [cfn_scheduler.state.calls.count(c) for c in ("PutTargets", "SignalResource", "DeleteRule")] == [2, 2, 2]


def test_waited_data_has_results_for_every_resource_type(tmp_path, aws_backup, cfn_stack, clock):
    out = synth(tmp_path, single_job_stack(wait_for_completion=True))
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))

    assert result.status == "CREATE_COMPLETE", result.reason
    [job] = aws_backup.state.backup_jobs.values()
    [started, finished] = result.events
    assert (started.request["ResourceType"], finished.request["ResourceType"]) == (
        "Custom::BackupJob", "Custom::BackupJobResult")
    assert started.response["Data"]["RecoveryPointArn"] == ""  # answered once the job started
    data = finished.response["Data"]  # the Result, read once the WaitCondition got its signal
    assert data["BackupJobId"] == job.job_id
    assert data["RecoveryPointArn"] == job.recovery_point_arn  # an EBS volume: known only at completion
    assert data["BackupSizeInBytes"] == str(job.timing.size_in_bytes)
    assert data["CompletionDate"].endswith("Z")
    for answered in (started.response["Data"], data):
        assert not {"WaitDeadline", "PhysicalResourceId", "ResourcePhysicalId", "CheckedAt"} & set(answered)


def test_a_failing_job_fails_the_stack_with_its_status_message(tmp_path, aws_backup, cfn_stack,
                                                               cfn_scheduler, clock):
    aws_backup.emulator.script_outcome("vol-0abc", "FAILED", "Insufficient privileges to perform this action")
    stack, result, logs = deploy_single_job(tmp_path, cfn_stack, clock, wait_for_completion=True)

    [job] = aws_backup.state.backup_jobs.values()
    wait = wait_of(result, "Job")
    assert result.status == "ROLLBACK_COMPLETE"
    # The WaitCondition's failure names the summary (a FAILURE signal's UniqueId) ...
    summary = "ended FAILED: Insufficient privileges to perform this action"
    assert f"{wait.logical_id}: Received FAILURE signal with UniqueId {summary}" in result.reason
    assert (wait.status, wait.seconds) == ("CREATE_FAILED", 600.0)  # failed when the job ended, not before
    # ... and the provider's log the whole message, with the job's ID.
    [ended] = logged(logs, "Wait ended")
    assert ended["job_id"] == job.job_id and ended["succeeded"] is False
    assert ended["reason"] == f"Backup job {job.job_id} ended FAILED: Insufficient privileges to perform this action"
    [create, rollback] = result.events  # the Result was never created
    assert create.response["PhysicalResourceId"] == job.job_id
    assert rollback.request_type == "Delete"
    assert rollback.request["PhysicalResourceId"] == job.job_id and rollback.succeeded
    assert no_watch_left(cfn_scheduler)


def test_every_check_of_a_waited_job_logs_its_progress(tmp_path, aws_backup, cfn_stack, clock):
    stack, result, logs = deploy_single_job(tmp_path, cfn_stack, clock, wait_for_completion=True)

    [job] = aws_backup.state.backup_jobs.values()
    watched = wake_ups(stack, job.job_id)
    progress = progress_logged(logs)
    assert result.status == "CREATE_COMPLETE", result.reason
    assert watched == {"event": 4, "schedule": 1}
    assert len(progress) == sum(watched.values()) == 5  # one line a wake-up: each event, each check
    assert {p["job_id"] for p in progress} == {job.job_id}
    assert [(p["woken_by"], p["state"]) for p in progress] == [
        ("event", "CREATED"), ("event", "PENDING"), ("event", "RUNNING"), ("schedule", "RUNNING"),
        ("event", "COMPLETED")]
    assert float(progress[-1]["percent_done"]) == 100.0
    percents = [float(p["percent_done"] or 0) for p in progress]
    assert percents == sorted(percents)
    check = progress[3]  # the 5-minute check describes the job: percent done and bytes transferred
    assert 0 < float(check["percent_done"]) < 100 and check["bytes_transferred"] > 0


@pytest.mark.parametrize("state", ["PARTIAL", "EXPIRED", "ABORTED"])
def test_a_waited_job_ending_other_than_completed_fails_with_its_state_and_message(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock, state):
    aws_backup.emulator.script_outcome("vol-0abc", state, f"Scripted {state.lower()} end")
    stack, result, logs = deploy_single_job(tmp_path, cfn_stack, clock, wait_for_completion=True)

    [job] = aws_backup.state.backup_jobs.values()
    wait = wait_of(result, "Job")
    assert result.status == "ROLLBACK_COMPLETE"
    summary = f"ended {state}: Scripted {state.lower()} end"
    assert f"{wait.logical_id}: Received FAILURE signal with UniqueId {summary}" in result.reason
    assert [e["reason"] for e in logged(logs, "Wait ended")] == [f"Backup job {job.job_id} {summary}"]
    assert (wait.status, wait.seconds) == ("CREATE_FAILED", 600.0)  # failed when the job ended, not before
    assert job_events(aws_backup.emulator, job.job_id) == ["CREATED", "PENDING", "RUNNING", state]
    assert wake_ups(stack, job.job_id) == {"event": 4, "schedule": 1}
    assert no_watch_left(cfn_scheduler)


def test_a_waited_ebs_backup_chained_into_a_copy_outputs_both_recovery_points(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    from aws_cdk import CfnOutput

    from cdk_backup_jobs.testing.backup.emulator import IMMEDIATE_RECOVERY_POINT

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
    assert copy_job.created_at >= backup_job.finished_at()
    assert [e.request["ResourceType"] for e in result.events] == [
        "Custom::BackupJob", "Custom::BackupJobResult", "Custom::CopyJob", "Custom::BackupJobResult"]
    assert [e.polls for e in result.events] == [0, 0, 0, 0]  # each answered at once
    assert wake_ups(stack, backup_job.job_id) == {"event": 4, "schedule": 1}
    assert wake_ups(stack, copy_job.job_id) == {"event": 2, "schedule": 1}
    assert [(w.status, w.seconds) for w in result.wait_conditions] == [("CREATE_COMPLETE", 600.0)] * 2
    assert no_watch_left(cfn_scheduler)


def test_a_job_that_outlasts_its_timeout_fails_cleanly(tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=3600)
    stack, result, logs = deploy_single_job(tmp_path, cfn_stack, clock, wait_for_completion=True,
                                            timeout=Duration.minutes(10))

    [job] = aws_backup.state.backup_jobs.values()
    wait = wait_of(result, "Job")
    state, percent, _ = job.state_at(job.created_at + 600)  # the last check, at the 10-minute deadline
    assert result.status == "ROLLBACK_COMPLETE"
    assert (state, percent) == ("RUNNING", 13.8)  # RUNNING from minute 2 of 60: 8 of 58 minutes done
    summary = "timed out: RUNNING, 13.8% done"
    assert f"{wait.logical_id}: Received FAILURE signal with UniqueId {summary}" in result.reason
    assert [e["reason"] for e in logged(logs, "Wait ended")] == [
        f"Timed out waiting for backup job {job.job_id}: last state RUNNING, 13.8% done"]
    # It gave up at its deadline (the WaitCondition's own timeout is 10 minutes later): the checks at
    # 5 minutes and at the deadline, besides the CREATED, PENDING and RUNNING events.
    assert (wait.status, wait.seconds) == ("CREATE_FAILED", 600.0)
    assert wake_ups(stack, job.job_id) == {"event": 3, "schedule": 2}
    assert no_watch_left(cfn_scheduler)


def test_every_deployment_starts_exactly_one_snapshot_per_deploy_before_the_migration(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock, put_targets):
    first, second = synth(tmp_path, example_app), synth(tmp_path, example_app)
    with cfn_stack(first, stack_name="SnapshotBeforeMigration", on_tick=clock.advance) as stack:
        created = stack.deploy(read_assembly_template(first, "SnapshotBeforeMigration"))
        stack.assets_dir = second
        updated = stack.update(read_assembly_template(second, "SnapshotBeforeMigration"))
        logs = stack.function_logs

    assert created.status == "CREATE_COMPLETE", created.reason
    assert updated.status == "UPDATE_COMPLETE", updated.reason
    assert len(aws_backup.state.backup_jobs) == len(aws_backup.state.calls_of("StartBackupJob")) == 2
    first_job, second_job = aws_backup.emulator.all_jobs()
    for operation in (created, updated):
        kinds = [e.request["ResourceType"] for e in operation.events if e.request_type != "Delete"]
        assert kinds == ["Custom::BackupJob", "Custom::BackupJobResult", "Custom::TableMigration"]
    # The Update waited too, on a WaitCondition of its own (a new run, a new logical ID), until the
    # new job COMPLETED: the snapshot's Update answered once the job started, its Result after.
    [snapshot_update] = [e for e in updated.events if e.request_type == "Update"
                         and e.request["ResourceType"] == "Custom::BackupJob"]
    assert snapshot_update.polls == 0
    assert snapshot_update.response["PhysicalResourceId"] == second_job.job_id
    # Each run has a result of its own (named after the run, as its WaitCondition): the new one is
    # created, the first run's deleted.
    results = [e for e in updated.events if e.request["ResourceType"] == "Custom::BackupJobResult"]
    [result_create] = [e for e in results if e.request_type == "Create"]
    [result_delete] = [e for e in results if e.request_type == "Delete"]
    assert result_create.response["Data"]["BackupJobId"] == second_job.job_id
    assert "CompletionDate" in result_create.response["Data"]
    assert result_delete.succeeded and result_delete.logical_id != result_create.logical_id
    [first_wait], [second_wait] = created.wait_conditions, updated.wait_conditions
    assert first_wait.logical_id != second_wait.logical_id
    assert [(w.status, w.seconds) for w in (first_wait, second_wait)] == [("CREATE_COMPLETE", 600.0)] * 2
    # One watch per deployment, each for that deployment's job.
    assert [watched_job(t)["job_id"] for t in put_targets] == [first_job.job_id, second_job.job_id]
    assert wake_ups(stack, first_job.job_id) == wake_ups(stack, second_job.job_id) == {"event": 4, "schedule": 1}
    assert no_watch_left(cfn_scheduler)
    assert updated.outputs["SnapshotRecoveryPointArn"] != created.outputs["SnapshotRecoveryPointArn"]
    assert logs.count('"message": "migrating"') == 2
    # Each migration ran after its snapshot COMPLETED.
    migrations = [r.at for r in stack.invocations.snapshot()
                  if r.cause == "cloudformation" and r.payload["ResourceType"] == "Custom::TableMigration"]
    assert len(migrations) == 2
    assert all(at >= job.finished_at() for at, job in zip(migrations, (first_job, second_job)))


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


def deploy_data(tmp_path: Path, cfn_stack: Any, clock: ManualClock, template_during_update: str = "new",
                **options: Any) -> tuple[Any, Path]:
    out = synth(tmp_path, final_backup_stack(**options))
    stack = cfn_stack(out, stack_name="Data", on_tick=clock.advance, template_during_update=template_during_update)
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
    assert len(aws_backup.state.calls_of("StartBackupJob")) == 1
    [event] = deleted.events
    assert event.response["PhysicalResourceId"] == event.request["PhysicalResourceId"]
    # The Delete waited for the job, answered by its watch: its events and the 5-minute check.
    assert wake_ups(stack, job.job_id) == {"event": 4, "schedule": 1}
    assert event.polls == 5 and event.response["Data"]["RecoveryPointArn"] == job.recovery_point_arn
    assert any(p["RecoveryPointArn"] == job.recovery_point_arn for p in aws_backup.emulator._recovery_points())
    assert no_watch_left(cfn_scheduler)


def test_the_final_backup_completes_before_the_table_or_the_roles_policy_is_deleted(
        tmp_path, aws_backup, cfn_stack, clock):
    stack, _ = deploy_data(tmp_path, cfn_stack, clock)
    job_id = logical_id_of_type(stack, "Custom::BackupJob")
    role_id, policy_id = logical_ids_starting(stack, "Role")
    deleted = stack.delete()
    stack.close()

    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    [event] = deleted.events
    [job] = aws_backup.state.backup_jobs.values()
    # The backup ran inside the job's Delete, which its watch answered when the job COMPLETED.
    assert event.logical_id == job_id and event.polls == sum(wake_ups(stack, job.job_id).values()) == 5
    assert event.response["Data"]["CompletionDate"].endswith("Z")
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
    table_kept, left_after_failure = "TableCD117FA1" in stack.resources, watches(cfn_scheduler)
    aws_backup.emulator.outcomes.clear()
    retried = stack.delete()
    logs = stack.function_logs
    stack.close()

    assert failed.status == "DELETE_FAILED"
    # A Delete's own answer carries the whole message (no 64-character UniqueId in between).
    assert f"Backup job {first.job_id} ended FAILED: Table is being restored" in failed.reason
    assert failed.events[0].polls == sum(wake_ups(stack, first.job_id).values()) == 5  # failed when the job did
    assert table_kept
    # Nothing watches the failed job any more: only a final backup still running keeps its (disabled) rule.
    assert left_after_failure == {}
    assert retried.status == "DELETE_COMPLETE", retried.reason
    [second] = [j for j in aws_backup.state.backup_jobs.values() if j is not first]
    assert aws_backup.emulator.backup_job_states() == {first.job_id: "FAILED", second.job_id: "COMPLETED"}
    assert len(aws_backup.state.calls_of("StartBackupJob")) == 2
    assert first.params["IdempotencyToken"] != second.params["IdempotencyToken"]
    assert stack.deletions.count(job_id) == 1  # the failed Delete did not delete it
    assert stack.deletions.index(job_id) < stack.deletions.index("TableCD117FA1")
    assert logged(logs, "The earlier final backup ended FAILED; starting a fresh one") == []  # nothing to resume
    assert no_watch_left(cfn_scheduler)


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
    # Answered FAILED at the 10-minute deadline: the CREATED, PENDING and RUNNING events, and the
    # checks at 5 minutes and at the deadline.
    assert deleted.events[0].polls == 5 and wake_ups(stack, job.job_id) == {"event": 3, "schedule": 2}
    assert 600 <= deleted.events[0].seconds < 601
    assert "TableCD117FA1" in stack.resources and "TableCD117FA1" not in stack.deletions
    # Nothing polls on: the watch's rule stays, disabled, only as the record of the job for the
    # next delete attempt; no Lambda permission was added at run time.
    final_id = logical_id_of_type(stack, "Custom::BackupJob")
    assert watches(cfn_scheduler) == {rule_name(stack.stack_id, final_id): ("DISABLED", job.job_id)}
    assert all(not p for p in cfn_scheduler.state.permissions.values())


def test_a_duplicated_final_backup_delete_starts_one_backup(tmp_path, aws_backup, cfn_stack, cfn_scheduler,
                                                            cfn_responses, clock):
    out = synth(tmp_path, final_backup_stack())
    with cfn_stack(out, stack_name="Data", on_tick=clock.advance, duplicate={"*"}) as stack:
        created = stack.deploy(read_assembly_template(out, "Data"))
        deleted = stack.delete()

    assert created.status == "CREATE_COMPLETE", created.reason
    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    [event] = deleted.events
    assert event.delivery == 2
    # The second delivery found the first one's watch (its rule) and waited for that job: one Start
    # call, one job, one answer.
    assert len(aws_backup.state.calls_of("StartBackupJob")) == 1
    [job] = aws_backup.state.backup_jobs.values()
    assert aws_backup.emulator.backup_job_states() == {job.job_id: "COMPLETED"}
    assert len(cfn_responses.responses_for(event.request["ResponseURL"])) == 1
    assert event.response["Status"] == "SUCCESS"
    assert no_watch_left(cfn_scheduler)


@pytest.mark.parametrize("next_stack, backups", [
    # Only the final backup removed, the table stays: no backup, if the clean-up can tell. GetTemplate may
    # answer with the previous template then (undocumented), which still holds the final backup: back up.
    ({"with_job": False}, {"new": 0, "previous": 1}),
    ({"with_job": False, "with_table": False}, {"new": 1, "previous": 1}),  # both removed: back the table up
    ({"table_name": "orders-v2"}, {"new": 1, "previous": 1}),  # the table replaced: back the old one up
])
@pytest.mark.parametrize("template_during_update", ["new", "previous"])
def test_updates_back_up_only_when_the_protected_resource_goes(tmp_path, aws_backup, cfn_stack, clock,
                                                               next_stack, backups, template_during_update):
    stack, _ = deploy_data(tmp_path, cfn_stack, clock, template_during_update)
    old_table = stack.resources["TableCD117FA1"].attributes["Arn"]
    out = synth(tmp_path, final_backup_stack(**next_stack))
    stack.assets_dir = out
    updated = stack.update(read_assembly_template(out, "Data"))
    stack.close()

    assert updated.status == "UPDATE_COMPLETE", updated.reason
    assert len(aws_backup.state.backup_jobs) == backups[template_during_update]
    assert all(j.resource_arn == old_table for j in aws_backup.state.backup_jobs.values())


def test_a_vault_deleted_with_the_stack_draws_a_warning():
    from aws_cdk.assertions import Annotations, Match

    app = App()
    final_backup_stack(vault_destroyed=True)(app)
    warnings = Annotations.from_stack(app.node.find_child("Data")).find_warning(
        "*", Match.string_like_regexp("final backup's vault is deleted with the stack"))
    assert len(warnings) == 1


def test_watch_rule_input_carries_no_properties(tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock,
                                                put_targets):
    out = synth(tmp_path, single_job_stack(wait_for_completion=True,
                                           recovery_point_tags={f"k{i}": "v" * 250 for i in range(40)}))
    with cfn_stack(out, stack_name="Jobs", on_tick=clock.advance) as stack:
        result = stack.deploy(read_assembly_template(out, "Jobs"))

    assert result.status == "CREATE_COMPLETE", result.reason
    [job] = aws_backup.state.backup_jobs.values()
    [target] = put_targets  # the watch's one target, put once when it was armed
    template = target["InputTransformer"]["InputTemplate"]
    assert "Input" not in target and watched_job(target)["job_id"] == job.job_id
    assert "ResourceProperties" not in template and "RecoveryPointTags" not in template
    assert "v" * 250 not in template
    assert "ResponseURL" not in template  # a WaitCondition is signalled with the role: no presigned URL kept
    assert len(template) < 8192  # EventBridge's limit for a target's input template
    woken = [r.payload for r in stack.invocations.snapshot() if r.cause != "cloudformation"]
    assert woken and all("v" * 250 not in json.dumps(payload) for payload in woken)


def test_an_event_naming_the_job_in_another_letter_case_ends_the_wait(tmp_path, aws_backup, cfn_stack,
                                                                     cfn_scheduler, clock):
    # AWS's example events show job IDs in either case: the event itself must wake the watch and end it.
    aws_backup.emulator.event_job_id_case = "lower"  # StartBackupJob answers in upper case here
    stack, result, _ = deploy_single_job(tmp_path, cfn_stack, clock, wait_for_completion=True)

    assert result.status == "CREATE_COMPLETE", result.reason
    [job] = aws_backup.state.backup_jobs.values()
    completed = [e for e in aws_backup.emulator.published_events if e["detail"]["state"] == "COMPLETED"]
    assert [e["detail"]["backupJobId"] for e in completed] == [job.job_id.lower()] != [job.job_id]
    # Ended by the COMPLETED event at 10 minutes, not by the fallback check at 15.
    assert [(w.status, w.seconds) for w in result.wait_conditions] == [("CREATE_COMPLETE", 600.0)]
    # Every state change event (CREATED, PENDING, RUNNING, COMPLETED) woke it, and the check at 5 minutes.
    assert wake_ups(stack, job.job_id) == {"event": 4, "schedule": 1}
    assert no_watch_left(cfn_scheduler)


@pytest.mark.parametrize("others", [4, 5])
def test_a_full_event_bus_fails_the_wait_at_once_naming_the_rule_quota(tmp_path, aws_backup, cfn_stack,
                                                                       cfn_scheduler, clock, others):
    import boto3

    # The account's other rules fill the bus (a disabled one counts); the quota is small to keep it quick.
    cfn_scheduler.bus.rule_quota = 5
    events = boto3.client("events", endpoint_url=cfn_scheduler.endpoint_url, region_name="us-east-1")
    for index in range(others):
        events.put_rule(Name=f"someone-elses-{index}", ScheduleExpression="rate(1 day)",
                        State="DISABLED" if index == 0 else "ENABLED")
    started = clock()
    stack, result, _ = deploy_single_job(tmp_path, cfn_stack, clock, wait_for_completion=True)

    [job] = aws_backup.state.backup_jobs.values()
    if others == 4:  # room for the watch's rule
        assert result.status == "CREATE_COMPLETE", result.reason
    else:
        assert result.status == "ROLLBACK_COMPLETE"
        assert f"Cannot wait for job {job.job_id}: the event bus's rule quota is reached" in result.reason
        assert "Raise it in Service Quotas or delete unused rules" in result.reason
        assert clock() - started < 60  # failed at once, not at the WaitCondition's timeout
    assert sorted(cfn_scheduler.state.rules) == [f"someone-elses-{index}" for index in range(others)]


def test_a_failed_check_is_checked_again_5_minutes_later(tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    from cdk_backup_jobs.testing import Fault

    aws_backup.state.faults.append(Fault("DescribeBackupJob", 1, code="AccessDeniedException",
                                         message="temporarily denied"))  # not retried by botocore
    aws_backup.emulator.drop_event_if = lambda event: True  # only the checks can tell how the job goes
    stack, result, logs = deploy_single_job(tmp_path, cfn_stack, clock, wait_for_completion=True)

    assert result.status == "CREATE_COMPLETE", result.reason
    assert len(aws_backup.state.backup_jobs) == 1
    [job] = aws_backup.state.backup_jobs.values()
    [warning] = logged(logs, "Could not check the job; checking again in 5 minutes")
    assert warning["job_id"] == job.job_id and "temporarily denied" in warning["reason"]
    # The check at 5 minutes failed; the one 5 minutes later (not the regular one at 15) found the job
    # COMPLETED (at 10) and signalled.
    assert wake_ups(stack, job.job_id) == {"event": 0, "schedule": 2}
    assert [(w.status, w.seconds) for w in result.wait_conditions] == [("CREATE_COMPLETE", 600.0)]
    assert no_watch_left(cfn_scheduler)


def test_a_job_that_cannot_be_checked_fails_at_its_deadline_and_leaves_no_rule(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler, clock):
    from cdk_backup_jobs.testing import Fault

    aws_backup.state.faults.append(Fault("DescribeBackupJob", 10_000, code="AccessDeniedException",
                                         message="denied"))
    stack, result, logs = deploy_single_job(tmp_path, cfn_stack, clock, wait_for_completion=True,
                                            timeout=Duration.minutes(5))

    [job] = aws_backup.state.backup_jobs.values()
    wait = wait_of(result, "Job")
    assert result.status == "ROLLBACK_COMPLETE"
    summary = "timed out: DescribeBackupJob failed: AccessDeniedException: d..."  # cut to 64 characters
    assert f"{wait.logical_id}: Received FAILURE signal with UniqueId {summary}" in result.reason
    [ended] = logged(logs, "Wait ended")
    assert ended["reason"].startswith(
        f"Timed out waiting for backup job {job.job_id}: DescribeBackupJob failed: AccessDenied")
    # The job's events woke the watch (CREATED, PENDING, RUNNING) without a call; the one check, at
    # the 5-minute deadline, could not describe it and gave up.
    assert wake_ups(stack, job.job_id) == {"event": 3, "schedule": 1}
    assert len(aws_backup.state.calls_of("DescribeBackupJob")) == 1
    assert (wait.status, wait.seconds) == ("CREATE_FAILED", 300.0)
    assert result.events[0].response["PhysicalResourceId"] == job.job_id
    assert no_watch_left(cfn_scheduler)
