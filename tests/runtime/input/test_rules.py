"""The shared input rules at their edges (the same code the constructs and the handler run)."""

from __future__ import annotations

from typing import Any

import pytest

from cdk_backup_jobs_runtime.input import coercion, rules, shapes, violation_report

VALID_BACKUP = {
    "BackupVaultName": "primary-vault",
    "ResourceArn": "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
    "IamRoleArn": "arn:aws:iam::123456789012:role/service-role/backup-role",
}
VALID_COPY = {
    "RecoveryPointArn": "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0",
    "SourceBackupVaultName": "primary-vault",
    "DestinationBackupVaultArn": "arn:aws:backup:eu-west-1:210987654321:backup-vault:dr_vault",
    "IamRoleArn": "arn:aws:iam::123456789012:role/backup-role",
}


def backup_violations(**members: Any) -> list[str]:
    return [str(v) for v in rules.validate(shapes.START_BACKUP_JOB, {**VALID_BACKUP, **members})]


def test_valid_minimal_inputs_pass():
    assert rules.validate(shapes.START_BACKUP_JOB, VALID_BACKUP) == []
    assert rules.validate(shapes.START_COPY_JOB, VALID_COPY) == []


@pytest.mark.parametrize("name, ok", [
    ("ab", True), ("a" * 50, True), ("Vault_1-x", True),
    ("a", False), ("a" * 51, False), ("my.vault", False), ("my vault", False), ("", False),
])
def test_vault_name_pattern_is_the_models(name, ok):
    assert (backup_violations(BackupVaultName=name) == []) is ok


@pytest.mark.parametrize("minutes, ok", [(59, False), (60, True), (52_560_000, True), (52_560_001, False)])
def test_start_window_is_60_minutes_to_100_years(minutes, ok):
    assert (backup_violations(StartWindowMinutes=minutes) == []) is ok


@pytest.mark.parametrize("minutes, ok", [(0, False), (1, True), (52_560_000, True), (52_560_001, False)])
def test_complete_window_is_at_most_100_years(minutes, ok):
    assert (backup_violations(CompleteWindowMinutes=minutes) == []) is ok


