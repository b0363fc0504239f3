"""A simulated AWS Organization: the provider and the orders snapshot as StackSets, every instance its own account.

Each stack instance is a process standing in its account and Region, with its
own emulated AWS Backup; the provider's code from cdk.out really runs there
(real botocore over HTTP to that account's emulator, real crhelper answering
over HTTPS). The job template is examples/cloudformation/fleet-orders-snapshot.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App

from cdk_backup_jobs import BackupJobsProviderStack
from cdk_backup_jobs.provider.asset import package_version
from cdk_backup_jobs.provider_artifacts import write_artifacts
from cdk_backup_jobs.testing import (AutoDeployment, OperationPreferences, PeakMemory, ScriptedOutcome,
                                     SimulatedAccount, SimulatedOrganization, StackSetSimulator,
                                     read_assembly_template)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ORDERS = REPO / "examples" / "cloudformation" / "fleet-orders-snapshot.yaml"
REGIONS = ["us-east-1", "eu-west-1"]
DENIED = ScriptedOutcome("table/orders", "FAILED", "Access denied: the table's key policy does not allow AWS Backup")


@pytest.fixture(scope="module")
def provider_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fleet") / "cdk.out"
    app = App(outdir=str(out))
    BackupJobsProviderStack(app, "BackupJobsProvider")
    app.synth()
    return out


def provider_set(fleet: StackSetSimulator, out: Path, auto: bool = False):
    return fleet.create_stack_set("BackupJobsProvider", read_assembly_template(out, "BackupJobsProvider"),
                                  assets_dir=out, auto_deployment=AutoDeployment(enabled=auto))


def orders_set(fleet: StackSetSimulator, auto: bool = False):
    return fleet.create_stack_set("OrdersSnapshot", ORDERS, parameters={"MigrationId": "migration-7"},
                                  auto_deployment=AutoDeployment(enabled=auto, depends_on=("BackupJobsProvider",)))


def assert_one_job_of_its_own(instance) -> None:
    """The instance's job: started once by the provider running in that account, there, for its own table."""
    account, region = instance.account, instance.region
    [job] = instance.jobs
    assert instance.start_backup_job_calls == 1
    assert job["account_id"] == account and job["region"] == region
    assert job["resource_arn"] == f"arn:aws:dynamodb:{region}:{account}:table/orders"
    assert job["recovery_point_arn"].startswith(f"arn:aws:backup:{region}:{account}:recovery-point:")
    assert job["iam_role_arn"].startswith(f"arn:aws:iam::{account}:role/")
    assert instance.outputs["BackupJobId"] == job["job_id"] and job["state"] == "COMPLETED"
    [(function, causes)] = instance.invocations.items()
    # CloudFormation names it {stack name}-{logical ID}-{suffix}, each part shortened to fit 64 characters.
    assert function.startswith(f"arn:aws:lambda:{region}:{account}:function:StackSet-BackupJobsProvid")
    assert causes["cloudformation"] == 1


def test_fifty_accounts_in_two_regions_each_snapshot_their_own_orders_table_once(provider_out):
    organization = SimulatedOrganization.of_sizes({"ou-workloads": 50})
    preferences = OperationPreferences(max_concurrent_percentage=100, failure_tolerance_percentage=10,
                                       concurrency_mode="SOFT_FAILURE_TOLERANCE", region_concurrency_type="PARALLEL")
    with PeakMemory() as peak, StackSetSimulator(organization) as fleet:
        providers = fleet.create_stack_instances(provider_set(fleet, provider_out), ["ou-workloads"], REGIONS,
                                                 preferences)
        snapshots = fleet.create_stack_instances(orders_set(fleet), ["ou-workloads"], REGIONS, preferences)

    assert providers.status == snapshots.status == "SUCCEEDED", snapshots.status_reason
    assert len(providers.with_status("SUCCEEDED")) == 100
    assert len({i.outputs["ServiceToken"] for i in providers.instances}) == 100  # a provider per account-Region
    assert len(snapshots.with_status("SUCCEEDED")) == 100
    for instance in snapshots.instances:
        assert instance.status == "CURRENT"
        assert_one_job_of_its_own(instance)
    jobs = [job["job_id"] for instance in snapshots.instances for job in instance.jobs]
    assert len(jobs) == len(set(jobs)) == 100
    assert peak.peak_bytes < 6 * 2**30  # a guard on this 2-core, 24 GiB machine; bench/fleet.py measures


def test_a_failed_job_within_tolerance_fails_its_account_and_not_the_operation(provider_out):
    organization = SimulatedOrganization.of_sizes({"ou-workloads": 5})
    organization.replace(SimulatedAccount("100000000002", job_outcomes=(DENIED,)))
    preferences = OperationPreferences(failure_tolerance_count=1, max_concurrent_count=3)
    with StackSetSimulator(organization) as fleet:
        fleet.create_stack_instances(provider_set(fleet, provider_out), ["ou-workloads"], REGIONS,
                                     OperationPreferences(max_concurrent_count=5))
        operation = fleet.create_stack_instances(orders_set(fleet), ["ou-workloads"], REGIONS, preferences)

    assert operation.status == "SUCCEEDED", operation.status_reason
    assert operation.accounts("FAILED") == ["100000000002"]
    for region in REGIONS:
        failed = operation.instance("100000000002", region)
        assert (failed.status, failed.detailed_status, failed.stack_status) == ("OUTDATED", "FAILED",
                                                                               "ROLLBACK_COMPLETE")
        assert "ended FAILED: Access denied" in failed.status_reason
        assert [job["state"] for job in failed.jobs] == ["FAILED"]
    succeeded = operation.with_status("SUCCEEDED")
    assert len(succeeded) == 8
    for instance in succeeded:
        assert_one_job_of_its_own(instance)


