"""BackupJobsProviderStackSet and BackupJobsAssetBucket: the StackSet resource, the provider template it
carries, the code's publication to each Region's bucket, validation, cfn-lint and cdk-nag."""

from __future__ import annotations

import inspect
import json
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Fn, Stack, Token, Validations, aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks

from cdk_backup_jobs import BackupJobsAssetBucket, BackupJobsProviderStackSet, JobValidationError
from cdk_backup_jobs.provider.provider import RUNTIME
from cdk_backup_jobs import StackSetCallAs, StackSetConcurrencyMode, StackSetRegionConcurrency
from cdk_backup_jobs.stack_set.template import TEMPLATE_BODY_LIMIT, add_provider_stack
from test_docs import code_names, doc_table, documented_params

OU = "ou-ab12-cdef5678"
ROOT = "r-ab12"
REGIONS = ["us-east-1", "eu-west-1"]
PREFIX = "acme-backup-jobs"
ORG = "o-abcdef1234"
REPO = Path(__file__).resolve().parents[3]
SECTION = "## Deploying the provider with a StackSet"
MANAGEMENT = Environment(account="111111111111", region="us-east-1")


def stack_set(stack: Stack, construct_id: str = "Provider", **props: Any) -> BackupJobsProviderStackSet:
    defaults: dict[str, Any] = {"organizational_unit_ids": [OU], "regions": REGIONS, "asset_bucket_prefix": PREFIX}
    return BackupJobsProviderStackSet(stack, construct_id, **{**defaults, **props})


def new_stack() -> Stack:
    return Stack(App(), "Fleet", env=MANAGEMENT)


def stack_set_properties(template: Template) -> dict[str, Any]:
    [resource] = template.find_resources("AWS::CloudFormation::StackSet").values()
    return resource["Properties"]


def carried(template: Template) -> dict[str, Any]:
    """The provider template inside the StackSet."""
    return json.loads(stack_set_properties(template)["TemplateBody"])


