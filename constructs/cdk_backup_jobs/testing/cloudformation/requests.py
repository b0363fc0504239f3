"""One custom-resource request, as CloudFormation sends it and judges the answer.

CloudFormation invokes the ServiceToken's function asynchronously (so Lambda
runs it again after a failed run), waits up to the resource's ServiceTimeout
(3600 seconds by default) for a response PUT to the request's presigned
ResponseURL, and reads the first response by its rules: size, Status, a
PhysicalResourceId, Data an object, the request's keys echoed, a Reason for
FAILED.

The wait runs in one of two ways. With a virtual clock (the simulator's
``clock=``) it is the event loop's: time moves to whatever is due next (rule
schedules, matched events, the emulator's job changes) and the rules'
targets run, until the response came or the timeout passed. Without one
(crhelper's polling, as the older tests drive it), every rule whose target
re-sends this request fires at its interval, ``on_tick`` told each time.

When no response came, the reason adds to CloudFormation's ("did not receive
a response ... within N seconds") why: the function timed out (after its
Timeout, on each attempt), or returned without sending a response to the
ResponseURL (the usual mistake with cfnresponse).

One departure, to save a test an hour of waiting for nothing: when every
invocation of the request failed (the function raised, or could not be
loaded) and nothing can still answer (no response came, no rule re-sends the
request), the simulator ends the wait at once with the error Lambda reported,
"the invocation failed: <errorType>: <errorMessage>". CloudFormation itself
would wait out the ServiceTimeout and then report that no response came.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Mapping

from cdk_backup_jobs.testing.cloudformation.response_server import INVALID_BODY
from cdk_backup_jobs.testing.cloudformation.stack import SimulatedStack
from cdk_backup_jobs.testing.lambda_service.runtime import Invocation, LambdaRuntime

MAX_PHYSICAL_ID_BYTES = 1024
MAX_RESPONSE_BYTES = 4096
ECHOED_KEYS = ("StackId", "RequestId", "LogicalResourceId")  # a response must repeat the request's
DEFAULT_SERVICE_TIMEOUT = 3600


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


def deliver(sim: SimulatedStack, logical_id: str, request_type: str, resource_type: str,
            properties: dict[str, Any], physical_id: str | None = None,
            old_properties: dict[str, Any] | None = None) -> ResourceEvent:
    """Send one request (twice, if asked) and judge the first response as CloudFormation does."""
    url = sim.responses.new_url()
    request: dict[str, Any] = {
        "RequestType": request_type, "ServiceToken": properties.get("ServiceToken", ""),
        "ResponseURL": url, "StackId": sim.stack_id, "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": logical_id, "ResourceType": resource_type,
        "ResourceProperties": properties,
    }
    if physical_id is not None:
        request["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        request["OldResourceProperties"] = old_properties
    if resource_type in sim.stub_types:  # answered by the simulator itself: no function runs
        stub: dict[str, Any] = {"Status": "SUCCESS", "PhysicalResourceId": physical_id or f"{logical_id}-stub",
                                "Data": {}, **{key: request[key] for key in ECHOED_KEYS}}
        return ResourceEvent(logical_id, request_type, request, stub, None, delivery=0)
    token = str(request["ServiceToken"])
    runtime = sim.functions.runtime_for(token)
    if runtime is None:
        return ResourceEvent(logical_id, request_type, request, None, None, sim.functions.explain_unknown(token, resource_type))
    asked = 2 if logical_id in sim.duplicate or "*" in sim.duplicate else 1
    invocations: list[Invocation] = []
    retries = 0
    while len(invocations) < asked:
        invocations.append(sim.functions.invoke(token, runtime, request, "cloudformation"))
        if (invocations[-1].error or invocations[-1].timed_out) and retries < sim.lambda_retries:
            retries += 1  # Lambda's own retry of an asynchronous invocation that failed
            asked += 1
    invocation, deliveries = invocations[-1], len(invocations)
    timeout = float(properties.get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT))
    failed = _failed_unanswerable(sim, url, request, invocations, timeout)
    if failed is not None:
        return ResourceEvent(logical_id, request_type, request, None, invocation, failed, deliveries,
                             seconds=sum(i.seconds for i in invocations))
    elapsed = invocation.seconds
    if sim.event_driven:
        waited, polls = _wait_in_virtual_time(sim, url, request, max(timeout - elapsed, 0.0))
        elapsed += waited
    else:
        waited, polls, last = _poll_like_crhelper(sim, url, request, runtime, timeout, elapsed)
        elapsed, invocation = waited, last or invocation
    received = sim.responses.responses_for(url)
    response = received[0] if received else None
    if elapsed > timeout:
        response = None  # it came after CloudFormation had stopped waiting
    failure = judge(sim, response, url, request)
    if not received:
        failure = f"{failure}: {_why_no_response(invocations, runtime)}"
    return ResourceEvent(logical_id, request_type, request, response, invocation,
                         failure, deliveries, polls, elapsed)


def _failed_unanswerable(sim: SimulatedStack, url: str, request: Mapping[str, Any],
                         invocations: list[Invocation], timeout: float) -> str | None:
    """The failure to report now, when every invocation raised and nothing can answer any more."""
    if not all(i.error for i in invocations) or sim.responses.responses_for(url):
        return None
    if sim.scheduler is not None and sim.scheduler.state.targets_for_request(request["RequestId"]):
        return None  # a rule the function armed before it failed may still answer
    attempts = f"{len(invocations)} attempts" if len(invocations) > 1 else "1 attempt"
    return (f"the invocation failed: {invocations[-1].error} ({attempts}; CloudFormation would wait "
            f"{timeout:g} seconds for a response, then fail as not received; see the function's logs)")


def _why_no_response(invocations: list[Invocation], runtime: LambdaRuntime) -> str:
    """What CloudFormation's message leaves out: why no response came (the function's own invocations)."""
    attempts = f"{len(invocations)} attempts" if len(invocations) > 1 else "1 attempt"
    if all(i.timed_out for i in invocations):
        return (f"the function timed out after {runtime.timeout_seconds:g} s ({attempts}) before sending one; "
                "see the function's logs")
    if not any(i.error or i.timed_out for i in invocations):
        return (f"the function returned without sending a response to the ResponseURL ({attempts}); "
                "a custom resource's function must PUT its response there (e.g. cfnresponse.send)")
    failed = next(i for i in reversed(invocations) if i.error or i.timed_out)
    why = failed.error or f"timed out after {runtime.timeout_seconds:g} s"
    return f"no invocation sent one ({attempts}; the last that failed: {why}); see the function's logs"


def _wait_in_virtual_time(sim: SimulatedStack, url: str, request: Mapping[str, Any],
                          timeout: float) -> tuple[float, int]:
    """Run the event loop until the response came or ``timeout`` virtual seconds passed."""
    start, before = sim.clock(), len(sim.functions.log.snapshot())
    sim.loop.wait_until(lambda: bool(sim.responses.responses_for(url)), start + timeout)
    mentions = f'"{request["RequestId"]}"'
    polls = sum(1 for r in sim.functions.log.snapshot()[before:]
                if r.cause != "cloudformation" and r.error is None and mentions in json.dumps(r.payload))
    return sim.clock() - start, polls


def _poll_like_crhelper(sim: SimulatedStack, url: str, request: Mapping[str, Any], runtime: LambdaRuntime,
                        timeout: float, elapsed: float) -> tuple[float, int, Invocation | None]:
    """Fire the rules whose target re-sends this request, one interval at a time (no virtual clock)."""
    polls, invocation = 0, None
    while sim.scheduler is not None and not sim.responses.responses_for(url) and elapsed <= timeout:
        due = sim.scheduler.state.targets_for_request(request["RequestId"])
        if not due:
            break
        interval = float(due[0][0].interval_seconds)
        elapsed += interval
        if elapsed > timeout:
            break
        if sim.on_tick is not None:
            sim.on_tick(interval)
        for rule, target in due:
            invocation = sim.functions.invoke(str(request["ServiceToken"]), runtime, json.loads(target["Input"]),
                                              "schedule", rule.name)
            polls += 1
    return elapsed, polls, invocation


def judge(sim: SimulatedStack, response: dict[str, Any] | None, url: str,
          request: Mapping[str, Any]) -> str | None:
    """CloudFormation's reading of a response: None when it is a valid SUCCESS."""
    if response is None:
        timeout = request["ResourceProperties"].get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT)
        return f"CloudFormation did not receive a response from your Custom Resource within {timeout} seconds"
    size = sim.responses.sizes_for(url)[0]
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
