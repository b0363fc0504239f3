"""The synth-time type checks of the conversions and the vault helpers (jobs/properties.py), on their own.

Every prop is read by the conversion its table row names, which checks the
prop's Python type first; the vault helpers pass a wrong type through (they
are never the ones to name it).
"""

from __future__ import annotations

import pytest
from aws_cdk import App, Duration, Stack, aws_backup as backup, aws_iam as iam

from cdk_backup_jobs import JobValidationError, RunOn
from cdk_backup_jobs.jobs.properties import destination_vault_arn, is_flag, is_role, is_vault, vault_arn, vault_name
from construct_props import build


@pytest.fixture
def stack() -> Stack:
    return Stack(App(), "Types")


def test_every_wrong_prop_is_named_at_once():
    # The right types pass (a role is a construct too); the wrong ones are listed in the table's order.
    with pytest.raises(JobValidationError) as raised:
        build("BackupJob", {
            "role": 123, "lifecycle": {"delete_after": 7}, "wait_for_completion": 1, "recovery_point_tags": ["k"],
            "protects": "table", "run_on": RunOn.create(), "timeout": Duration.minutes(5), "stop_on_delete": None,
        })
    assert str(raised.value).splitlines() == [
        "Invalid props for Fuzz/Job (Custom::BackupJob):",
        "  - recovery_point_tags (RecoveryPointTags) must be a mapping, got list",
        "  - role (IamRoleArn) must be an IRole, got int",
        "  - lifecycle (Lifecycle) must be a JobLifecycle, got dict",
        "  - wait_for_completion (WaitForCompletion, WaitCondition) must be True or False, got int",
        "  - protects (ProtectedLogicalId) must be a construct, got str",
    ]


def test_none_is_wrong_only_for_a_required_prop():
    build("BackupJob", {"lifecycle": None})
    with pytest.raises(JobValidationError, match=r"role \(IamRoleArn\) is required"):
        build("BackupJob", {"role": None})


def test_roles_and_vaults_are_recognised_when_imported(stack):
    # Imported roles and vaults are jsii proxies: isinstance against the interface cannot check them.
    imported_role = iam.Role.from_role_arn(stack, "Imported", "arn:aws:iam::123456789012:role/backup")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    vault = backup.BackupVault(stack, "Vault")
    imported_vault = backup.BackupVault.from_backup_vault_name(stack, "ImportedVault", "imported")
    assert is_role(role) and is_role(imported_role) and not is_role(vault) and not is_role("arn:...")
    assert is_vault(vault) and is_vault(imported_vault) and not is_vault(role) and not is_vault("name")
    assert vault_name(imported_vault) == "imported"
    assert stack.resolve(destination_vault_arn(vault)) == stack.resolve(vault.backup_vault_arn)


@pytest.mark.parametrize("value", [123, None, {"a": 1}, ["x"], True, 1.5])
def test_vault_helpers_pass_a_wrong_type_through_for_the_rules_to_name(stack, value):
    # Converting it would raise AttributeError, which names no prop.
    assert vault_name(value) is value
    assert vault_arn(stack, value) is value
    assert destination_vault_arn(value) is value


def test_a_flag_is_a_bool_not_a_truthy_value():
    assert is_flag(True) and is_flag(False)
    assert not any(is_flag(v) for v in (1, 0, "true", {}, [], None))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), [float("-inf")], [["x", float("nan")]]])
def test_non_finite_numbers_are_refused_without_killing_jsii(value):
    # Passed to jsii, NaN and infinities are invalid JSON: its kernel exits and every later
    # construct call in the process fails with a BrokenPipeError.
    from construct_props import build

    with pytest.raises(JobValidationError, match="backup_vault"):
        build("BackupJob", {"backup_vault": value})
    assert Stack(App(), "StillAlive").stack_name == "StillAlive"
