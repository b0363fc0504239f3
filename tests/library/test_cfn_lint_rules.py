"""The cfn-lint rule (cdk_backup_jobs.cfn_lint_rules): the example templates pass it, and each mistake in a plain
template is named where it is written, by the rules the handler runs."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
from cfnlint.api import lint
from cfnlint.config import ManualArgs

REPO = Path(__file__).resolve().parents[2]
RULES = "cdk_backup_jobs.cfn_lint_rules"
RULE_ID = "E9501"

PROVIDER = "ServiceToken: !ImportValue BackupJobsProviderServiceToken"
ROLE = "IamRoleArn: arn:aws:iam::123456789012:role/backup-jobs/backup-role"
TABLE = "ResourceArn: arn:aws:dynamodb:us-east-1:123456789012:table/orders"
VAULT_ARN = "arn:aws:backup:eu-west-1:210987654321:backup-vault:copies"


def findings(template: str) -> list[tuple[int, str]]:
    """The rule's findings in a template: (line, message) each."""
    matches = lint(textwrap.dedent(template), config=ManualArgs(append_rules=[RULES], regions=["us-east-1"]))
    return [(match.linenumber, match.message) for match in matches if match.rule.id == RULE_ID]


def line_of(template: str, text: str) -> int:
    """The 1-based line of the template on which ``text`` is written (once)."""
    [line] = [n for n, written in enumerate(textwrap.dedent(template).splitlines(), 1) if text in written]
    return line


@pytest.mark.parametrize("template", sorted((REPO / "examples" / "cloudformation").glob("*.yaml")),
                         ids=lambda path: path.name)
def test_the_example_templates_pass_the_rule(template):
    text = template.read_text(encoding="utf-8")
    assert "Type: Custom::BackupJob" in text or "Type: Custom::CopyJob" in text  # the rule has work there
    assert findings(text) == []


BROKEN = f"""\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Misspelt:
    Type: Custom::BackupJob
    Properties:
      {PROVIDER}
      BackupVaultName: primary-vault
      {TABLE}
      {ROLE}
      WaitForCompletion: true
      WaitTimeoutMinute: 30
  OutOfRange:
    Type: Custom::BackupJob
    Properties:
      {PROVIDER}
      BackupVaultName: primary-vault
      {TABLE}
      {ROLE}
      StartWindowMinutes: 30
      Index: enabled
  NoSourceVault:
    Type: Custom::CopyJob
    Properties:
      {PROVIDER}
      RecoveryPointArn: arn:aws:backup:us-east-1:123456789012:recovery-point:x
      DestinationBackupVaultArn: {VAULT_ARN}
      {ROLE}
  ShortRetention:
    Type: Custom::CopyJob
    Properties:
      {PROVIDER}
      RecoveryPointArn: arn:aws:backup:us-east-1:123456789012:recovery-point:x
      SourceBackupVaultName: primary-vault
      DestinationBackupVaultArn: {VAULT_ARN}
      {ROLE}
      Lifecycle:
        MoveToColdStorageAfterDays: 30
        DeleteAfterDays: 100
  TwoJobs:
    Type: Custom::BackupJobResult
    Properties:
      {PROVIDER}
      BackupJobId: one
      CopyJobId: two
"""


def test_each_mistake_is_named_at_its_line():
    assert sorted(findings(BROKEN)) == sorted([
        (line_of(BROKEN, "WaitTimeoutMinute:"), "Custom::BackupJob property WaitTimeoutMinute is not a "
                                                "Custom::BackupJob member (did you mean WaitTimeoutMinutes?)"),
        (line_of(BROKEN, "StartWindowMinutes: 30"), "Custom::BackupJob property StartWindowMinutes must be between "
                                                    "60 and 52560000, got 30"),
        (line_of(BROKEN, "Index: enabled"), "Custom::BackupJob property Index must be one of ENABLED, DISABLED, "
                                            "got 'enabled'"),
        # Missing: at the resource's Properties.
        (line_of(BROKEN, "NoSourceVault:") + 2, "Custom::CopyJob property SourceBackupVaultName is required"),
        (line_of(BROKEN, "DeleteAfterDays: 100"), "Custom::CopyJob property Lifecycle.DeleteAfterDays must be at least "
                                                  "MoveToColdStorageAfterDays + 90 (120), got 100"),
        (line_of(BROKEN, "CopyJobId: two"), "Custom::BackupJobResult property CopyJobId must not be given with "
                                            "BackupJobId: a result is one job's"),
    ])


