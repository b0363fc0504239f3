"""The provider's IAM policies held against parliament, which reads AWS's service authorization reference.

Our tests of the provider's rights (tests/library/provider/test_policy.py,
tests/testing/iam/test_model.py) share our beliefs about IAM; parliament (duo-labs) does not: for each action it knows,
from AWS's Service Authorization Reference, which resource types it takes and
which condition keys it accepts, and it flags an action that does not exist, a
resource ARN no resource type of the action matches, a condition key the action
does not take, a malformed ARN or document, and the like.

Every policy document attached to the provider's role (its inline
AWS::IAM::Policy documents and its overflow AWS::IAM::ManagedPolicy documents)
is checked, for every configuration our tests synthesize: the example app's
three stacks, BackupJobsProviderStack with and without narrowing props, the
template BackupJobsProviderStackSet carries, a stack of waited jobs, copies,
final backups and stop_on_delete, and a stack of 200 jobs whose rights spill
into managed policies. Its tokens are resolved to the concrete values
CloudFormation would give them (account 123456789012, us-east-1, partition
aws, the resources' names) first, as parliament reads ARNs, not tokens.

No finding may stand unless ``ACKNOWLEDGED`` names it with its reason.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import parliament
import pytest
from aws_cdk import App, Duration, Stack, aws_backup as backup, aws_dynamodb as dynamodb, aws_iam as iam
from aws_cdk.assertions import Template

from cdk_backup_jobs import BackupJob, BackupJobsProviderStack, BackupJobsProviderStackSet, CopyJob

pytestmark = pytest.mark.slow  # a dozen synths, two of the example app and one of 200 jobs

REPO = Path(__file__).resolve().parents[3]
ACCOUNT, REGION, PARTITION = "123456789012", "us-east-1", "aws"

ACKNOWLEDGED: dict[str, str] = {
    # finding issue -> why it stands (the only finding parliament makes in any of these policies).
    "PERMISSIONS_MANAGEMENT_ACTIONS":
        "iam:PassRole (parliament's community auditor flags it wherever it is allowed): StartBackupJob and "
        "StartCopyJob take the job's IamRoleArn, which the caller must be allowed to pass; the provider's "
        "statement names the jobs' roles (or role/*, narrowed by job_role_arns, in the shared provider) and "
        "only to backup.amazonaws.com (iam:PassedToService), which the test checks of every such statement",
}


# --- tokens resolved as CloudFormation would --------------------------------------------------------------

class Resolved:
    """A template's intrinsic functions with concrete values: pseudo parameters, the Ref and Fn::GetAtt
    of the resource types the provider's policies name (an unknown one fails the test, naming it)."""

    def __init__(self, stack_name: str, template: dict[str, Any], parameters: dict[str, str] | None = None) -> None:
        self.stack_name = stack_name
        self.resources = template.get("Resources", {})
        self.parameters = {k: v.get("Default") for k, v in template.get("Parameters", {}).items()}
        self.parameters.update(parameters or {})
        self.pseudo = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": PARTITION,
                       "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": stack_name,
                       "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/{stack_name}/"
                                       "0a1b2c3d-4e5f-6789-abcd-ef0123456789"}

    def name(self, logical_id: str) -> str:
        """A physical name as CloudFormation makes one: stack name, logical ID, a suffix."""
        return f"{self.stack_name}-{logical_id}-1A2B3C4D5E6F"[:64]

    def ref(self, logical_id: str) -> str:
        if logical_id in self.pseudo:
            return self.pseudo[logical_id]
        if logical_id in self.parameters:
            return str(self.parameters[logical_id])
        resource_type = self.resources[logical_id]["Type"]
        properties = self.resources[logical_id].get("Properties", {})
        named = {"AWS::Backup::BackupVault": "BackupVaultName", "AWS::IAM::Role": "RoleName",
                 "AWS::DynamoDB::Table": "TableName", "AWS::Logs::LogGroup": "LogGroupName",
                 "AWS::Lambda::Function": "FunctionName"}
        if resource_type not in named:
            raise KeyError(f"no Ref for {resource_type} ({logical_id})")
        given = properties.get(named[resource_type])
        return self.value(given) if given is not None else self.name(logical_id)

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource_type = self.resources[logical_id]["Type"]
        name = self.ref(logical_id)
        arns = {
            ("AWS::Backup::BackupVault", "BackupVaultArn"): f"arn:{PARTITION}:backup:{REGION}:{ACCOUNT}:backup-vault:{name}",
            ("AWS::IAM::Role", "Arn"): f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}",
            ("AWS::DynamoDB::Table", "Arn"): f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            # A log group's Arn attribute ends in ":*" (AWS::Logs::LogGroup, "Return values").
            ("AWS::Logs::LogGroup", "Arn"): f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{name}:*",
            ("AWS::Lambda::Function", "Arn"): f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{name}",
        }
        if (resource_type, attribute) not in arns:
            raise KeyError(f"no Fn::GetAtt {attribute} for {resource_type} ({logical_id})")
        return arns[(resource_type, attribute)]

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.value(v) for v in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"}:
            return self.ref(node["Ref"])
        if set(node) == {"Fn::GetAtt"}:
            target = node["Fn::GetAtt"]
            logical_id, attribute = target if isinstance(target, list) else target.split(".", 1)
            return self.get_att(logical_id, attribute)
        if set(node) == {"Fn::Join"}:
            separator, parts = node["Fn::Join"]
            return separator.join(self.value(p) for p in parts)
        if set(node) == {"Fn::Sub"}:
            text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
            for variable in {*self.pseudo, *self.parameters}:
                text = text.replace("${" + variable + "}", self.ref(variable))
            assert "${" not in text, text
            return text
        if any(key.startswith("Fn::") for key in node):
            raise KeyError(f"no resolution of {sorted(node)}")
        return {k: self.value(v) for k, v in node.items()}


