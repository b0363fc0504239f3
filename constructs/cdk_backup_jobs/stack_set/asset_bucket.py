"""One Region's bucket for a StackSet's provider code: ``{asset_bucket_prefix}-{Region}``, readable by the Organization.

Lambda reads a function's code only from a bucket in the function's own
Region, and a StackSet's stack instances run in the Organization's member
accounts: so each target Region needs a bucket of this name, in the account
that deploys the StackSet, whose objects the Organization's principals may
read (``aws:PrincipalOrgID``). Put one in a stack of each target Region.

The code gets there by aws-cdk-lib's ``BucketDeployment``, which copies the
code's asset (``<hash>.zip`` in the CDK asset bucket) into the bucket under
the same key, the zip the StackSet's template names, and keeps earlier copies
(no prune, retained on delete: a rollback or a stack instance not updated yet
still reads its own). Its handler (one function per stack, shared by every
BucketDeployment in it) has a managed policy, wildcard S3 actions and a
runtime that aws-cdk-lib chooses: each cdk-nag (AwsSolutions) finding is
acknowledged on that handler by its exact ID, with its reason; the wildcard
resources only for the buckets it reads and writes, so another
BucketDeployment's buckets in the same stack are still checked.
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import (Acknowledgment, Fn, RemovalPolicy, Stack, Validations, aws_iam as iam, aws_s3 as s3,
                     aws_s3_assets as s3_assets, aws_s3_deployment as s3_deployment)
from constructs import Construct

from cdk_backup_jobs.props.validation import is_unresolved, raise_problems, type_name
from cdk_backup_jobs.provider.asset import provider_asset_dir
from cdk_backup_jobs.provider.policy import nag_text
from cdk_backup_jobs.stack_set.props import bucket_prefix_problems

ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
ACCESS_LOGS_REASON = ("holds only the provider's code, which the Organization's accounts read when StackSets "
                      "create or update the function; pass server_access_logs_bucket to log its access")
HANDLER = "aws-cdk-lib's BucketDeployment handler, which copies the provider's code into each Region's asset bucket"
HANDLER_REASONS = {
    "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AWSLambdaBasicExecutionRole]": f"{HANDLER}, writes its logs with the AWS managed AWSLambdaBasicExecutionRole",
    "AwsSolutions::AwsSolutions-L1": f"the runtime of {HANDLER}, is chosen by aws-cdk-lib",
    **{f"AwsSolutions::AwsSolutions-IAM5[Action::{action}]":
       f"{HANDLER}, is granted these S3 actions by aws-cdk-lib (read on the CDK asset bucket, read and write on "
       "the asset buckets), on those buckets only"
       for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*")},
}
"""The findings of the BucketDeployment handler that do not depend on the buckets, and why each is accepted."""
SOURCE_REASON = f"{HANDLER}, reads the code's zip from the CDK asset bucket, whose object keys are hashes"
DESTINATION_REASON = (f"{HANDLER}, writes the code's zip, keyed by its hash, into this asset bucket, which holds "
                      "only provider code")


def asset_bucket_name(asset_bucket_prefix: str, region: str) -> str:
    """``{asset_bucket_prefix}-{region}`` (an ``Fn::Join`` when the Region is a token)."""
    if is_unresolved(region):
        return Fn.join("-", [asset_bucket_prefix, region])
    return f"{asset_bucket_prefix}-{region}"


class BackupJobsAssetBucket(Construct):
    """The bucket a ``BackupJobsProviderStackSet`` publishes the provider's code to, in its stack's Region.

    Named ``{asset_bucket_prefix}-{Region}``; private (all public access
    blocked, TLS only, SSE-S3), with one grant: ``s3:GetObject`` on its
    objects to every principal of the Organization ``organization_id``.

    :param asset_bucket_prefix: the StackSet's ``asset_bucket_prefix``.
    :param organization_id: the Organization whose accounts read the code (``o-...``).
    :param removal_policy: what happens to the bucket when it leaves the stack. Default: RETAIN
        (stack instances still name its objects).
    :param server_access_logs_bucket: where S3 server access logs go. Default: none (not logged).
    :param copy_code: copy the provider's code into the bucket from this stack, in its own Region (a
        ``BucketDeployment``): for an opt-in Region, where the StackSet's copy from another Region fails.
        The StackSet's stack must then depend on this one and have ``copy_code=False``. Default: False.
    """

    def __init__(self, scope: Construct, construct_id: str, *, asset_bucket_prefix: str, organization_id: str,
                 removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
                 server_access_logs_bucket: s3.IBucket | None = None, copy_code: bool = False) -> None:
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        problems = bucket_prefix_problems(asset_bucket_prefix, [region])
        problems += _organization_problems(organization_id)
        if not isinstance(copy_code, bool):
            problems.append(f"copy_code must be True or False, got {type_name(copy_code)}")
        if not isinstance(removal_policy, RemovalPolicy):
            problems.append(f"removal_policy must be a RemovalPolicy, got {type_name(removal_policy)}")
        raise_problems(self.node.path, "BackupJobsAssetBucket", problems)
        self.bucket = s3.Bucket(
            self, "Bucket",
            bucket_name=asset_bucket_name(asset_bucket_prefix, region),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=removal_policy,
            server_access_logs_bucket=server_access_logs_bucket,
        )
        self.bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="OrganizationReadsProviderCode",
            actions=["s3:GetObject"],
            principals=[iam.OrganizationPrincipal(organization_id)],
            resources=[self.bucket.arn_for_objects("*")],
        ))
        self.code_deployment = copy_provider_code(self, "CodeDeployment", provider_code(self, "Code"), self.bucket) \
            if copy_code else None
        if server_access_logs_bucket is None:
            Validations.of(self.bucket).acknowledge(
                Acknowledgment(id="AwsSolutions::AwsSolutions-S1", reason=ACCESS_LOGS_REASON))

    @property
    def bucket_name(self) -> str:
        """The bucket's name: ``{asset_bucket_prefix}-{Region}``."""
        return self.bucket.bucket_name


