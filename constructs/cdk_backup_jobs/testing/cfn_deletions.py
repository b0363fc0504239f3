"""How the simulator deletes resources: one at a time, dependants first, as each DeletionPolicy says.

CloudFormation deletes a resource as soon as nothing left depends on it,
beside slower deletes still running; a resource whose DeletionPolicy is
Retain (or RetainExceptOnCreate, outside a create's rollback) is left
standing; a custom resource gets a Delete request, an ordinary one just goes.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from cdk_backup_jobs.testing import cfn_requests
from cdk_backup_jobs.testing.cfn_intrinsics import Resolver
from cdk_backup_jobs.testing.cfn_requests import ResourceEvent
from cdk_backup_jobs.testing.cfn_stack import Provisioned, SimulatedStack
from cdk_backup_jobs.testing.cfn_template import dependencies, is_custom_resource

__all__ = ["StackDeletions"]


class StackDeletions(SimulatedStack):
    """Mixin of CloudFormationSimulator (through ``StackResources``): the deletes and the policies they follow."""

    deletions: list[str]
    _resource_status: dict[str, str]
    _resolver: Callable[..., Resolver]  # StackResources': intrinsics against the stack now

    def _policy(self, template: Mapping[str, Any], logical_id: str, attribute: str) -> str:
        """A resource's DeletionPolicy or UpdateReplacePolicy in ``template`` (default Delete)."""
        definition = template["Resources"].get(logical_id, {})
        return str(self._resolver(template).resolve(definition.get(attribute, "Delete")))

    def _retained(self, template: Mapping[str, Any], logical_id: str,
                  on_create_rollback: bool) -> bool:
        """Retain keeps a resource out of every delete; RetainExceptOnCreate not from a create's rollback."""
        policy = self._policy(template, logical_id, "DeletionPolicy")
        return policy == "Retain" or (policy == "RetainExceptOnCreate" and not on_create_rollback)

    def _delete_all(self, logical_ids: list[str], events: list[ResourceEvent],
                    template: Mapping[str, Any], on_create_rollback: bool = False,
                    retain: Sequence[str] = ()) -> str | None:
        """Delete one at a time (``_deletion_order``), by the DeletionPolicy each resource has in ``template``;
        ``retain`` (DeleteStack's RetainResources) are kept whatever their policy: "During deletion,
        CloudFormation deletes the stack but doesn't delete the retained resources." (DeleteStack, API
        Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeleteStack.html)."""
        for logical_id in self._deletion_order(logical_ids, template):
            resource = self.resources[logical_id]
            retained = logical_id in retain or self._retained(template, logical_id, on_create_rollback)
            if is_custom_resource({"Type": resource.resource_type}) and not retained:
                self._resource_status[logical_id] = "DELETE_IN_PROGRESS"
                event = self._send_delete(logical_id, resource, events)
                if not event.succeeded:
                    self._resource_status[logical_id] = "DELETE_FAILED"
                    return f"{logical_id}: {event.failure}"
            elif not retained:
                self.deletions.append(logical_id)
                if self.iam is not None:
                    self.iam.resource_removed(self.stack_id, logical_id, resource.resource_type, resource.physical_id)
            del self.resources[logical_id]
            self._resource_status.pop(logical_id, None)
        return None

    def _deletion_order(self, logical_ids: list[str],
                        template: Mapping[str, Any]) -> list[str]:
        """The resources of ``logical_ids`` (dependants first) in the order CloudFormation may delete them.

        CloudFormation deletes a resource as soon as nothing left depends on it,
        beside slower deletes still running. So, of the resources free to go, an
        ordinary one (deleted at once) goes before a custom resource (which may
        take minutes): what a slow Delete needs but does not depend on (a missing
        DependsOn) is gone before that Delete runs, as it may be in
        CloudFormation. Custom resources keep their order.
        """
        left = [lid for lid in logical_ids if lid in self.resources]
        needs = {lid: dependencies(template["Resources"].get(lid, {}), set(left)) for lid in left}
        order: list[str] = []
        while left:
            free = [lid for lid in left if not any(lid in needs[other] for other in left)] or left  # or a cycle
            ordinary = [lid for lid in free if not is_custom_resource({"Type": self.resources[lid].resource_type})]
            order.append((ordinary or free)[0])
            left.remove(order[-1])
        return order

    def _send_delete(self, logical_id: str, resource: Provisioned,
                     events: list[ResourceEvent], physical_id: str | None = None) -> ResourceEvent:
        event = cfn_requests.deliver(self, logical_id, "Delete", resource.resource_type, resource.properties,
                                     physical_id=physical_id or resource.physical_id)
        events.append(event)
        if event.succeeded:
            self.deletions.append(logical_id)
        return event
