"""cdk-nag (AwsSolutions) acknowledgements for what publishes a StackSet's provider code, each with its reason.

The code reaches each Region's asset bucket through aws-cdk-lib's
``BucketDeployment``, whose handler (one function per stack, shared by every
BucketDeployment in it) has a managed policy, wildcard S3 actions and a
runtime that aws-cdk-lib chooses. Each finding is acknowledged on that
handler by its exact ID; the wildcard resources only for the buckets this
construct reads and writes, so another BucketDeployment's buckets in the same
stack are still checked.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations, aws_s3_deployment as s3_deployment

from cdk_backup_jobs.provider_policy import nag_text

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
