"""The control-plane calls a provider makes besides AWS Backup, on a local endpoint.

EventBridge (its JSON 1.1 protocol: PutRule, PutTargets, RemoveTargets,
DeleteRule, DescribeRule, ListTargetsByRule, ListRules, EnableRule,
DisableRule, PutEvents) on the default bus of ``eventbridge.bus.EventBus``;
Lambda's AddPermission and RemovePermission (REST); and CloudFormation's
DescribeStacks, GetTemplate, DescribeStackResource, ListStackResources and
SignalResource (query protocol, ``api``) for the stacks the
simulator sets.
crhelper waits for a long job with a scheduled rule whose target re-invokes
the function with the original event (PutRule, PutTargets, AddPermission) and
removes all three when done; an event-driven provider keeps one rule per
waited job, with a pattern and a schedule. The CloudFormation simulator runs
the bus (its schedules and matched events) and invokes the targets; a test
can check that no rule is left behind. Point a function at it with
``AWS_ENDPOINT_URL_EVENTBRIDGE``, ``AWS_ENDPOINT_URL_LAMBDA`` and
``AWS_ENDPOINT_URL_CLOUDFORMATION`` (``environment``). Answers carry the
bus clock's time in their Date header, as AWS Backup's do.

One endpoint serves every account and Region, each with its own state
(``SchedulerState``: bus, permissions, stacks, IAM), as AWS keeps an account's
default event bus and stacks per Region: a request reaches the state of its
signature's account and Region (``shared.account.place_of_request``; a key not
issued here, the default place's). ``RunningEventsServer.for_place`` is one
place's view, for a simulator that deploys a stack there.
"""

from __future__ import annotations

import json
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import parse_qs

from cdk_backup_jobs.testing.cloudformation import api as cloudformation_api
from cdk_backup_jobs.testing.cloudformation.api import Resources
from cdk_backup_jobs.testing.eventbridge import api as eventbridge_api
from cdk_backup_jobs.testing.eventbridge.bus import EventBus, EventsApiError, Rule
from cdk_backup_jobs.testing.iam.model import AccountIam, access_key_of
from cdk_backup_jobs.testing.shared.account import Place, place_of_request
from cdk_backup_jobs.testing.shared.serving import serving

POLICY_PATH = re.compile(r"^/2015-03-31/functions/(?P<function>[^/]+)/policy(?:/(?P<sid>[^/?]+))?")

__all__ = ["Rule", "RunningEventsServer", "SchedulerState", "events_server"]


