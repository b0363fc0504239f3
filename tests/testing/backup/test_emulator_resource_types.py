"""Jobs carry the ResourceType AWS Backup reports (GetSupportedResourceTypes' names), and ByResourceType finds them."""

from __future__ import annotations

from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config

from cdk_backup_jobs.testing import BackupEmulator, backup_server

ROLE = "arn:aws:iam::123456789012:role/backup-role"
RESOURCES = {
    "arn:aws:rds:us-east-1:123456789012:cluster:orders-aurora": "Aurora",
    "arn:aws:rds:us-east-1:123456789012:db:orders-db": "RDS",
    "arn:aws:rds:us-east-1:123456789012:cluster:docs": "DocumentDB",
    "arn:aws:rds:us-east-1:123456789012:cluster:graph": "Neptune",
    "arn:aws:redshift:us-east-1:123456789012:cluster:warehouse": "Redshift",
    "arn:aws:cloudformation:us-east-1:123456789012:stack/app/0a1b2c3d-0000-0000-0000-000000000000": "CloudFormation",
    "arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0": "EBS",
    "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0": "EC2",
    "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-01234567": "EFS",
    "arn:aws:fsx:us-east-1:123456789012:file-system/fs-0123456789abcdef0": "FSx",
    "arn:aws:s3:::my-bucket": "S3",
    "arn:aws:dynamodb:us-east-1:123456789012:table/orders": "DynamoDB",
    "arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-12A3456B/volume/vol-1122AABB": "Storage Gateway",
    "arn:aws:backup-gateway:us-east-1:123456789012:vm/vm-0123456789abcdef0": "VirtualMachine",
    "arn:aws:timestream:us-east-1:123456789012:database/metrics/table/cpu": "Timestream",
    "arn:aws:ssm-sap:us-east-1:123456789012:HANA/app/DB/db1": "SAP HANA on Amazon EC2",
}


@pytest.fixture
def api() -> Iterator[Any]:
    emulator = BackupEmulator()
    emulator.create_vault("primary")
    # A stack's DocumentDB and Neptune clusters: their ARNs look like Aurora's; the emulator learns which they are.
    emulator.on_stack_resource("AWS::DocDB::DBCluster", "docs", {})
    emulator.on_stack_resource("AWS::Neptune::DBCluster", "graph", {})
    with backup_server(emulator) as server:
        yield boto3.client("backup", endpoint_url=server.endpoint_url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing",
                           config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    assert emulator.state.internal_errors == []


def test_each_job_reports_aws_backups_resource_type_and_by_resource_type_finds_it(api: Any) -> None:
    jobs = {api.start_backup_job(BackupVaultName="primary", ResourceArn=arn, IamRoleArn=ROLE)["BackupJobId"]: arn
            for arn in RESOURCES}
    for job_id, arn in jobs.items():
        assert api.describe_backup_job(BackupJobId=job_id)["ResourceType"] == RESOURCES[arn], arn
    # The model's pattern for ByResourceType (^[a-zA-Z0-9\-\_\.]{1,50}$) has no space: "Storage Gateway" and
    # "SAP HANA on Amazon EC2" are reported but cannot be a filter.
    for arn, kind in ((arn, kind) for arn, kind in RESOURCES.items() if " " not in kind):
        listed = api.list_backup_jobs(ByResourceType=kind)["BackupJobs"]
        assert [job["ResourceArn"] for job in listed] == [arn], kind


def test_recovery_points_carry_the_same_resource_type(api: Any) -> None:
    aurora = "arn:aws:rds:us-east-1:123456789012:cluster:orders-aurora"
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
    api.start_backup_job(BackupVaultName="primary", ResourceArn=table, IamRoleArn=ROLE)
    api.start_backup_job(BackupVaultName="primary", ResourceArn=aurora, IamRoleArn=ROLE)
    points = api.list_recovery_points_by_backup_vault(BackupVaultName="primary")["RecoveryPoints"]
    assert {point["ResourceArn"]: point["ResourceType"] for point in points} == {table: "DynamoDB",
                                                                                 aurora: "Aurora"}
