"""The simulated fleet keeps export names unique per account and Region, as CloudFormation does.

"Export names must be unique within a Region"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html):
a second stack exporting a name already exported fails with
"Export with name X is already exported by stack Y".
"""

from __future__ import annotations

from typing import Any

from cdk_backup_jobs.testing import OperationPreferences, SimulatedOrganization, StackSetSimulator


def exporting(name: str) -> dict[str, Any]:
    return {"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": {"Token": {"Value": {"Ref": "AWS::StackName"}, "Export": {"Name": name}}}}


def test_a_second_stack_set_exporting_the_same_name_fails_its_instances_naming_the_first():
    organization = SimulatedOrganization.of_sizes({"ou-workloads": 1})
    with StackSetSimulator(organization) as fleet:
        first = fleet.create_stack_instances(fleet.create_stack_set("First", exporting("Shared")),
                                             ["ou-workloads"], ["us-east-1"], OperationPreferences())
        second = fleet.create_stack_instances(fleet.create_stack_set("Second", exporting("Shared")),
                                              ["ou-workloads"], ["us-east-1"], OperationPreferences())
        other = fleet.create_stack_instances(fleet.create_stack_set("Other", exporting("Another")),
                                             ["ou-workloads"], ["us-east-1"], OperationPreferences())

    assert first.status == other.status == "SUCCEEDED", (first.status_reason, other.status_reason)
    [instance] = second.instances
    first_stack = first.instances[0].outputs["Token"]
    assert (instance.status, instance.detailed_status) == ("OUTDATED", "FAILED")
    assert f"Export with name Shared is already exported by stack {first_stack}" in instance.status_reason
    place = organization.place(instance.account, instance.region)
    assert place.exports["Shared"] == first_stack  # the first stack's export stands
    assert place.exporters == {"Shared": first_stack, "Another": other.instances[0].outputs["Token"]}
