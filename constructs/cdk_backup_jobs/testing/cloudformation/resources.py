"""The simulator's resource steps: create, update, roll back and delete one resource as CloudFormation does.

Ordinary resources get made-up physical IDs and attributes (``fake_resources``);
custom resources get CloudFormation's requests (``requests``); a
WaitConditionHandle gets a presigned URL and a WaitCondition waits for its
signals (``wait_conditions``). A failed update is undone as CloudFormation
undoes it.

Deletes (``StackDeletions``) go one at a time, dependants first, as each
DeletionPolicy says: CloudFormation deletes a resource as soon as nothing
left depends on it, beside slower deletes still running; a resource whose
DeletionPolicy is Retain (or RetainExceptOnCreate, outside a create's
rollback) is left standing; a custom resource gets a Delete request, an
ordinary one just goes.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, Sequence

from cdk_backup_jobs.testing.cloudformation import requests, wait_conditions
from cdk_backup_jobs.testing.cloudformation.fake_resources import fake_resource
from cdk_backup_jobs.testing.cloudformation.intrinsics import Resolver, active_resources
from cdk_backup_jobs.testing.cloudformation.requests import ResourceEvent
from cdk_backup_jobs.testing.cloudformation.stack import Provisioned, SimulatedStack
from cdk_backup_jobs.testing.cloudformation.template import (TemplateError, cfn_strings, creation_levels, dependencies,
                                                             is_custom_resource)
from cdk_backup_jobs.testing.cloudformation.wait_conditions import CONDITION_TYPE, HANDLE_TYPE, WaitConditionResult

__all__ = ["SERVICE_TOKEN_CHANGED", "Provisioned", "StackDeletions", "StackResources"]

FUNCTION_TYPE = "AWS::Lambda::Function"
SERVICE_TOKEN_CHANGED = "Modifying service token is not allowed."
"""CloudFormation's reason for an Update of a custom resource that changes its ServiceToken."""
EXPIRED_TOKEN = ("The security token included in the request is expired (Status Code: 403, Error Code: "
                 "ExpiredToken)")
"""A resource started after the caller's session expired, in an operation without a service role.

Without a role, CloudFormation acts with a session made from the caller's
credentials, which it cannot renew: a stack operation that outlasts it fails
its next resources (eksctl-io/eksctl#7095, "the token is passed to
CloudFormation (which operates on the principal's behalf) as-is and cannot
be refreshed by it"; the error text as in eksctl-io/eksctl#5968). With a
service role (``--role-arn``) CloudFormation assumes the role itself."""


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
        event = requests.deliver(self, logical_id, "Delete", resource.resource_type, resource.properties,
                                     physical_id=physical_id or resource.physical_id)
        events.append(event)
        if event.succeeded:
            self.deletions.append(logical_id)
        return event