@dataclass
class SchedulerState:
    """The bus (its rules with their targets), Lambda permissions by function name, and the stacks."""

    bus: EventBus = field(default_factory=EventBus)
    permissions: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    stacks: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    target_inputs: list[str] = field(default_factory=list)  # every PutTargets Input, for assertions
    list_page_size: int = 100  # ListStackResources' page size
    signals: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    """SignalResource's accepted signals by (stack ID, logical ID), in arrival order."""
    iam: AccountIam = field(default_factory=AccountIam)
    """The account's IAM: who may make the calls this server answers (and AWS Backup's, when wired)."""

    def __post_init__(self) -> None:
        self.iam.clock = lambda: self.bus.clock()  # the bus's clock is the simulation's
        self.iam.account_id = self.bus.place.account_id

    @property
    def place(self) -> Place:
        """The account and Region this state is of (its bus's)."""
        return self.bus.place

    @property
    def rules(self) -> dict[str, Rule]:
        return self.bus.rules

    @property
    def lock(self) -> threading.RLock:
        return self.bus.lock

    def signals_for(self, stack_id: str, logical_id: str) -> list[dict[str, str]]:
        with self.lock:
            return list(self.signals.get((stack_id, logical_id), []))

    def forget_signals(self, stack_id: str, logical_id: str) -> None:
        """A resource created again under this logical ID is a new resource: the signals of the one
        before it (deleted by an earlier operation) are not its own."""
        with self.lock:
            self.signals.pop((stack_id, logical_id), None)

    def targets_for_request(self, request_id: str) -> list[tuple[Rule, dict[str, Any]]]:
        """The enabled rules' targets whose input is the event with this RequestId."""
        with self.lock:
            found = []
            for rule in self.rules.values():
                for target in rule.targets.values():
                    try:
                        event = json.loads(target.get("Input") or "{}")
                    except ValueError:
                        continue
                    if rule.state == "ENABLED" and isinstance(event, dict) and event.get("RequestId") == request_id:
                        found.append((rule, target))
            return found


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    disable_nagle_algorithm = True  # answers go out at once, not after a delayed ACK
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header tells the bus clock's time, so a function can keep AWS's time from its answers.
        state = getattr(self, "state", self.server.state)
        return super().date_time_string(state.bus.clock() if timestamp is None else timestamp)

    def do_POST(self) -> None:
        self.state = self.server.state_of(self.headers.get("Authorization"))
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if "x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
            self._cloudformation({k: v[0] for k, v in parse_qs(raw.decode()).items()})
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._answer(400, {"__type": "SerializationException", "message": "Body is not JSON"},
                         error="SerializationException")
            return
        target = self.headers.get("X-Amz-Target", "")
        if target.startswith("AWSEvents."):
            self._events(target.split(".", 1)[1], body)
            return
        found = POLICY_PATH.match(self.path)
        if found:
            self._answer(201, self._add_permission(found.group("function"), body))
            return
        self._answer(404, {"message": f"Unknown operation {self.path}"})

    def do_DELETE(self) -> None:
        self.state = state = self.server.state_of(self.headers.get("Authorization"))
        found = POLICY_PATH.match(self.path)
        if not found or not found.group("sid"):
            self._answer(404, {"message": "Unknown operation"})
            return
        with state.lock:
            state.calls.append("RemovePermission")
            removed = state.permissions.get(found.group("function"), {}).pop(found.group("sid"), None)
        if removed is None:
            self._answer(404, {"Type": "User", "message": "Statement not found"},
                         error="ResourceNotFoundException")
            return
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _denied(self, action: str, resource: str) -> str | None:
        """AWS's AccessDenied message if the caller's role does not allow ``action`` on ``resource``."""
        return self.state.iam.denial(access_key_of(self.headers.get("Authorization")), action, resource)

    def _events(self, operation: str, body: dict[str, Any]) -> None:
        state = self.state
        region, account = state.place.region, state.place.account_id
        # Rule operations act on the rule's ARN; PutEvents on the bus (Service Authorization Reference,
        # Amazon EventBridge: resource types "rule-on-default-event-bus" and "event-bus").
        name = body.get("Name") or body.get("Rule")
        resource = (f"arn:aws:events:{region}:{account}:rule/{name}" if name
                    else state.bus.arn if operation == "PutEvents"
                    else "*")
        denied = self._denied(f"events:{operation}", resource)
        if denied is not None:
            self._answer(400, {"__type": "AccessDeniedException", "message": denied}, "application/x-amz-json-1.1",
                         error="AccessDeniedException")
            return
        with state.lock:
            state.calls.append(operation)
            try:
                answer = eventbridge_api.call(state.bus, operation, body)
            except EventsApiError as error:
                self._answer(400, {"__type": error.code, "message": error.message}, "application/x-amz-json-1.1",
                             error=error.code)
                return
            if operation == "PutTargets":
                state.target_inputs.extend(target.get("Input", "") for target in body.get("Targets") or [])
        self._answer(200, answer, "application/x-amz-json-1.1")

    def _cloudformation(self, form: dict[str, str]) -> None:
        """DescribeStacks, GetTemplate, DescribeStackResource, ListStackResources (``api``)."""
        state = self.state
        action = form.get("Action", "")
        with state.lock:
            found = cloudformation_api.find_stack(state.stacks, form.get("StackName", ""))
        # A stack's operations act on its ARN (Service Authorization Reference, AWS CloudFormation: "stack").
        arn = found["StackId"] if found else \
            f"arn:aws:cloudformation:{state.place.region}:{state.place.account_id}:stack/{form.get('StackName', '')}/*"
        denied = self._denied(f"cloudformation:{action}", arn if form.get("StackName") else "*")
        if denied is not None:
            self._xml(*cloudformation_api.access_denied(denied))
            return
        with state.lock:
            state.calls.append(action)
            stack = cloudformation_api.find_stack(state.stacks, form.get("StackName", ""))
            stack = dict(stack) if stack is not None else None
            if action == "SignalResource":
                status, body, kept = cloudformation_api.signal(form, stack)
                if stack is not None and kept is not None:
                    kept["At"] = str(state.bus.clock())
                    state.signals.setdefault((stack["StackId"], kept["LogicalResourceId"]), []).append(kept)
        if action != "SignalResource":
            status, body = cloudformation_api.answer(action, form, stack, state.list_page_size, state.bus.clock())
        self._xml(status, body)

    def _xml(self, status: int, body: str) -> None:
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _add_permission(self, function: str, body: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        with state.lock:
            state.calls.append("AddPermission")
            state.permissions.setdefault(function, {})[body["StatementId"]] = body
        return {"Statement": json.dumps({"Sid": body["StatementId"]})}

    def _answer(self, status: int, body: dict[str, Any], content_type: str = "application/json",
                error: str | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if error:
            self.send_header("x-amzn-ErrorType", error)
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: SchedulerState) -> None:
        super().__init__(address, _Handler)
        self.state = state
        """The default place's state."""
        self.states: dict[Place, SchedulerState] = {state.place: state}
        self._lock = threading.Lock()

    def state_at(self, place: Place) -> SchedulerState:
        """``place``'s state, made on first use: its own bus (on the default bus's clock until a simulator sets
        its own), permissions, stacks and IAM."""
        with self._lock:
            found = self.states.get(place)
            if found is None:
                found = self.states[place] = SchedulerState(bus=EventBus(self.state.bus.clock, place))
            return found

    def state_of(self, authorization: str | None) -> SchedulerState:
        """The state of a request's account and Region."""
        return self.state_at(place_of_request(authorization, self.state.place))


@dataclass
class RunningEventsServer:
    """A started endpoint: its URL, and the state behind it (``state.bus`` is EventBridge's default bus)."""

    endpoint_url: str
    state: SchedulerState
    server: Any = None
    """The server behind it: the other places' states (``for_place``)."""

    def for_place(self, place: Place) -> "RunningEventsServer":
        """The same endpoint seen as ``place``'s: its state, made on first use (what a stack there uses)."""
        if place == self.state.place:
            return self
        return RunningEventsServer(self.endpoint_url, self.server.state_at(place), self.server)

    @property
    def environment(self) -> dict[str, str]:
        """What a function needs to reach this server for its EventBridge, Lambda and CloudFormation calls."""
        return {"AWS_ENDPOINT_URL_EVENTBRIDGE": self.endpoint_url, "AWS_ENDPOINT_URL_LAMBDA": self.endpoint_url,
                "AWS_ENDPOINT_URL_CLOUDFORMATION": self.endpoint_url}

    @property
    def bus(self) -> EventBus:
        return self.state.bus

    @property
    def clock(self) -> Callable[[], float]:
        """The bus's clock: schedules, event times and the Date header follow it (``time.time`` by default)."""
        return self.state.bus.clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self.state.bus.clock = clock

    def publish(self, event: Mapping[str, Any]) -> int:
        """Put an AWS service's event on the bus (for example ``BackupEmulator.event_sink``); returns the
        number of target deliveries it queued."""
        return self.state.bus.publish(event)

    def set_stack(self, stack_id: str, stack_name: str, status: str, template: dict[str, Any],
                  resources: Resources | None = None, template_read: dict[str, Any] | str | None = None) -> None:
        """What the CloudFormation API answers for a stack (set by the simulator).

        ``template`` is the one being deployed (SignalResource checks its
        CreationPolicy); ``template_read`` what GetTemplate answers, if another
        (the previous template during an update: ``template_during_update``).

        ``resources``: the stack's resources for DescribeStackResource and
        ListStackResources, dicts with LogicalResourceId, PhysicalResourceId,
        ResourceType and optionally ResourceStatus, or a callable returning
        them (read at each call); left as they were when not given.
        """
        with self.state.lock:
            previous = self.state.stacks.get(stack_id, {}).get("Resources")
            self.state.stacks[stack_id] = {"StackId": stack_id, "StackName": stack_name, "StackStatus": status,
                                           "Template": template, "TemplateRead": template_read or template,
                                           "Resources": resources if resources is not None else previous or []}


@contextmanager
def events_server(host: str = "127.0.0.1", clock: Callable[[], float] = time.time,
                  place: Place | None = None) -> Iterator[RunningEventsServer]:
    """Serve on a free loopback port for the block; ``clock`` drives the bus (a ManualClock in tests);
    ``place`` is the default account and Region (default: ``default_place()``)."""
    state = SchedulerState(bus=EventBus(clock, place))
    server = _Server((host, 0), state)
    with serving(server) as bound:
        yield RunningEventsServer(f"http://{host}:{bound}", state, server)
