"""The provider's template for a StackSet: the provider stack, with its code in each Region's asset bucket.

A StackSet's stack instances live in other accounts, which hold no CDK
bootstrap bucket, and Lambda reads a function's code only from a bucket in
the function's own Region. So the template names the code by
``{asset_bucket_prefix}-${AWS::Region}`` (one bucket per target Region, which
the Organization may read) and the asset's hash as the key; the template is
synthesized in an App of its own, with ``CliCredentialsStackSynthesizer``
(no bootstrap version check, which member accounts would fail), and carried
inline as the StackSet's ``TemplateBody``.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from aws_cdk import App, CfnParameter, CliCredentialsStackSynthesizer, Fn, IStackSynthesizer, Stack
from constructs import Construct

from cdk_backup_jobs.provider.provider_stack import DEFAULT_EXPORT_NAME, BackupJobsProviderStack
from cdk_backup_jobs.provider.scope import ProviderScope

EXPORT_NAME_PARAMETER = "ExportName"
"""The template's parameter that names the export of the ServiceToken in each account and Region."""
TEMPLATE_BODY_LIMIT = 51_200
"""The largest TemplateBody CloudFormation takes, in bytes (a StackSet's template inline)."""
STACK_NAME = "BackupJobsProvider"
NAMED_IAM = {"AWS::IAM::Role": "RoleName", "AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName",
             "AWS::IAM::ManagedPolicy": "ManagedPolicyName", "AWS::IAM::InstanceProfile": "InstanceProfileName"}
"""The IAM resources whose own name needs CAPABILITY_NAMED_IAM (an inline policy's PolicyName does not)."""


@dataclass(frozen=True)
class ProviderTemplate:
    """The provider stack's template for a StackSet, and where its code must be in each Region."""

    template: dict[str, Any]
    asset_object_key: str
    """The code's key in every asset bucket: ``<hash of the code>.zip``."""

    @property
    def body(self) -> str:
        """The template as a StackSet's ``TemplateBody``: compact JSON."""
        return json.dumps(self.template, separators=(",", ":"), sort_keys=True)

    @property
    def capabilities(self) -> list[str]:
        """What CloudFormation must be told the template does: create IAM resources (named or not)."""
        resources = self.template["Resources"].values()
        if any(NAMED_IAM.get(resource["Type"]) in resource.get("Properties", {}) for resource in resources):
            return ["CAPABILITY_NAMED_IAM"]
        return ["CAPABILITY_IAM"] if any(resource["Type"].startswith("AWS::IAM::") for resource in resources) else []


def add_provider_stack(app: Construct, *, asset_bucket_prefix: str, vault_names: Sequence[str] | None = None,
                       scope: ProviderScope = ProviderScope()) -> BackupJobsProviderStack:
    """The provider stack of a StackSet, added to ``app``: code from ``{asset_bucket_prefix}-<Region>``,
    its export named by the parameter ``ExportName``, no bootstrap version check, no CDK metadata."""
    return add_exported_provider_stack(
        app, BackupJobsProviderStack, vault_names=vault_names,
        job_role_arns=scope.job_role_arns, allow_any_job_role=scope.allow_any_job_role,
        copy_targets=scope.copy_targets, copy_target_org_paths=scope.copy_target_org_paths,
        allow_any_copy_target=scope.allow_any_copy_target,
        description="cdk-backup-jobs provider, deployed by a StackSet: serves Custom::BackupJob and Custom::CopyJob",
        synthesizer=CliCredentialsStackSynthesizer(file_assets_bucket_name=f"{asset_bucket_prefix}-${{AWS::Region}}"),
    )


def add_exported_provider_stack(app: Construct, stack_type: type[BackupJobsProviderStack], *, description: str,
                                synthesizer: IStackSynthesizer, **props: Any) -> BackupJobsProviderStack:
    """A provider stack of a template deployed outside the CDK (a StackSet's, a release's): its export
    named by the parameter ``ExportName``, no CDK metadata, ``synthesizer`` saying where its code is."""
    stack = stack_type(app, STACK_NAME, export_name=Fn.ref(EXPORT_NAME_PARAMETER), analytics_reporting=False,
                       description=description, synthesizer=synthesizer, **props)
    CfnParameter(stack, EXPORT_NAME_PARAMETER, default=DEFAULT_EXPORT_NAME,
                 description="The export that holds the provider's ServiceToken in this account and Region")
    return stack


def synthesized(add_stack: Callable[[App], Stack], prefix: str = "cdk-backup-jobs-stack-set-") -> dict[str, Any]:
    """The template of the stack ``add_stack`` adds to an App of its own (in a folder removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as outdir:
        # An explicit outdir: under the cdk CLI a bare App would write into the user's cdk.out.
        app = App(outdir=outdir, analytics_reporting=False)
        stack = add_stack(app)
        template: dict[str, Any] = app.synth().get_stack_by_name(stack.stack_name).template
    return template


def provider_template(*, asset_bucket_prefix: str, vault_names: Sequence[str] | None = None,
                      scope: ProviderScope = ProviderScope()) -> ProviderTemplate:
    """The provider stack synthesized in an App of its own."""
    template = synthesized(lambda app: add_provider_stack(app, asset_bucket_prefix=asset_bucket_prefix,
                                                          vault_names=vault_names, scope=scope))
    [code] = [resource["Properties"]["Code"] for resource in template["Resources"].values()
              if resource["Type"] == "AWS::Lambda::Function"]
    return ProviderTemplate(template=template, asset_object_key=code["S3Key"])
