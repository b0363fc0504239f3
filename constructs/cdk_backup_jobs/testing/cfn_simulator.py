"""CloudFormation's side of custom resources: deploy, update and delete a stack offline.

The simulator walks a template in dependency order (independent resources in
parallel), gives ordinary resources fake physical IDs, and sends each custom
resource the request CloudFormation would send, to the real provider code
running in a LambdaRuntime. It reads the response that the provider PUT over
HTTPS, applies CloudFormation's rules to it, and carries on as CloudFormation
does: outputs from Fn::GetAtt on the response Data, Delete of a replaced
physical ID after an update, rollback after a failure, no Delete for what a
DeletionPolicy or UpdateReplacePolicy of Retain keeps. It deletes one resource
at a time, each as soon as nothing left depends on it (ordinary resources
first, as they go at once in CloudFormation), and records the order
(``deletions``): a resource that a slow custom Delete needs is deleted first
unless a dependency keeps it.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from cdk_backup_jobs.testing.cfn_template import (ACCOUNT_ID, REGION, Resolver, TemplateError,
                                                  active_resources, cfn_strings, creation_levels, dependencies,
                                                  fake_resource, is_custom_resource, load_template)
from cdk_backup_jobs.testing.events_server import RunningEventsServer
from cdk_backup_jobs.testing.lambda_runtime import Invocation, LambdaRuntime
from cdk_backup_jobs.testing.response_server import INVALID_BODY, RunningResponseServer

MAX_PHYSICAL_ID_BYTES = 1024
MAX_RESPONSE_BYTES = 4096
ECHOED_KEYS = ("StackId", "RequestId", "LogicalResourceId")  # a response must repeat the request's
DEFAULT_SERVICE_TIMEOUT = 3600
DEFAULT_LAMBDA_TIMEOUT = 3.0


@dataclass
class ResourceEvent:
    """One request delivered to a provider, and what CloudFormation made of the answer."""

    logical_id: str
    request_type: str
    request: dict[str, Any]
    response: dict[str, Any] | None
    invocation: Invocation | None
    failure: str | None = None
    delivery: int = 1
    polls: int = 0
    seconds: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.failure is None


@dataclass
class StackOperation:
    """The result of deploy(), update() or delete()."""

    status: str
    outputs: dict[str, Any] = field(default_factory=dict)
    events: list[ResourceEvent] = field(default_factory=list)
    reason: str = ""

    def events_for(self, logical_id: str) -> list[ResourceEvent]:
        return [e for e in self.events if e.logical_id == logical_id]


@dataclass
class _Provisioned:
    resource_type: str
    physical_id: str
    attributes: dict[str, Any]
    properties: dict[str, Any]


class CloudFormationSimulator:
    """One stack, deployed offline.

    :param responses: the HTTPS receiver for responses (``response_server()``).
    :param assets_dir: a cdk.out folder: Lambda functions in the template run
        their ``asset.<hash>`` code.
    :param functions: ServiceToken ARN -> code folder, for functions that are
        not in the template (a hand-written template using a published provider).
    :param environment: extra environment for every function (endpoints, CA file).
    :param duplicate: logical IDs whose every request is delivered twice ("*": all).
    :param on_resource: called for each ordinary resource created, e.g. to
        create a backup vault in the emulator.
    :param scheduler: an ``events_server()``: functions reach it for crhelper's
        polling, and the simulator fires its rules until a response arrives.
    :param on_tick: called with the seconds each fired rule stands for (for
        example ``ManualClock.advance``), so polls happen in virtual time.
    :param lambda_retries: CloudFormation invokes the function asynchronously,
        so Lambda runs a request again after an invocation that raised or timed
        out, up to this many times (Lambda's default: 2).
    """

    def __init__(self, responses: RunningResponseServer, *, stack_name: str = "Stack",
                 assets_dir: str | Path | None = None, functions: Mapping[str, str | Path] | None = None,
                 environment: Mapping[str, str] | None = None, exports: Mapping[str, str] | None = None,
                 parameters: Mapping[str, str] | None = None, duplicate: set[str] | None = None,
                 on_resource: Callable[[str, str, Mapping[str, Any]], None] | None = None,
                 scheduler: RunningEventsServer | None = None,
                 on_tick: Callable[[float], None] | None = None,
                 max_parallel: int = 10, lambda_retries: int = 2) -> None:
        self.responses = responses
        self.stack_name = stack_name
        self.stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{stack_name}/{uuid.uuid4()}"
        self.assets_dir = Path(assets_dir) if assets_dir else None
        self.environment = {**(scheduler.environment if scheduler else {}), **(environment or {})}
        self.scheduler = scheduler
        self.on_tick = on_tick
        self.exports = dict(exports or {})
        self.parameters = dict(parameters or {})
        self.duplicate = duplicate or set()
        self.on_resource = on_resource
        self.max_parallel = max_parallel
        self.lambda_retries = lambda_retries
        self.template: dict[str, Any] = {"Resources": {}}
        self.resources: dict[str, _Provisioned] = {}
        self.runtimes: dict[str, LambdaRuntime] = {}
        self.deletions: list[str] = []
        """Logical IDs in the order their resources were deleted, over every operation so far.

        Resources are deleted one at a time, so each listed Delete completed
        before the next one began. A custom resource is listed once its Delete
        succeeded (a replaced one's old physical resource too); an ordinary
        resource when it is removed; a retained one never.
        """
        self._extra_functions = {arn: str(path) for arn, path in (functions or {}).items()}

    # --- the three operations -------------------------------------------------

    def deploy(self, template: str | Path | Mapping[str, Any]) -> StackOperation:
        """Create the stack; on a failure roll back what was created."""
        self.template = load_template(template)
        events: list[ResourceEvent] = []
        created: list[str] = []
        self._status("CREATE_IN_PROGRESS")
        failure = self._walk(self.template, events, lambda lid: self._create(lid, events, created))
        if failure:
            self._status("ROLLBACK_IN_PROGRESS")
            rollback_failure = self._delete_all(list(reversed(created)), events, self.template,
                                                on_create_rollback=True)
            status = "ROLLBACK_FAILED" if rollback_failure else "ROLLBACK_COMPLETE"
            return StackOperation(status, {}, events, failure)
        return self._finish("CREATE_COMPLETE", events)

    def update(self, template: str | Path | Mapping[str, Any]) -> StackOperation:
        """Update to a new template; replaced and removed resources are deleted afterwards."""
        old_template, new_template = self.template, load_template(template)
        self.template = new_template
        self._status("UPDATE_IN_PROGRESS")
        events: list[ResourceEvent] = []
        created: list[str] = []
        updated: list[tuple[str, _Provisioned]] = []
        replaced: list[tuple[str, _Provisioned]] = []

        def step(logical_id: str) -> str | None:
            if logical_id not in self.resources:
                return self._create(logical_id, events, created)
            return self._update(logical_id, events, updated, replaced)

        failure = self._walk(new_template, events, step)
        if failure:
            self.template = old_template
            self._status("UPDATE_ROLLBACK_IN_PROGRESS")
            self._roll_back_update(events, created, updated, new_template)
            return StackOperation("UPDATE_ROLLBACK_COMPLETE", {}, events, failure)
        self._status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        for logical_id, old in replaced:
            if self._policy(new_template, logical_id, "UpdateReplacePolicy") != "Retain":
                self._send_delete(logical_id, old, events)
        removed = [lid for lid in self._reverse_order(old_template) if lid not in self._active(new_template)]
        self._delete_all(removed, events, old_template)
        return self._finish("UPDATE_COMPLETE", events)

    def delete(self) -> StackOperation:
        """Delete every resource, dependants first."""
        events: list[ResourceEvent] = []
        self._status("DELETE_IN_PROGRESS")
        failure = self._delete_all(self._reverse_order(self.template), events, self.template)
        if failure:
            self._status("DELETE_FAILED")
            return StackOperation("DELETE_FAILED", {}, events, failure)
        self.template = {"Resources": {}}
        return StackOperation("DELETE_COMPLETE", {}, events)

    # --- inspection and clean-up ----------------------------------------------

    @property
    def function_logs(self) -> str:
        """Everything every function wrote to stdout and stderr."""
        return "".join(runtime.logs for runtime in self.runtimes.values())

    def physical_id(self, logical_id: str) -> str:
        return self.resources[logical_id].physical_id

    def close(self) -> None:
        for runtime in self.runtimes.values():
            runtime.close()

    def __enter__(self) -> "CloudFormationSimulator":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    # --- internals -------------------------------------------------------------

    def _status(self, status: str) -> None:
        """Tell the scheduler's CloudFormation API what DescribeStacks should say now."""
        if self.scheduler is not None:
            self.scheduler.set_stack(self.stack_id, self.stack_name, status, self.template)

    def _walk(self, template: Mapping[str, Any], events: list[ResourceEvent],
              step: Callable[[str], str | None]) -> str | None:
        """Run ``step`` over the resources, wave by wave; the first failure stops the walk."""
        self._check_parameters(template)
        for level in creation_levels(self._active(template)):
            with ThreadPoolExecutor(max_workers=self.max_parallel) as pool:
                failures = [f for f in pool.map(step, level) if f]
            if failures:
                return failures[0]
        return None

    def _check_parameters(self, template: Mapping[str, Any]) -> None:
        for name, spec in template.get("Parameters", {}).items():
            if name not in self.parameters:
                if "Default" not in spec:
                    raise TemplateError(f"Parameter {name} needs a value")
                self.parameters[name] = spec["Default"]

    def _resolver(self, template: Mapping[str, Any] | None = None) -> Resolver:
        """Intrinsics against the stack now, with ``template``'s (default: the current) Conditions and Mappings."""
        template = self.template if template is None else template
        physical = {lid: r.physical_id for lid, r in self.resources.items()}
        attributes = {lid: r.attributes for lid, r in self.resources.items()}
        return Resolver(self.stack_name, self.stack_id, self.parameters, self.exports, physical, attributes,
                        conditions=template.get("Conditions", {}), mappings=template.get("Mappings", {}))

    def _active(self, template: Mapping[str, Any]) -> dict[str, Any]:
        """The template's resources whose Condition (if any) holds: the ones the stack has."""
        return active_resources(template, self._resolver(template))

    def _policy(self, template: Mapping[str, Any], logical_id: str, attribute: str) -> str:
        """A resource's DeletionPolicy or UpdateReplacePolicy in ``template`` (default Delete)."""
        definition = template["Resources"].get(logical_id, {})
        return str(self._resolver(template).resolve(definition.get(attribute, "Delete")))

    def _retained(self, template: Mapping[str, Any], logical_id: str, on_create_rollback: bool) -> bool:
        """Retain keeps a resource out of every delete; RetainExceptOnCreate not from a create's rollback."""
        policy = self._policy(template, logical_id, "DeletionPolicy")
        return policy == "Retain" or (policy == "RetainExceptOnCreate" and not on_create_rollback)

    def _definition(self, logical_id: str) -> Mapping[str, Any]:
        resource: Mapping[str, Any] = self.template["Resources"][logical_id]
        return resource

    def _properties(self, logical_id: str) -> dict[str, Any]:
        """The resource's properties with every intrinsic resolved (raises TemplateError)."""
        resolved: dict[str, Any] = self._resolver().resolve(self._definition(logical_id).get("Properties", {}))
        return resolved

    def _provision(self, logical_id: str, properties: dict[str, Any]) -> _Provisioned:
        """An ordinary resource: a fake physical ID; a new one (a new name) is a new resource."""
        definition = self._definition(logical_id)
        physical_id, attributes = fake_resource(self.stack_name, logical_id, definition["Type"], properties)
        old = self.resources.get(logical_id)
        self.resources[logical_id] = _Provisioned(definition["Type"], physical_id, attributes, properties)
        if (old is None or old.physical_id != physical_id) and self.on_resource:
            self.on_resource(definition["Type"], physical_id, properties)
        return self.resources[logical_id]

    def _create(self, logical_id: str, events: list[ResourceEvent], created: list[str]) -> str | None:
        definition = self._definition(logical_id)
        try:
            properties = self._properties(logical_id)
        except TemplateError as error:
            return f"{logical_id}: {error}"
        if not is_custom_resource(definition):
            provisioned = self._provision(logical_id, properties)
            created.append(logical_id)
            self._start_function(logical_id, definition, provisioned.attributes)
            return None
        strings = cfn_strings(properties)
        event = self._deliver(logical_id, "Create", definition["Type"], strings)
        events.append(event)
        response = event.response or {}
        physical_id = str(response.get("PhysicalResourceId") or f"{logical_id}-NoResponse")
        data = response.get("Data")  # not checked yet when the response was invalid
        self.resources[logical_id] = _Provisioned(
            definition["Type"], physical_id, dict(data) if isinstance(data, dict) else {}, strings)
        created.append(logical_id)
        return None if event.succeeded else f"{logical_id}: {event.failure}"

    def _update(self, logical_id: str, events: list[ResourceEvent], updated: list[tuple[str, _Provisioned]],
                replaced: list[tuple[str, _Provisioned]]) -> str | None:
        definition = self._definition(logical_id)
        old = self.resources[logical_id]
        try:
            properties = self._properties(logical_id)
        except TemplateError as error:
            return f"{logical_id}: {error}"
        if not is_custom_resource(definition):
            self._provision(logical_id, properties)  # a new physical name is a replacement, as in CloudFormation
            return None
        strings = cfn_strings(properties)
        if strings == old.properties and definition["Type"] == old.resource_type:
            return None
        event = self._deliver(logical_id, "Update", definition["Type"], strings,
                              physical_id=old.physical_id, old_properties=old.properties)
        events.append(event)
        if not event.succeeded or event.response is None:
            # The resource now stands at the attempted properties: the rollback goes back from them.
            self.resources[logical_id] = _Provisioned(definition["Type"], old.physical_id, old.attributes, strings)
            updated.append((logical_id, old))
            return f"{logical_id}: {event.failure}"
        new = _Provisioned(definition["Type"], event.response["PhysicalResourceId"],
                           dict(event.response.get("Data") or {}), strings)
        self.resources[logical_id] = new
        updated.append((logical_id, old))
        if new.physical_id != old.physical_id:
            replaced.append((logical_id, old))
        return None

    def _roll_back_update(self, events: list[ResourceEvent], created: list[str],
                          updated: list[tuple[str, _Provisioned]], new_template: Mapping[str, Any]) -> None:
        """Undo a failed update as CloudFormation does.

        A resource the update replaced goes back to its old physical resource,
        which still stands, with no request; the replacement is deleted in the
        clean-up. A resource updated in place, or whose update failed, gets an
        Update from the attempted properties back to the previous ones (and if
        that answer names another physical ID, the one it leaves is deleted in
        the clean-up). What the update created is deleted.
        """
        left_behind: list[tuple[str, _Provisioned]] = []
        for logical_id, old in reversed(updated):
            current = self.resources[logical_id]
            if current.physical_id != old.physical_id:
                self.resources[logical_id] = old
                left_behind.append((logical_id, current))
                continue
            event = self._deliver(logical_id, "Update", old.resource_type, old.properties,
                                  physical_id=current.physical_id, old_properties=current.properties)
            events.append(event)
            if not event.succeeded or event.response is None:
                self.resources[logical_id] = old
                continue
            returned = _Provisioned(old.resource_type, str(event.response["PhysicalResourceId"]),
                                    dict(event.response.get("Data") or {}), old.properties)
            self.resources[logical_id] = returned
            if returned.physical_id != current.physical_id:
                left_behind.append((logical_id, current))
        self._delete_all(list(reversed(created)), events, new_template, on_create_rollback=True)
        for logical_id, resource in left_behind:
            if self._policy(new_template, logical_id, "UpdateReplacePolicy") != "Retain":
                self._send_delete(logical_id, resource, events)

    def _delete_all(self, logical_ids: list[str], events: list[ResourceEvent], template: Mapping[str, Any],
                    on_create_rollback: bool = False) -> str | None:
        """Delete one at a time (``_deletion_order``), by the DeletionPolicy each resource has in ``template``."""
        for logical_id in self._deletion_order(logical_ids, template):
            resource = self.resources[logical_id]
            retained = self._retained(template, logical_id, on_create_rollback)
            if is_custom_resource({"Type": resource.resource_type}) and not retained:
                event = self._send_delete(logical_id, resource, events)
                if not event.succeeded:
                    return f"{logical_id}: {event.failure}"
            elif not retained:
                self.deletions.append(logical_id)
            del self.resources[logical_id]
        return None

    def _deletion_order(self, logical_ids: list[str], template: Mapping[str, Any]) -> list[str]:
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

    def _send_delete(self, logical_id: str, resource: _Provisioned, events: list[ResourceEvent],
                     physical_id: str | None = None) -> ResourceEvent:
        event = self._deliver(logical_id, "Delete", resource.resource_type, resource.properties,
                              physical_id=physical_id or resource.physical_id)
        events.append(event)
        if event.succeeded:
            self.deletions.append(logical_id)
        return event

    def _reverse_order(self, template: Mapping[str, Any]) -> list[str]:
        levels = creation_levels(self._active(template))
        return [lid for level in reversed(levels) for lid in level]

    def _finish(self, status: str, events: list[ResourceEvent]) -> StackOperation:
        self._status(status)
        resolver = self._resolver()
        outputs = {}
        for name, output in self.template.get("Outputs", {}).items():
            try:
                if "Condition" in output and not resolver.condition(output["Condition"]):
                    continue
                outputs[name] = resolver.resolve(output["Value"])
            except TemplateError as error:
                return StackOperation(f"{status.split('_')[0]}_FAILED", outputs, events, str(error))
            export = output.get("Export", {}).get("Name")
            if export:
                self.exports[resolver.resolve(export)] = outputs[name]
        return StackOperation(status, outputs, events)

    def _start_function(self, logical_id: str, definition: Mapping[str, Any],
                        attributes: Mapping[str, Any]) -> None:
        """Ready a Lambda function of the template: inline code, or a cdk.out asset."""
        if definition["Type"] != "AWS::Lambda::Function":
            return
        props = definition.get("Properties", {})
        code = props.get("Code", {})
        if "ZipFile" in code:  # inline code: Lambda saves it as index.py
            code_dir = Path(tempfile.mkdtemp(prefix="inline-function-"))
            (code_dir / "index.py").write_text(str(self._resolver().resolve(code["ZipFile"])))
        elif self.assets_dir is not None:
            code_dir = self.assets_dir / f"asset.{str(code.get('S3Key', '')).removesuffix('.zip')}"
        else:
            return
        if not code_dir.is_dir():
            return
        environment = {**self.environment, **props.get("Environment", {}).get("Variables", {}),
                       "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
        self.runtimes[attributes["Arn"]] = LambdaRuntime(
            code_dir, props.get("Handler", "index.handler"), environment=environment,
            timeout_seconds=float(props.get("Timeout", DEFAULT_LAMBDA_TIMEOUT)), function_name=logical_id)

    def _runtime_for(self, service_token: str) -> LambdaRuntime | None:
        if service_token not in self.runtimes and service_token in self._extra_functions:
            environment = {**self.environment, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
            self.runtimes[service_token] = LambdaRuntime(
                self._extra_functions[service_token], environment=environment,
                timeout_seconds=120.0, function_name=service_token.rsplit(":", 1)[-1])
        return self.runtimes.get(service_token)

    def _deliver(self, logical_id: str, request_type: str, resource_type: str, properties: dict[str, Any],
                 physical_id: str | None = None, old_properties: dict[str, Any] | None = None) -> ResourceEvent:
        """Send one request (twice, if asked) and judge the first response as CloudFormation does."""
        url = self.responses.new_url()
        request: dict[str, Any] = {
            "RequestType": request_type, "ServiceToken": properties.get("ServiceToken", ""),
            "ResponseURL": url, "StackId": self.stack_id, "RequestId": str(uuid.uuid4()),
            "LogicalResourceId": logical_id, "ResourceType": resource_type,
            "ResourceProperties": properties,
        }
        if physical_id is not None:
            request["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            request["OldResourceProperties"] = old_properties
        runtime = self._runtime_for(str(request["ServiceToken"]))
        if runtime is None:
            return ResourceEvent(logical_id, request_type, request, None, None,
                                 f"ServiceToken {request['ServiceToken']!r} is not a known function")
        asked = 2 if logical_id in self.duplicate or "*" in self.duplicate else 1
        invocation, deliveries, retries = None, 0, 0
        while deliveries < asked:
            invocation = runtime.invoke(request)
            deliveries += 1
            if (invocation.error or invocation.timed_out) and retries < self.lambda_retries:
                retries += 1  # Lambda's own retry of an asynchronous invocation that failed
                asked += 1
        timeout = float(properties.get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT))
        elapsed = invocation.seconds if invocation else 0.0
        polls = 0
        while self.scheduler is not None and not self.responses.responses_for(url) and elapsed <= timeout:
            due = self.scheduler.state.targets_for_request(request["RequestId"])
            if not due:
                break
            interval = float(due[0][0].interval_seconds)
            elapsed += interval
            if elapsed > timeout:
                break
            if self.on_tick is not None:
                self.on_tick(interval)
            for _, target in due:
                invocation = runtime.invoke(json.loads(target["Input"]))
                polls += 1
        received = self.responses.responses_for(url)
        response = received[0] if received else None
        if elapsed > timeout:
            response = None  # it came after CloudFormation had stopped waiting
        return ResourceEvent(logical_id, request_type, request, response, invocation,
                             self._judge(response, url, request), deliveries, polls, elapsed)

    def _judge(self, response: dict[str, Any] | None, url: str, request: Mapping[str, Any]) -> str | None:
        """CloudFormation's reading of a response: None when it is a valid SUCCESS."""
        if response is None:
            timeout = request["ResourceProperties"].get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT)
            return f"CloudFormation did not receive a response from your Custom Resource within {timeout} seconds"
        size = self.responses.sizes_for(url)[0]
        physical_id = str(response.get("PhysicalResourceId") or "")
        if size > MAX_RESPONSE_BYTES:
            return f"Response object is too long ({size} bytes; the limit is {MAX_RESPONSE_BYTES})"
        if INVALID_BODY in response:
            return f"Invalid response object: {response[INVALID_BODY]}"
        if response.get("Status") not in ("SUCCESS", "FAILED"):
            return f"Invalid response object: Status {response.get('Status')!r}"
        if not physical_id or len(physical_id.encode()) > MAX_PHYSICAL_ID_BYTES:
            return "Invalid PhysicalResourceId"
        if not isinstance(response.get("Data", {}), dict):
            return "Invalid response object: Data must be an object"
        mismatched = [key for key in ECHOED_KEYS if response.get(key) != request[key]]
        if mismatched:
            return f"Invalid response object: {', '.join(mismatched)} does not match the request"
        if response["Status"] == "FAILED":
            if not isinstance(response.get("Reason"), str) or not response["Reason"]:
                return "Invalid response object: Reason is required when Status is FAILED"
            return f"Received response status [FAILED] from custom resource. Message returned: {response['Reason']}"
        return None


def read_assembly_template(assets_dir: str | Path, stack_name: str) -> dict[str, Any]:
    """The template that ``cdk synth`` wrote for a stack."""
    loaded: dict[str, Any] = json.loads((Path(assets_dir) / f"{stack_name}.template.json").read_text())
    return loaded