class StackResources(StackDeletions):
    """Mixin of CloudFormationSimulator: the per-resource steps. The simulator sets these attributes
    (besides those every helper reads, ``SimulatedStack``'s)."""

    stack_name: str
    caller_session_expires_at: float | None
    """When the session CloudFormation acts with in this operation expires (None: a service role, or no
    limit given)."""
    template: dict[str, Any]
    parameters: dict[str, Any]
    exports: dict[str, Any]
    on_resource: Callable[[str, str, Mapping[str, Any]], None] | None
    deletions: list[str]
    wait_conditions: list[WaitConditionResult]
    _resource_status: dict[str, str]
    status: str | None
    _status: Callable[[str], None]  # records the stack's status (and tells the scheduler)

    def _forget_gone(self) -> None:
        """Statuses of resources an earlier operation failed to create and rolled back are history."""
        self._resource_status = {lid: s for lid, s in self._resource_status.items() if lid in self.resources}

    @contextmanager
    def _as_before_if_it_raises(self, status: str | None, template: dict[str, Any]) -> Iterator[None]:
        """An unexpected error in an operation leaves the stack's status and template as they were,
        not *_IN_PROGRESS (where no update or delete could follow)."""
        try:
            yield
        except BaseException:
            self.template, self.status = template, status
            if status is not None:
                self._status(status)
            raise

    def _resolver(self, template: Mapping[str, Any] | None = None) -> Resolver:
        """Intrinsics against the stack now, with ``template``'s (default: the current) Conditions and Mappings."""
        template = self.template if template is None else template
        resources = self.resources.copy()
        physical = {lid: r.physical_id for lid, r in resources.items()}
        attributes = {lid: r.attributes for lid, r in resources.items()}
        return Resolver(self.stack_name, self.stack_id, self.parameters, self.exports, physical, attributes,
                        conditions=template.get("Conditions", {}), mappings=template.get("Mappings", {}))

    def _active(self, template: Mapping[str, Any]) -> dict[str, Any]:
        """The template's resources whose Condition (if any) holds: the ones the stack has."""
        return active_resources(template, self._resolver(template))

    def _definition(self, logical_id: str) -> Mapping[str, Any]:
        resource: Mapping[str, Any] = self.template["Resources"][logical_id]
        return resource

    def _properties(self, logical_id: str) -> dict[str, Any]:
        """The resource's properties with every intrinsic resolved (raises TemplateError)."""
        resolved: dict[str, Any] = self._resolver().resolve(self._definition(logical_id).get("Properties", {}))
        return resolved

    def _provision(self, logical_id: str, properties: dict[str, Any]) -> Provisioned:
        """An ordinary resource: a fake physical ID; a new one (a new name) is a new resource."""
        definition = self._definition(logical_id)
        physical_id, attributes = fake_resource(self.stack_name, logical_id, definition["Type"], properties)
        old = self.resources.get(logical_id)
        self.resources[logical_id] = Provisioned(definition["Type"], physical_id, attributes, properties)
        if self.iam is not None and (old is None or old.properties != properties or old.physical_id != physical_id):
            self.iam.resource_changed(self.stack_id, logical_id, definition["Type"], physical_id, properties)
        if (old is None or old.physical_id != physical_id) and self.on_resource:
            self.on_resource(definition["Type"], physical_id, properties)
        return self.resources[logical_id]

    def _session_expired(self, logical_id: str, failed_status: str) -> str | None:
        """The failure of a resource started after the caller's session expired (``EXPIRED_TOKEN``)."""
        expires_at = self.caller_session_expires_at
        if expires_at is None or self.clock() < expires_at:
            return None
        self._resource_status[logical_id] = failed_status
        return f"{logical_id}: {EXPIRED_TOKEN}"

    def _create(self, logical_id: str, events: list[ResourceEvent],
                created: list[str]) -> str | None:
        expired = self._session_expired(logical_id, "CREATE_FAILED")
        if expired:
            return expired
        definition = self._definition(logical_id)
        if definition["Type"] == CONDITION_TYPE and self.scheduler is not None:
            # SignalResource signals the resource being created (api): one of the same
            # logical ID deleted before (a move back, say) took its own signals with it.
            self.scheduler.state.forget_signals(self.stack_id, logical_id)
        self._resource_status[logical_id] = "CREATE_IN_PROGRESS"
        try:
            properties = self._properties(logical_id)
            if definition["Type"] in (HANDLE_TYPE, CONDITION_TYPE):
                return self._create_wait(logical_id, definition, properties, created)
            provisioned = None if is_custom_resource(definition) else self._provision(logical_id, properties)
        except TemplateError as error:
            self._resource_status[logical_id] = "CREATE_FAILED"
            return f"{logical_id}: {error}"
        if provisioned is not None:
            created.append(logical_id)
            self._resource_status[logical_id] = "CREATE_COMPLETE"
            self.functions.start(logical_id, definition["Type"], properties, provisioned.attributes.get("Arn", ""))
            return None
        strings = cfn_strings(properties)
        event = requests.deliver(self, logical_id, "Create", definition["Type"], strings)
        events.append(event)
        response = event.response or {}
        physical_id = str(response.get("PhysicalResourceId") or f"{logical_id}-NoResponse")
        data = response.get("Data")  # not checked yet when the response was invalid
        self.resources[logical_id] = Provisioned(
            definition["Type"], physical_id, dict(data) if isinstance(data, dict) else {}, strings)
        created.append(logical_id)
        self._resource_status[logical_id] = "CREATE_COMPLETE" if event.succeeded else "CREATE_FAILED"
        return None if event.succeeded else f"{logical_id}: {event.failure}"

    def _create_wait(self, logical_id: str, definition: Mapping[str, Any],
                     properties: dict[str, Any], created: list[str]) -> str | None:
        """A handle (its presigned URL) or a WaitCondition (waiting for its signals: to its handle, or
        SignalResource calls when it has a CreationPolicy)."""
        if definition["Type"] == HANDLE_TYPE:
            url = self.responses.new_wait_condition_url(self.stack_id, logical_id)
            self.resources[logical_id] = Provisioned(HANDLE_TYPE, url, {}, properties)
            created.append(logical_id)
            self._resource_status[logical_id] = "CREATE_COMPLETE"
            return None
        policy = definition.get("CreationPolicy")
        if policy is not None:
            result = wait_conditions.wait_for_resource_signals(self, logical_id, self._resolver().resolve(policy))
        else:
            result = wait_conditions.wait(self, logical_id, properties)
        self.wait_conditions.append(result)
        handles = {lid: r.physical_id for lid, r in self.resources.copy().items() if r.resource_type == HANDLE_TYPE}
        physical_id = f"{self.stack_id}/{logical_id}" if policy is not None \
            else wait_conditions.physical_id(self.stack_id, result.handle_url, handles)
        attributes = {} if policy is not None else {"Data": wait_conditions.data_attribute(result.data)}
        self.resources[logical_id] = Provisioned(CONDITION_TYPE, physical_id, attributes, properties)
        created.append(logical_id)
        self._resource_status[logical_id] = result.status
        return None if result.succeeded else f"{logical_id}: {result.reason}"

    def _update(self, logical_id: str, events: list[ResourceEvent],
                updated: list[tuple[str, Provisioned]], replaced: list[tuple[str, Provisioned]]) -> str | None:
        definition = self._definition(logical_id)
        old = self.resources[logical_id]
        try:
            properties = self._properties(logical_id)
        except TemplateError as error:
            return f"{logical_id}: {error}"
        if properties != old.properties or definition["Type"] != old.resource_type:
            expired = self._session_expired(logical_id, "UPDATE_FAILED")
            if expired:
                return expired
        if definition["Type"] in (HANDLE_TYPE, CONDITION_TYPE) and old.resource_type == definition["Type"]:
            if cfn_strings(properties) == cfn_strings(old.properties):
                return None
            self._resource_status[logical_id] = "UPDATE_FAILED"
            return f"{logical_id}: {wait_conditions.UPDATE_NOT_SUPPORTED} (a new logical ID waits again)"
        if not is_custom_resource(definition):
            try:
                new = self._provision(logical_id, properties)  # a new physical name is a replacement, as in CFN
            except TemplateError as error:
                self._resource_status[logical_id] = "UPDATE_FAILED"
                return f"{logical_id}: {error}"
            changed = properties != old.properties or old.resource_type != definition["Type"]
            if definition["Type"] == FUNCTION_TYPE and changed:  # its next invocation runs the new code
                self.functions.restart(logical_id, FUNCTION_TYPE, properties, old.attributes.get("Arn", ""),
                                       new.attributes.get("Arn", ""))
            return None
        strings = cfn_strings(properties)
        if strings == old.properties and definition["Type"] == old.resource_type:
            return None
        if strings.get("ServiceToken") != old.properties.get("ServiceToken"):
            # CloudFormation refuses it before any request: "Updates aren't supported" for ServiceToken
            # (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cfn-customresource.html),
            # the resource UPDATE_FAILED with this reason and the stack rolled back
            # (aws-cloudformation/cloudformation-coverage-roadmap#802, cloudcomponents/cdk-constructs#197).
            # The values compared are resolved: a template that writes the same ARN otherwise changes nothing.
            self._resource_status[logical_id] = "UPDATE_FAILED"
            return f"{logical_id}: {SERVICE_TOKEN_CHANGED}"
        self._resource_status[logical_id] = "UPDATE_IN_PROGRESS"
        event = requests.deliver(self, logical_id, "Update", definition["Type"], strings,
                                     physical_id=old.physical_id, old_properties=old.properties)
        events.append(event)
        if not event.succeeded or event.response is None:
            # The resource now stands at the attempted properties: the rollback goes back from them.
            self.resources[logical_id] = Provisioned(definition["Type"], old.physical_id, old.attributes, strings)
            updated.append((logical_id, old))
            self._resource_status[logical_id] = "UPDATE_FAILED"
            return f"{logical_id}: {event.failure}"
        new = Provisioned(definition["Type"], event.response["PhysicalResourceId"],
                          dict(event.response.get("Data") or {}), strings)
        self.resources[logical_id] = new
        updated.append((logical_id, old))
        self._resource_status[logical_id] = "UPDATE_COMPLETE"
        if new.physical_id != old.physical_id:
            replaced.append((logical_id, old))
        return None

    def _roll_back_update(self, events: list[ResourceEvent], created: list[str],
                          updated: list[tuple[str, Provisioned]], new_template: Mapping[str, Any]) -> None:
        """Undo a failed update as CloudFormation does.

        A resource the update replaced goes back to its old physical resource,
        which still stands, with no request; the replacement is deleted in the
        clean-up. A resource updated in place, or whose update failed, gets an
        Update from the attempted properties back to the previous ones (and if
        that answer names another physical ID, the one it leaves is deleted in
        the clean-up). What the update created is deleted.
        """
        left_behind: list[tuple[str, Provisioned]] = []
        for logical_id, old in reversed(updated):
            current = self.resources[logical_id]
            if current.physical_id != old.physical_id:
                self.resources[logical_id] = old
                left_behind.append((logical_id, current))
                continue
            event = requests.deliver(self, logical_id, "Update", old.resource_type, old.properties,
                                         physical_id=current.physical_id, old_properties=current.properties)
            events.append(event)
            if not event.succeeded or event.response is None:
                self.resources[logical_id] = old
                continue
            returned = Provisioned(old.resource_type, str(event.response["PhysicalResourceId"]),
                                   dict(event.response.get("Data") or {}), old.properties)
            self.resources[logical_id] = returned
            if returned.physical_id != current.physical_id:
                left_behind.append((logical_id, current))
        self._delete_all(list(reversed(created)), events, new_template, on_create_rollback=True)
        for logical_id, resource in left_behind:
            if self._policy(new_template, logical_id, "UpdateReplacePolicy") != "Retain":
                self._send_delete(logical_id, resource, events)

    def _reverse_order(self, template: Mapping[str, Any]) -> list[str]:
        levels = creation_levels(self._active(template))
        return [lid for level in reversed(levels) for lid in level]
