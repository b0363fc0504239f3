"""EventBridge's default event bus, in memory: rules, targets, events, schedules, on an injectable clock.

A rule has an EventPattern, a ScheduleExpression, or both: "A rule can have
both an EventPattern and a ScheduleExpression, in which case the rule
triggers on matching events as well as on a schedule" (EventBridge API
Reference, PutRule). PutRule creates or replaces: "If you omit arguments in
PutRule, the old values for those arguments are not kept"; targets stay.
Errors are EventBridge's own: a missing rule is ResourceNotFoundException
"Rule NAME does not exist on EventBus default." (PutTargets, RemoveTargets,
DescribeRule, ListTargetsByRule); DeleteRule of a missing rule succeeds ("If
you call delete rule multiple times for the same rule, all calls will
succeed") and of a rule that still has targets is a ValidationException
("Rule can't be deleted since it has targets.").

The API operations are ``api``'s. Nothing is invoked here: a
matched event or a due schedule becomes a ``Delivery`` (the target and the
input it gets) that ``take_due`` hands to whoever runs the targets (the
CloudFormation simulator's event loop). A
schedule's event is EventBridge's "Scheduled Event". A schedule missed
because the clock jumped past several firings fires once, then goes on.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from cdk_backup_jobs.testing.eventbridge.input_transform import target_input
from cdk_backup_jobs.testing.eventbridge.patterns import matches, parse_pattern
from cdk_backup_jobs.testing.eventbridge.schedules import Schedule, parse_schedule
from cdk_backup_jobs.testing.shared.account import Place, default_place

RULE_NAME = re.compile(r"^[\.\-_A-Za-z0-9]{1,64}$")
MAX_TARGETS_PER_RULE = 5
STATES = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")


class EventsApiError(Exception):
    """An error EventBridge answers: its code and message (HTTP 400)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def iso(seconds: float) -> str:
    """An event's time: ISO 8601, UTC, whole seconds, as EventBridge writes it."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


@dataclass
class Rule:
    name: str
    schedule: str  # the ScheduleExpression, "" for none
    state: str
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    event_pattern: str | None = None
    description: str | None = None
    role_arn: str | None = None
    place: Place = field(default_factory=default_place)
    """The account and Region of the bus it is on: its ARN's."""
    anchor: float = 0.0  # when its schedule was set: a rate counts from here
    next_fire: float | None = None
    last_fired: float | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:events:{self.place.region}:{self.place.account_id}:rule/{self.name}"

    @property
    def interval_seconds(self) -> int:
        """A rate schedule's period (60 for anything else): what crhelper's polling rules use."""
        try:
            parsed = parse_schedule(self.schedule)
        except ValueError:
            return 60
        return parsed.seconds if hasattr(parsed, "seconds") else 60

    @property
    def enabled(self) -> bool:
        return self.state != "DISABLED"

    def describe(self) -> dict[str, Any]:
        answer = {"Name": self.name, "Arn": self.arn, "State": self.state, "EventBusName": "default",
                  "CreatedBy": self.place.account_id, "EventPattern": self.event_pattern,
                  "ScheduleExpression": self.schedule or None, "Description": self.description,
                  "RoleArn": self.role_arn}
        return {k: v for k, v in answer.items() if v is not None}


@dataclass
class Delivery:
    """One target's input for one matched event or one schedule firing."""

    rule_name: str
    rule_arn: str
    target: dict[str, Any]
    cause: str  # "event" or "schedule"
    event: dict[str, Any]
    input: str  # the text the target gets
    at: float

    @property
    def arn(self) -> str:
        return str(self.target.get("Arn", ""))

    def payload(self) -> Any:
        """The input as JSON (what a Lambda function receives); ValueError if it is not JSON."""
        return json.loads(self.input)


DEFAULT_RULE_QUOTA = 300
"""Rules per event bus: "the maximum number of rules an account can have per event bus", 300 by default
(100 in af-south-1 and eu-south-1), adjustable (EventBridge User Guide, "Amazon EventBridge quotas",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html)."""
LIMIT_EXCEEDED = "The requested resource exceeds the maximum number allowed."
"""EventBridge's LimitExceededException message, for rules past the quota and targets past five."""


