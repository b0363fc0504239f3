"""The real handler, through real crhelper, against a local AWS Backup over HTTP.

Each test sends CloudFormation's exact request shape and reads the response
that crhelper PUT over HTTPS to the receiver.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path
from typing import Any

import pytest

from provider_events import (COPY_VAULT, ROLE_ARN, VAULT, LambdaContext, backup_properties,
                      make_event)
from cdk_backup_jobs.testing import Fault


def start_calls(backup_api: Any, operation: str = "StartBackupJob") -> list[dict[str, Any]]:
    return backup_api.state.calls_of(operation)


def test_create_starts_one_job_and_returns_its_identifiers(invoke, cfn, backup_api):
    response = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))

    assert response["Status"] == "SUCCESS", response["Reason"]
    [job] = backup_api.state.backup_jobs.values()
    assert response["PhysicalResourceId"] == job.job_id
    data = response["Data"]
    assert data["BackupJobId"] == job.job_id
    assert data["RecoveryPointArn"] == job.recovery_point_arn  # DynamoDB: returned at start
    assert data["IsParent"] == "false"
    assert data["CreationDate"].endswith("Z") and data["CreationDate"][10] == "T"


def test_string_properties_reach_the_api_with_the_model_types(invoke, cfn, backup_api):
    invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))

    [params] = start_calls(backup_api)
    assert params["StartWindowMinutes"] == 60
    assert params["CompleteWindowMinutes"] == 240
    assert params["Lifecycle"] == {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 120,
                                   "OptInToArchiveForSupportedResources": False}
    assert "ServiceToken" not in params and "ServiceTimeout" not in params


def test_duplicate_delivery_of_a_create_finds_the_same_job(invoke, cfn, backup_api):
    event = make_event(cfn, "Create", "Custom::BackupJob", backup_properties())
    first = invoke(event)
    second = invoke({**event, "ResponseURL": cfn.new_url()})

    assert first["PhysicalResourceId"] == second["PhysicalResourceId"]
    assert len(backup_api.state.backup_jobs) == 1
    tokens = {params["IdempotencyToken"] for params in start_calls(backup_api)}
    assert len(start_calls(backup_api)) == 2
    assert len(tokens) == 1


def test_two_resources_with_the_same_properties_get_two_jobs(invoke, cfn, backup_api):
    invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties(), logical_id="First"))
    invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties(), logical_id="Second"))

    assert len(backup_api.state.backup_jobs) == 2


def test_explicit_idempotency_token_is_passed_unchanged(invoke, cfn, backup_api):
    invoke(make_event(cfn, "Create", "Custom::BackupJob",
                      backup_properties(IdempotencyToken="release-2026-11-25")))

    [params] = start_calls(backup_api)
    assert params["IdempotencyToken"] == "release-2026-11-25"


def test_update_with_changed_properties_starts_exactly_one_new_job(invoke, cfn, backup_api):
    created = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))
    update = make_event(cfn, "Update", "Custom::BackupJob", backup_properties(StartWindowMinutes="120"),
                        physical_id=created["PhysicalResourceId"], old_properties=backup_properties())
    updated = invoke(update)
    invoke({**update, "ResponseURL": cfn.new_url()})  # the update delivered twice

    assert updated["Status"] == "SUCCESS", updated["Reason"]
    assert updated["PhysicalResourceId"] != created["PhysicalResourceId"]
    assert len(backup_api.state.backup_jobs) == 2


def test_update_of_cloudformation_properties_only_keeps_the_job(invoke, cfn, backup_api):
    created = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))
    event = make_event(cfn, "Update", "Custom::BackupJob", backup_properties(),
                       physical_id=created["PhysicalResourceId"], old_properties=backup_properties())
    event["OldResourceProperties"]["ServiceToken"] = "arn:aws:lambda:us-east-1:123456789012:function:old"
    updated = invoke(event)

    assert updated["Status"] == "SUCCESS", updated["Reason"]
    assert updated["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert updated["Data"]["BackupJobId"] == created["PhysicalResourceId"]
    assert len(start_calls(backup_api)) == 1


def test_delete_answers_at_once_starts_nothing_and_keeps_the_recovery_point(invoke, cfn, backup_api):
    created = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))
    calls_before = len(backup_api.state.calls)
    began = time.monotonic()
    deleted = invoke(make_event(cfn, "Delete", "Custom::BackupJob", backup_properties(),
                                physical_id=created["PhysicalResourceId"]), seconds_left=300)

    assert deleted["Status"] == "SUCCESS"
    assert deleted["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert time.monotonic() - began < 5, "crhelper's 120 s delete sleep is not disabled"
    assert len(backup_api.state.calls) == calls_before
    assert len(backup_api.state.backup_jobs) == 1


@pytest.mark.parametrize("physical_id", ["orders-stack_TableBackup_ABCDEFGH", "not-a-job"])
def test_delete_succeeds_for_any_physical_id(invoke, cfn, backup_api, physical_id):
    deleted = invoke(make_event(cfn, "Delete", "Custom::BackupJob", {"Junk": "x"},
                                physical_id=physical_id))

    assert deleted["Status"] == "SUCCESS"
    assert deleted["PhysicalResourceId"] == physical_id
    assert backup_api.state.calls == []


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"StartWindowMinutes": "30"}, "StartWindowMinutes must be between 60 and 52560000"),
        ({"StartWindowMinutes": "6x0"}, "StartWindowMinutes must be a whole number"),
        ({"BackupVaultName": "a"}, "BackupVaultName must be 2 to 50 letters"),
        ({"IamRoleArn": None}, "IamRoleArn is required"),
        ({"Lifecycle": {"MoveToColdStorageAfterDays": "30", "DeleteAfterDays": "100"}},
         "Lifecycle.DeleteAfterDays must be at least MoveToColdStorageAfterDays + 90 (120), got 100"),
        ({"Lifecycle": {"OptInToArchiveForSupportedResources": "maybe"}},
         "Lifecycle.OptInToArchiveForSupportedResources must be true or false"),
        ({"BackupOptions": {"WindowsVSS": "on"}}, "BackupOptions.WindowsVSS must be one of enabled, disabled"),
        ({"Index": "YES"}, "Index must be one of ENABLED, DISABLED"),
        ({"Colour": "blue"}, "Colour is not a Custom::BackupJob member"),
    ],
)
def test_invalid_properties_fail_naming_the_member_and_start_nothing(
    invoke, cfn, backup_api, overrides, expected
):
    response = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties(**overrides)))

    assert response["Status"] == "FAILED"
    assert expected in response["Reason"]
    assert response["Reason"].startswith("Invalid Custom::BackupJob properties:")
    assert response["PhysicalResourceId"]  # CloudFormation requires one, even on failure
    assert backup_api.state.calls == []


def test_unsupported_resource_type_fails_clearly(invoke, cfn, backup_api):
    response = invoke(make_event(cfn, "Create", "Custom::RestoreJob", backup_properties()))

    assert response["Status"] == "FAILED"
    assert "'Custom::RestoreJob' is not supported" in response["Reason"]
    assert backup_api.state.calls == []


def test_aws_errors_fail_with_the_exception_name_and_message(invoke, cfn, backup_api):
    response = invoke(make_event(cfn, "Create", "Custom::BackupJob",
                                 backup_properties(BackupVaultName="no-such-vault")))

    assert response["Status"] == "FAILED"
    assert "StartBackupJob failed: ResourceNotFoundException" in response["Reason"]
    assert "no-such-vault" in response["Reason"]


def test_throttling_and_5xx_are_retried_by_botocore_without_a_second_job(invoke, cfn, backup_api):
    backup_api.state.faults.extend([
        Fault("StartBackupJob", count=2),
        Fault("StartBackupJob", count=1, status=503, code="ServiceUnavailableException"),
    ])
    response = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert len(start_calls(backup_api)) == 4
    assert len(backup_api.state.backup_jobs) == 1


def test_copy_job_starts_one_copy_and_returns_its_identifiers(invoke, cfn, backup_api):
    backup = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))
    destination = backup_api.emulator.vault_arn(COPY_VAULT)
    event = make_event(cfn, "Create", "Custom::CopyJob", {
        "RecoveryPointArn": backup["Data"]["RecoveryPointArn"],
        "SourceBackupVaultName": VAULT,
        "DestinationBackupVaultArn": destination,
        "IamRoleArn": ROLE_ARN,
        "Lifecycle": {"DeleteAfterDays": "35"},
    }, logical_id="TableBackupCopy")
    copied = invoke(event)
    invoke({**event, "ResponseURL": cfn.new_url()})

    assert copied["Status"] == "SUCCESS", copied["Reason"]
    [job] = backup_api.state.copy_jobs.values()
    assert copied["PhysicalResourceId"] == job.job_id == copied["Data"]["CopyJobId"]
    assert set(copied["Data"]) == {"CopyJobId", "CreationDate", "IsParent"}
    assert job.params["DestinationBackupVaultArn"] == destination


def test_copy_job_rejects_a_destination_that_is_not_a_vault_arn(invoke, cfn, backup_api):
    response = invoke(make_event(cfn, "Create", "Custom::CopyJob", {
        "RecoveryPointArn": "arn:aws:backup:us-east-1:123456789012:recovery-point:abc",
        "SourceBackupVaultName": VAULT,
        "DestinationBackupVaultArn": COPY_VAULT,
        "IamRoleArn": ROLE_ARN,
    }))

    assert response["Status"] == "FAILED"
    assert "DestinationBackupVaultArn must be a backup vault ARN" in response["Reason"]
    assert backup_api.state.calls == []


def test_response_is_retried_when_the_url_fails_and_stays_small(invoke, cfn, backup_api):
    cfn.log.fail_next = 2
    event = make_event(cfn, "Create", "Custom::BackupJob", backup_properties())
    response = invoke(event)

    assert response["Status"] == "SUCCESS"
    assert cfn.sizes_for(event["ResponseURL"])[0] < 4096


@pytest.mark.slow
def test_sender_gives_up_at_the_deadline_instead_of_retrying_forever(provider, cfn, backup_api):
    cfn.log.fail_next = 10_000
    event = make_event(cfn, "Delete", "Custom::BackupJob", {}, physical_id="x")
    began = time.monotonic()
    provider.handler(event, LambdaContext(deadline=time.monotonic() + 3))

    assert time.monotonic() - began < 4
    assert cfn.responses_for(event["ResponseURL"]) == []


def test_logs_hold_no_response_url_and_no_tag_values(invoke, cfn, backup_api, capfd, caplog):
    caplog.set_level("DEBUG")
    event = make_event(cfn, "Create", "Custom::BackupJob", backup_properties())
    invoke(event)
    invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties(StartWindowMinutes="1")))
    invoke(make_event(cfn, "Delete", "Custom::BackupJob", backup_properties(), physical_id="x"))

    written = capfd.readouterr()
    everything = written.out + written.err + caplog.text
    assert '"message": "Request received"' in written.out  # the structured logs are there
    assert "X-Amz-Signature" not in everything
    assert "cfn-responses" not in everything
    assert "payments-secret-tag-value" not in everything


def test_crhelper_builds_no_aws_clients_at_import(provider):
    for client in (provider.helper._lambda_client, provider.helper._events_client,
                   provider.helper._logs_client):
        assert client._client is None


@pytest.mark.slow
def test_timeout_timer_never_sends_a_second_response(provider, cfn, backup_api):
    # The first PUT is held until after crhelper's timer fires (half a second
    # before the deadline); a second sender would land its response meanwhile.
    cfn.log.slow_next, cfn.log.slow_seconds = 1, 1.2
    event = make_event(cfn, "Create", "Custom::BackupJob", backup_properties())
    provider.handler(event, LambdaContext(deadline=time.monotonic() + 1.5))
    time.sleep(1.5)

    [response] = cfn.responses_for(event["ResponseURL"])
    assert response["Status"] == "SUCCESS"


def test_an_event_without_a_response_url_does_not_hang(provider, backup_api):
    event = {"RequestType": "Delete", "StackId": "arn:aws:cloudformation:us-east-1:1:stack/s/x",
             "RequestId": "r", "LogicalResourceId": "L", "ResourceType": "Custom::BackupJob",
             "ResponseURL": ""}
    began = time.monotonic()
    provider.handler(event, LambdaContext(deadline=time.monotonic() + 30))

    assert time.monotonic() - began < 2


def test_update_of_provider_settings_only_keeps_the_job(invoke, cfn, backup_api):
    created = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))
    update = make_event(cfn, "Update", "Custom::BackupJob", backup_properties(StopOnDelete="true"),
                        physical_id=created["PhysicalResourceId"], old_properties=backup_properties())
    updated = invoke(update)

    assert updated["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert len(start_calls(backup_api)) == 1


def test_update_with_a_new_run_token_starts_a_new_job(invoke, cfn, backup_api):
    old = backup_properties(RunToken="v1")
    created = invoke(make_event(cfn, "Create", "Custom::BackupJob", old))
    updated = invoke(make_event(cfn, "Update", "Custom::BackupJob", backup_properties(RunToken="v2"),
                                physical_id=created["PhysicalResourceId"], old_properties=old))

    assert updated["PhysicalResourceId"] != created["PhysicalResourceId"]
    assert len(backup_api.state.backup_jobs) == 2


def test_a_waited_job_already_complete_is_answered_at_once_with_its_results(invoke, cfn, backup_api, provider):
    response = invoke(make_event(cfn, "Create", "Custom::BackupJob",
                                 backup_properties(WaitForCompletion="true", WaitTimeoutMinutes="30")))

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["Data"]["CompletionDate"].endswith("Z")
    assert response["Data"]["BackupSizeInBytes"] == "5242880"
    assert len(backup_api.state.calls_of("DescribeBackupJob")) == 1
    assert provider.helper._events_client._client is None  # no polling rule was set up


def test_a_runtime_botocore_without_a_member_fails_naming_it(invoke, cfn, backup_api, provider, tmp_path,
                                                             monkeypatch):
    # A real botocore with an older AWS Backup model: the current one minus Index.
    import json as json_module

    import botocore

    model_dir = Path(botocore.__file__).parent / "data" / "backup" / "2018-11-15"
    source = next(model_dir.glob("service-2.json*"))
    raw = source.read_bytes()
    model = json_module.loads(gzip.decompress(raw) if source.suffix == ".gz" else raw)
    del model["shapes"]["StartBackupJobInput"]["members"]["Index"]
    older = tmp_path / "backup" / "2018-11-15"
    older.mkdir(parents=True)
    (older / "service-2.json").write_text(json_module.dumps(model))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    from cdk_backup_jobs_runtime.aws import clients

    monkeypatch.setattr(clients, "_session", None)  # a new session reads AWS_DATA_PATH
    provider._backup_client = None

    response = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties(Index="ENABLED")))

    assert response["Status"] == "FAILED"
    assert "does not know Index of StartBackupJob" in response["Reason"]
    assert backup_api.state.calls == []


FINAL = {"RunOnDelete": "true", "ProtectedLogicalId": "Table"}


def test_switching_a_final_backup_to_a_normal_job_starts_one(invoke, cfn, backup_api):
    armed = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties(**FINAL)))
    switched = invoke(make_event(cfn, "Update", "Custom::BackupJob", backup_properties(),
                                 physical_id=armed["PhysicalResourceId"],
                                 old_properties=backup_properties(**FINAL)))

    assert armed["PhysicalResourceId"].startswith("final-backup-") and switched["Status"] == "SUCCESS"
    assert switched["PhysicalResourceId"] in backup_api.state.backup_jobs


@pytest.mark.parametrize("status, backups", [("UPDATE_ROLLBACK_IN_PROGRESS", 0), ("UPDATE_IN_PROGRESS", 1)])
def test_a_replaced_protected_resource_is_backed_up_except_in_a_rollback(
        invoke, cfn, backup_api, provider, cfn_scheduler, monkeypatch, status, backups):
    from provider_events import STACK_ID

    cfn_scheduler.set_stack(STACK_ID, "orders-stack", status, {"Resources": {}})
    old = backup_properties(**FINAL)
    new = backup_properties(**FINAL, ResourceArn="arn:aws:dynamodb:us-east-1:123456789012:table/orders-v2")
    response = invoke(make_event(cfn, "Update", "Custom::BackupJob", new, old_properties=old,
                                 physical_id="final-backup-orders-stack-TableBackup"))

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["PhysicalResourceId"] == "final-backup-orders-stack-TableBackup"
    assert len(backup_api.state.backup_jobs) == backups
    assert all(j.resource_arn.endswith("table/orders") for j in backup_api.state.backup_jobs.values())


def test_a_replaced_protected_resource_is_backed_up_even_if_its_old_properties_break_a_newer_rule(
        invoke, cfn, backup_api, cfn_scheduler):
    from provider_events import STACK_ID

    cfn_scheduler.set_stack(STACK_ID, "orders-stack", "UPDATE_IN_PROGRESS", {"Resources": {}})
    old = backup_properties(**FINAL, IdempotencyToken="fixed")  # deployed before that was refused
    new = backup_properties(**FINAL, ResourceArn="arn:aws:dynamodb:us-east-1:123456789012:table/orders-v2")
    response = invoke(make_event(cfn, "Update", "Custom::BackupJob", new, old_properties=old,
                                 physical_id="final-backup-orders-stack-TableBackup"))

    assert response["Status"] == "SUCCESS", response["Reason"]
    [job] = backup_api.state.backup_jobs.values()
    assert job.resource_arn.endswith("table/orders")


@pytest.mark.parametrize("policy, backups", [("Retain", 0), ("RetainExceptOnCreate", 0), ("Delete", 1), (None, 1)])
def test_a_stack_delete_backs_up_the_protected_resource_unless_the_stack_retains_it(
        invoke, cfn, backup_api, cfn_scheduler, policy, backups):
    from provider_events import STACK_ID

    table: dict[str, Any] = {"Type": "AWS::DynamoDB::Table", **({"DeletionPolicy": policy} if policy else {})}
    cfn_scheduler.set_stack(STACK_ID, "orders-stack", "DELETE_IN_PROGRESS", {"Resources": {"Table": table}})
    response = invoke(make_event(cfn, "Delete", "Custom::BackupJob", backup_properties(**FINAL),
                                 physical_id="final-backup-orders-stack-TableBackup"))

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert len(backup_api.state.backup_jobs) == backups


def test_an_armed_final_backup_with_invalid_properties_fails_its_delete(invoke, cfn, backup_api):
    response = invoke(make_event(cfn, "Delete", "Custom::BackupJob",
                                 backup_properties(**FINAL, StartWindowMinutes="5"),
                                 physical_id="final-backup-orders-stack-TableBackup"))

    assert response["Status"] == "FAILED"
    assert "StartWindowMinutes" in response["Reason"]


def test_the_rollback_of_a_final_backup_whose_create_failed_succeeds(invoke, cfn, backup_api, cfn_scheduler):
    from provider_events import STACK_ID

    # Properties resolved at deploy time can break a rule synth could not check:
    # the Create fails, and CloudFormation's rollback deletes what it answered.
    properties = backup_properties(**FINAL, StartWindowMinutes="30")
    created = invoke(make_event(cfn, "Create", "Custom::BackupJob", properties))
    cfn_scheduler.set_stack(STACK_ID, "orders-stack", "ROLLBACK_IN_PROGRESS", {"Resources": {}})
    deleted = invoke(make_event(cfn, "Delete", "Custom::BackupJob", properties,
                                physical_id=created["PhysicalResourceId"]))

    assert created["Status"] == "FAILED" and "StartWindowMinutes" in created["Reason"]
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert backup_api.state.calls == []


def test_a_final_backup_armed_by_an_update_is_not_dropped_when_its_properties_break_a_rule(
        invoke, cfn, backup_api, cfn_scheduler):
    from provider_events import STACK_ID

    created = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))
    armed = invoke(make_event(cfn, "Update", "Custom::BackupJob", backup_properties(**FINAL),
                              old_properties=backup_properties(), physical_id=created["PhysicalResourceId"]))
    cfn_scheduler.set_stack(STACK_ID, "orders-stack", "DELETE_IN_PROGRESS", {"Resources": {}})
    # Applied properties a later provider version refuses (here: a start window under 60 minutes).
    deleted = invoke(make_event(cfn, "Delete", "Custom::BackupJob",
                                backup_properties(**FINAL, StartWindowMinutes="5"),
                                physical_id=armed["PhysicalResourceId"]))

    assert armed["Status"] == "SUCCESS" and armed["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert deleted["Status"] == "FAILED" and "StartWindowMinutes" in deleted["Reason"]


def test_a_rollback_answers_even_when_its_previous_properties_break_a_newer_rule(
        invoke, cfn, backup_api, cfn_scheduler):
    from provider_events import STACK_ID

    created = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))
    cfn_scheduler.set_stack(STACK_ID, "orders-stack", "UPDATE_ROLLBACK_IN_PROGRESS", {"Resources": {}})
    rolled_back = invoke(make_event(cfn, "Update", "Custom::BackupJob", backup_properties(StartWindowMinutes="5"),
                                    old_properties=backup_properties(StartWindowMinutes="120"),
                                    physical_id=created["PhysicalResourceId"]))

    assert rolled_back["Status"] == "SUCCESS", rolled_back["Reason"]
    assert rolled_back["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert len(backup_api.state.backup_jobs) == 1


# rejected_update=False: CloudFormation deletes a replacement instead of sending it a rollback
# Update (see the simulator); should one come anyway, it still starts nothing.
@pytest.mark.parametrize("rejected_update", [True, False])
def test_an_update_rollback_starts_no_job_and_keeps_the_current_one(
        invoke, cfn, backup_api, cfn_scheduler, rejected_update):
    from provider_events import STACK_ID

    old = backup_properties()
    new = backup_properties(StartWindowMinutes="30" if rejected_update else "120")
    created = invoke(make_event(cfn, "Create", "Custom::BackupJob", old))
    updated = invoke(make_event(cfn, "Update", "Custom::BackupJob", new, old_properties=old,
                                physical_id=created["PhysicalResourceId"]))
    current = updated["PhysicalResourceId"]
    jobs = set(backup_api.state.backup_jobs)
    cfn_scheduler.set_stack(STACK_ID, "orders-stack", "UPDATE_ROLLBACK_IN_PROGRESS", {"Resources": {}})
    # CloudFormation's rollback: the previous properties back, the attempted ones as old.
    rolled_back = invoke(make_event(cfn, "Update", "Custom::BackupJob", old, old_properties=new,
                                    physical_id=current))

    assert updated["Status"] == ("FAILED" if rejected_update else "SUCCESS")
    assert rolled_back["Status"] == "SUCCESS", rolled_back["Reason"]
    assert rolled_back["PhysicalResourceId"] == current
    assert rolled_back["Data"]["BackupJobId"] == current
    assert set(backup_api.state.backup_jobs) == jobs  # nothing started by the rollback
    assert len(jobs) == (1 if rejected_update else 2)


def test_a_rollback_answers_even_when_its_job_cannot_be_described(invoke, cfn, backup_api, cfn_scheduler):
    from provider_events import STACK_ID

    cfn_scheduler.set_stack(STACK_ID, "orders-stack", "UPDATE_ROLLBACK_IN_PROGRESS", {"Resources": {}})
    response = invoke(make_event(cfn, "Update", "Custom::BackupJob", backup_properties(),
                                 old_properties=backup_properties(StartWindowMinutes="120"),
                                 physical_id="job-that-is-gone"))

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["PhysicalResourceId"] == "job-that-is-gone"
    assert response["Data"]["BackupJobId"] == "job-that-is-gone"
    assert backup_api.state.calls_of("StartBackupJob") == []


@pytest.mark.slow
@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_a_response_sent_by_the_timeout_timer_carries_a_physical_id(provider, cfn, backup_api, request_type):
    from cdk_backup_jobs.testing import Fault

    backup_api.emulator.state.faults.append(Fault("StartBackupJob", count=1, kind="slow", delay=3))
    extra = {"physical_id": "existing-job", "old_properties": backup_properties(StartWindowMinutes="120")} \
        if request_type == "Update" else {}
    event = make_event(cfn, request_type, "Custom::BackupJob", backup_properties(), **extra)
    provider.handler(event, LambdaContext(deadline=time.monotonic() + 1.5))

    [response] = cfn.responses_for(event["ResponseURL"])
    assert response["Status"] == "FAILED" and "timed out" in response["Reason"]
    expected = "existing-job" if request_type == "Update" else "orders-stack_TableBackup_"
    assert response["PhysicalResourceId"].startswith(expected)


def test_a_connection_failure_fails_naming_the_exception(invoke, cfn, backup_api):
    from cdk_backup_jobs.testing import Fault

    backup_api.emulator.state.faults.append(Fault("StartBackupJob", count=6, kind="drop"))
    response = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))

    assert response["Status"] == "FAILED"
    assert response["Reason"].startswith("StartBackupJob failed: ConnectionClosedError: ")
    assert backup_api.state.backup_jobs == {}


def test_an_air_gapped_vault_in_another_account_or_region_fails_before_any_call(invoke, cfn, backup_api):
    arn = "arn:aws:backup:eu-west-1:123456789012:backup-vault:air-gapped"  # the stack is in us-east-1
    response = invoke(make_event(cfn, "Create", "Custom::BackupJob",
                                 backup_properties(LogicallyAirGappedBackupVaultArn=arn)))

    assert response["Status"] == "FAILED"
    assert "LogicallyAirGappedBackupVaultArn must be in the job's own Region us-east-1, got eu-west-1" \
        in response["Reason"]
    assert backup_api.state.calls == []


def test_the_derived_token_keeps_its_uuid_text_form(cfn):
    # Tokens must not change between provider versions: a request retried across an upgrade must
    # find its job. The form is uuid.UUID's text of the first 16 bytes of the seed's SHA-256.
    import hashlib
    import uuid

    from cdk_backup_jobs_runtime.cloudformation.request import CustomResourceRequest, derived_idempotency_token

    request = CustomResourceRequest.from_event(make_event(cfn, "Create", "Custom::BackupJob", {}))
    seed = "\n".join((request.stack_id, request.logical_resource_id, request.request_id))
    assert derived_idempotency_token(request) == str(uuid.UUID(bytes=hashlib.sha256(seed.encode()).digest()[:16]))
