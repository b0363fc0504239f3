"""docs/cloudformation.md's reference tables are the ones generated from the code
(cdk_backup_jobs.release.reference_tables), and the generated tables say what the handler does.

The page is compared row by row with ``reference_tables()``: a wrong cell fails, and
``python -m cdk_backup_jobs.release.reference_tables`` prints the tables to paste. The return values are then held
to the handler's own answers, run against the local AWS Backup (the WaitCondition case, which needs a
stack, is checked by tests/scenarios/test_long_wait_example.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from cdk_backup_jobs.release import reference_tables as cfn_reference
from cdk_backup_jobs.release.reference_tables import Table, answered_attributes, reference_tables
from cdk_backup_jobs_runtime.input import shapes
from cdk_backup_jobs_runtime.jobs.job_types import BACKUP_JOB, COPY_JOB
from provider_events import COPY_VAULT, ROLE_ARN, STACK_ID, VAULT, backup_properties, make_event

REPO = Path(__file__).resolve().parents[3]
PAGE = REPO / "docs" / "cloudformation.md"
TABLES = {table.heading: table for table in reference_tables()}


def page_table(heading: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The header and rows of the table that follows the line ``heading`` on the page."""
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    assert lines.count(heading) == 1, f"{heading!r} is not on the page exactly once"
    start = next(i for i in range(lines.index(heading) + 1, len(lines)) if lines[i].startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append(tuple(cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip()[1:-1])))
    return table[0], tuple(table[2:])


@pytest.mark.parametrize("heading", list(TABLES))
def test_the_page_has_each_generated_table_under_its_heading(heading):
    header, rows = page_table(heading)
    expected = TABLES[heading]

    assert header == expected.header
    documented = {row[0]: row for row in rows}
    assert list(documented) == [row[0] for row in expected.rows]
    for row in expected.rows:
        assert documented[row[0]] == row, (f"{heading}, {row[0]}: paste "
                                           "`python -m cdk_backup_jobs.release.reference_tables`")


def test_a_wrong_cell_fails_the_comparison(tmp_path, monkeypatch):
    # The comparison above must be able to fail: one cell changed on a copy of the page.
    text = PAGE.read_text(encoding="utf-8")
    wrong = text.replace("| `StopOnDelete` | No | Boolean | — | `false` | No interruption |",
                         "| `StopOnDelete` | No | Boolean | — | `false` | A new job |")
    assert wrong != text
    (tmp_path / "cloudformation.md").write_text(wrong, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PAGE", tmp_path / "cloudformation.md")

    with pytest.raises(AssertionError, match="StopOnDelete"):
        test_the_page_has_each_generated_table_under_its_heading("#### `Custom::BackupJob` properties")


@pytest.mark.parametrize("shape", [shapes.BACKUP_JOB_RESOURCE, shapes.COPY_JOB_RESOURCE, shapes.JOB_RESULT_RESOURCE],
                         ids=lambda shape: shape.name)
def test_each_property_table_has_a_row_per_input_member_and_says_which_are_required(shape):
    table = TABLES[f"#### `{shape.name}` properties"]
    rows = {row[0].strip("`"): row for row in table.rows}
    inputs = [member for member in shape.members if member.input_allowed]

    assert list(rows) == ["ServiceToken", "ServiceTimeout", *(member.name for member in inputs)]
    for member in inputs:
        assert rows[member.name][1] in (("Yes",) if member.required else ("No", "Conditional"))


def test_the_update_column_follows_the_handlers_decision():
    rows = {row[0].strip("`"): row[5] for row in TABLES["#### `Custom::BackupJob` properties"].rows}
    api_members = {member.name for member in shapes.START_BACKUP_JOB.members}

    assert {name for name, cell in rows.items() if cell == "A new job"} == api_members | {"RunToken"}
    assert rows["RunOnDelete"] == "To `false`: a new job; to `true`: no interruption"
    assert {name for name, cell in rows.items() if cell == "No interruption"} == {
        "ServiceTimeout", "WaitForCompletion", "WaitTimeoutMinutes", "WaitCondition", "StopOnDelete",
        "ProtectedLogicalId", "SkipFinalBackup"}


def test_the_wait_timeout_follows_the_rules(monkeypatch):
    # Asked of the rules, not read from a constant: a rule that accepted less would change the table.
    from cdk_backup_jobs_runtime.input import rules
    from cdk_backup_jobs_runtime.input.violation_report import Violation

    def at_most_100_with_a_condition(params, is_unresolved=rules.never_unresolved):
        found = original(params, is_unresolved)
        if params.get("WaitCondition") and params.get("WaitTimeoutMinutes", 0) > 100:
            found.append(Violation("WaitTimeoutMinutes", "must be at most 100"))
        return found

    def allowed(job_type):
        return {row[0]: row[3] for row in cfn_reference.property_table(job_type).rows}["`WaitTimeoutMinutes`"]

    original = rules.wait_violations
    assert "Maximum: 100 with a `WaitCondition`" not in allowed(BACKUP_JOB)
    monkeypatch.setattr(rules, "wait_violations", at_most_100_with_a_condition)
    assert "Maximum: 100 with a `WaitCondition`<br>" in allowed(BACKUP_JOB)
    assert "Maximum: 100 with a `WaitCondition`<br>" in allowed(COPY_JOB)


# --- the return values, as the handler answers -----------------------------------------------------------

def cells(table: Table, case: str) -> dict[str, str]:
    column = table.header.index(case)
    return {re.sub(r"`Fn::GetAtt` `(\w+)`", r"\1", row[0]): row[column] for row in table.rows
            if row[0].startswith("`Fn::GetAtt`")}


BACKUP_VALUES = TABLES["#### `Custom::BackupJob` return values"]
COPY_VALUES = TABLES["#### `Custom::CopyJob` return values"]
RESULT_VALUES = TABLES["#### `Custom::BackupJobResult` return values"]


def test_a_job_not_waited_for_answers_with_its_attributes_at_start(invoke, cfn, backup_api):
    backup = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))
    copy = invoke(make_event(cfn, "Create", "Custom::CopyJob", {
        "RecoveryPointArn": backup["Data"]["RecoveryPointArn"], "SourceBackupVaultName": VAULT,
        "DestinationBackupVaultArn": backup_api.emulator.vault_arn(COPY_VAULT), "IamRoleArn": ROLE_ARN,
    }, logical_id="TableBackupCopy"))

    assert backup["Status"] == copy["Status"] == "SUCCESS", (backup["Reason"], copy["Reason"])
    assert set(backup["Data"]) == answered_attributes(BACKUP_VALUES, "No wait")
    assert set(copy["Data"]) == answered_attributes(COPY_VALUES, "No wait")
    assert backup["PhysicalResourceId"] == backup["Data"]["BackupJobId"]


