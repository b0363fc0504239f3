"""AWS::CloudFormation::WaitConditionHandle and AWS::CloudFormation::WaitCondition, as CloudFormation runs them.

From the CloudFormation User Guide ("Create wait conditions in a
CloudFormation template") and the two resources' reference pages:

- A handle has no properties; its Ref (and physical ID) is a presigned URL.
  A signal is a PUT of ``{"Status": "SUCCESS"|"FAILURE", "UniqueId",
  "Data", "Reason"}`` to it, with an empty or no Content-Type.
- A WaitCondition (``Handle``, ``Timeout`` in seconds, at most 43200,
  ``Count`` of success signals, default 1) completes once Count SUCCESS
  signals with distinct UniqueIds arrived ("otherwise, AWS CloudFormation
  will consider the signal a retransmission of the previously sent signal
  with the same UniqueId, and it will ignore the signal"); a FAILURE signal
  or the timeout fails it (CREATE_FAILED, the stack rolls back). Signals
  already on the handle count ("If you reuse a wait condition handle, the
  wait condition might evaluate old signals").
- ``Fn::GetAtt [WaitCondition, Data]`` is a JSON object of UniqueId to Data,
  written as ``{"Signal1":"Step 1 complete."}``.
- "Updates are not supported" for either: a WaitCondition whose properties
  change fails the update (wait again under a new logical ID, with a new
  handle).
- With a CreationPolicy instead ("If you use a CreationPolicy with a wait
  condition, do not specify any of the wait condition's properties"), the
  signals are SignalResource calls (the events server's CloudFormation API)
  while the WaitCondition is CREATE_IN_PROGRESS: ResourceSignal Count
  (default 1) distinct UniqueIds before its Timeout (ISO 8601, default PT5M,
  at most PT12H); such a wait has no Data.

Failure texts are CloudFormation's as stack events show them:
"WaitCondition received failed message: 'REASON' for uniqueId: ID",
"WaitCondition timed out. Received N conditions when expecting C" and, for a
signal that is not one, "Unparsable WaitCondition data"; "Resource creation
cancelled" when another resource of the operation failed meanwhile; with a
CreationPolicy, "Received FAILURE signal with UniqueId ID" and "Failed to
receive C resource signal(s) within the specified duration".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from cdk_backup_jobs.testing.cloudformation.response_server import INVALID_BODY
from cdk_backup_jobs.testing.cloudformation.stack import SimulatedStack

HANDLE_TYPE = "AWS::CloudFormation::WaitConditionHandle"
CONDITION_TYPE = "AWS::CloudFormation::WaitCondition"
MAX_TIMEOUT_SECONDS = 43200
UNPARSABLE = "Unparsable WaitCondition data"
UPDATE_NOT_SUPPORTED = "Updates are not supported for AWS::CloudFormation::WaitCondition"
CANCELLED = "Resource creation cancelled"  # another resource of the operation failed meanwhile


@dataclass
class WaitConditionResult:
    """How one WaitCondition's wait ended."""

    logical_id: str
    handle_url: str
    status: str  # CREATE_COMPLETE or CREATE_FAILED
    reason: str = ""
    data: dict[str, str] = field(default_factory=dict)
    signals: list[dict[str, Any]] = field(default_factory=list)  # every body PUT to the handle, in order
    seconds: float = 0.0  # virtual seconds it waited
    ended_at: float = 0.0  # when it ended, on the stack's clock (a stack event's Timestamp); 0 if it never waited

    @property
    def succeeded(self) -> bool:
        return self.status == "CREATE_COMPLETE"


@dataclass
class Verdict:
    done: bool
    failure: str | None
    data: dict[str, str]  # UniqueId -> Data of the distinct SUCCESS signals, first of each


def read_signals(bodies: list[dict[str, Any]], count: int) -> Verdict:
    """Judge the signals in arrival order: the first decisive one (enough successes, or a failure) wins."""
    data: dict[str, str] = {}
    for body in bodies:
        status, unique_id = body.get("Status"), body.get("UniqueId")
        if INVALID_BODY in body or status not in ("SUCCESS", "FAILURE") or not isinstance(unique_id, str):
            return Verdict(True, UNPARSABLE, data)
        if status == "FAILURE":
            return Verdict(True, f"WaitCondition received failed message: '{body.get('Reason', '')}' "
                                 f"for uniqueId: {unique_id}", data)
        data.setdefault(unique_id, str(body.get("Data", "")))
        if len(data) >= count:
            return Verdict(True, None, data)
    return Verdict(False, None, data)


def data_attribute(data: Mapping[str, str]) -> str:
    """The Data attribute: the signals' UniqueId -> Data as compact JSON."""
    return json.dumps(dict(data), separators=(",", ":"))


def settings(properties: Mapping[str, Any]) -> tuple[str, int, int]:
    """(Handle, Timeout, Count) of a WaitCondition; ValueError says what is wrong."""
    if "Handle" not in properties or "Timeout" not in properties:
        raise ValueError("A WaitCondition needs Handle and Timeout (the CreationPolicy form is not simulated)")
    timeout, count = str(properties["Timeout"]), str(properties.get("Count", 1))
    if not timeout.isdigit():
        raise ValueError(f"Timeout {timeout!r} is not a number of seconds")
    if int(timeout) > MAX_TIMEOUT_SECONDS:
        raise ValueError(f"Value for Timeout property must be less than {MAX_TIMEOUT_SECONDS}")
    if not count.isdigit() or int(count) < 1:
        raise ValueError(f"Count {count!r} is not a whole number of at least 1")
    return str(properties["Handle"]), int(timeout), int(count)


