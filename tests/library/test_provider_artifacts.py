"""The provider as release artifacts (issue 23, items 1, 2, 5, 9): a plain CloudFormation template and a code zip.

The template is ``BackupJobsProviderStack`` synthesized with parameters
(``release_template``), committed as package data; the zip is the CDK's own
asset, zipped the same way everywhere (``provider_artifacts``). These tests
keep the committed template what the stack synthesizes now, hold it at each
parameter to the CDK stack given the matching prop, and deploy both artifacts
on the simulator, then a hand-written job template against their export.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest
from aws_cdk import App

from cdk_backup_jobs import BackupJobsProviderStack
from cdk_backup_jobs.provider.asset import package_version
from cdk_backup_jobs.provider_artifacts import (RELEASE_DIR, SAM_README_NAME, SAM_TEMPLATE_NAME, TEMPLATE_NAME,
                                                provider_zip, write_artifacts, zip_name)
from cdk_backup_jobs.provider.asset import asset_files
from cdk_backup_jobs.testing.cloudformation.intrinsics import Resolver, active_resources
from cdk_backup_jobs.testing.cloudformation.outputs import parameter_values
from cdk_backup_jobs.testing.cloudformation.stack import stack_arn
from cdk_backup_jobs.testing.cloudformation.template import TemplateError, load_template

REPO = Path(__file__).resolve().parents[2]
COMMITTED = RELEASE_DIR / TEMPLATE_NAME
ACCOUNT, REGION = "123456789012", "us-east-1"
CODE = {"CodeBucket": "releases-bucket", "CodeKey": zip_name()}
ROLE = f"arn:aws:iam::{ACCOUNT}:role/backup-jobs/orders"
TARGET = f"arn:aws:backup:eu-west-1:{ACCOUNT}:backup-vault:dr"
ORG_PATH = "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"
EXAMPLE = REPO / "examples" / "cloudformation" / "backup-job.yaml"
STACK_ID = stack_arn("BackupJobsProvider")


# --- the committed template is the stack synthesized now -------------------------------------------

def test_the_committed_release_files_are_the_provider_stack_synthesized_now():
    from cdk_backup_jobs.release.template import release_files

    generated = release_files()

    assert set(generated) == {TEMPLATE_NAME, SAM_TEMPLATE_NAME, SAM_README_NAME}
    for name, content in generated.items():
        assert (RELEASE_DIR / name).read_text() == content, \
            f"{name} is stale: run `python -m cdk_backup_jobs.release.template` and commit it"


# --- the same resources, policies and settings as the CDK stack ------------------------------------

class AnyAttribute(Mapping[str, str]):
    """A resource's Fn::GetAtt values, the same in both templates: ``<logical ID>.<attribute>``."""

    def __init__(self, logical_id: str) -> None:
        self.logical_id = logical_id

    def __getitem__(self, attribute: str) -> str:
        return f"{self.logical_id}.{attribute}"

    def __contains__(self, attribute: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def policy_lists(value: Any) -> Any:
    """A policy's one-value members as one-element lists, which IAM reads alike (a list parameter's Ref is a list)."""
    if isinstance(value, list):
        return [policy_lists(item) for item in value]
    if not isinstance(value, dict):
        return value
    found = {key: policy_lists(item) for key, item in value.items()}
    for member in ("Action", "Resource"):
        if isinstance(found.get(member), str):
            found[member] = [found[member]]
    if isinstance(found.get("Condition"), dict):
        found["Condition"] = {operator: {key: [v] if isinstance(v, str) else v for key, v in keys.items()}
                              for operator, keys in found["Condition"].items()}
    return found


def resolved(template: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The template's resources and outputs, resolved as CloudFormation would in one account and Region,
    with the function's code location left out (the one thing meant to differ)."""
    resolver = Resolver("BackupJobsProvider", STACK_ID, parameter_values(template, parameters),
                        {}, {lid: f"{lid}-physical-id" for lid in template["Resources"]},
                        {lid: AnyAttribute(lid) for lid in template["Resources"]},
                        conditions=template.get("Conditions"), mappings=template.get("Mappings"))
    assert (resolver.pseudo["AWS::AccountId"], resolver.pseudo["AWS::Region"]) == (ACCOUNT, REGION)
    resources = {lid: policy_lists(resolver.resolve(dict(resource)))
                 for lid, resource in active_resources(template, resolver).items()}
    [function] = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
    function["Properties"].pop("Code")
    outputs = {name: resolver.resolve(output) for name, output in template.get("Outputs", {}).items()}
    return {"Resources": resources, "Outputs": outputs}


def code_location(template: Mapping[str, Any], parameters: Mapping[str, Any]) -> Any:
    """The provider function's ``Code``, resolved in one account and Region."""
    resolver = Resolver("BackupJobsProvider", STACK_ID, parameter_values(template, parameters), {}, {}, {},
                        conditions=template.get("Conditions"), mappings=template.get("Mappings"))
    [function] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    return resolver.resolve(function["Properties"]["Code"])


PROPS_AND_PARAMETERS = {
    "defaults": ({}, {}),
    "vaults": ({"vault_names": ["prod-*", "audit"]},
               {"VaultArns": f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:prod-*, "
                             f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:audit"}),
    "roles": ({"job_role_arns": [ROLE, f"arn:aws:iam::{ACCOUNT}:role/ops/*"]},
              {"JobRoleArns": f"{ROLE},arn:aws:iam::{ACCOUNT}:role/ops/*"}),
    "any role": ({"allow_any_job_role": True}, {"JobRoleArns": f"arn:aws:iam::{ACCOUNT}:role/*"}),
    "copy targets": ({"copy_targets": [TARGET]}, {"CopyTargets": TARGET}),
    "org paths": ({"copy_target_org_paths": [ORG_PATH]}, {"CopyTargetOrgPaths": ORG_PATH}),
    "both": ({"copy_targets": [TARGET], "copy_target_org_paths": [ORG_PATH]},
             {"CopyTargets": TARGET, "CopyTargetOrgPaths": ORG_PATH}),
}


@pytest.fixture(scope="module")
def cdk_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The CDK's BackupJobsProviderStack given each case's props, synthesized as the CDK deploys it."""
    app = App(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    stacks = {case: BackupJobsProviderStack(app, f"Provider{i}", **props)
              for i, (case, (props, _)) in enumerate(PROPS_AND_PARAMETERS.items())}
    assembly = app.synth()
    return {case: assembly.get_stack_by_name(stack.stack_name).template for case, stack in stacks.items()}


@pytest.mark.parametrize("case", list(PROPS_AND_PARAMETERS))
def test_the_release_template_at_each_parameter_is_the_cdk_stack_given_that_prop(case, cdk_templates):
    # At default parameters, the CDK default stack; with a list given, the stack given the matching prop:
    # the same resources, policies (the copy Deny's conditions present as the props put them) and settings.
    release = load_template(COMMITTED)
    cdk = cdk_templates[case]

    ours, theirs = resolved(release, {**CODE, **PROPS_AND_PARAMETERS[case][1]}), resolved(cdk, {})

    assert ours == theirs
    assert set(release["Resources"]) == set(cdk["Resources"]) - {"CDKMetadata"}


def test_the_release_template_names_its_version_and_takes_its_code_from_parameters():
    release = load_template(COMMITTED)
    [function] = [r for r in release["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]

    assert release["Outputs"]["ProviderVersion"]["Value"] == package_version() == "0.1.0"
    assert function["Properties"]["Description"].endswith(f"(version {package_version()})")
    assert code_location(release, CODE) == {"S3Bucket": "releases-bucket", "S3Key": zip_name()}
    # A StackSet gives every instance the same parameters: one bucket per Region, named as BackupJobsAssetBucket's.
    assert code_location(release, {**CODE, "CodeBucketPerRegion": "true"}) \
        == {"S3Bucket": f"releases-bucket-{REGION}", "S3Key": zip_name()}
    assert release["Parameters"]["CodeKey"]["Default"] == "backup-jobs-provider-0.1.0.zip"
    assert release["Parameters"]["ExportName"]["Default"] == "BackupJobsProviderServiceToken"
    assert "Rules" not in release and "BootstrapVersion" not in release["Parameters"]  # no CDK bootstrap needed
    assert len(COMMITTED.read_bytes()) < 51_200  # `aws cloudformation deploy` takes it without an S3 bucket


# --- the zip: the CDK's asset, the same bytes every time ----------------------------------------------

def test_the_zip_holds_exactly_the_files_the_cdk_stages_as_the_providers_asset():
    from cdk_backup_jobs.provider.asset import provider_asset_dir

    archive = zipfile.ZipFile(__import__("io").BytesIO(provider_zip()))
    staged = Path(provider_asset_dir())

    assert {name: archive.read(name) for name in archive.namelist()} == asset_files()
    assert sorted(archive.namelist()) == sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*")
                                                if p.is_file())
    assert "index.py" in archive.namelist() and "crhelper/resource_helper.py" in archive.namelist()


def test_the_zip_is_the_same_bytes_each_time_sorted_with_fixed_times_and_modes():
    first, second = provider_zip(), provider_zip()
    entries = zipfile.ZipFile(__import__("io").BytesIO(first)).infolist()

    assert first == second
    assert [e.filename for e in entries] == sorted(e.filename for e in entries)
    assert {e.date_time for e in entries} == {(1980, 1, 1, 0, 0, 0)}
    assert {e.external_attr >> 16 for e in entries} == {0o100644}


def test_write_artifacts_writes_the_packaged_files_and_the_versioned_zip(tmp_path):
    written = write_artifacts(tmp_path / "dist")

    assert written.template.name == "backup-jobs-provider.template.yaml"
    assert written.code.name == "backup-jobs-provider-0.1.0.zip"
    assert written.template.read_bytes() == COMMITTED.read_bytes() and written.code.read_bytes() == provider_zip()
    for path, name in ((written.sam_template, SAM_TEMPLATE_NAME), (written.sam_readme, SAM_README_NAME)):
        assert path.read_bytes() == (RELEASE_DIR / name).read_bytes()
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == sorted(p.name for p in written)


# --- deployed on the simulator, then a job against its export -----------------------------------------

def deploy_release_then_example(out: Path, cfn_stack: Any, aws_backup: Any) -> dict[str, Any]:
    """The release artifacts in ``out`` deployed (code from the zip, as if uploaded to CodeBucket), then
    examples/cloudformation/backup-job.yaml against its export; what happened."""
    template, [code] = out / TEMPLATE_NAME, list(out.glob("backup-jobs-provider-*.zip"))
    unpacked = out / "unpacked"  # the jobs' stack invokes the provider by its ARN, from this folder
    zipfile.ZipFile(code).extractall(unpacked)
    with cfn_stack(stack_name="BackupJobsProvider", parameters={"CodeBucket": "releases-bucket", "CodeKey": code.name},
                   s3_objects={("releases-bucket", code.name): code}) as provider_stack:
        provider = provider_stack.deploy(template)
        assert provider.status == "CREATE_COMPLETE", provider.reason
        token = provider.outputs["ServiceToken"]
        with cfn_stack(stack_name="Handwritten", functions={token: unpacked},
                       exports=provider_stack.exports) as jobs:
            created = jobs.deploy(EXAMPLE)
            started = len(aws_backup.state.calls_of("StartBackupJob"))
            deleted = jobs.delete()
        exports = dict(provider_stack.exports)
    return {"provider": provider, "token": token, "exports": exports, "created": created, "started": started,
            "deleted": deleted}


@pytest.mark.slow
def test_the_simulator_deploys_the_artifacts_and_a_job_template_starts_its_job_once(tmp_path, cfn_stack, aws_backup):
    write_artifacts(tmp_path)

    run = deploy_release_then_example(tmp_path, cfn_stack, aws_backup)

    assert run["provider"].outputs["ProviderVersion"] == "0.1.0"
    assert run["exports"] == {"BackupJobsProviderServiceToken": run["token"]}
    assert run["created"].status == "CREATE_COMPLETE", run["created"].reason
    assert run["started"] == 1 and len(aws_backup.state.backup_jobs) == 1
    assert len(aws_backup.state.copy_jobs) == 1
    assert run["deleted"].status == "DELETE_COMPLETE", run["deleted"].reason


@pytest.mark.slow
def test_code_in_s3_that_s3_objects_does_not_hold_is_named_in_the_failure(tmp_path, cfn_stack):
    template, code = write_artifacts(tmp_path)[:2]
    with cfn_stack(stack_name="BackupJobsProvider", parameters={"CodeBucket": "releases-bucket", "CodeKey": "other.zip"},
                   s3_objects={("releases-bucket", code.name): code}) as provider_stack:
        # The function is created (Lambda would refuse a missing key; the simulator runs code only when invoked),
        # and a job then names what is missing.
        provider = provider_stack.deploy(template)
        reason = provider_stack.functions.explain_unknown(provider.outputs["ServiceToken"])

    assert "its code is s3://releases-bucket/other.zip, which is not one of s3_objects" in reason
    assert str(("releases-bucket", code.name)) in reason


def test_a_bundled_package_of_another_version_fails_the_asset_instead_of_shipping(monkeypatch):
    # The adapter wraps crhelper's private hooks as of its pinned version: a zip built beside another crhelper
    # (pip install --no-deps lets one in) would carry code the provider was never tested with.
    import re

    from cdk_backup_jobs.provider import asset as provider_asset

    monkeypatch.setitem(provider_asset.BUNDLED_VERSIONS, "crhelper", (re.compile(r"9\.9\.9$"), "==9.9.9"))

    with pytest.raises(RuntimeError, match=r"crhelper 2\.0\.12 is installed, but the provider's Lambda asset bundles "
                                           r"crhelper==9\.9\.9 only: pip install 'crhelper==9\.9\.9'"):
        provider_asset.asset_files()


def test_a_zip_that_cannot_be_built_writes_nothing_and_says_why_in_one_line(tmp_path, monkeypatch, capsys):
    import re

    from cdk_backup_jobs import provider_artifacts
    from cdk_backup_jobs.provider import asset as provider_asset

    monkeypatch.setitem(provider_asset.BUNDLED_VERSIONS, "PyYAML", (re.compile(r"99\."), ">=99"))

    with pytest.raises(SystemExit) as exited:
        provider_artifacts.main(["--out", str(tmp_path / "dist")])

    assert exited.value.code == 1 and not (tmp_path / "dist").exists()
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("python -m cdk_backup_jobs.provider_artifacts: error: PyYAML ") and ">=99" in line


@pytest.mark.parametrize("parameter, value", [
    ("JobRoleArns", "*"),
    ("JobRoleArns", f"{ROLE},arn:aws:s3:::bucket/*"),  # one member of another service
    ("VaultArns", "prod-*"),  # a name, where an ARN is needed
    ("CopyTargets", "*"),
    ("CopyTargetOrgPaths", "o-abc"),  # not an organization path
])
def test_a_list_member_the_prop_would_refuse_is_refused_by_cloudformation_before_anything_changes(parameter, value):
    # The CDK refuses malformed narrowing lists at synth; the template's AllowedPattern (matched against each
    # member of a CommaDelimitedList) refuses them at deploy, with CloudFormation's ValidationError.
    release = load_template(COMMITTED)

    with pytest.raises(TemplateError, match=f"Parameter '{parameter}' must match pattern"):
        parameter_values(release, {**CODE, parameter: value})
    assert parameter_values(release, CODE)[parameter] == [""]  # the default (empty) passes
