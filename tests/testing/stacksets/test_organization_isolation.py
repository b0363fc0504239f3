"""A 3-account organization in two Regions, in one process: each account-Region's stacks, jobs and exports
are its own, reached through shared endpoints by the caller's key and its signature's Region."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from cdk_backup_jobs.provider_artifacts import write_artifacts
from cdk_backup_jobs.testing import OperationPreferences, SimulatedOrganization, StackSetSimulator
from cdk_backup_jobs.testing.shared.account import DEFAULT_ACCOUNT_ID, account_access_key

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
ORDERS = REPO / "examples" / "cloudformation" / "fleet-orders-snapshot.yaml"
REGIONS = ["us-east-1", "eu-west-1"]
EXPORT = "BackupJobsProviderServiceToken"


def client(service: str, endpoint: str, account: str, region: str):
    """A client of ``account`` in ``region``: the shared endpoint serves whichever its signature names."""
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=account_access_key(account), aws_secret_access_key="testing")


def test_three_accounts_in_two_regions_keep_their_stacks_jobs_and_exports_to_themselves(tmp_path):
    written = write_artifacts(tmp_path / "dist")
    buckets = {("backup-jobs-code-" + region, written.code.name): written.code for region in REGIONS}
    organization = SimulatedOrganization.of_sizes({"ou-workloads": 3})
    accounts = [a.account_id for a in organization.accounts_in("ou-workloads")]
    all_at_once = OperationPreferences(max_concurrent_percentage=100, region_concurrency_type="PARALLEL")
    with StackSetSimulator(organization) as fleet:
        release = fleet.create_stack_set("BackupJobsProvider", written.template, s3_objects=buckets,
                                         parameters={"CodeBucket": "backup-jobs-code", "CodeBucketPerRegion": "true"})
        providers = fleet.create_stack_instances(release, ["ou-workloads"], REGIONS, all_at_once)
        orders = fleet.create_stack_set("OrdersSnapshot", ORDERS, parameters={"MigrationId": "migration-7"})
        snapshots = fleet.create_stack_instances(orders, ["ou-workloads"], REGIONS, all_at_once)
        assert providers.status == snapshots.status == "SUCCEEDED", (providers.status_reason,
                                                                      snapshots.status_reason)
        endpoints = fleet.endpoints()

        logical_ids = set()
        for account in accounts:
            for region in REGIONS:
                here = f":{region}:{account}:"
                # Its own stack, through the CloudFormation API signed as the account in the Region.
                instance = snapshots.instance(account, region)
                cloudformation = client("cloudformation", endpoints["events"], account, region)
                [stack] = cloudformation.describe_stacks(StackName=instance.stack_id)["Stacks"]
                assert here in stack["StackId"]
                resources = cloudformation.list_stack_resources(StackName=instance.stack_id)["StackResourceSummaries"]
                logical_ids.add(tuple(sorted(r["LogicalResourceId"] for r in resources)))
                # Its one job, in its own AWS Backup there, every ARN of it naming the account and Region.
                backup = client("backup", endpoints["backup"], account, region)
                [job] = backup.list_backup_jobs()["BackupJobs"]
                assert job["AccountId"] == account
                assert job["ResourceArn"] == f"arn:aws:dynamodb:{region}:{account}:table/orders"
                for arn in (job["BackupVaultArn"], job["RecoveryPointArn"]):
                    assert here in arn
                assert job["IamRoleArn"].startswith(f"arn:aws:iam::{account}:role/")
                assert instance.outputs["BackupJobId"] == job["BackupJobId"]
                # Its own export: the provider of this account in this Region.
                token = organization.place(account, region).exports[EXPORT]
                assert token.startswith(f"arn:aws:lambda{here}function:")
                assert providers.instance(account, region).outputs["ServiceToken"] == token
        assert len(logical_ids) == 1  # the same stack in every account-Region

        # A key not issued here is the default account's: none of the organization's jobs are there.
        default = boto3.client("backup", endpoint_url=endpoints["backup"], region_name="eu-west-1",
                               aws_access_key_id="testing", aws_secret_access_key="testing")
        assert default.list_backup_jobs()["BackupJobs"] == []
        assert DEFAULT_ACCOUNT_ID not in accounts

    jobs = [job["job_id"] for instance in snapshots.instances for job in instance.jobs]
    assert len(jobs) == len(set(jobs)) == 6
    exports = {organization.place(a, r).exports[EXPORT] for a in accounts for r in REGIONS}
    assert len(exports) == 6
