"""Duplicate and out-of-order deliveries never create an extra job."""

from __future__ import annotations

from provider_events import backup_properties, make_event


def test_create_delivered_twice_and_late_after_an_update(invoke, cfn, backup_api, record):
    create = make_event(cfn, "Create", "Custom::BackupJob", backup_properties())
    first = invoke(create)
    again = invoke({**create, "ResponseURL": cfn.new_url()})  # CloudFormation's retry of the same request
    update = make_event(cfn, "Update", "Custom::BackupJob", backup_properties(StartWindowMinutes="90"),
                        physical_id=first["PhysicalResourceId"], old_properties=backup_properties())
    updated = invoke(update)
    retried_update = invoke({**update, "ResponseURL": cfn.new_url()})  # the update retried after a timeout
    late_create = invoke({**create, "ResponseURL": cfn.new_url()})  # a stale create arriving last

    jobs = len(backup_api.state.backup_jobs)
    record("Duplicate deliveries", "Create x2, Update x2 (retry after a timeout), stale Create after the Update",
           cases=5, failures=0, duplicates=jobs - 2)
    assert first["PhysicalResourceId"] == again["PhysicalResourceId"] == late_create["PhysicalResourceId"]
    assert updated["PhysicalResourceId"] == retried_update["PhysicalResourceId"] != first["PhysicalResourceId"]
    assert jobs == 2


def test_copy_delivered_three_times(invoke, cfn, backup_api, record):
    backup = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))
    copy = make_event(cfn, "Create", "Custom::CopyJob", {
        "RecoveryPointArn": backup["Data"]["RecoveryPointArn"], "SourceBackupVaultName": "primary-vault",
        "DestinationBackupVaultArn": backup_api.emulator.vault_arn("copy-vault"),
        "IamRoleArn": "arn:aws:iam::123456789012:role/backup-role"}, logical_id="Copy")
    answers = {invoke({**copy, "ResponseURL": cfn.new_url()})["PhysicalResourceId"] for _ in range(3)}

    record("Duplicate deliveries", "Copy Create x3", cases=3, failures=0,
           duplicates=len(backup_api.state.copy_jobs) - 1)
    assert len(answers) == 1 and len(backup_api.state.copy_jobs) == 1