def provider_policies(stack_name: str, template: dict[str, Any],
                      parameters: dict[str, str] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, document) for each policy attached to the provider's role, its tokens resolved."""
    resolved = Resolved(stack_name, template, parameters)
    [role] = [lid for lid, r in template["Resources"].items()
              if r["Type"] == "AWS::IAM::Role" and lid.startswith("BackupJobsProviderRole")]
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") \
                and {"Ref": role} in properties.get("Roles", []):
            yield f"{stack_name}/{logical_id}", resolved.value(properties["PolicyDocument"])


# --- the configurations our tests synthesize ------------------------------------------------------------

def templates_of(app: App) -> Iterator[tuple[str, dict[str, Any]]]:
    for stack in app.synth().stacks:
        yield stack.stack_name, stack.template


def example_app() -> Iterator[tuple[str, dict[str, Any], dict[str, str]]]:
    sys.path.insert(0, str(REPO))
    try:
        import app as example
    finally:
        sys.path.remove(str(REPO))
    for name, template in templates_of(example.build_app(App())):
        yield name, template, {}


def provider_stacks() -> Iterator[tuple[str, dict[str, Any], dict[str, str]]]:
    app = App()
    BackupJobsProviderStack(app, "Provider")
    BackupJobsProviderStack(app, "NarrowedProvider", export_name="Narrowed-Token",
                            vault_names=["orders", "orders-*"],
                            job_role_arns=[f"arn:aws:iam::{ACCOUNT}:role/backup-jobs-role"])
    for name, template in templates_of(app):
        yield name, template, {}


def stack_set_template() -> Iterator[tuple[str, dict[str, Any], dict[str, str]]]:
    management = Stack(App(), "Fleet")
    BackupJobsProviderStackSet(management, "Provider", organizational_unit_ids=["ou-ab12-cdef5678"],
                               regions=[REGION, "eu-west-1"], asset_bucket_prefix="acme-backup-jobs-code",
                               export_name="Team-BackupJobsToken", vault_names=["orders-*"])
    [resource] = Template.from_stack(management).find_resources("AWS::CloudFormation::StackSet").values()
    properties = resource["Properties"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in properties["Parameters"]}
    yield "StackSetInstance", json.loads(properties["TemplateBody"]), parameters


