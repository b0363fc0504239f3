"""cdk-nag's AwsSolutions pack on the example app and the provider stack: nothing unacknowledged."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from aws_cdk import App, Stack, Validations, aws_iam as iam
from cdk_nag import AwsSolutionsChecks

from cdk_backup_jobs import BackupJobsProviderStack
from cdk_backup_jobs.provider.provider import WILDCARD_REASONS

REPO = Path(__file__).resolve().parents[3]


def checked_app(outdir: Path | None = None) -> App:
    app = App(outdir=str(outdir)) if outdir else App()
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def test_example_app_and_provider_stack_pass_aws_solutions(tmp_path):
    sys.path.insert(0, str(REPO))
    try:
        import app as example
    finally:
        sys.path.remove(str(REPO))
    app = example.build_app(checked_app())

    assembly = app.synth()  # raises ValidationFailed on any unacknowledged finding

    assert {s.stack_name for s in assembly.stacks} >= {"BackupJobsExample", "BackupJobsProvider"}


def test_the_check_does_fail_on_an_unacknowledged_finding():
    app = checked_app()
    stack = Stack(app, "Bad")
    iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
             managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AdministratorAccess")])

    with pytest.raises(Exception, match=r"(?s)ValidationFailed.*AwsSolutions-IAM4"):
        app.synth()


def test_one_finding_for_several_wildcard_statements_carries_every_reason(tmp_path):
    # Describe and StopBackupJob are both on Resource::*, one cdk-nag finding:
    # its acknowledgement must give both reasons, not the last one granted.
    app = checked_app(tmp_path)
    BackupJobsProviderStack(app, "Provider")

    app.synth()

    report = json.loads((tmp_path / "validation-report.json").read_text())
    [reason] = [violation["reason"] for plugin in report["pluginReports"]
                for violation in plugin["suppressedViolations"]
                if violation["ruleName"] == "AwsSolutions-IAM5[Resource::*]"]
    assert WILDCARD_REASONS["Describe"] in reason
    assert WILDCARD_REASONS["StopBackupJob"] in reason