def test_past_tolerance_the_operation_stops_and_says_where(provider_out):
    organization = SimulatedOrganization.of_sizes({"ou-workloads": 6})
    for account in ("100000000000", "100000000001"):
        organization.replace(SimulatedAccount(account, job_outcomes=(DENIED,)))
    preferences = OperationPreferences(failure_tolerance_count=1, max_concurrent_count=4,
                                       region_order=("eu-west-1", "us-east-1"))
    with StackSetSimulator(organization) as fleet:
        fleet.create_stack_instances(provider_set(fleet, provider_out), ["ou-workloads"], REGIONS,
                                     OperationPreferences(max_concurrent_count=6))
        operation = fleet.create_stack_instances(orders_set(fleet), ["ou-workloads"], REGIONS, preferences)

    assert operation.status == "FAILED"
    assert operation.stopped_regions.keys() == {"eu-west-1"}
    assert "stopped in eu-west-1" in operation.status_reason
    assert "100000000000, 100000000001" in operation.status_reason
    assert operation.accounts("FAILED", "eu-west-1") == ["100000000000", "100000000001"]
    assert operation.peak_in_progress["eu-west-1"] <= 2  # STRICT: tolerance + 1
    cancelled_here = operation.with_status("CANCELLED", "eu-west-1")
    assert cancelled_here and all(i.status_reason.startswith("Cancelled: The operation stopped in eu-west-1")
                                  for i in cancelled_here)
    later = [i for i in operation.instances if i.region == "us-east-1"]
    assert {i.detailed_status for i in later} == {"CANCELLED"}
    assert all("Not attempted" in i.status_reason and i.started_at is None and not i.jobs for i in later)
    assert all(i.status == "OUTDATED" for i in later + cancelled_here)


def test_an_account_joining_the_ou_gets_the_provider_and_its_snapshot_by_auto_deployment(provider_out):
    organization = SimulatedOrganization.of_sizes({"ou-workloads": 2})
    one_at_a_time = OperationPreferences(max_concurrent_count=1, region_order=("eu-west-1", "us-east-1"))
    with StackSetSimulator(organization) as fleet:
        providers = provider_set(fleet, provider_out, auto=True)
        orders = orders_set(fleet, auto=True)
        fleet.create_stack_instances(providers, ["ou-workloads"], REGIONS, one_at_a_time)
        fleet.create_stack_instances(orders, ["ou-workloads"], REGIONS, one_at_a_time)
        deployments = fleet.add_account("ou-workloads", "100000000099")

    assert [d.stack_set_name for d in deployments] == ["BackupJobsProvider", "OrdersSnapshot"]  # DependsOn
    provider_run, orders_run = deployments
    for deployment in deployments:
        assert deployment.status == "SUCCEEDED", deployment.status_reason
        assert deployment.preferences is None  # the StackSet's preferences do not apply
        assert {i.account for i in deployment.instances} == {"100000000099"}
        # Both Regions at once, not one at a time in RegionOrder as the create operations ran.
        first, second = sorted(deployment.instances, key=lambda i: i.started_at)
        assert second.started_at < first.ended_at
    assert orders_run.began_at >= provider_run.ended_at  # it waited for the StackSet it depends on
    for region in REGIONS:
        assert providers.instance("100000000099", region).status == "CURRENT"
        assert_one_job_of_its_own(orders.instance("100000000099", region))


def test_the_release_artifacts_deploy_as_a_stack_set_with_the_code_in_one_bucket_per_region(tmp_path):
    # docs/organization.md's StackSet without the CDK: every instance gets the same parameters, so the code is
    # named <CodeBucket>-<Region> (CodeBucketPerRegion=true) and copied into each Region's bucket beforehand.
    written = write_artifacts(tmp_path / "dist")
    buckets = {("backup-jobs-code-" + region, written.code.name): written.code for region in REGIONS}
    organization = SimulatedOrganization.of_sizes({"ou-workloads": 2})
    with StackSetSimulator(organization) as fleet:
        release = fleet.create_stack_set(
            "BackupJobsProvider", written.template, s3_objects=buckets,
            parameters={"CodeBucket": "backup-jobs-code", "CodeBucketPerRegion": "true"})
        providers = fleet.create_stack_instances(release, ["ou-workloads"], REGIONS, OperationPreferences())
        snapshots = fleet.create_stack_instances(orders_set(fleet), ["ou-workloads"], REGIONS, OperationPreferences())

    assert providers.status == snapshots.status == "SUCCEEDED", (providers.status_reason, snapshots.status_reason)
    assert {i.outputs["ProviderVersion"] for i in providers.instances} == {package_version()}
    assert len(snapshots.with_status("SUCCEEDED")) == 4
    for instance in snapshots.instances:
        assert_one_job_of_its_own(instance)
