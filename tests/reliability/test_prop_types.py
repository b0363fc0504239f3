"""The synth-time type checks in validation.py and vaults.py, on their own.

``check_prop_types`` is what BackupJob and CopyJob call for the props the
rules never see as given (a role, a lifecycle, a flag); the vault helpers pass
a wrong type through so the rules name it.
"""

from __future__ import annotations

import pytest
from aws_cdk import App, Duration, Stack, aws_backup as backup, aws_iam as iam

from cdk_backup_jobs import JobLifecycle, JobValidationError, RunOn
from cdk_backup_jobs.validation import (PropType, check_prop_types, instance_of, is_construct, is_flag,
                                        is_mapping, is_role)
from cdk_backup_jobs.vaults import destination_vault_arn, is_vault, vault_arn, vault_name


@pytest.fixture
def stack() -> Stack:
    return Stack(App(), "Types")


def test_every_wrong_prop_is_named_at_once(stack):
    # The right types pass (a role is a construct too); the wrong ones are listed in the order given.
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    with pytest.raises(JobValidationError) as raised:
        check_prop_types("Types/Job", [
            PropType("role", 123, is_role, "an IRole", required=True),
            PropType("lifecycle", {"delete_after": 7}, instance_of(JobLifecycle), "a JobLifecycle"),
            PropType("wait_for_completion", 1, is_flag, "True or False"),
            PropType("recovery_point_tags", ["k"], is_mapping, "a mapping"),
            PropType("protects", "table", is_construct, "a construct"),
            PropType("run_on", RunOn.create(), instance_of(RunOn), "a RunOn"),
            PropType("timeout", Duration.minutes(5), instance_of(Duration), "a Duration"),
            PropType("stop_on_delete", None, is_flag, "True or False"),
            PropType("protects", role, is_construct, "a construct"),
        ])
    assert str(raised.value).splitlines() == [
        "Invalid props for Types/Job:",
        "  - role must be an IRole, got int",
        "  - lifecycle must be a JobLifecycle, got dict",
        "  - wait_for_completion must be True or False, got int",
        "  - recovery_point_tags must be a mapping, got list",
        "  - protects must be a construct, got str",
    ]


def test_none_is_wrong_only_for_a_required_prop():
    check_prop_types("Types/Job", [PropType("lifecycle", None, instance_of(JobLifecycle), "a JobLifecycle")])
    with pytest.raises(JobValidationError, match="role must be an IRole, got None"):
        check_prop_types("Types/Job", [PropType("role", None, is_role, "an IRole", required=True)])


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
