"""The provider as an AWS SAM application (issue 23, item 4): the release template for the Serverless
Application Repository, transformed back offline by the SAM translator and linted with cfn-lint."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from cdk_backup_jobs.provider_artifacts import RELEASE_DIR, SAM_README_NAME, SAM_TEMPLATE_NAME, TEMPLATE_NAME, zip_name
from cdk_backup_jobs.release.sam_application import APPLICATION_METADATA, sam_variant
from cdk_backup_jobs.testing.cloudformation.template import load_template

RELEASE = load_template(RELEASE_DIR / TEMPLATE_NAME)
SAM = load_template(RELEASE_DIR / SAM_TEMPLATE_NAME)
BUCKET = "published-code"
SAM_TAG = {"Key": "lambda:createdBy", "Value": "SAM"}
"""The tag the SAM translator gives every function it makes."""


class NoManagedPolicies:
    """The translator's managed-policy lookup, which only a function's ``Policies`` by name would use
    (the provider's function has a ``Role`` instead); it reads none, so nothing reaches IAM."""

    def load(self) -> dict[str, str]:
        return {}


def packaged(template: dict[str, Any]) -> dict[str, Any]:
    """The SAM template as ``sam package`` leaves it: the local ``CodeUri`` replaced by its S3 location."""
    uploaded = copy.deepcopy(template)
    for resource in uploaded["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = f"s3://{BUCKET}/{resource['Properties']['CodeUri']}"
    return uploaded


def test_the_sam_translator_gives_back_the_release_template(monkeypatch):
    # The translator reads the Region from the environment (it resolves pseudo parameters); nothing is called.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    translated = transform(packaged(SAM), {}, NoManagedPolicies())

    expected = copy.deepcopy(RELEASE)
    [(logical_id, function)] = [(lid, r) for lid, r in expected["Resources"].items()
                                if r["Type"] == "AWS::Lambda::Function"]
    function["Properties"]["Code"] = {"S3Bucket": BUCKET, "S3Key": zip_name()}
    function["Properties"]["Tags"] = [SAM_TAG]
    for name in ("CodeBucket", "CodeKey", "CodeBucketPerRegion"):
        del expected["Parameters"][name]
    del expected["Conditions"]["CodeInEachRegionsBucket"]
    assert translated["Resources"] == expected["Resources"]
    assert {key: translated[key] for key in ("Parameters", "Conditions", "Outputs", "Description")} \
        == {key: expected[key] for key in ("Parameters", "Conditions", "Outputs", "Description")}
    assert translated["Resources"][logical_id]["Type"] == "AWS::Lambda::Function"


@pytest.mark.parametrize("name", [TEMPLATE_NAME, SAM_TEMPLATE_NAME])
def test_cfn_lint_passes_on_the_release_template_and_its_sam_variant(name):
    from cfnlint.api import lint_file

    findings = lint_file(RELEASE_DIR / name)

    assert [str(finding) for finding in findings] == []


def test_the_application_metadata_is_within_the_repositorys_constraints():
    # AWS SAM Developer Guide, "AWS SAM template Metadata section properties": required Name, Description and
    # Author, their lengths and patterns, no intrinsic functions; SemanticVersion (semver.org) to publish publicly.
    metadata = SAM["Metadata"][APPLICATION_METADATA]

    assert re.fullmatch(r"[a-zA-Z0-9\-]{1,140}", metadata["Name"])
    assert 1 <= len(metadata["Description"]) <= 256
    assert len(metadata["Author"]) <= 127 and re.fullmatch(r"^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$",
                                                           metadata["Author"])
    assert re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)", metadata["SemanticVersion"])
    assert metadata["SemanticVersion"] == RELEASE["Outputs"]["ProviderVersion"]["Value"]
    assert metadata["SpdxLicenseId"] == "Apache-2.0"  # pyproject.toml's licence
    assert len(metadata["Labels"]) <= 10 and all(re.fullmatch(r"^[a-zA-Z0-9+\-_:\/@]{1,127}$", label)
                                                 for label in metadata["Labels"])
    assert metadata["ReadmeUrl"] == SAM_README_NAME and (RELEASE_DIR / SAM_README_NAME).is_file()
    assert all(isinstance(value, (str, list)) and "Fn::" not in str(value) for value in metadata.values())


def test_the_sam_variant_keeps_what_the_release_template_names_except_where_the_code_is():
    [function] = [r for r in SAM["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]

    assert function["Properties"]["CodeUri"] == zip_name()  # beside it in the folder: `sam package` uploads it
    assert set(SAM["Parameters"]) == set(RELEASE["Parameters"]) - {"CodeBucket", "CodeKey", "CodeBucketPerRegion"}
    assert set(SAM["Conditions"]) == set(RELEASE["Conditions"]) - {"CodeInEachRegionsBucket"}
    assert "Code" not in str(SAM["Parameters"]) and "CodeBucket" not in str(SAM["Resources"])


def test_a_function_property_without_a_mapping_is_refused_rather_than_lost():
    release = copy.deepcopy(RELEASE)
    [function] = [r for r in release["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    function["Properties"]["SnapStart"] = {"ApplyOn": "None"}

    with pytest.raises(ValueError, match=r"\['SnapStart'\] have no AWS::Serverless::Function mapping"):
        sam_variant(release, version="0.1.0", license_id="Apache-2.0", code_uri="code.zip", description="d")
