"""The template BackupJobsProviderStackSet carries, deployed as it is across a simulated fleet.

Its code is named by ``Fn::Sub`` (``{prefix}-${AWS::Region}``, the asset's
hash as the key) and its export by the ``ExportName`` parameter the StackSet
passes; the orders example then runs its job on it, in every account and
Region, through that export.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Template

from cdk_backup_jobs import BackupJobsProviderStack, BackupJobsProviderStackSet
from cdk_backup_jobs.testing import OperationPreferences, SimulatedOrganization, StackSetSimulator

pytestmark = pytest.mark.slow

ORDERS = Path(__file__).resolve().parents[2] / "examples" / "cloudformation" / "fleet-orders-snapshot.yaml"
REGIONS = ["us-east-1", "eu-west-1"]
EXPORT = "Team-BackupJobsToken"


def test_the_carried_provider_template_serves_the_orders_example_through_its_export(tmp_path):
    management = Stack(App(), "Fleet", env=Environment(account="111111111111", region="us-east-1"))
    construct = BackupJobsProviderStackSet(
        management, "Provider", organizational_unit_ids=["ou-ab12-cdef5678"], regions=REGIONS,
        asset_bucket_prefix="acme-backup-jobs-code", export_name=EXPORT, stack_set_name="backup-jobs-provider")
    [resource] = Template.from_stack(management).find_resources("AWS::CloudFormation::StackSet").values()
    template = json.loads(resource["Properties"]["TemplateBody"])
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in resource["Properties"]["Parameters"]}
    code = [r["Properties"]["Code"] for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert code == [{"S3Bucket": {"Fn::Sub": "acme-backup-jobs-code-${AWS::Region}"},
                     "S3Key": construct.asset_object_key}]

    # The code the buckets hold: the same asset (by its hash) as any synth of the provider stack.
    assets = tmp_path / "cdk.out"
    app = App(outdir=str(assets))
    BackupJobsProviderStack(app, "BackupJobsProvider")
    app.synth()
    assert (assets / f"asset.{construct.asset_object_key.removesuffix('.zip')}").is_dir()

    preferences = OperationPreferences(max_concurrent_count=2)
    with StackSetSimulator(SimulatedOrganization.of_sizes({"ou-workloads": 2})) as fleet:
        providers = fleet.create_stack_instances(
            fleet.create_stack_set(construct.stack_set_name, template, parameters=parameters, assets_dir=assets),
            ["ou-workloads"], REGIONS, preferences)
        snapshots = fleet.create_stack_instances(
            fleet.create_stack_set("OrdersSnapshot", ORDERS,
                                   parameters={"MigrationId": "migration-7", "ExportName": EXPORT}),
            ["ou-workloads"], REGIONS, preferences)

    assert parameters == {"ExportName": EXPORT}
    assert providers.status == "SUCCEEDED", providers.status_reason
    assert snapshots.status == "SUCCEEDED", snapshots.status_reason
    assert len(snapshots.instances) == 4
    for provider, snapshot in zip(sorted(providers.instances, key=lambda i: i.key),
                                  sorted(snapshots.instances, key=lambda i: i.key)):
        [job] = snapshot.jobs
        assert job["state"] == "COMPLETED"
        assert job["resource_arn"] == f"arn:aws:dynamodb:{snapshot.region}:{snapshot.account}:table/orders"
        assert snapshot.outputs["BackupJobId"] == job["job_id"]
        [function] = snapshot.invocations
        assert function == provider.outputs["ServiceToken"]  # the provider found through the custom export