def test_rules_across_properties_are_run():
    template = f"""\
    Resources:
      FinalBackup:
        Type: Custom::BackupJob
        Properties:
          {PROVIDER}
          BackupVaultName: primary-vault
          {TABLE}
          {ROLE}
          RunOnDelete: true
          StopOnDelete: true
      LongWait:
        Type: Custom::BackupJob
        Properties:
          {PROVIDER}
          BackupVaultName: primary-vault
          {TABLE}
          {ROLE}
          WaitForCompletion: true
          WaitTimeoutMinutes: 120
      NoJob:
        Type: Custom::BackupJobResult
        Properties:
          {PROVIDER}
    """
    assert [message for _, message in findings(template)] == [
        "Custom::BackupJob property StopOnDelete must not be true when RunOnDelete is true: the Delete is what runs "
        "the final backup",
        "Custom::BackupJob property WaitTimeoutMinutes must be at most 55 without a WaitCondition (CloudFormation "
        "waits at most one hour for a custom resource; a WaitCondition allows up to 710), got 120",
        "Custom::BackupJobResult property BackupJobId or CopyJobId is required",
    ]


def test_values_given_by_intrinsic_functions_are_not_judged():
    template = f"""\
    Parameters:
      Minutes:
        Type: Number
      Final:
        Type: String
    Conditions:
      Keep: !Equals [!Ref Final, "true"]
    Resources:
      Snapshot:
        Type: Custom::BackupJob
        Properties:
          {PROVIDER}
          BackupVaultName: !Ref AWS::StackName
          {TABLE}
          IamRoleArn: !Sub arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/backup-jobs/r
          StartWindowMinutes: !Ref Minutes
          RunOnDelete: !Ref Final
          StopOnDelete: true
          Lifecycle:
            DeleteAfterDays: !If [Keep, -1, !Ref Minutes]
          RecoveryPointTags:
            stack: !Ref AWS::StackName
    """
    assert findings(template) == []


def test_literals_are_read_as_the_strings_cloudformation_sends():
    # A number or a boolean where a string is due arrives as its text: RunToken "5", the tag value "true".
    template = f"""\
    Resources:
      Snapshot:
        Type: Custom::BackupJob
        Properties:
          {PROVIDER}
          BackupVaultName: primary-vault
          {TABLE}
          {ROLE}
          RunToken: 5
          StartWindowMinutes: "60"
          RecoveryPointTags:
            reviewed: true
    """
    assert findings(template) == []


