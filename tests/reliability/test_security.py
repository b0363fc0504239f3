"""Security properties of what we deploy and what we log."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def templates() -> dict[str, dict[str, Any]]:
    sys.path.insert(0, str(REPO))
    try:
        import app as example
    finally:
        sys.path.remove(str(REPO))
    assembly = example.build_app().synth()
    return {stack.stack_name: stack.template for stack in assembly.stacks}


def provider_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [statement
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] == "AWS::IAM::Policy" and logical_id.startswith("BackupJobsProvider")
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]]


def actions(statement: dict[str, Any]) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def test_provider_iam_is_least_privilege(record):
    checked = 0
    for name, template in templates().items():
        for statement in provider_statements(template):
            checked += 1
            assert all("*" not in action for action in actions(statement)), (name, statement)
            if "iam:PassRole" in actions(statement):
                assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}
            if statement["Resource"] == "*":
                assert set(actions(statement)) <= {"backup:DescribeBackupJob", "backup:DescribeCopyJob",
                                                   "backup:StopBackupJob"}, (name, statement)
            if any(a.startswith(("events:", "logs:")) for a in actions(statement)):
                assert statement["Resource"] != "*", (name, statement)
    record("Security", "provider IAM: no * action, PassRole only to backup, no events/logs on *",
           cases=checked, failures=0)


def test_no_function_can_be_invoked_publicly(record):
    permissions = [r for t in templates().values() for r in t["Resources"].values()
                   if r["Type"] in ("AWS::Lambda::Permission", "AWS::Lambda::Url")]
    record("Security", "no Lambda permission or function URL in any template", cases=1,
           failures=len(permissions))
    assert permissions == []


def test_log_scan_over_the_whole_suite_is_armed():
    # tests/conftest.py scans every captured log and every function log after each
    # test; this proves its markers would be found.
    from provider_events import forbidden_in

    assert forbidden_in('{"url": "https://127.0.0.1/cfn-responses/x?X-Amz-Signature=y"}')
    assert forbidden_in("tag=payments-secret-tag-value")
    assert not forbidden_in('{"message": "Request received"}')