def of_type(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [resource for resource in template["Resources"].values() if resource["Type"] == resource_type]


def provider_statements(template: dict[str, Any]) -> dict[str, list[Any]]:
    """The provider policy's statements of the carried template: first action -> resources."""
    [policy] = [p for name, p in template["Resources"].items()
                if p["Type"] == "AWS::IAM::Policy" and name.startswith("BackupJobsProviderPolicy")]
    found = {}
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        found[actions[0]] = resources
    return found


# --- the StackSet resource ----------------------------------------------------

def test_a_service_managed_stack_set_to_the_ous_and_regions_with_auto_deployment_and_default_preferences():
    stack = new_stack()
    stack_set(stack, organizational_unit_ids=[OU, ROOT])

    Template.from_stack(stack).has_resource_properties("AWS::CloudFormation::StackSet", {
        "PermissionModel": "SERVICE_MANAGED",
        "CallAs": "SELF",
        "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
        "Capabilities": ["CAPABILITY_IAM"],
        "ManagedExecution": {"Active": True},
        "OperationPreferences": {"MaxConcurrentPercentage": 25, "FailureTolerancePercentage": 10,
                                 "RegionConcurrencyType": "PARALLEL"},
        "Parameters": [{"ParameterKey": "ExportName", "ParameterValue": "BackupJobsProviderServiceToken"}],
        "StackInstancesGroup": [{"DeploymentTargets": {"OrganizationalUnitIds": [OU, ROOT]},
                                 "Regions": REGIONS}],
        "StackSetName": Match.string_like_regexp("^Fleet-Provider-"),
    })


def test_default_preferences_set_no_count_and_no_concurrency_mode():
    preferences = stack_set_properties(Template.from_stack(stack_set(new_stack()).stack_set.stack))
    assert set(preferences["OperationPreferences"]) == {"MaxConcurrentPercentage", "FailureTolerancePercentage",
                                                         "RegionConcurrencyType"}


def test_preferences_call_as_name_and_export_name_come_from_the_props():
    stack = new_stack()
    stack_set(stack, max_concurrent_count=3, failure_tolerance_count=2, region_concurrency=StackSetRegionConcurrency.SEQUENTIAL,
              concurrency_mode=StackSetConcurrencyMode.SOFT_FAILURE_TOLERANCE, call_as=StackSetCallAs.DELEGATED_ADMIN,
              stack_set_name="backup-jobs-provider", export_name="Team:BackupJobsToken")
    properties = stack_set_properties(Template.from_stack(stack))

    assert properties["OperationPreferences"] == {
        "MaxConcurrentCount": 3, "FailureToleranceCount": 2, "RegionConcurrencyType": "SEQUENTIAL",
        "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE"}
    assert properties["CallAs"] == "DELEGATED_ADMIN"
    assert properties["StackSetName"] == "backup-jobs-provider"
    assert properties["Parameters"] == [{"ParameterKey": "ExportName", "ParameterValue": "Team:BackupJobsToken"}]


@pytest.mark.parametrize("prop, member", [
    ("max_concurrent_percentage", "MaxConcurrentPercentage"), ("max_concurrent_count", "MaxConcurrentCount"),
    ("failure_tolerance_percentage", "FailureTolerancePercentage"), ("failure_tolerance_count", "FailureToleranceCount"),
])
def test_each_preferences_range_is_the_apis(prop, member):
    """The bounds botocore's model gives StackSetOperationPreferences are accepted, one past them refused."""
    from botocore.loaders import Loader
    shapes = Loader().load_service_model("cloudformation", "service-2")["shapes"]
    shape = shapes[shapes["StackSetOperationPreferences"]["members"][member]["shape"]]
    edges = [shape["min"], *([shape["max"]] if "max" in shape else [])]
    for value in edges:
        stack = new_stack()
        stack_set(stack, **{prop: value})
        assert stack_set_properties(Template.from_stack(stack))["OperationPreferences"][member] == value
    for value in [shape["min"] - 1, *([shape["max"] + 1] if "max" in shape else [])]:
        with pytest.raises(JobValidationError, match=rf"{prop} must be .*, got {value}"):
            stack_set(new_stack(), **{prop: value})


def test_choices_may_be_given_as_their_strings():
    stack = new_stack()
    stack_set(stack, region_concurrency="SEQUENTIAL", call_as="DELEGATED_ADMIN")
    properties = stack_set_properties(Template.from_stack(stack))
    assert (properties["OperationPreferences"]["RegionConcurrencyType"], properties["CallAs"]) == \
        ("SEQUENTIAL", "DELEGATED_ADMIN")


def test_auto_deployment_off_leaves_out_retain_stacks():
    stack = new_stack()
    stack_set(stack, auto_deployment=False)
    assert stack_set_properties(Template.from_stack(stack))["AutoDeployment"] == {"Enabled": False}


def test_retained_stacks_on_account_removal():
    stack = new_stack()
    stack_set(stack, retain_stacks_on_account_removal=True)
    assert stack_set_properties(Template.from_stack(stack))["AutoDeployment"] == \
        {"Enabled": True, "RetainStacksOnAccountRemoval": True}


# --- the template it carries --------------------------------------------------

def test_the_carried_template_is_the_provider_with_its_code_in_each_regions_bucket():
    stack = new_stack()
    construct = stack_set(stack)
    template = Template.from_stack(stack)
    provider = carried(template)

    [function] = of_type(provider, "AWS::Lambda::Function")
    assert function["Properties"]["Code"] == {"S3Bucket": {"Fn::Sub": f"{PREFIX}-${{AWS::Region}}"},
                                              "S3Key": construct.asset_object_key}
    assert function["Properties"]["Runtime"] == RUNTIME.name
    assert construct.asset_object_key.endswith(".zip") and len(construct.asset_object_key) == 64 + 4
    # Member accounts are not bootstrapped: no bootstrap version check, no CDK metadata.
    assert "Rules" not in provider and "CDKMetadata" not in provider["Resources"]
    assert provider["Parameters"]["ExportName"]["Default"] == "BackupJobsProviderServiceToken"
    output = provider["Outputs"]["ServiceToken"]
    assert output["Export"] == {"Name": {"Ref": "ExportName"}}
    assert output["Value"]["Fn::GetAtt"][1] == "Arn"
    assert not of_type(provider, "AWS::IAM::Role")[0]["Properties"].get("RoleName")  # so CAPABILITY_IAM suffices


def test_the_narrowing_props_reach_the_providers_policy_inside():
    roles = ["arn:aws:iam::*:role/backup-jobs-*"]
    narrowed = provider_statements(carried(Template.from_stack(
        stack_set(new_stack(), vault_names=["prod-orders", "audit"], job_role_arns=roles).stack_set.stack)))
    default = provider_statements(carried(Template.from_stack(stack_set(new_stack()).stack_set.stack)))

    vaults = json.dumps(narrowed["backup:StartBackupJob"])
    assert ":backup-vault:prod-orders" in vaults and ":backup-vault:audit" in vaults
    assert ":backup-vault:*" not in vaults and ":backup-vault:*" in json.dumps(default["backup:StartBackupJob"])
    assert narrowed["iam:PassRole"] == roles
    assert narrowed["iam:PassRole"] != default["iam:PassRole"]


def test_the_template_body_is_well_under_cloudformations_limit():
    body = stack_set_properties(Template.from_stack(stack_set(new_stack()).stack_set.stack))["TemplateBody"]
    assert len(body.encode()) < TEMPLATE_BODY_LIMIT / 5


def test_a_template_body_over_the_limit_is_refused_with_its_size(monkeypatch):
    from cdk_backup_jobs.stack_set import provider_stack_set

    monkeypatch.setattr(provider_stack_set, "TEMPLATE_BODY_LIMIT", 1000)
    with pytest.raises(JobValidationError, match=r"vault_names, job_role_arns and copy_targets make the provider's "
                                                 r"template \d+ bytes, more than a StackSet's TemplateBody takes \(1000\)"):
        stack_set(new_stack())


# --- the code, published to each Region's bucket ------------------------------

def test_the_code_is_copied_into_each_regions_bucket_before_the_stack_set_and_kept():
    stack = new_stack()
    construct = stack_set(stack)
    template = Template.from_stack(stack)

    deployments = template.find_resources("Custom::CDKBucketDeployment")
    assert sorted(d["Properties"]["DestinationBucketName"] for d in deployments.values()) == \
        sorted(f"{PREFIX}-{region}" for region in REGIONS)
    for deployment in deployments.values():
        assert deployment["Properties"]["SourceObjectKeys"] == [construct.asset_object_key]
        assert (deployment["Properties"]["Extract"], deployment["Properties"]["Prune"],
                deployment["Properties"]["RetainOnDelete"]) == (False, False, True)
    [stack_set_resource] = template.find_resources("AWS::CloudFormation::StackSet").values()
    assert set(deployments) <= set(stack_set_resource["DependsOn"])


def test_without_copy_code_the_stack_holds_the_stack_set_alone():
    stack = new_stack()
    stack_set(stack, copy_code=False)
    [resource] = Template.from_stack(stack).to_json()["Resources"].values()
    assert resource["Type"] == "AWS::CloudFormation::StackSet" and "DependsOn" not in resource


def test_an_asset_bucket_with_copy_code_holds_the_zip_the_template_names():
    construct = stack_set(new_stack(), copy_code=False)
    stack = bucket_stack("eu-south-2")
    BackupJobsAssetBucket(stack, "Bucket", asset_bucket_prefix=PREFIX, organization_id=ORG, copy_code=True)

    [deployment] = Template.from_stack(stack).find_resources("Custom::CDKBucketDeployment").values()
    assert deployment["Properties"]["SourceObjectKeys"] == [construct.asset_object_key]
    assert deployment["Properties"]["DestinationBucketName"]["Ref"].startswith("Bucket")
    assert (deployment["Properties"]["Extract"], deployment["Properties"]["Prune"]) == (False, False)


def test_an_asset_bucket_copies_no_code_unless_told():
    stack = bucket_stack()
    BackupJobsAssetBucket(stack, "Bucket", asset_bucket_prefix=PREFIX, organization_id=ORG)
    Template.from_stack(stack).resource_count_is("Custom::CDKBucketDeployment", 0)


# --- validation ---------------------------------------------------------------

@pytest.mark.parametrize("props, message", [
    ({"organizational_unit_ids": ["ou-bad"]}, r"organizational_unit_ids must hold OU IDs .*, got 'ou-bad'"),
    ({"organizational_unit_ids": []}, r"organizational_unit_ids must name at least one OU ID, got \[\]"),
    ({"organizational_unit_ids": OU}, r"organizational_unit_ids must be a list of OU IDs, got str"),
    ({"organizational_unit_ids": [OU, OU]}, rf"organizational_unit_ids must list each OU ID once, got {OU} more than once"),
    ({"regions": ["us-east-1", "US-West-2"]}, r"regions must hold Region names .*, got 'US-West-2'"),
    ({"regions": ["useast1"]}, r"regions must hold Region names .*, got 'useast1'"),
    ({"asset_bucket_prefix": "Acme_Jobs"}, r"asset_bucket_prefix must start an S3 bucket name .*, got 'Acme_Jobs'"),
    ({"asset_bucket_prefix": "a" * 55}, r"asset_bucket_prefix must leave room for '-us-east-1' in a bucket name of "
                                        r"at most 63 characters, got 'a+' \(55 characters\)"),
    ({"vault_names": [Fn.import_value("Vault")]}, r"vault_names must be known at synth .*, got the token"),
    ({"job_role_arns": "arn:aws:iam::1:role/r"}, r"job_role_arns must be a list of role ARNs, got str"),
    ({"vault_names": []}, r"vault_names must name at least one vault name \(leave it out for all\), got \[\]"),
    ({"job_role_arns": []}, r"job_role_arns must name at least one role ARN \(leave it out for all\), got \[\]"),
    ({"export_name": "has spaces"}, r"export_name must match .*, got 'has spaces'"),
    ({"stack_set_name": "9lives"}, r"stack_set_name must match .*, got '9lives'"),
    ({"max_concurrent_percentage": 101}, r"max_concurrent_percentage must be from 1 to 100, got 101"),
    ({"max_concurrent_percentage": 0}, r"max_concurrent_percentage must be from 1 to 100, got 0"),
    ({"max_concurrent_count": 0}, r"max_concurrent_count must be 1 or more, got 0"),
    ({"failure_tolerance_percentage": 101}, r"failure_tolerance_percentage must be from 0 to 100, got 101"),
    ({"failure_tolerance_count": -1}, r"failure_tolerance_count must be 0 or more, got -1"),
    ({"failure_tolerance_percentage": -1}, r"failure_tolerance_percentage must be from 0 to 100, got -1"),
    ({"failure_tolerance_count": 1.5}, r"failure_tolerance_count must be a whole number, got float"),
    ({"max_concurrent_count": 2, "max_concurrent_percentage": 50},
     r"max_concurrent_percentage and max_concurrent_count are exclusive, got both \(50 and 2\)"),
    ({"failure_tolerance_count": 0, "failure_tolerance_percentage": 0},
     r"failure_tolerance_percentage and failure_tolerance_count are exclusive, got both \(0 and 0\)"),
    ({"region_concurrency": "ALL"}, r"region_concurrency must be one of PARALLEL, SEQUENTIAL, got 'ALL'"),
    ({"concurrency_mode": "LOOSE"}, r"concurrency_mode must be one of .*, got 'LOOSE'"),
    ({"call_as": "ADMIN"}, r"call_as must be one of SELF, DELEGATED_ADMIN, got 'ADMIN'"),
    ({"auto_deployment": "yes"}, r"auto_deployment must be True or False, got str"),
    ({"copy_code": 1}, r"copy_code must be True or False, got int"),
    ({"auto_deployment": False, "retain_stacks_on_account_removal": True},
     r"retain_stacks_on_account_removal applies only with auto_deployment"),
    ({"region_order": ["ap-south-1"]}, r"region_order must name Regions of regions, got ap-south-1"),
    ({"region_order": ["us-east-1", "us-east-1"]}, r"region_order must list each Region name once"),
    ({"region_order": "us-east-1"}, r"region_order must be a list of Region names, got str"),
])
def test_a_bad_prop_is_refused_naming_the_prop_and_the_value(props, message):
    with pytest.raises(JobValidationError, match=rf"(?s)Invalid props for Fleet/Provider "
                                                 rf"\(BackupJobsProviderStackSet\):.*{message}"):
        stack_set(new_stack(), **props)


def test_every_problem_is_reported_at_once():
    with pytest.raises(JobValidationError) as raised:
        stack_set(new_stack(), organizational_unit_ids=["ou-bad"], regions=["nowhere"], max_concurrent_count=0)
    assert [line.split(" ")[3] for line in str(raised.value).splitlines()[1:]] == \
        ["organizational_unit_ids", "regions", "max_concurrent_count"]


def test_a_token_is_not_checked():
    stack = new_stack()
    ou = Token.as_string(Fn.ref("OrganizationalUnit"))
    stack_set(stack, organizational_unit_ids=[ou], export_name=Fn.import_value("Name"),
              max_concurrent_percentage=Token.as_number(Fn.ref("Percent")))
    properties = stack_set_properties(Template.from_stack(stack))
    assert properties["StackInstancesGroup"][0]["DeploymentTargets"]["OrganizationalUnitIds"] == \
        [{"Ref": "OrganizationalUnit"}]
    assert properties["OperationPreferences"]["MaxConcurrentPercentage"] == {"Ref": "Percent"}


def test_an_asset_bucket_prefix_token_is_refused():
    with pytest.raises(JobValidationError, match=r"asset_bucket_prefix must be known at synth"):
        stack_set(new_stack(), asset_bucket_prefix=Fn.import_value("Prefix"))


# --- one Region's asset bucket ------------------------------------------------

def bucket_stack(region: str = "eu-west-1") -> Stack:
    return Stack(App(), f"Assets-{region}", env=Environment(account=MANAGEMENT.account, region=region))


def test_the_asset_bucket_is_named_for_its_region_and_readable_by_the_organization_only():
    stack = bucket_stack()
    BackupJobsAssetBucket(stack, "Bucket", asset_bucket_prefix=PREFIX, organization_id=ORG)
    template = Template.from_stack(stack)

    template.has_resource_properties("AWS::S3::Bucket", {
        "BucketName": f"{PREFIX}-eu-west-1",
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    })
    template.has_resource("AWS::S3::Bucket", {"DeletionPolicy": "Retain"})
    [policy] = template.find_resources("AWS::S3::BucketPolicy").values()
    statements = {s.get("Sid", s["Effect"]): s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    read = statements["OrganizationReadsProviderCode"]
    assert (read["Effect"], read["Action"], read["Principal"]) == ("Allow", "s3:GetObject", {"AWS": "*"})
    assert read["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG}}
    assert statements["Deny"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_an_environment_agnostic_asset_bucket_joins_the_prefix_and_the_region():
    stack = Stack(App(), "Assets")
    BackupJobsAssetBucket(stack, "Bucket", asset_bucket_prefix=PREFIX, organization_id=ORG)
    Template.from_stack(stack).has_resource_properties("AWS::S3::Bucket", {
        "BucketName": {"Fn::Join": ["-", [PREFIX, {"Ref": "AWS::Region"}]]}})


@pytest.mark.parametrize("props, message", [
    ({"organization_id": "123456789012"}, r"organization_id must be an Organization's ID .*, got '123456789012'"),
    ({"asset_bucket_prefix": "-acme"}, r"asset_bucket_prefix must start an S3 bucket name .*, got '-acme'"),
    ({"asset_bucket_prefix": "xn--acme"}, r"asset_bucket_prefix must start an S3 bucket name .*, got 'xn--acme'"),
    ({"removal_policy": "destroy"}, r"removal_policy must be a RemovalPolicy, got str"),
    ({"copy_code": "yes"}, r"copy_code must be True or False, got str"),
])
def test_a_bad_asset_bucket_prop_is_refused_naming_the_prop_and_the_value(props, message):
    with pytest.raises(JobValidationError, match=rf"(?s)Invalid props for .*/Bucket \(BackupJobsAssetBucket\):"
                                                 rf".*{message}"):
        BackupJobsAssetBucket(bucket_stack(), "Bucket", **{"asset_bucket_prefix": PREFIX, "organization_id": ORG,
                                                           **props})


# --- cdk-nag and cfn-lint -----------------------------------------------------

def fleet_app(outdir: Path, *, own_deployment: bool = False, copy_in_region: bool = False) -> App:
    """Each Region's asset bucket in a stack of its own, and the StackSet's stack, under cdk-nag; the code
    copied from the StackSet's stack, or (``copy_in_region``) by each bucket in its own Region."""
    app = App(outdir=str(outdir))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    buckets = [Stack(app, f"Assets-{region}", env=Environment(account=MANAGEMENT.account, region=region))
               for region in REGIONS]
    for stack in buckets:
        BackupJobsAssetBucket(stack, "AssetBucket", asset_bucket_prefix=PREFIX, organization_id=ORG,
                              copy_code=copy_in_region)
    fleet = Stack(app, "Fleet", env=MANAGEMENT)
    for stack in buckets:
        fleet.add_stack_dependency(stack)
    stack_set(fleet, vault_names=["prod-*"], job_role_arns=["arn:aws:iam::*:role/backup-jobs-*"],
              copy_code=not copy_in_region)
    if own_deployment:  # the user's own BucketDeployment shares the handler
        s3_deployment.BucketDeployment(fleet, "Site", sources=[s3_deployment.Source.data("index.html", "hi")],
                                       destination_bucket=s3.Bucket.from_bucket_name(fleet, "SiteBucket", "my-site"))
    return app


@pytest.mark.slow
@pytest.mark.parametrize("copy_in_region", [False, True], ids=["copied-from-the-stack-set", "copied-in-region"])
def test_the_stacks_pass_cdk_nag_and_each_acknowledgement_gives_its_reason(tmp_path, copy_in_region):
    fleet_app(tmp_path, copy_in_region=copy_in_region).synth()  # raises ValidationFailed on any unacknowledged finding

    report = json.loads((tmp_path / "validation-report.json").read_text())
    suppressed = {violation["ruleName"]: violation["reason"] for plugin in report["pluginReports"]
                  for violation in plugin["suppressedViolations"]}
    destination = "<AssetBucket" if copy_in_region else f"arn:<AWS::Partition>:s3:::{PREFIX}-eu-west-1/*"
    assert {"AwsSolutions-L1", "AwsSolutions-S1"} <= set(suppressed)
    assert [rule for rule in suppressed if rule.startswith(f"AwsSolutions-IAM5[Resource::{destination}")]
    assert all("BucketDeployment" in reason for rule, reason in suppressed.items() if rule != "AwsSolutions-S1")
    assert "server_access_logs_bucket" in suppressed["AwsSolutions-S1"]


@pytest.mark.slow
def test_another_bucket_deployment_sharing_the_handler_is_still_checked(tmp_path):
    with pytest.raises(Exception, match=r"(?s)ValidationFailed.*"
                                        r"AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:s3:::my-site/\*\]"):
        fleet_app(tmp_path, own_deployment=True).synth()


@pytest.mark.slow
def test_the_carried_provider_stack_passes_cdk_nag(tmp_path):
    app = App(outdir=str(tmp_path))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    add_provider_stack(app, asset_bucket_prefix=PREFIX, vault_names=["prod-*"])

    app.synth()  # raises ValidationFailed on any unacknowledged finding


def cfn_lint(template: Path) -> subprocess.CompletedProcess[str]:
    executable = Path(sysconfig.get_path("scripts")) / "cfn-lint"
    return subprocess.run([str(executable), "--format", "parseable", str(template)],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_stack_set_the_template_it_carries_and_the_buckets_pass_cfn_lint(tmp_path):
    fleet_app(tmp_path / "in-region", copy_in_region=True).synth()
    result = cfn_lint(tmp_path / "in-region" / "Assets-eu-west-1.template.json")
    assert result.returncode & ~(4 | 8) == 0, result.stdout + result.stderr
    assert all(":W3005:" in line for line in result.stdout.splitlines()), result.stdout
    assembly = fleet_app(tmp_path / "cdk.out").synth()
    fleet = assembly.get_stack_by_name("Fleet").template
    [stack_set_resource] = [r for r in fleet["Resources"].values() if r["Type"] == "AWS::CloudFormation::StackSet"]
    carried_file = tmp_path / "carried.template.json"
    carried_file.write_text(stack_set_resource["Properties"]["TemplateBody"])

    result = cfn_lint(tmp_path / "cdk.out" / "Assets-eu-west-1.template.json")
    assert result.returncode == 0, result.stdout + result.stderr
    for template in (carried_file, tmp_path / "cdk.out" / "Fleet.template.json"):
        result = cfn_lint(template)
        # cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational; 1 a crash.
        assert result.returncode & ~(4 | 8) == 0, result.stdout + result.stderr
        # The one warning: a DependsOn that aws-cdk-lib adds to a function beside the GetAtt of its role
        # (the provider's own, and aws-cdk-lib's BucketDeployment handler).
        assert all(":W3005:" in line for line in result.stdout.splitlines()), result.stdout


# --- the docs -----------------------------------------------------------------

def test_the_stack_sets_stack_holds_what_the_docs_say():
    # docs/organization.md: "With two Regions the StackSet's stack holds 8 resources"
    resources = Template.from_stack(stack_set(new_stack()).stack_set.stack).to_json()["Resources"]
    assert len(resources) == 8
    assert sorted({r["Type"] for r in resources.values()}) == [
        "AWS::CloudFormation::StackSet", "AWS::IAM::Policy", "AWS::IAM::Role", "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion", "Custom::CDKBucketDeployment"]


@pytest.mark.parametrize("construct", [BackupJobsProviderStackSet, BackupJobsAssetBucket])
def test_every_prop_is_in_the_docstring_and_the_organization_pages_table(construct):
    props = [name for name, p in inspect.signature(construct.__init__).parameters.items()
             if p.kind is inspect.Parameter.KEYWORD_ONLY]
    _, rows = doc_table("docs/organization.md", "prop", after=f"### `{construct.__name__}` props")
    assert set(props) == documented_params(construct)
    assert [name for row in rows for name in code_names(row[0])] == props


def test_the_organization_pages_example_synthesizes(tmp_path):
    page = (REPO / "docs" / "organization.md").read_text()
    example = page.split(SECTION, 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert example.count("App()") == 1
    exec(compile(example.replace("App()", f"App(outdir={str(tmp_path)!r})"), "organization.md", "exec"), {})

    fleet = json.loads((tmp_path / "BackupJobsFleet.template.json").read_text())
    [stack_set_resource] = [r for r in fleet["Resources"].values() if r["Type"] == "AWS::CloudFormation::StackSet"]
    assert stack_set_resource["Properties"]["StackInstancesGroup"][0]["Regions"] == ["us-east-1", "eu-west-1"]
    assert (tmp_path / "BackupJobsAssets-eu-west-1.template.json").exists()


def test_the_stack_set_name_id_and_arn_are_exposed_for_another_stack_sets_depends_on():
    stack = new_stack()
    construct = stack_set(stack, stack_set_name="backup-jobs-provider")
    assert construct.stack_set_name == "backup-jobs-provider"
    [logical_id] = Template.from_stack(stack).find_resources("AWS::CloudFormation::StackSet")
    assert stack.resolve(construct.stack_set_id) == {"Fn::GetAtt": [logical_id, "StackSetId"]}
    assert stack.resolve(construct.stack_set_arn) == {"Fn::Join": ["", [
        "arn:", {"Ref": "AWS::Partition"}, ":cloudformation:us-east-1:111111111111:stackset/",
        {"Fn::GetAtt": [logical_id, "StackSetId"]}]]}


def test_a_default_stack_set_name_is_the_one_synthesized():
    stack = new_stack()
    construct = stack_set(stack)
    assert stack_set_properties(Template.from_stack(stack))["StackSetName"] == construct.stack_set_name


def test_region_order_reaches_the_operation_preferences_and_warns_with_auto_deployment():
    from aws_cdk.assertions import Annotations
    stack = new_stack()
    stack_set(stack, regions=["us-east-1", "eu-west-1"], region_order=["eu-west-1", "us-east-1"],
              auto_deployment=False, region_concurrency="SEQUENTIAL")
    assert stack_set_properties(Template.from_stack(stack))["OperationPreferences"]["RegionOrder"] == \
        ["eu-west-1", "us-east-1"]
    assert not Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp(".*region-order.*"))

    auto = new_stack()
    stack_set(auto, regions=["us-east-1", "eu-west-1"], region_order=["eu-west-1"])
    [warning] = Annotations.from_stack(auto).find_warning("*", Match.string_like_regexp(".*region-order.*"))
    assert "does not follow RegionOrder when AutoDeployment is enabled" in str(warning.entry.data)
