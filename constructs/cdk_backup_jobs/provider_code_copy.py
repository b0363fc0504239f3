"""The provider's code copied into an asset bucket, as the zip a StackSet's template names, never deleted.

aws-cdk-lib's ``BucketDeployment`` copies the code's asset (``<hash>.zip`` in
the CDK asset bucket) into the bucket under the same key, keeps earlier
copies (no prune, retained on delete: a rollback or a stack instance not
updated yet still reads its own), and its handler's cdk-nag findings are
acknowledged with their reasons.
"""

from __future__ import annotations

from aws_cdk import aws_s3 as s3, aws_s3_assets as s3_assets, aws_s3_deployment as s3_deployment
from constructs import Construct

from cdk_backup_jobs.provider_asset import provider_asset_dir
from cdk_backup_jobs.stack_set_nag import acknowledge_asset_publishing


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