def _organization_problems(organization_id: Any) -> list[str]:
    if not isinstance(organization_id, str):
        return [f"organization_id must be a string, got {type_name(organization_id)}"]
    if is_unresolved(organization_id) or ORGANIZATION_ID.match(organization_id):
        return []
    return [f"organization_id must be an Organization's ID ({ORGANIZATION_ID.pattern}), got {organization_id!r}"]


def provider_code(scope: Construct, construct_id: str) -> s3_assets.Asset:
    """The provider's code as a zip asset of ``scope``'s stack (the CDK asset bucket, ``<hash>.zip``)."""
    return s3_assets.Asset(scope, construct_id, path=provider_asset_dir())


def copy_provider_code(scope: Construct, construct_id: str, code: s3_assets.Asset,
                       bucket: s3.IBucket) -> s3_deployment.BucketDeployment:
    """Copy ``code`` into ``bucket`` under its own key; keep every earlier copy."""
    deployment = s3_deployment.BucketDeployment(
        scope, construct_id,
        sources=[s3_deployment.Source.bucket(code.bucket, code.s3_object_key)],
        destination_bucket=bucket, extract=False, prune=False, retain_on_delete=True,
    )
    acknowledge_asset_publishing(deployment, code.bucket.arn_for_objects("*"), bucket.arn_for_objects("*"))
    return deployment


def acknowledge_asset_publishing(deployment: s3_deployment.BucketDeployment, source_objects: str,
                                 destination_objects: str) -> None:
    """Acknowledge the findings of ``deployment``'s handler: its own, and the wildcards on these two buckets'
    objects (ARNs ending in ``/*``)."""
    handler = deployment.handler_role.node.scope
    if handler is None:
        raise TypeError(f"{deployment.node.path}: a BucketDeployment's role belongs to its handler function, "
                        "but this one's has no scope")
    stack = Stack.of(deployment)
    reasons = {**HANDLER_REASONS,
               _wildcard_id(stack.resolve(source_objects)): SOURCE_REASON,
               _wildcard_id(stack.resolve(destination_objects)): DESTINATION_REASON}
    for finding, reason in reasons.items():
        Validations.of(handler).acknowledge(Acknowledgment(id=finding, reason=reason))


def _wildcard_id(arn: Any) -> str:
    return f"AwsSolutions::AwsSolutions-IAM5[Resource::{nag_text(arn)}]"