def test_the_cfn_lint_command_line_loads_the_rule_by_its_module_name(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    cfn_lint = Path(sysconfig.get_path("scripts")) / "cfn-lint"
    result = subprocess.run([str(cfn_lint), str(broken), "--append-rules", RULES, "--format", "parseable"],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)

    # cfn-lint's exit code is a bit mask: 2 is an error found.
    assert result.returncode == 2, result.stdout + result.stderr
    expected = (f"{broken}:{line_of(BROKEN, 'WaitTimeoutMinute:')}:7:{line_of(BROKEN, 'WaitTimeoutMinute:')}:24:"
                f"{RULE_ID}:Custom::BackupJob property WaitTimeoutMinute is not a Custom::BackupJob member "
                "(did you mean WaitTimeoutMinutes?)")
    assert expected in result.stdout.splitlines(), result.stdout
    assert len([line for line in result.stdout.splitlines() if f":{RULE_ID}:" in line]) == 6


def test_the_rule_module_loads_without_aws_cdk_lib():
    # It runs wherever cfn-lint and this package are installed: no Node.js, no jsii.
    code = (f"import sys, {RULES}; "
            "sys.exit(1 if any(m.split('.')[0] in ('aws_cdk', 'jsii') for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


@pytest.mark.parametrize("page", ["README.md", "docs/cloudformation.md"])
def test_the_pages_name_the_rule_module_and_put_the_templates_first(page):
    # cfn-lint's --append-rules takes every name after it: a template written after the module would be
    # read as another rule module.
    import re

    commands = re.findall(r"cfn-lint (\S+) --append-rules ([\w.]+)", (REPO / page).read_text())
    assert commands and all(module == RULES for _, module in commands), commands


def waited_job(job: str, minutes: int, condition: str) -> str:
    """A job resource that waits ``minutes`` for the WaitCondition named ``condition``, as template lines."""
    return f"""
      {job}:
        Type: Custom::BackupJob
        Properties:
          {PROVIDER}
          BackupVaultName: primary-vault
          {TABLE}
          {ROLE}
          WaitForCompletion: true
          WaitTimeoutMinutes: {minutes}
          WaitCondition: {condition}"""


def test_a_yaml_templates_wait_condition_is_held_to_the_rule_the_handler_applies_to_json():
    # The handler reads the template with GetTemplate, which answers as the template was given; the rule is also
    # checked here, before a deploy. Too short a Timeout, over PT12H, no DependsOn.
    def waited(job: str, minutes: int, timeout: str, depends_on: bool) -> str:
        return waited_job(job, minutes, f"{job}Done") + f"""
      {job}Done:
        Type: AWS::CloudFormation::WaitCondition
        {"DependsOn: " + job if depends_on else ""}
        CreationPolicy:
          ResourceSignal:
            Timeout: {timeout}"""
    template = "Resources:" + "".join(waited(*case) for case in (
        ("Short", 180, "PT2H", True), ("Long", 710, "PT730M", True), ("Unordered", 60, "PT70M", False),
        ("Fine", 710, "PT12H", True)))

    assert [message for _, message in findings(template)] == [
        "Custom::BackupJob property WaitCondition ShortDone's Timeout must be WaitTimeoutMinutes + 10 minutes "
        "(PT190M for 180) to PT12H, got 'PT2H'",
        "Custom::BackupJob property WaitCondition LongDone's Timeout must be WaitTimeoutMinutes + 10 minutes "
        "(PT720M for 710) to PT12H, got 'PT730M'",
        "Custom::BackupJob property WaitCondition UnorderedDone must have DependsOn: Unordered (its Timeout starts "
        "when CloudFormation starts creating it)",
    ]


def test_a_wait_condition_that_cannot_be_signalled_once_is_named():
    # A name that is no WaitCondition, an old-style WaitCondition (a handle, no CreationPolicy) and a Count of 2
    # all end in CloudFormation's bare timeout with the job left running: the provider sends one signal.
    template = "Resources:" + waited_job("Missing", 60, "Nope") + waited_job("OldStyle", 60, "Handled") \
        + waited_job("Twice", 60, "TwoSignals") \
        + """
      Handle:
        Type: AWS::CloudFormation::WaitConditionHandle
      Handled:
        Type: AWS::CloudFormation::WaitCondition
        DependsOn: OldStyle
        Properties:
          Handle: !Ref Handle
          Timeout: "4200"
      TwoSignals:
        Type: AWS::CloudFormation::WaitCondition
        DependsOn: Twice
        CreationPolicy:
          ResourceSignal:
            Count: 2
            Timeout: PT70M"""

    assert [message for _, message in findings(template)] == [
        "Custom::BackupJob property WaitCondition must be the logical ID of an AWS::CloudFormation::WaitCondition of "
        "this template with a CreationPolicy (ResourceSignal), got 'Nope'",
        "Custom::BackupJob property WaitCondition must be the logical ID of an AWS::CloudFormation::WaitCondition of "
        "this template with a CreationPolicy (ResourceSignal), got 'Handled'",
        "Custom::BackupJob property WaitCondition TwoSignals's ResourceSignal Count must be 1 (the provider signals "
        "once), got 2",
    ]
