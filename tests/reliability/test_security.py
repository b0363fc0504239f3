"""Security properties of what we deploy and what we log."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


@functools.cache
def templates() -> dict[str, dict[str, Any]]:
    """The example app's templates, synthesized once for the module (the tests only read them)."""
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


BACKUP_ONLY = {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}
BACKUP_JOBS_ROLES_OF_THIS_ACCOUNT = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::",
                                                       {"Ref": "AWS::AccountId"}, ":role/backup-jobs/*"]]}
JOB_TYPES = ("Custom::BackupJob", "Custom::CopyJob")


def resources(statement: dict[str, Any]) -> list[Any]:
    return statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]


def canonical(values: list[Any]) -> list[str]:
    """ARNs (strings or CloudFormation expressions) comparable as a sorted list, duplicates kept."""
    return sorted(json.dumps(value, sort_keys=True) for value in values)


def pass_role_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in provider_statements(template) if "iam:PassRole" in actions(s)]


def job_role_arns(template: dict[str, Any]) -> list[Any]:
    """The distinct IamRoleArn values of the stack's jobs (the roles AWS Backup must be passed)."""
    arns = {json.dumps(r["Properties"]["IamRoleArn"], sort_keys=True)
            for r in template["Resources"].values() if r["Type"] in JOB_TYPES}
    return [json.loads(arn) for arn in arns]


def test_provider_iam_is_least_privilege(record):
    checked, failures = 0, 1
    try:
        for name, template in templates().items():
            for statement in provider_statements(template):
                checked += 1
                assert all("*" not in action for action in actions(statement)), (name, statement)
                if "iam:PassRole" in actions(statement):
                    assert statement["Condition"] == BACKUP_ONLY, (name, statement)
                if statement["Resource"] == "*" and statement["Effect"] == "Allow":  # a Deny on * only narrows
                    assert set(actions(statement)) <= {"backup:DescribeBackupJob", "backup:DescribeCopyJob",
                                                       "backup:StopBackupJob"}, (name, statement)
                if any(a.startswith(("events:", "logs:")) for a in actions(statement)):
                    assert statement["Resource"] != "*", (name, statement)
        failures = 0
    finally:
        record("Security", "provider IAM: no * action, PassRole only to backup, no events/logs on *",
               cases=checked, failures=failures)


def test_pass_role_is_exactly_the_job_roles(record):
    # Each stack with jobs may pass exactly the roles its jobs name, each listed once, and only to AWS Backup.
    checked, failures = 0, 1
    try:
        stacks = {name: t for name, t in templates().items() if job_role_arns(t)}
        assert stacks, "the example app has stacks with jobs"
        for name, template in stacks.items():
            checked += 1
            statements = pass_role_statements(template)
            assert [s["Condition"] for s in statements] == [BACKUP_ONLY], (name, statements)
            assert canonical(resources(statements[0])) == canonical(job_role_arns(template)), (name, statements)
        failures = 0
    finally:
        record("Security", "PassRole: exactly the job roles' ARNs in every stack with jobs", cases=checked,
               failures=failures)


def test_shared_provider_passes_only_the_roles_it_is_given(record):
    # BackupJobsProviderStack serves templates not known at synth. By default it may pass the roles of its
    # own account under /backup-jobs/, to AWS Backup only; job_role_arns names exactly the roles it passes.
    from aws_cdk import App

    from cdk_backup_jobs import BackupJobsProviderStack

    given = ["arn:aws:iam::123456789012:role/backup-a", "arn:aws:iam::123456789012:role/backup-b"]
    app = App()
    BackupJobsProviderStack(app, "Default")
    BackupJobsProviderStack(app, "Narrowed", job_role_arns=given)
    assembly = app.synth()
    failures = 1
    try:
        default = pass_role_statements(assembly.get_stack_by_name("Default").template)
        narrowed = pass_role_statements(assembly.get_stack_by_name("Narrowed").template)
        assert [s["Condition"] for s in default] == [BACKUP_ONLY], default
        assert resources(default[0]) == [BACKUP_JOBS_ROLES_OF_THIS_ACCOUNT], default
        assert [s["Condition"] for s in narrowed] == [BACKUP_ONLY], narrowed
        assert canonical(resources(narrowed[0])) == canonical(given), narrowed
        failures = 0
    finally:
        record("Security", "shared provider stack: PassRole on this account's /backup-jobs/ roles by default, exactly"
               " job_role_arns when given, to backup only", cases=2, failures=failures)


def test_no_function_can_be_invoked_publicly(record):
    # The one permission a provider has lets EventBridge invoke it, from the watch rules of its own
    # account (a waited job's rule): a service principal, its account and those rules' ARNs only.
    public = None
    try:
        resources = [r for t in templates().values() for r in t["Resources"].values()]
        permissions = [r["Properties"] for r in resources if r["Type"] == "AWS::Lambda::Permission"]
        assert permissions, "the waited jobs' watch permission is missing"
        public = [r for r in resources if r["Type"] == "AWS::Lambda::Url"] + [
            p for p in permissions
            if p.get("Principal") != "events.amazonaws.com" or p.get("SourceAccount") != {"Ref": "AWS::AccountId"}
            or not str(p.get("SourceArn", {}).get("Fn::Join", ["", [""]])[1][-1]).endswith(":rule/backup-jobs-wait-*")]
    finally:
        record("Security", "no Lambda permission but EventBridge's, for its own watch rules, and no function URL",
               cases=1, failures=1 if public is None else len(public))
    assert public == []


def test_log_scan_over_the_whole_suite_is_armed():
    # tests/conftest.py scans every captured log, everything read through capsys/capfd and every
    # function log after each test; this proves its markers would be found (test_log_scan.py
    # proves the hook fails a test with them).
    import os

    from provider_events import FAKE_SECRET_ACCESS_KEY, forbidden_in

    assert forbidden_in('{"url": "https://127.0.0.1/cfn-responses/x?X-Amz-Signature=y"}') == [
        "the presigned ResponseURL's path", "the presigned ResponseURL's signature"]
    assert forbidden_in("tag=payments-secret-tag-value") == ["a tag value the tests use"]
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == FAKE_SECRET_ACCESS_KEY  # what every test signs with
    assert forbidden_in(f"secret_key='{FAKE_SECRET_ACCESS_KEY}'") == ["the AWS secret access key"]
    token = "IQoJb3JpZ2luX2VjEFAKE0123456789"
    assert forbidden_in(f"X-Amz-Security-Token: {token}", {"AWS_SESSION_TOKEN": token}) == ["the AWS session token"]
    # A short value from the environment would match ordinary words: it is not a marker.
    assert forbidden_in("cdk_backup_jobs.testing", {"AWS_SECRET_ACCESS_KEY": "testing"}) == []
    assert not forbidden_in('{"message": "Request received"}')
