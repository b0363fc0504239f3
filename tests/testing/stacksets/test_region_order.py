"""RegionOrder "isn't followed if AutoDeployment is enabled"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html)."""

from __future__ import annotations

import pytest

from cdk_backup_jobs.testing import AutoDeployment, OperationPreferences, SimulatedOrganization, StackSetSimulator
from cdk_backup_jobs.testing.stacksets.preferences import InvalidOperationPreferences

TEMPLATE = {"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}
IN_ORDER = OperationPreferences(region_order=("eu-west-1", "us-east-1"), region_concurrency_type="SEQUENTIAL",
                                max_concurrent_count=1)


@pytest.mark.parametrize("auto, order", [(True, ["us-east-1", "eu-west-1"]), (False, ["eu-west-1", "us-east-1"])])
def test_region_order_is_followed_unless_the_stack_set_auto_deploys(auto, order):
    with StackSetSimulator(SimulatedOrganization.of_sizes({"ou-a": 1})) as fleet:
        stack_set = fleet.create_stack_set("Handles", TEMPLATE, auto_deployment=AutoDeployment(enabled=auto))
        operation = fleet.create_stack_instances(stack_set, ["ou-a"], ["us-east-1", "eu-west-1"], IN_ORDER)

    assert operation.status == "SUCCEEDED", operation.status_reason
    assert operation.region_order == order
    assert [i.region for i in sorted(operation.instances, key=lambda i: i.started_at)] == order
    if auto:
        [note] = operation.notes
        assert note.startswith("RegionOrder (eu-west-1, us-east-1) was not followed: StackSet Handles has "
                               "AutoDeployment enabled")
    else:
        assert operation.notes == []


def test_a_region_order_naming_another_region_is_still_refused_with_auto_deployment():
    with StackSetSimulator(SimulatedOrganization.of_sizes({"ou-a": 1})) as fleet:
        stack_set = fleet.create_stack_set("Handles", TEMPLATE, auto_deployment=AutoDeployment(enabled=True))
        with pytest.raises(InvalidOperationPreferences, match="RegionOrder names Regions"):
            fleet.create_stack_instances(stack_set, ["ou-a"], ["us-east-1"],
                                         OperationPreferences(region_order=("eu-west-1",)))
