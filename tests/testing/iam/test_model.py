"""The simulator's IAM: policies judged as IAM judges them, changes in effect only after a delay, and the
provider's retry getting through it (or failing with AWS's own message when it cannot)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, aws_backup as backup, aws_iam as iam

from cdk_backup_jobs import BackupJob
from cdk_backup_jobs.testing import ManualClock, read_assembly_template
from cdk_backup_jobs.testing.iam.model import AccountIam, evaluate, function_access_key

VOLUME = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0"
VAULT_ARN = "arn:aws:backup:us-east-1:123456789012:backup-vault:vault"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:Jobs-Provider"
ROLE = "arn:aws:iam::123456789012:role/Jobs-ProviderRole"


def allow(actions: Any, resources: Any = "*", effect: str = "Allow", **other: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": actions, "Resource": resources,
                                                    **other}]}


# --- the evaluator ------------------------------------------------------------------------------

def test_an_allow_matches_actions_without_regard_to_case_and_resources_by_wildcards():
    policy = allow(["backup:startbackupjob"], "arn:aws:backup:us-east-1:123456789012:backup-vault:va?lt*")
    assert evaluate([policy], "backup:StartBackupJob", VAULT_ARN) == "Allow"
    assert evaluate([policy], "backup:StartBackupJob", VAULT_ARN.replace("vault", "other")) is None
    assert evaluate([policy], "backup:StartCopyJob", VAULT_ARN) is None
    assert evaluate([allow("backup:Describe*")], "backup:DescribeBackupJob", "*") == "Allow"


def test_an_explicit_deny_wins_over_any_allow():
    assert evaluate([allow("backup:*"), allow("backup:StartBackupJob", effect="Deny")],
                    "backup:StartBackupJob", VAULT_ARN) == "Deny"


def test_not_action_and_not_resource_allow_everything_else():
    not_action = {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
    assert evaluate([not_action], "backup:StartBackupJob", VAULT_ARN) == "Allow"
    assert evaluate([not_action], "iam:PassRole", ROLE) is None
    not_resource = {"Statement": [{"Effect": "Allow", "Action": "backup:*", "NotResource": VAULT_ARN}]}
    assert evaluate([not_resource], "backup:StartBackupJob", VAULT_ARN) is None
    assert evaluate([not_resource], "backup:StartBackupJob", VAULT_ARN + "2") == "Allow"


def test_a_condition_is_not_evaluated():
    conditioned = allow("iam:PassRole", ROLE, Condition={"StringEquals": {"iam:PassedToService": "x.amazonaws.com"}})
    assert evaluate([conditioned], "iam:PassRole", ROLE) == "Allow"


# --- the account's IAM ----------------------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def account(delay: float = 0.0) -> tuple[AccountIam, Clock]:
    clock = Clock()
    model = AccountIam(clock=clock, delay_seconds=delay)
    model.resource_changed("stack", "ProviderRole", "AWS::IAM::Role", "Jobs-ProviderRole", {})
    model.register_function(FUNCTION, ROLE)
    return model, clock


def test_a_function_is_denied_what_its_role_s_policies_do_not_allow_in_aws_s_words():
    model, _ = account()
    model.resource_changed("stack", "Policy", "AWS::IAM::Policy", "Jobs-Policy",
                           {"Roles": ["Jobs-ProviderRole"], "PolicyDocument": allow("backup:DescribeBackupJob")})
    key = function_access_key(FUNCTION)

    assert model.denial(key, "backup:DescribeBackupJob", "*") is None
    assert model.denial(key, "backup:StartBackupJob", VAULT_ARN) == (
        "User: arn:aws:sts::123456789012:assumed-role/Jobs-ProviderRole/Jobs-Provider is not authorized to "
        f"perform: backup:StartBackupJob on resource: {VAULT_ARN} because no identity-based policy allows the "
        "backup:StartBackupJob action")
    assert [d.pending for d in model.denials] == [False]


def test_callers_the_model_does_not_know_are_allowed():
    model, _ = account()
    assert model.denial("testing", "backup:StartBackupJob", VAULT_ARN) is None  # a test's own client
    assert model.denial(None, "backup:StartBackupJob", VAULT_ARN) is None


def test_a_new_policy_takes_effect_after_the_delay_and_a_changed_one_keeps_its_old_version_until_then():
    model, clock = account(delay=3600.0)  # an hour of the simulation's time: real time cannot reach it here
    key = function_access_key(FUNCTION)
    model.resource_changed("stack", "Policy", "AWS::IAM::Policy", "Jobs-Policy",
                           {"Roles": ["Jobs-ProviderRole"], "PolicyDocument": allow("backup:StartBackupJob")})
    assert model.denial(key, "backup:StartBackupJob", VAULT_ARN) is not None
    assert model.denials[-1].pending

    clock.now += 3600.0
    assert model.denial(key, "backup:StartBackupJob", VAULT_ARN) is None
    model.resource_changed("stack", "Policy", "AWS::IAM::Policy", "Jobs-Policy",
                           {"Roles": ["Jobs-ProviderRole"], "PolicyDocument": allow("backup:StartCopyJob")})
    assert model.denial(key, "backup:StartBackupJob", VAULT_ARN) is None  # the old version still counts
    assert model.denial(key, "backup:StartCopyJob", "*") is not None
    clock.now += 3600.0
    assert model.denial(key, "backup:StartBackupJob", VAULT_ARN) is not None


def test_inline_policies_count_and_unknown_managed_policies_are_named():
    model, _ = account()
    managed = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    model.resource_changed("stack", "ProviderRole", "AWS::IAM::Role", "Jobs-ProviderRole", {
        "Policies": [{"PolicyName": "inline", "PolicyDocument": allow("events:PutRule")}],
        "ManagedPolicyArns": [managed]})
    key = function_access_key(FUNCTION)
    assert model.denial(key, "events:PutRule", "arn:aws:events:us-east-1:123456789012:rule/x") is None
    assert model.denial(key, "events:DeleteRule", "arn:aws:events:us-east-1:123456789012:rule/x") is not None
    assert model.unresolved_managed_policies == {managed}


def test_a_new_role_cannot_be_assumed_by_aws_backup_until_it_takes_effect():
    model, clock = account(delay=3600.0)
    model.resource_changed("stack", "JobRole", "AWS::IAM::Role", "Jobs-JobRole", {})
    assert model.role_not_assumable("arn:aws:iam::123456789012:role/Jobs-JobRole")
    clock.now += 3600.0
    assert not model.role_not_assumable("arn:aws:iam::123456789012:role/Jobs-JobRole")
    assert not model.role_not_assumable("arn:aws:iam::123456789012:role/defined-elsewhere")


def trust(*services: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": list(services)}, "Action": "sts:AssumeRole"}]}


def test_a_role_that_does_not_trust_aws_backup_cannot_be_assumed_by_it():
    model, _ = account()
    model.resource_changed("stack", "Lambda", "AWS::IAM::Role", "Jobs-LambdaRole",
                           {"AssumeRolePolicyDocument": trust("lambda.amazonaws.com")})
    model.resource_changed("stack", "Both", "AWS::IAM::Role", "Jobs-BothRole",
                           {"AssumeRolePolicyDocument": trust("lambda.amazonaws.com", "backup.amazonaws.com")})
    denied = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    model.resource_changed("stack", "Denied", "AWS::IAM::Role", "Jobs-DeniedRole", {"AssumeRolePolicyDocument": denied})

    assert model.role_not_assumable("arn:aws:iam::123456789012:role/Jobs-LambdaRole")
    assert model.role_not_assumable("arn:aws:iam::123456789012:role/Jobs-DeniedRole")
    assert not model.role_not_assumable("arn:aws:iam::123456789012:role/Jobs-BothRole")


# --- deployed through the simulator ---------------------------------------------------------------

def synth_one_job(tmp_path: Path) -> dict[str, Any]:
    """A stack that creates its job role, vault, provider and provider policy with its one job."""
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Jobs")
    role = iam.Role(stack, "JobRole", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    BackupJob(stack, "Job", backup_vault=backup.BackupVault(stack, "Vault"), resource_arn=VOLUME, role=role)
    app.synth()
    template: dict[str, Any] = read_assembly_template(tmp_path, "Jobs")
    return template


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == resource_type}


def short_timeout(template: dict[str, Any], seconds: int = 15) -> None:
    """The provider's function times out after ``seconds``: its retry budget is that less its 10 s margin."""
    [function] = of_type(template, "AWS::Lambda::Function").values()
    function["Properties"]["Timeout"] = seconds