def wait(sim: SimulatedStack, logical_id: str, properties: Mapping[str, Any]) -> WaitConditionResult:
    """Wait, in the simulator's virtual time, for the WaitCondition's signals or its timeout."""
    try:
        url, timeout, count = settings(properties)
    except ValueError as error:
        return WaitConditionResult(logical_id, str(properties.get("Handle", "")), "CREATE_FAILED", str(error))
    if not any(r.resource_type == HANDLE_TYPE and r.physical_id == url for r in sim.resources.copy().values()):
        return WaitConditionResult(logical_id, url, "CREATE_FAILED",
                                   "Handle is not the URL of a WaitConditionHandle of this stack")
    start = sim.clock()
    sim.loop.wait_until(lambda: read_signals(sim.responses.responses_for(url), count).done or sim.cancelled.is_set(),
                        start + timeout)
    bodies = sim.responses.responses_for(url)
    verdict = read_signals(bodies, count)
    seconds = sim.clock() - start
    if not verdict.done and sim.cancelled.is_set():
        return WaitConditionResult(logical_id, url, "CREATE_FAILED", CANCELLED, verdict.data, bodies, seconds,
                                   ended_at=start + seconds)
    if not verdict.done:
        reason = f"WaitCondition timed out. Received {len(verdict.data)} conditions when expecting {count}"
        return WaitConditionResult(logical_id, url, "CREATE_FAILED", reason, verdict.data, bodies, seconds,
                                   ended_at=start + seconds)
    status = "CREATE_FAILED" if verdict.failure else "CREATE_COMPLETE"
    return WaitConditionResult(logical_id, url, status, verdict.failure or "", verdict.data, bodies, seconds,
                               ended_at=start + seconds)


ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def resource_signal(creation_policy: Mapping[str, Any]) -> tuple[int, int]:
    """(Count, Timeout seconds) of a CreationPolicy's ResourceSignal; ValueError says what is wrong."""
    signal = creation_policy.get("ResourceSignal") or {}
    count, timeout = str(signal.get("Count", 1)), str(signal.get("Timeout", "PT5M"))
    found = ISO_DURATION.match(timeout)
    if not count.isdigit() or int(count) < 1:
        raise ValueError(f"ResourceSignal Count {count!r} is not a whole number of at least 1")
    if found is None or timeout in ("P", "PT"):
        raise ValueError(f"ResourceSignal Timeout {timeout!r} is not an ISO 8601 duration")
    days, hours, minutes, seconds = (int(part or 0) for part in found.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    if total > MAX_TIMEOUT_SECONDS:
        raise ValueError(f"ResourceSignal Timeout {timeout} is over the maximum of PT12H")
    return int(count), total


def read_resource_signals(signals: list[dict[str, str]], count: int) -> Verdict:
    """SignalResource's signals in arrival order: the first decisive one wins."""
    seen: dict[str, str] = {}
    for signal in signals:
        if signal["Status"] == "FAILURE":
            return Verdict(True, f"Received FAILURE signal with UniqueId {signal['UniqueId']}", seen)
        seen.setdefault(signal["UniqueId"], "")
        if len(seen) >= count:
            return Verdict(True, None, seen)
    return Verdict(False, None, seen)


def wait_for_resource_signals(sim: SimulatedStack, logical_id: str,
                              creation_policy: Mapping[str, Any]) -> WaitConditionResult:
    """Wait, in virtual time, for SignalResource calls on ``logical_id`` or the policy's timeout."""
    try:
        count, timeout = resource_signal(creation_policy)
    except ValueError as error:
        return WaitConditionResult(logical_id, "", "CREATE_FAILED", str(error))
    scheduler = sim.scheduler
    if scheduler is None:
        return WaitConditionResult(logical_id, "", "CREATE_FAILED",
                                   "SignalResource needs the simulator's scheduler (an events_server())")
    start = sim.clock()

    def verdict() -> Verdict:
        return read_resource_signals(scheduler.state.signals_for(sim.stack_id, logical_id), count)

    sim.loop.wait_until(lambda: verdict().done or sim.cancelled.is_set(), start + timeout)
    found, seconds = verdict(), sim.clock() - start
    signals: list[dict[str, Any]] = list(scheduler.state.signals_for(sim.stack_id, logical_id))
    if not found.done and sim.cancelled.is_set():
        return WaitConditionResult(logical_id, "", "CREATE_FAILED", CANCELLED, {}, signals, seconds)
    if not found.done:
        reason = f"Failed to receive {count} resource signal(s) within the specified duration"
        return WaitConditionResult(logical_id, "", "CREATE_FAILED", reason, {}, signals, seconds)
    status = "CREATE_FAILED" if found.failure else "CREATE_COMPLETE"
    return WaitConditionResult(logical_id, "", status, found.failure or "", {}, signals, seconds)


def physical_id(stack_id: str, handle_url: str, handles: Mapping[str, str]) -> str:
    """A WaitCondition's physical ID, as CloudFormation shows it: the stack ID, then its handle's logical ID."""
    handle = next((lid for lid, url in handles.items() if url == handle_url), "WaitConditionHandle")
    return f"{stack_id}/{handle}"
