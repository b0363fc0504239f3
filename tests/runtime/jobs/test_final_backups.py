"""The final backup's own rules, at deploy: the real handler refuses what it would ignore or defeat.

The same rules run at synth (tests/library/jobs/test_properties.py); here a hand-written
template, or an older synth, reaches the handler with them broken.
"""

from __future__ import annotations

from typing import Any

import pytest

from provider_events import STACK_ID, backup_properties, make_event

FINAL = {"RunOnDelete": "true", "ProtectedLogicalId": "Table"}
ARMED_ID = "final-backup-orders-stack-TableBackup"
CONFLICTS = [
    ({"IdempotencyToken": "release-1"}, "IdempotencyToken must not be set when RunOnDelete is true"),
    ({"WaitForCompletion": "true"}, "WaitForCompletion must not be true when RunOnDelete is true"),
    ({"StopOnDelete": "true"}, "StopOnDelete must not be true when RunOnDelete is true"),
]


def refused(response: dict[str, Any], member_message: str) -> bool:
    return response["Status"] == "FAILED" and response["Reason"].startswith(
        "Invalid Custom::BackupJob properties:") and member_message in response["Reason"]


@pytest.mark.parametrize("conflict, expected", CONFLICTS)
def test_a_final_backup_create_with_a_conflicting_member_fails_naming_it(invoke, cfn, backup_api,
                                                                         conflict, expected):
    response = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties(**FINAL, **conflict)))

    assert refused(response, expected), response
    assert response["PhysicalResourceId"]
    assert backup_api.state.calls == []


@pytest.mark.parametrize("conflict, expected", CONFLICTS)
def test_an_update_adding_a_conflicting_member_to_a_final_backup_fails_naming_it(invoke, cfn, backup_api,
                                                                                 conflict, expected):
    response = invoke(make_event(cfn, "Update", "Custom::BackupJob", backup_properties(**FINAL, **conflict),
                                 old_properties=backup_properties(**FINAL), physical_id=ARMED_ID))

    assert refused(response, expected), response
    assert response["PhysicalResourceId"] == ARMED_ID
    assert backup_api.state.calls == []


def test_a_stack_delete_never_runs_a_final_backup_with_a_fixed_token(invoke, cfn, backup_api, cfn_scheduler):
    # Applied before this rule existed: the Delete fails rather than risk getting an earlier job back.
    cfn_scheduler.set_stack(STACK_ID, "orders-stack", "DELETE_IN_PROGRESS", {"Resources": {}})
    response = invoke(make_event(cfn, "Delete", "Custom::BackupJob",
                                 backup_properties(**FINAL, IdempotencyToken="release-1"), physical_id=ARMED_ID))

    assert refused(response, "IdempotencyToken must not be set when RunOnDelete is true"), response
    assert backup_api.state.calls_of("StartBackupJob") == []


def test_skip_final_backup_without_run_on_delete_fails_and_starts_no_job(invoke, cfn, backup_api):
    response = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties(SkipFinalBackup="true")))

    assert refused(response, "SkipFinalBackup applies only when RunOnDelete is true"), response
    assert backup_api.state.backup_jobs == {}


def test_skip_final_backup_with_run_on_delete_is_armed_and_its_delete_starts_nothing(
        invoke, cfn, backup_api, cfn_scheduler):
    properties = backup_properties(**FINAL, SkipFinalBackup="true")
    armed = invoke(make_event(cfn, "Create", "Custom::BackupJob", properties))
    cfn_scheduler.set_stack(STACK_ID, "orders-stack", "DELETE_IN_PROGRESS", {"Resources": {}})
    deleted = invoke(make_event(cfn, "Delete", "Custom::BackupJob", properties,
                                physical_id=armed["PhysicalResourceId"]))

    assert armed["Status"] == "SUCCESS" and deleted["Status"] == "SUCCESS", (armed, deleted)
    assert backup_api.state.backup_jobs == {}
