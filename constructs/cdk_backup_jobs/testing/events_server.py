"""The control-plane calls a provider makes besides AWS Backup, on a local endpoint.

crhelper waits for a long job by creating a scheduled EventBridge rule whose
target re-invokes the function with the original event (PutRule, PutTargets,
lambda AddPermission), and removes all three when done. This server answers
those calls (EventBridge's JSON 1.1 protocol and Lambda's REST protocol) and
keeps the rules, so the CloudFormation simulator can fire them and a test can
check that none is left behind. Point the function at it with
``AWS_ENDPOINT_URL_EVENTBRIDGE`` and ``AWS_ENDPOINT_URL_LAMBDA``.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from urllib.parse import parse_qs
from xml.sax.saxutils import escape
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

from cdk_backup_jobs.testing.serving import serving

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
POLICY_PATH = re.compile(r"^/2015-03-31/functions/(?P<function>[^/]+)/policy(?:/(?P<sid>[^/?]+))?")
RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass
class Rule:
    name: str
    schedule: str
    state: str
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{self.name}"

    @property
    def interval_seconds(self) -> int:
        found = RATE.match(self.schedule)
        if not found:
            return 60
        return int(found.group(1)) * UNIT_SECONDS[found.group(2).rstrip("s")]


@dataclass
class SchedulerState:
    """Rules with their targets, and Lambda permissions, by function name."""

    rules: dict[str, Rule] = field(default_factory=dict)
    permissions: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    stacks: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    target_inputs: list[str] = field(default_factory=list)  # every PutTargets Input, for assertions
    lock: threading.Lock = field(default_factory=threading.Lock)

    def targets_for_request(self, request_id: str) -> list[tuple[Rule, dict[str, Any]]]:
        """The enabled rules' targets whose input is the event with this RequestId."""
        with self.lock:
            found = []
            for rule in self.rules.values():
                for target in rule.targets.values():
                    event = json.loads(target.get("Input") or "{}")
                    if rule.state == "ENABLED" and event.get("RequestId") == request_id:
                        found.append((rule, target))
            return found


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    disable_nagle_algorithm = True  # answers go out at once, not after a delayed ACK
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if "x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
            self._cloudformation({k: v[0] for k, v in parse_qs(raw.decode()).items()})
            return
        body = json.loads(raw or b"{}")
        target = self.headers.get("X-Amz-Target", "")
        if target.startswith("AWSEvents."):
            self._answer(200, self._events(target.split(".", 1)[1], body), "application/x-amz-json-1.1")
            return
        found = POLICY_PATH.match(self.path)
        if found:
            self._answer(201, self._add_permission(found.group("function"), body))
            return
        self._answer(404, {"message": f"Unknown operation {self.path}"})

    def do_DELETE(self) -> None:
        found = POLICY_PATH.match(self.path)
        state = self.server.state
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

    def _events(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        state = self.server.state
        with state.lock:
            state.calls.append(operation)
            if operation == "PutRule":
                rule = state.rules.setdefault(body["Name"], Rule(body["Name"], body.get("ScheduleExpression", ""),
                                                                 body.get("State", "ENABLED")))
                return {"RuleArn": rule.arn}
            if operation == "PutTargets":
                rule = state.rules[body["Rule"]]
                for target in body["Targets"]:
                    rule.targets[target["Id"]] = target
                    state.target_inputs.append(target.get("Input", ""))
                return {"FailedEntryCount": 0, "FailedEntries": []}
            if operation == "RemoveTargets":
                rule = state.rules[body["Rule"]]
                for target_id in body["Ids"]:
                    rule.targets.pop(target_id, None)
                return {"FailedEntryCount": 0, "FailedEntries": []}
            if operation == "DeleteRule":
                state.rules.pop(body["Name"], None)
                return {}
        return {}

    def _cloudformation(self, form: dict[str, str]) -> None:
        """DescribeStacks and GetTemplate, answered in the query protocol's XML."""
        state = self.server.state
        action, name = form.get("Action", ""), form.get("StackName", "")
        with state.lock:
            state.calls.append(action)
            stack = state.stacks.get(name) or next(
                (s for s in state.stacks.values() if s["StackName"] == name), None)
        if stack is None:
            self._xml(400, f"<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
                           f"<Message>Stack with id {escape(name)} does not exist</Message></Error>"
                           f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
        elif action == "DescribeStacks":
            self._xml(200, f"<DescribeStacksResponse><DescribeStacksResult><Stacks><member>"
                           f"<StackName>{escape(stack['StackName'])}</StackName>"
                           f"<StackId>{escape(stack['StackId'])}</StackId>"
                           f"<StackStatus>{stack['StackStatus']}</StackStatus>"
                           f"<CreationTime>2026-01-01T00:00:00Z</CreationTime>"
                           f"</member></Stacks></DescribeStacksResult></DescribeStacksResponse>")
        elif action == "GetTemplate":
            body = escape(json.dumps(stack["Template"]))
            self._xml(200, f"<GetTemplateResponse><GetTemplateResult><TemplateBody>{body}</TemplateBody>"
                           f"</GetTemplateResult></GetTemplateResponse>")
        else:
            self._xml(400, f"<ErrorResponse><Error><Code>InvalidAction</Code><Message>{escape(action)}"
                           f"</Message></Error></ErrorResponse>")

    def _xml(self, status: int, body: str) -> None:
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _add_permission(self, function: str, body: dict[str, Any]) -> dict[str, Any]:
        state = self.server.state
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


@dataclass
class RunningEventsServer:
    endpoint_url: str
    state: SchedulerState

    @property
    def environment(self) -> dict[str, str]:
        """What a function needs to reach this server for its EventBridge and Lambda calls."""
        return {"AWS_ENDPOINT_URL_EVENTBRIDGE": self.endpoint_url, "AWS_ENDPOINT_URL_LAMBDA": self.endpoint_url,
                "AWS_ENDPOINT_URL_CLOUDFORMATION": self.endpoint_url}

    def set_stack(self, stack_id: str, stack_name: str, status: str, template: dict[str, Any]) -> None:
        """What DescribeStacks and GetTemplate answer for a stack (set by the simulator)."""
        with self.state.lock:
            self.state.stacks[stack_id] = {"StackId": stack_id, "StackName": stack_name,
                                           "StackStatus": status, "Template": template}


@contextmanager
def events_server(host: str = "127.0.0.1") -> Iterator[RunningEventsServer]:
    state = SchedulerState()
    with serving(_Server((host, 0), state)) as bound:
        yield RunningEventsServer(f"http://{host}:{bound}", state)
