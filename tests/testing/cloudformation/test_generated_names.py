"""Names CloudFormation generates keep their unique suffix however long the stack name is."""

from __future__ import annotations

import re

from cdk_backup_jobs.testing.cloudformation.fake_resources import fake_resource

LONG_STACK = "MyOrganizationsBackupJobsProductionStackEuWest1"  # 47 characters


def test_generated_names_in_a_long_named_stack_keep_their_unique_suffix():
    for resource_type, limit in (("AWS::S3::Bucket", 63), ("AWS::Backup::BackupVault", 50),
                                 ("AWS::IAM::Role", 64)):
        first = fake_resource(LONG_STACK, "LogsBucketOrVault", resource_type, {})[0].rsplit(":", 1)[-1]
        second = fake_resource(LONG_STACK, "LogsBucketOrVault2", resource_type, {})[0].rsplit(":", 1)[-1]
        assert first != second, resource_type
        assert len(first) <= limit and len(second) <= limit, (first, second)
        assert re.fullmatch(r"[A-Za-z0-9-]+-[0-9A-Za-z]{12}", first), first
        assert first.lower().startswith("myorganizations"), first


def test_short_generated_names_are_stack_logical_id_and_suffix_whole():
    name = fake_resource("Stack", "Thing", "AWS::Backup::BackupVault", {})[0]
    assert re.fullmatch(r"Stack-Thing-[0-9A-F]{12}", name), name