def jobs_of_every_kind() -> Iterator[tuple[str, dict[str, Any], dict[str, str]]]:
    app = App()
    stack = Stack(app, "Jobs")
    table = dynamodb.Table(stack, "Table", partition_key=dynamodb.Attribute(name="pk",
                                                                         type=dynamodb.AttributeType.STRING))
    vault = backup.BackupVault(stack, "Vault")
    copies = backup.BackupVault(stack, "Copies")
    role = iam.Role(stack, "BackupRole", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    other_role = iam.Role.from_role_arn(stack, "OtherRole", f"arn:aws:iam::{ACCOUNT}:role/other-backup-role",
                                        mutable=False)
    waited = BackupJob(stack, "Waited", backup_vault=vault, resource_arn=table.table_arn, role=role,
                       wait_for_completion=True, timeout=Duration.minutes(50))
    waited.copy_to("Copy", destination_backup_vault=copies, wait_for_completion=True)
    waited.copy_to("CrossRegionCopy", destination_backup_vault="arn:aws:backup:eu-west-1:123456789012:backup-vault:dr")
    CopyJob(stack, "CopyOfAPoint", recovery_point_arn=f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:abc",
            source_backup_vault="primary-vault", destination_backup_vault=copies, role=other_role)
    BackupJob.final_backup(stack, "Final", resource=table, resource_arn=table.table_arn, backup_vault=vault,
                           role=role)
    BackupJob(stack, "Stoppable", backup_vault="named-vault", resource_arn=table.table_arn, role=other_role,
              stop_on_delete=True)
    for name, template in templates_of(app):
        yield name, template, {}


def two_hundred_jobs() -> Iterator[tuple[str, dict[str, Any], dict[str, str]]]:
    from library.provider.test_policy_size import fleet

    app = App()
    fleet(app, 200)
    for name, template in templates_of(app):
        yield name, template, {}


CONFIGURATIONS: dict[str, Callable[[], Iterator[tuple[str, dict[str, Any], dict[str, str]]]]] = {
    "example app": example_app, "provider stacks": provider_stacks, "StackSet template": stack_set_template,
    "jobs of every kind": jobs_of_every_kind, "200 jobs": two_hundred_jobs,
}


# --- parliament ---------------------------------------------------------------------------------------------

TYPES_PARLIAMENT_LACKS = {"ArrayOfARN": "Arn"}
"""Condition key types the Service Authorization Reference uses that parliament 1.6 does not know, as the
type parliament knows for one of their values: ``backup:CopyTargets`` is an ArrayOfARN (the shared provider's
copy-target Deny), on which parliament raises "Unknown data format"."""


def findings(document: dict[str, Any]) -> list[Any]:
    """parliament's findings on one policy document (its own auditors and the community's)."""
    from unittest import mock

    with mock.patch.object(parliament.statement, "translate_documentation_types",
                           _with_known_types(parliament.statement.translate_documentation_types)):
        policy = parliament.analyze_policy_string(json.dumps(document), include_community_auditors=True)
    return list(policy.findings)


def _with_known_types(translate: Callable[[str], str]) -> Callable[[str], str]:
    return lambda documented: translate(TYPES_PARLIAMENT_LACKS.get(documented, documented))


def test_parliament_still_lacks_the_types_it_is_taught_here():
    # If parliament learns them, drop them from TYPES_PARLIAMENT_LACKS.
    for documented in TYPES_PARLIAMENT_LACKS:
        with pytest.raises(Exception, match="Unknown data format"):
            parliament.statement.translate_documentation_types(documented)


def pass_role_conditions(document: dict[str, Any]) -> list[Any]:
    return [statement.get("Condition") for statement in document["Statement"]
            if "iam:PassRole" in (statement["Action"] if isinstance(statement["Action"], list)
                                  else [statement["Action"]])]


def test_parliament_runs_and_reports_a_bad_policy():
    # The check can fail: an action StartBackupJob does not have, a resource of the wrong service,
    # and a condition key the action does not take are each a finding.
    bad = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "backup:StartBackupJobs", "Resource": "*"},
        {"Effect": "Allow", "Action": "backup:StartBackupJob",
         "Resource": f"arn:aws:s3:::not-a-vault"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/r",
         "Condition": {"StringEquals": {"backup:CopyTargets": "x"}}},
    ]}

    issues = {finding.issue for finding in findings(bad)}

    assert {"UNKNOWN_ACTION", "RESOURCE_MISMATCH", "UNKNOWN_CONDITION_FOR_ACTION"} <= issues, issues


def test_parliament_reads_the_providers_own_documents_closely_enough_to_catch_a_wrong_arn():
    # The same pipeline as below, on a real provider policy with one ARN of the wrong form: StartBackupJob
    # takes a backup vault, not a recovery point (Service Authorization Reference, AWS Backup).
    [(where, document)] = [(w, d) for name, template, parameters in provider_stacks() if name == "Provider"
                           for w, d in provider_policies(name, template, parameters) if "PolicyF90" in w]
    assert not [f for f in findings(document) if f.issue not in ACKNOWLEDGED], where
    for statement in document["Statement"]:
        if statement["Action"] == "backup:StartBackupJob":
            statement["Resource"] = statement["Resource"].replace(":backup-vault:", ":recovery-point:")

    assert "RESOURCE_MISMATCH" in {f.issue for f in findings(document)}


@pytest.mark.parametrize("configuration", sorted(CONFIGURATIONS))
def test_every_policy_of_the_provider_role_has_no_unacknowledged_parliament_finding(configuration):
    checked, unacknowledged = [], []
    for stack_name, template, parameters in CONFIGURATIONS[configuration]():
        for where, document in provider_policies(stack_name, template, parameters):
            assert "Fn::" not in json.dumps(document) and '"Ref"' not in json.dumps(document), where
            checked.append((where, sum(len(s["Resource"]) if isinstance(s["Resource"], list) else 1
                                       for s in document["Statement"])))
            unacknowledged += [f"{where}: {f.issue} {f.detail} {f.location}" for f in findings(document)
                               if f.issue not in ACKNOWLEDGED]
            # What the PassRole acknowledgement's reason says of every statement that allows it.
            assert all(condition == {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}
                       for condition in pass_role_conditions(document)), where

    assert checked, configuration
    assert not unacknowledged, "\n".join(unacknowledged)
    print(f"\n{configuration}: {len(checked)} policies, {sum(n for _, n in checked)} resource ARNs checked")
