"""A waited job's watch, as data: the EventBridge rule that wakes the provider, and what it carries.

A job that must be waited for gets one EventBridge rule of its own on the
default bus. The rule has both an event pattern (the job's own state change
events) and a schedule (a slower fallback check, since AWS Backup delivers its
events on a best-effort basis): "A rule can have both an EventPattern and a
ScheduleExpression, in which case the rule triggers on matching events as
well as on a schedule" (EventBridge API Reference, PutRule,
https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html).

The schedule is a one-time cron expression for the next check (minute
precision: "Your scheduled rule runs within that minute"), moved forward at
every check: 5, 15 and 30 minutes after the job started, then every 30
minutes, and a last check at the deadline, so a wait of hours costs a few
invocations an hour, and a lost event is caught within 30 minutes.

The rule's one target is the provider function. Its input is the watch
(``Waiter``) and the event that woke it, built by an input transformer from
``<aws.events.event.json>`` (EventBridge User Guide, "Amazon EventBridge
input transformation"). A watch that signals a WaitCondition holds its
logical ID only: the signal is a SignalResource call, signed with the
function's own role, so no presigned URL is kept anywhere. A watch that
answers a custom-resource request (a Delete, or a wait without a
WaitCondition) holds that request's ResponseURL, as crhelper's polling rules
always did.

Pure: names, patterns, schedules and inputs, no AWS call (``waiting`` makes them).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Mapping

from cdk_backup_jobs_runtime.watches.backup_events import DETAIL_TYPES, JOB_ID_KEYS, SOURCE, JobKind

RULE_PREFIX = "backup-jobs-wait-"
"""Every watch's rule name starts so; the provider's rights and its Lambda permission are scoped to it."""
WAITER_KEY = "BackupJobsWaiter"
"""The key of a waiter invocation's input that tells it from a CloudFormation request."""
TARGET_ID = "provider"
FIRST_CHECKS_SECONDS = (5 * 60, 15 * 60, 30 * 60)
CHECK_INTERVAL_SECONDS = 30 * 60
MINUTE = 60
Signal = Literal["wait_condition", "response"]


@dataclass(frozen=True)
class Waiter:
    """What one watch needs between invocations; JSON in its rule's target input.

    ``started`` and ``deadline`` are epoch seconds on AWS's clock. ``signal`` says whom to tell: a
    WaitCondition (``wait_condition`` in ``stack_id``) or the custom-resource request itself
    (``response``: its ResponseURL and the keys a response echoes). ``attributes`` are the job's
    attributes so far, answered with its results when it completes.
    """

    resource_type: str
    job_id: str
    stack_id: str
    logical_resource_id: str
    started: float
    deadline: float
    signal: Signal
    wait_condition: str = ""
    response: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, str] = field(default_factory=dict)
    physical_resource_id: str = ""
    resumable: bool = False
    """A final backup's Delete: when the wait fails, the rule stays (disabled) so that the next
    delete attempt finds the same job instead of starting another."""

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> "Waiter":
        return cls(**{k: value[k] for k in cls.__dataclass_fields__ if k in value})

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "response": dict(self.response), "attributes": dict(self.attributes)}


def rule_name(stack_id: str, logical_resource_id: str) -> str:
    """One rule per resource: a later delete of a final backup finds the watch its first attempt left."""
    digest = hashlib.sha256(f"{stack_id}\n{logical_resource_id}".encode()).hexdigest()[:32]
    return f"{RULE_PREFIX}{digest}"


def event_pattern(kind: JobKind, job_id: str) -> str:
    """The job's own state change events: its ID in any letter case.

    AWS Backup's example events show job IDs in upper case and in lower case
    (AWS Backup Developer Guide, "Monitoring AWS Backup events using Amazon
    EventBridge", https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html),
    and nothing promises the case StartBackupJob answered with, so the ID is
    matched with EventBridge's ``equals-ignore-case`` content filter
    (EventBridge User Guide, "Content filtering in Amazon EventBridge event patterns").
    """
    return json.dumps({"source": [SOURCE], "detail-type": [DETAIL_TYPES[kind]],
                       "detail": {JOB_ID_KEYS[kind]: [{"equals-ignore-case": job_id}]}})


def same_job_id(one: str, other: str) -> bool:
    """Whether two job IDs name the same job: they may differ in letter case only (see ``event_pattern``)."""
    return one.casefold() == other.casefold()


def next_check(now: float, started: float, deadline: float) -> float:
    """When the fallback check after ``now`` is due: the next of the job's check times, never past the
    deadline, and never within the minute of ``now`` (a one-time schedule for the minute that just
    fired would never fire again)."""
    since_start = now - started
    due = next((started + t for t in FIRST_CHECKS_SECONDS if t > since_start + MINUTE), None)
    if due is None:
        intervals = int((since_start + MINUTE - FIRST_CHECKS_SECONDS[-1]) // CHECK_INTERVAL_SECONDS) + 1
        due = started + FIRST_CHECKS_SECONDS[-1] + intervals * CHECK_INTERVAL_SECONDS
    return max(min(due, deadline), now + MINUTE)


def schedule_expression(at: float) -> str:
    """A one-time cron expression for the minute that holds ``at`` or follows it (UTC)."""
    minute = time.gmtime(math.ceil(at / 60) * 60)
    return f"cron({minute.tm_min} {minute.tm_hour} {minute.tm_mday} {minute.tm_mon} ? {minute.tm_year})"


def target_input_template(waiter: Waiter) -> str:
    """The input transformer's template: the watch, and the event that woke it."""
    return f'{{"{WAITER_KEY}": {json.dumps(waiter.to_json())}, "event": <aws.events.event.json>}}'


def read_invocation(payload: Mapping[str, Any]) -> tuple[Waiter, Any] | None:
    """The watch and the event of a waiter invocation, or None for anything else (a CloudFormation request)."""
    waiter = payload.get(WAITER_KEY)
    if not isinstance(waiter, Mapping):
        return None
    return Waiter.from_json(waiter), payload.get("event")


def job_kind(resource_type: str) -> JobKind:
    return "copy" if resource_type == "Custom::CopyJob" else "backup"