@pytest.mark.parametrize("lifecycle, ok", [
    ({"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 120}, True),
    ({"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 119}, False),
    ({"MoveToColdStorageAfterDays": -1, "DeleteAfterDays": -1}, True),
    ({"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": -1}, False),  # -1 only as a pair (AWS docs)
    ({"MoveToColdStorageAfterDays": -1, "DeleteAfterDays": 5}, False),
    ({"DeleteAfterDays": -1}, False),
    ({"MoveToColdStorageAfterDays": -2}, False),
    ({"DeleteAfterDays": 0}, False),
    ({"DeleteAfterDays": 36_500}, True),
    ({"DeleteAfterDays": 36_501}, False),
    ({"DeleteAfterEvent": "DELETE_AFTER_COPY"}, False),
    ({"OptInToArchiveForSupportedResources": True}, True),
    ({"Transitions": []}, False),
])
def test_lifecycle_rules(lifecycle, ok):
    assert (backup_violations(Lifecycle=lifecycle) == []) is ok
    copy = [str(v) for v in rules.validate(shapes.START_COPY_JOB, {**VALID_COPY, "Lifecycle": lifecycle})]
    assert (copy == []) is ok


@pytest.mark.parametrize("options, ok", [
    ({"WindowsVSS": "enabled"}, True), ({"WindowsVSS": "disabled"}, True),
    ({"WindowsVSS": "Enabled"}, False), ({"Other": "enabled"}, False), ({"bad key!": "x"}, False),
])
def test_backup_options(options, ok):
    assert (backup_violations(BackupOptions=options) == []) is ok


@pytest.mark.parametrize("tags, ok", [
    ({f"k{i}": "v" for i in range(50)}, True),
    ({f"k{i}": "v" for i in range(51)}, False),
    ({"k" * 128: "v" * 256}, True),
    ({"k" * 129: "v"}, False),
    ({"k": "v" * 257}, False),
    ({"": "v"}, False),
    ({"AWS:owner": "v"}, False),
    ({"k": ""}, True),
])
def test_recovery_point_tag_limits(tags, ok):
    assert (backup_violations(RecoveryPointTags=tags) == []) is ok


@pytest.mark.parametrize("member, value", [
    ("ResourceArn", "table/orders"),
    ("IamRoleArn", "arn:aws:iam::123456789012:user/alice"),
    ("IamRoleArn", "backup-role"),
    ("LogicallyAirGappedBackupVaultArn", "arn:aws:backup:us-east-1:123456789012:recovery-point:x"),
    ("Index", "enabled"),
])
def test_arn_shapes_and_enums(member, value):
    assert backup_violations(**{member: value})


def test_required_members_are_named():
    violations = rules.validate(shapes.START_COPY_JOB, {})
    assert sorted(v.path for v in violations) == sorted(
        ["RecoveryPointArn", "SourceBackupVaultName", "DestinationBackupVaultArn", "IamRoleArn"])
    assert all(v.message == "is required" for v in violations)


def test_unresolved_values_are_skipped():
    token = "${Token[TOKEN.12]}"
    violations = rules.validate(shapes.START_BACKUP_JOB, {**VALID_BACKUP, "BackupVaultName": token,
                                                         "StartWindowMinutes": -1.8e289},
                                is_unresolved=lambda v: v in (token, -1.8e289))
    assert violations == []


def test_coerce_turns_cloudformation_strings_into_model_types():
    params = coercion.coerce(shapes.START_BACKUP_JOB, {
        **VALID_BACKUP, "StartWindowMinutes": " 60 ", "Lifecycle": {
            "DeleteAfterDays": "-1", "OptInToArchiveForSupportedResources": "TRUE"},
        "RecoveryPointTags": {"n": 7},
    })
    assert params["StartWindowMinutes"] == 60
    assert params["Lifecycle"] == {"DeleteAfterDays": -1, "OptInToArchiveForSupportedResources": True}
    assert params["RecoveryPointTags"] == {"n": "7"}


@pytest.mark.parametrize("properties, expected", [
    ({"StartWindowMinutes": "60.5"}, "StartWindowMinutes must be a whole number, got '60.5'"),
    ({"StartWindowMinutes": True}, "StartWindowMinutes must be a whole number"),
    ({"Lifecycle": "30"}, "Lifecycle must be an object"),
    ({"Lifecycle": {"OptInToArchiveForSupportedResources": "yes"}}, "must be true or false"),
    ({"RecoveryPointTags": ["a"]}, "RecoveryPointTags must be a map of strings to strings"),
    ({"BackupVaultName": {"Ref": "x"}}, "BackupVaultName must be a string, got dict"),
    ({"Nope": "1"}, "Nope is not a StartBackupJob member"),
])
def test_coerce_names_what_cannot_be_converted(properties, expected):
    with pytest.raises(violation_report.InvalidJobInput) as raised:
        coercion.coerce(shapes.START_BACKUP_JOB, {**VALID_BACKUP, **properties})
    assert expected in str(raised.value)


def test_summary_fits_cloudformations_reason_field():
    violations = [violation_report.Violation(f"Member{i}", "is wrong in a long and detailed way") for i in range(40)]
    summary = violation_report.summarize(violations)
    assert len(summary) <= 256
    assert summary.endswith("more)")


def test_rules_match_the_service_model():
    import json
    from pathlib import Path

    # A fixed copy of botocore's backup-2018-11-15 model, cut to the job operations'
    # shapes (tests/reference/README.md): the test does not depend on the installed botocore.
    model_file = Path(__file__).resolve().parents[2] / "reference" / "backup-service-model-subset.json"
    model_shapes = json.loads(model_file.read_text(encoding="utf-8"))["shapes"]
    for shape, ours in (("StartBackupJobInput", shapes.START_BACKUP_JOB),
                        ("StartCopyJobInput", shapes.START_COPY_JOB)):
        model = model_shapes[shape]
        assert {m.name for m in ours.members} == set(model["members"])
        assert {m.name for m in ours.members if m.required} == set(model["required"])
        for member in ours.members:
            target = model_shapes[model["members"][member.name]["shape"]]
            if "pattern" in target:
                assert member.pattern == target["pattern"], member.name
            if "enum" in target:
                assert set(member.enum) == set(target["enum"]), member.name
    assert shapes.BACKUP_OPTION_PATTERN == model_shapes["BackupOptionKey"]["pattern"] == model_shapes["BackupOptionValue"]["pattern"]
    assert {m.name for m in shapes.LIFECYCLE.members} == set(model_shapes["Lifecycle"]["members"])


def resource_violations(**members: Any) -> list[str]:
    return [str(v) for v in rules.validate(shapes.BACKUP_JOB_RESOURCE, {**VALID_BACKUP, **members})]


@pytest.mark.parametrize("members, expected", [
    ({"RunOnDelete": True, "IdempotencyToken": "fixed"},
     ["IdempotencyToken must not be set when RunOnDelete is true: a retried delete would get the earlier, "
      "maybe failed, job back"]),
    ({"RunOnDelete": True, "WaitForCompletion": True},
     ["WaitForCompletion must not be true when RunOnDelete is true: a final backup always waits"]),
    ({"RunOnDelete": True, "StopOnDelete": True},
     ["StopOnDelete must not be true when RunOnDelete is true: the Delete is what runs the final backup"]),
    ({"SkipFinalBackup": True}, ["SkipFinalBackup applies only when RunOnDelete is true"]),
    ({"RunOnDelete": False, "SkipFinalBackup": True}, ["SkipFinalBackup applies only when RunOnDelete is true"]),
    ({"ProtectedLogicalId": "Table"}, ["ProtectedLogicalId applies only when RunOnDelete is true"]),
    ({"SkipFinalBackup": True, "ProtectedLogicalId": "Table"},
     ["SkipFinalBackup applies only when RunOnDelete is true", "ProtectedLogicalId applies only when RunOnDelete"]),
    ({"RunOnDelete": True, "IdempotencyToken": "t", "WaitForCompletion": True, "StopOnDelete": True},
     ["IdempotencyToken must not be set", "WaitForCompletion must not be true", "StopOnDelete must not be true"]),
])
def test_a_final_backup_refuses_what_it_would_ignore_or_defeat(members, expected):
    violations = resource_violations(**members)

    assert len(violations) == len(expected)
    assert all(v.startswith(e) for v, e in zip(violations, expected))


@pytest.mark.parametrize("members", [
    {"RunOnDelete": True, "SkipFinalBackup": True, "WaitTimeoutMinutes": 30},
    {"RunOnDelete": True, "WaitForCompletion": False, "StopOnDelete": False, "SkipFinalBackup": False},
    {"IdempotencyToken": "fixed", "WaitForCompletion": True, "StopOnDelete": True},  # an ordinary job
    {"RunOnDelete": False, "SkipFinalBackup": False},
])
def test_what_a_final_backup_and_an_ordinary_job_accept(members):
    assert resource_violations(**members) == []


def test_a_token_for_idempotency_is_refused_but_an_unresolved_run_on_delete_is_left_for_the_handler():
    token = "${Token[TOKEN.7]}"
    unresolved = lambda v: v == token  # noqa: E731
    with_token = rules.validate(shapes.BACKUP_JOB_RESOURCE, {**VALID_BACKUP, "RunOnDelete": True,
                                                            "IdempotencyToken": token}, unresolved)
    undecided = rules.validate(shapes.BACKUP_JOB_RESOURCE, {**VALID_BACKUP, "RunOnDelete": token,
                                                           "IdempotencyToken": "fixed", "SkipFinalBackup": True},
                               unresolved)

    assert [v.path for v in with_token] == ["IdempotencyToken"]
    assert undecided == []


def test_copy_jobs_have_no_final_backup_members():
    violations = [str(v) for v in rules.validate(shapes.COPY_JOB_RESOURCE, {**VALID_COPY, "SkipFinalBackup": True})]
    assert violations == ["SkipFinalBackup is not a Custom::CopyJob member"]


def test_resource_violations_are_the_rules_and_the_placement_together():
    params = {**VALID_BACKUP, "StartWindowMinutes": 5, "WaitForCompletion": True, "WaitTimeoutMinutes": 60,
              "LogicallyAirGappedBackupVaultArn": "arn:aws:backup:eu-west-1:123456789012:backup-vault:ag"}
    violations = rules.resource_violations(shapes.BACKUP_JOB_RESOURCE, params, "123456789012", "us-east-1")

    assert [v.path for v in violations] == ["StartWindowMinutes", "WaitTimeoutMinutes",
                                            "LogicallyAirGappedBackupVaultArn"]
    assert rules.resource_violations(shapes.BACKUP_JOB_RESOURCE, VALID_BACKUP, "123456789012", "us-east-1") == []


@pytest.mark.parametrize("role, valid", [
    ("role/backup-role", True),
    ("role/service-role/backup-role", True),
    ("role/" + "p" * 510 + "/" + "n" * 64, True),  # the longest path IAM allows, and the longest name
    ("role/a/b/c/" + "n" * 64, True),
    ("role/" + "n" * 65, False),  # a name of more than 64 characters
    ("role/" + "p" * 511 + "/name", False),  # a path of more than 512 characters
    ("role/", False),
    ("role/path/", False),  # no name
])
def test_every_role_arn_iam_allows_is_accepted(role, valid):
    violations = rules.validate(shapes.START_BACKUP_JOB,
                                {**VALID_BACKUP, "IamRoleArn": f"arn:aws:iam::123456789012:{role}"})
    assert (violations == []) is valid, violations


def test_a_misspelt_required_member_is_reported_with_the_one_it_misses():
    properties = {name: value for name, value in VALID_BACKUP.items() if name != "BackupVaultName"}
    with pytest.raises(violation_report.InvalidJobInput) as raised:
        coercion.coerce(shapes.BACKUP_JOB_RESOURCE, {**properties, "BackupVaultNme": "primary-vault"})
    assert [str(v) for v in raised.value.violations] == [
        "BackupVaultNme is not a Custom::BackupJob member (did you mean BackupVaultName?)",
        "BackupVaultName is required"]


@pytest.mark.parametrize("name, hint", [
    ("WaitTimeoutMinute", " (did you mean WaitTimeoutMinutes?)"),
    ("backupVaultName", " (did you mean BackupVaultName?)"),
    ("Colour", ""),  # nothing near it: no guess
])
def test_an_unknown_member_names_the_member_it_is_closest_to(name, hint):
    # The same message from both passes: the handler's coercion and the rules the constructs run.
    with pytest.raises(violation_report.InvalidJobInput) as raised:
        coercion.coerce(shapes.BACKUP_JOB_RESOURCE, {**VALID_BACKUP, name: "1"})
    expected = f"{name} is not a Custom::BackupJob member{hint}"
    assert str(raised.value.violations[0]) == expected
    assert [str(v) for v in rules.validate(shapes.BACKUP_JOB_RESOURCE, {**VALID_BACKUP, name: 1})] == [expected]


def test_an_unknown_lifecycle_member_is_guessed_within_the_lifecycle():
    violations = rules.validate(shapes.START_BACKUP_JOB, {**VALID_BACKUP, "Lifecycle": {"DeleteAfterDay": 35}})
    assert [str(v) for v in violations] == [
        "Lifecycle.DeleteAfterDay is not a Lifecycle member (did you mean DeleteAfterDays?)"]


def test_coerce_leaves_unresolved_values_as_they_are():
    # A template's intrinsic functions (what cfn-lint reads): left for CloudFormation to resolve, never judged.
    ref = {"Ref": "Days"}
    unresolved = lambda value: value is ref  # noqa: E731
    params = coercion.coerce(shapes.START_BACKUP_JOB, {
        **VALID_BACKUP, "StartWindowMinutes": ref, "Lifecycle": {"DeleteAfterDays": ref},
        "RecoveryPointTags": {"team": ref, "n": 7}, "BackupOptions": ref}, unresolved)
    assert params["StartWindowMinutes"] is ref and params["BackupOptions"] is ref
    assert params["Lifecycle"] == {"DeleteAfterDays": ref}
    assert params["RecoveryPointTags"] == {"team": ref, "n": "7"}
    assert rules.validate(shapes.START_BACKUP_JOB, params, unresolved) == []