def test_a_job_waited_for_without_a_wait_condition_answers_once_completed(invoke, cfn, backup_api):
    # The local AWS Backup completes a DynamoDB backup at once: the first check finds it COMPLETED.
    waited = invoke(make_event(cfn, "Create", "Custom::BackupJob",
                               backup_properties(WaitForCompletion="true", WaitTimeoutMinutes="30")))

    assert waited["Status"] == "SUCCESS", waited["Reason"]
    assert set(waited["Data"]) == answered_attributes(BACKUP_VALUES, "`WaitForCompletion`")
    assert set(answered_attributes(BACKUP_VALUES, "`WaitForCompletion`")) > answered_attributes(BACKUP_VALUES,
                                                                                                "No wait")


def test_an_armed_final_backup_answers_with_its_id_and_empty_attributes(invoke, cfn, backup_api):
    armed = invoke(make_event(cfn, "Create", "Custom::BackupJob",
                              backup_properties(RunOnDelete="true", ProtectedLogicalId="Table")))

    expected = {name: "" if cell == "Empty" else cell.strip("`")
                for name, cell in cells(BACKUP_VALUES, cfn_reference.FINAL_BACKUP_CASE).items() if cell != "No"}
    assert armed["Data"] == expected
    [ref] = [row for row in BACKUP_VALUES.rows if row[0] == "`Ref`"]
    stack_name = STACK_ID.split("/")[1]
    assert armed["PhysicalResourceId"] == ref[-1].strip("`").replace("STACK", stack_name).replace(
        "LOGICAL_ID", "TableBackup")
    assert backup_api.state.backup_jobs == {}


def test_a_result_answers_with_the_completed_jobs_attributes(invoke, cfn, backup_api):
    backup = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))
    result = invoke(make_event(cfn, "Create", "Custom::BackupJobResult",
                               {"BackupJobId": backup["PhysicalResourceId"]}, logical_id="TableBackupResult"))

    assert result["Status"] == "SUCCESS", result["Reason"]
    assert set(result["Data"]) == answered_attributes(RESULT_VALUES, "With `BackupJobId`")
    [ref] = [row for row in RESULT_VALUES.rows if row[0] == "`Ref`"]
    assert result["PhysicalResourceId"] == ref[1].strip("`").replace("STACK", STACK_ID.split("/")[1]).replace(
        "LOGICAL_ID", "TableBackupResult")


def test_answered_attributes_reads_a_column():
    table = Table("#### t", ("Return value", "a"), (("`Ref`", "x"), ("`Fn::GetAtt` `One`", "At start"),
                                                    ("`Fn::GetAtt` `Two`", "No")))
    assert answered_attributes(table, "a") == {"One"}


def test_the_aws_defaults_are_the_ones_aws_backups_model_documents():
    import json

    model = json.loads((REPO / "tests" / "reference" / "backup-service-model-subset.json").read_text(encoding="utf-8"))
    documented = model["shapes"]["StartBackupJobInput"]["members"]
    assert "the default is 8 hours" in documented["StartWindowMinutes"]["documentation"]
    assert cfn_reference.AWS_DEFAULTS["StartWindowMinutes"].startswith(f"`{8 * 60}` (8 hours")
    assert "option is not enabled by default" in documented["BackupOptions"]["documentation"]
    assert set(cfn_reference.AWS_DEFAULTS) == {"StartWindowMinutes", "BackupOptions"}