class EventBus:
    """The default bus: its rules (``api.call`` changes them); ``publish``, ``take_due`` and
    ``next_due`` run it."""

    def __init__(self, clock: Callable[[], float] = time.time, place: Place | None = None) -> None:
        self.clock = clock
        self.place = place or default_place()
        """The account and Region whose default bus this is (each has its own)."""
        self.rules: dict[str, Rule] = {}
        self.rule_quota = DEFAULT_RULE_QUOTA
        """The most rules the bus holds, disabled ones included; PutRule refuses a new one past it."""
        self.events: list[dict[str, Any]] = []  # every event that reached the bus, in order
        self.delivered: list[Delivery] = []  # every delivery handed out by take_due
        self.lock = threading.RLock()
        self._pending: list[Delivery] = []

    # --- running it -----------------------------------------------------------

    @property
    def arn(self) -> str:
        """The default bus's ARN in its account and Region."""
        return f"arn:aws:events:{self.place.region}:{self.place.account_id}:event-bus/default"

    def publish(self, event: Mapping[str, Any]) -> int:
        """An event reaches the bus now: queue a delivery to every target of every enabled rule it matches."""
        event = dict(event)
        with self.lock:
            self.events.append(event)
            now, queued = self.clock(), 0
            for rule in self.rules.values():
                if rule.enabled and rule.event_pattern and matches(parse_pattern(rule.event_pattern), event):
                    queued += self._queue(rule, event, "event", now)
            return queued

    def next_due(self) -> float | None:
        """When something is next due: now, if deliveries wait; else the next enabled schedule."""
        with self.lock:
            if self._pending:
                return self.clock()
            fires = [r.next_fire for r in self.rules.values() if r.enabled and r.next_fire is not None]
            return min(fires) if fires else None

    def take_due(self) -> list[Delivery]:
        """Fire every schedule due by now, then hand out (and forget) every queued delivery, oldest first."""
        with self.lock:
            now = self.clock()
            for rule in list(self.rules.values()):
                if rule.enabled and rule.next_fire is not None and rule.next_fire <= now:
                    fired_at = rule.last_fired = rule.next_fire
                    self._queue(rule, scheduled_event(rule, fired_at), "schedule", now)
                    rule.next_fire = self.next_firing(self.schedule_of(rule.schedule), rule.anchor, max(now, fired_at))
            due, self._pending = self._pending, []
            self.delivered.extend(due)
            return due

    # --- internals ------------------------------------------------------------

    def _queue(self, rule: Rule, event: dict[str, Any], cause: str, now: float) -> int:
        for target in rule.targets.values():
            text = target_input(target, event, rule.name, rule.arn, iso(now))
            self._pending.append(Delivery(rule.name, rule.arn, dict(target), cause, event, text, now))
        return len(rule.targets)

    def rule(self, name: str) -> Rule:
        rule = self.rules.get(name)
        if rule is None:
            raise EventsApiError("ResourceNotFoundException", f"Rule {name} does not exist on EventBus default.")
        return rule

    def check_bus(self, body: Mapping[str, Any]) -> None:
        bus = body.get("EventBusName")
        if bus not in (None, "default", self.arn):
            raise EventsApiError("ResourceNotFoundException", f"Event bus {bus} does not exist.")

    @staticmethod
    def schedule_of(expression: str) -> Schedule | None:
        if not expression:
            return None
        try:
            return parse_schedule(expression)
        except ValueError:
            raise EventsApiError("ValidationException", "Parameter ScheduleExpression is not valid.") from None

    @staticmethod
    def next_firing(schedule: Schedule | None, anchor: float, after: float) -> float | None:
        return None if schedule is None else schedule.next_after(anchor, after)


def envelope(source: str, detail_type: str, detail: Mapping[str, Any], resources: list[str],
             at: float, place: Place) -> dict[str, Any]:
    """An event as EventBridge delivers it: version, id, detail-type, source, account, time, region, resources, detail."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type, "source": source,
            "account": place.account_id, "time": iso(at), "region": place.region, "resources": resources,
            "detail": dict(detail)}


def scheduled_event(rule: Rule, at: float) -> dict[str, Any]:
    """The event of a schedule's firing: source aws.events, detail-type "Scheduled Event", the rule as resource."""
    return envelope("aws.events", "Scheduled Event", {}, [rule.arn], at, rule.place)