def deploy(tmp_path: Path, cfn_stack: Any, template: dict[str, Any]) -> tuple[Any, str]:
    with cfn_stack(tmp_path, stack_name="Jobs") as stack:
        result = stack.deploy(template)
        logs = stack.function_logs
    return result, logs


def failed_reason(logs: str) -> str:
    """The whole reason the provider logged for the failed request (the answer's Reason is clipped)."""
    [failed] = [line for line in map(json.loads, (l for l in logs.splitlines() if l.startswith("{")))
                if line.get("message") == "Request failed"]
    return str(failed["reason"])


pytestmark_slow = pytest.mark.slow


@pytestmark_slow
def test_the_policies_a_stack_deploys_allow_every_call_its_provider_makes(tmp_path, aws_backup, cfn_stack,
                                                                          cfn_scheduler):
    cfn_scheduler.state.iam.delay_seconds = 0  # about what the policies allow, not when
    result, _ = deploy(tmp_path, cfn_stack, synth_one_job(tmp_path))

    assert result.status == "CREATE_COMPLETE", result.reason
    model = cfn_scheduler.state.iam
    assert len(model.functions) == 1 and model.denials == []  # judged, and allowed
    assert len(aws_backup.state.backup_jobs) == 1


@pytestmark_slow
def test_a_provider_policy_created_in_the_same_deployment_is_waited_for(tmp_path, aws_backup, cfn_stack,
                                                                        cfn_scheduler):
    cfn_scheduler.state.iam.delay_seconds = 3.0
    result, logs = deploy(tmp_path, cfn_stack, synth_one_job(tmp_path))

    assert result.status == "CREATE_COMPLETE", result.reason
    denials = cfn_scheduler.state.iam.denials
    assert denials and all(d.pending for d in denials)
    assert denials[0].action == "backup:StartBackupJob"
    assert "Denied, as a new IAM policy or role may not be in effect yet" in logs
    assert len(aws_backup.state.backup_jobs) == 1  # the denied calls started nothing


