"""The release template: ``BackupJobsProviderStack`` as plain CloudFormation, its choices parameters.

Made by synthesizing the stack the CDK deploys (as ``stack_set.template``
does), never written by hand: what a prop decides at synth, a parameter
decides at deploy, and each parameter left empty means the prop's default.

- ``CodeBucket``, ``CodeKey``: where the code zip is (``provider_artifacts``
  writes it); Lambda reads it from a bucket in the stack's own Region, so a
  StackSet, whose instances all get the same parameters, sets
  ``CodeBucketPerRegion=true`` to read ``<CodeBucket>-<Region>``.
- ``ExportName``: the export of the ServiceToken (default
  ``BackupJobsProviderServiceToken``).
- ``VaultArns``, ``JobRoleArns``, ``CopyTargets``, ``CopyTargetOrgPaths``
  (``CommaDelimitedList``): ``vault_names``, ``job_role_arns``,
  ``copy_targets`` and ``copy_target_org_paths``. Empty is the CDK default.
  Vaults are ARNs (or patterns), not names: CloudFormation cannot prefix
  each element of a list (``Fn::Join``'s delimiter must be a literal, and
  ``Fn::Sub`` takes a string). ``allow_any_job_role`` is
  ``JobRoleArns=arn:aws:iam::ACCOUNT:role/*``, the very ARN the flag grants;
  ``allow_any_copy_target`` is ``CopyTargets=arn:*:backup:*:*:backup-vault:*``:
  the Deny stays but matches no copy, since each of an ARN's six parts is
  matched alone and every destination is a vault ARN (IAM User Guide,
  "Amazon Resource Name (ARN) condition operators":
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN).

An empty ``CommaDelimitedList`` is the list ``[""]`` (one string more than
commas: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html;
https://github.com/aws-cloudformation/cfn-language-discussion/issues/102), so
a list was given if it does not join into "" (the form CloudFormation accepts
in ``Fn::Equals``: https://github.com/aws-cloudformation/cfn-lint/issues/1639).
The copy Deny's two conditions are present as ``copy_conditions`` decides,
each by ``Fn::If`` with ``AWS::NoValue``, which removes a key of a policy
document as it removes a property (valid CloudFormation, deployed widely:
https://github.com/aws-cloudformation/cfn-lint/issues/249,
https://github.com/aws-cloudformation/cfn-lint/issues/329).

``python -m cdk_backup_jobs.release.template`` writes it into the package
(``provider_release/``), with its SAM variant (``sam_application``); a test fails
naming that command when they are stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence, cast

from aws_cdk import (Aws, CfnCondition, CfnParameter, CliCredentialsStackSynthesizer, Fn, ICfnConditionExpression,
                     Stack, Token, aws_lambda as lambda_)
from constructs import Construct

from cdk_backup_jobs.provider.asset import package_license, package_version
from cdk_backup_jobs.provider.provider_stack import BackupJobsProviderStack
from cdk_backup_jobs.provider.scope import (COPY_TARGET_ORG_PATHS_KEY, COPY_TARGETS_KEY, ORG_PATH, OUTSIDE_ORG_PATHS,
                                            OUTSIDE_TARGETS, ProviderScope)
from cdk_backup_jobs.provider_artifacts import RELEASE_DIR, SAM_README_NAME, SAM_TEMPLATE_NAME, TEMPLATE_NAME, zip_name
from cdk_backup_jobs.release.sam_application import sam_variant, sar_readme
from cdk_backup_jobs.stack_set.template import add_exported_provider_stack, synthesized

CODE_BUCKET, CODE_KEY = "CodeBucket", "CodeKey"
CODE_BUCKET_PER_REGION = "CodeBucketPerRegion"
"""``true``: the code is in ``<CodeBucket>-<Region>``, one bucket per Region, as a StackSet's instances need
(``BackupJobsAssetBucket``'s names): a StackSet gives every instance the same parameters."""
CODE_IN_REGIONS_BUCKET = "CodeInEachRegionsBucket"
VAULT_ARNS, JOB_ROLE_ARNS = "VaultArns", "JobRoleArns"
COPY_TARGETS, COPY_TARGET_ORG_PATHS = "CopyTargets", "CopyTargetOrgPaths"
DENY_OUTSIDE_TARGETS = "DenyCopiesOutsideCopyTargets"
"""The condition under which the Deny names ``backup:CopyTargets``: targets given, or no org paths."""
LISTS = {
    VAULT_ARNS: "The vaults jobs may back up into (vault_names), as ARNs or patterns "
                "(arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME). Empty: every vault of this account in this Region",
    JOB_ROLE_ARNS: "The roles jobs may pass to AWS Backup (job_role_arns), ARNs or patterns. Empty: the roles under "
                   "the path /backup-jobs/. Any role of the account (allow_any_job_role): arn:aws:iam::ACCOUNT:role/*",
    COPY_TARGETS: "The vaults copies may go into (copy_targets), ARNs or patterns. Empty: this account's vaults in "
                  "every Region, unless CopyTargetOrgPaths. Any vault (allow_any_copy_target): "
                  "arn:*:backup:*:*:backup-vault:*",
    COPY_TARGET_ORG_PATHS: "AWS Organizations paths (o-id/*, o-id/r-id/ou-id/*) of the accounts copies may go into, "
                           "besides CopyTargets (copy_target_org_paths). Empty: none",
}
LIST_PATTERNS = {
    VAULT_ARNS: r"^$|^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:\S+$",
    JOB_ROLE_ARNS: r"^$|^arn:aws[a-z-]*:iam::\d{12}:role/\S+$",
    COPY_TARGETS: r"^$|^arn:(aws[a-z-]*|\*):backup:([a-z0-9-]+|\*):(\d{12}|\*):backup-vault:\S+$",
    COPY_TARGET_ORG_PATHS: f"^$|{ORG_PATH.pattern}",
}
"""Each list's members as CloudFormation checks them (an AllowedPattern applies to each member of a
CommaDelimitedList): ARNs of the right service and type, an account's own roles and vaults, organization
paths as ``copy_target_org_paths`` takes them; empty for the default. A bare ``*`` is refused: the props
that allow everything are spelled out (``JobRoleArns=arn:aws:iam::ACCOUNT:role/*``)."""
HEADER = ("# The cdk-backup-jobs provider as {what}: BackupJobsProviderStack, synthesized by\n"
          "# `python -m cdk_backup_jobs.release.template` (do not edit). Deploy it: docs/cloudformation.md.\n")


def given(parameter: str) -> str:
    """The condition that a list parameter was given: ``<parameter>Given``."""
    return f"{parameter}Given"


def given_or(parameter: str, default: Sequence[str]) -> list[str]:
    """The list parameter's value, or ``default`` (the prop's) when it is empty."""
    return Token.as_list(Fn.condition_if(given(parameter), Fn.ref(parameter), list(default)))


class ParameterScope(ProviderScope):
    """The provider's scope whose lists are the template's parameters, each defaulting as its prop does."""

    def role_arns(self, stack: Stack) -> list[str]:
        return given_or(JOB_ROLE_ARNS, super().role_arns(stack))

    def copy_conditions(self, stack: Stack) -> dict[str, Any]:
        """``ProviderScope.copy_conditions`` decided at deploy: each condition is there when the props
        would have put it there (targets given or no org paths; org paths given)."""
        targets = given_or(COPY_TARGETS, super().target_vaults(stack))
        org_paths = Token.as_list(Fn.ref(COPY_TARGET_ORG_PATHS))
        return {
            OUTSIDE_TARGETS: Fn.condition_if(DENY_OUTSIDE_TARGETS, {COPY_TARGETS_KEY: targets}, Aws.NO_VALUE),
            OUTSIDE_ORG_PATHS: Fn.condition_if(given(COPY_TARGET_ORG_PATHS), {COPY_TARGET_ORG_PATHS_KEY: org_paths},
                                               Aws.NO_VALUE),
        }


class ReleaseProviderStack(BackupJobsProviderStack):
    """``BackupJobsProviderStack`` with its vaults and scope from the template's parameters."""

    def _provider_scope(self, **props: Any) -> ProviderScope:
        return ParameterScope(**props)

    def _vault_arns(self, vault_names: Sequence[str] | None) -> list[str]:
        return given_or(VAULT_ARNS, super()._vault_arns(None))


def add_release_stack(app: Construct) -> BackupJobsProviderStack:
    """The release template's stack, added to ``app``: the provider stack, its code, export and lists parameters."""
    version = package_version()
    stack = add_exported_provider_stack(
        app, ReleaseProviderStack,
        description=f"cdk-backup-jobs provider {version}: serves Custom::BackupJob and Custom::CopyJob, "
                    "its ServiceToken exported as ExportName",
        synthesizer=CliCredentialsStackSynthesizer())
    CfnParameter(stack, CODE_BUCKET, description="The S3 bucket holding the provider's code zip, in this Region")
    CfnParameter(stack, CODE_KEY, default=zip_name(version),
                 description="The code zip's key in CodeBucket "
                             "(python -m cdk_backup_jobs.provider_artifacts writes it)")
    function = stack.provider.function.node.default_child
    assert isinstance(function, lambda_.CfnFunction)
    CfnParameter(stack, CODE_BUCKET_PER_REGION, default="false", allowed_values=["false", "true"],
                 description="true: the zip is in <CodeBucket>-<Region> in each Region (one bucket per Region, "
                             "for a StackSet)")
    CfnCondition(stack, CODE_IN_REGIONS_BUCKET,
                 expression=Fn.condition_equals(Fn.ref(CODE_BUCKET_PER_REGION), "true"))
    bucket = Fn.condition_if(CODE_IN_REGIONS_BUCKET, Fn.sub(f"${{{CODE_BUCKET}}}-${{AWS::Region}}"),
                             Fn.ref(CODE_BUCKET))
    function.code = lambda_.CfnFunction.CodeProperty(s3_bucket=bucket.to_string(), s3_key=Fn.ref(CODE_KEY))
    conditions: dict[str, ICfnConditionExpression] = {}
    for parameter, description in LISTS.items():
        CfnParameter(stack, parameter, type="CommaDelimitedList", default="", description=description,
                     allowed_pattern=LIST_PATTERNS[parameter])
        condition = CfnCondition(stack, given(parameter), expression=Fn.condition_not(
            Fn.condition_equals(Fn.join("", Token.as_list(Fn.ref(parameter))), "")))
        # A CfnCondition is a condition expression ({"Condition": id}); jsii's typing lacks its type_hint.
        conditions[parameter] = cast(ICfnConditionExpression, condition)
    CfnCondition(stack, DENY_OUTSIDE_TARGETS, expression=Fn.condition_or(
        conditions[COPY_TARGETS], Fn.condition_not(conditions[COPY_TARGET_ORG_PATHS])))
    return stack


def release_template() -> dict[str, Any]:
    """The release template, synthesized in an App of its own."""
    return synthesized(add_release_stack, prefix="cdk-backup-jobs-release-")


def release_files() -> dict[str, str]:
    """What the package ships in ``provider_release/``, by file name: the release template, the same as a
    SAM application, and that application's README. YAML keeps the long forms of the functions."""
    import yaml  # imported on use: of this module, only regenerating the files needs it

    template = release_template()
    version, description = package_version(), template["Description"]
    sam = sam_variant(template, version=version, license_id=package_license(), code_uri=zip_name(version),
                      description=description)

    def dumped(document: dict[str, Any], what: str) -> str:
        return HEADER.format(what=what) + yaml.safe_dump(document, sort_keys=False, width=120,
                                                         default_flow_style=False)

    return {TEMPLATE_NAME: dumped(template, "plain CloudFormation"),
            SAM_TEMPLATE_NAME: dumped(sam, "an AWS SAM application"),
            SAM_README_NAME: sar_readme(version=version, description=description)}


def main(argv: list[str] | None = None) -> None:
    """Write the release files into the package's ``provider_release/`` and print their paths; ``--help`` says
    so and writes nothing."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m cdk_backup_jobs.release.template",
        description="Synthesize the release template (BackupJobsProviderStack with parameters), its AWS SAM "
                    "variant and that one's README, write them into the package's release/provider_release/ "
                    "(package data, committed) and print their paths. For maintainers of this package.")
    parser.parse_args(argv)
    for name, content in release_files().items():
        target: Path = RELEASE_DIR / name
        target.write_text(content)
        print(target)


if __name__ == "__main__":
    main()
