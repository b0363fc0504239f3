"""A job's props checked at synth: every problem in one JobValidationError naming the prop and its member,
tokens left for the handler."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, CfnResource, Duration, Stack, Token
from aws_cdk.assertions import Template

from cdk_backup_jobs import BackupJob, CopyJob, JobLifecycle, JobValidationError, RunOn
from library.job_stacks import TABLE_ARN, backup_job, job_role, new_stack


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


def test_a_waited_job_run_on_a_change_of_a_token_is_refused():
    stack = new_stack()
    with pytest.raises(JobValidationError, match=r"run_on \(RunToken\) must be known at synth for a waited job"):
        backup_job(stack, wait_for_completion=True, run_on=RunOn.change_of(stack.stack_id))
    other = new_stack()
    backup_job(other, run_on=RunOn.change_of(other.stack_id))  # a job that does not wait may


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


def test_protects_needs_run_on_delete():
    stack = new_stack()
    with pytest.raises(JobValidationError, match=r"protects \(ProtectedLogicalId\) applies only when RunOnDelete is true"):
        backup_job(stack, protects=job_role(stack, "Other"))


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