@pytestmark_slow
def test_a_delay_longer_than_the_retry_budget_fails_with_aws_s_message_and_rolls_back(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler):
    cfn_scheduler.state.iam.delay_seconds = 600.0
    template = synth_one_job(tmp_path)
    short_timeout(template)
    result, logs = deploy(tmp_path, cfn_stack, template)

    assert result.status == "ROLLBACK_COMPLETE"
    assert "StartBackupJob failed: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/" in result.reason
    denials = cfn_scheduler.state.iam.denials
    assert len(denials) > 1 and all(d.pending for d in denials)  # tried again before giving up
    assert failed_reason(logs) == f"StartBackupJob failed: AccessDeniedException: {denials[-1].message}"
    assert denials[-1].message.endswith("because no identity-based policy allows the backup:StartBackupJob action")
    assert aws_backup.state.backup_jobs == {}


@pytestmark_slow
def test_a_policy_that_does_not_allow_the_start_is_denied_for_good(tmp_path, aws_backup, cfn_stack, cfn_scheduler):
    template = synth_one_job(tmp_path)
    short_timeout(template)
    for policy in of_type(template, "AWS::IAM::Policy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        policy["Properties"]["PolicyDocument"]["Statement"] = [
            s for s in statements if "backup:StartBackupJob" not in json.dumps(s.get("Action"))]
    result, logs = deploy(tmp_path, cfn_stack, template)

    assert result.status == "ROLLBACK_COMPLETE"
    denials = cfn_scheduler.state.iam.denials
    assert denials and not any(d.pending for d in denials)
    assert failed_reason(logs) == f"StartBackupJob failed: AccessDeniedException: {denials[-1].message}"
    assert "because no identity-based policy allows the backup:StartBackupJob action" in denials[-1].message
    assert aws_backup.state.backup_jobs == {}


@pytestmark_slow
def test_a_job_role_created_in_the_same_stack_is_waited_for_until_aws_backup_can_assume_it(
        tmp_path, aws_backup, cfn_stack, cfn_scheduler):
    # Only the job role is late: the provider's own role and policy take effect at once.
    cfn_scheduler.state.iam.delay_seconds = lambda resource_type, logical_id: \
        3.0 if logical_id.startswith("JobRole") else 0.0
    result, logs = deploy(tmp_path, cfn_stack, synth_one_job(tmp_path))

    assert result.status == "CREATE_COMPLETE", result.reason
    model = cfn_scheduler.state.iam
    [job] = aws_backup.state.backup_jobs.values()
    assert model.not_assumable and set(model.not_assumable) == {job.params["IamRoleArn"]}
    assert model.denials == []
    assert '"code": "InvalidParameterValueException"' in logs



def test_a_change_is_in_effect_for_the_operations_after_the_one_that_made_it():
    # The delay is the moments after CloudFormation reported the change; the next operation finds it in
    # effect however little simulated time passed in between.
    clock = ManualClock(1_000.0)
    model = AccountIam(clock=clock, delay_seconds=60.0)
    model.resource_changed("stack", "Policy", "AWS::IAM::Policy", "policy-1",
                           {"Roles": ["role"], "PolicyDocument": {"Statement": []}})
    assert model.policies[("stack", "Policy")].effective_at > model.now()

    model.operation_started()

    assert model.policies[("stack", "Policy")].effective_at <= model.now()
