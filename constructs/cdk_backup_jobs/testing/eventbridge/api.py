"""EventBridge's API operations on the default bus (``bus.EventBus``), with EventBridge's errors.

PutRule, PutTargets, RemoveTargets, DeleteRule, DescribeRule,
ListTargetsByRule, ListRules, EnableRule, DisableRule and PutEvents, as the
EventBridge API Reference describes them; ``bus`` says which errors
and why. PutEvents refuses an ``aws.*`` source per entry, as it does for any
account ("NotAuthorizedForSourceException"); AWS services' own events reach
the bus through ``EventBus.publish``.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping

from cdk_backup_jobs.testing.eventbridge.bus import (LIMIT_EXCEEDED, MAX_TARGETS_PER_RULE, RULE_NAME, STATES, EventBus,
                                                     EventsApiError, Rule, envelope)
from cdk_backup_jobs.testing.eventbridge.input_transform import InvalidTarget, check_target
from cdk_backup_jobs.testing.eventbridge.patterns import InvalidPattern, parse_pattern


def call(bus: EventBus, operation: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """One EventBridge operation on ``bus``: its answer, or EventsApiError."""
    handler = _HANDLERS.get(operation)
    if handler is None:
        raise EventsApiError("UnknownOperationException", f"Unknown operation {operation}")
    with bus.lock:
        bus.check_bus(body)
        answer: dict[str, Any] = handler(bus, body)
        return answer


def _put_rule(bus: EventBus, body: Mapping[str, Any]) -> dict[str, Any]:
    name = str(body.get("Name", ""))
    if not RULE_NAME.match(name):
        raise EventsApiError("ValidationException", f"1 validation error detected: Value '{name}' at 'name' "
                             "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                             "[\\.\\-_A-Za-z0-9]+ and have length less than or equal to 64")
    pattern, schedule = body.get("EventPattern"), body.get("ScheduleExpression") or ""
    if not pattern and not schedule:
        raise EventsApiError("ValidationException",
                             "Parameter(s) EventPattern or ScheduleExpression must be specified.")
    parsed_schedule = bus.schedule_of(schedule) if schedule else None
    if pattern:
        try:
            parse_pattern(pattern)
        except InvalidPattern as error:
            raise EventsApiError("InvalidEventPatternException",
                                 f"Event pattern is not valid. Reason: {error}") from None
    state = body.get("State") or "ENABLED"
    if state not in STATES:
        raise EventsApiError("ValidationException", f"1 validation error detected: Value '{state}' at 'state' "
                             f"failed to satisfy constraint: Member must satisfy enum value set: {list(STATES)}")
    old = bus.rules.get(name)
    if old is None and len(bus.rules) >= bus.rule_quota:  # replacing a rule takes no more of the quota
        raise EventsApiError("LimitExceededException", LIMIT_EXCEEDED)
    now = bus.clock()
    rule = Rule(name, schedule, state, old.targets if old else {}, pattern or None, body.get("Description"),
                body.get("RoleArn"), bus.place, anchor=old.anchor if old and old.schedule == schedule else now,
                last_fired=old.last_fired if old else None)
    # Due from this minute on (a cron for the current minute still fires), never twice for one moment.
    after = max(now - 1e-6, rule.last_fired if rule.last_fired is not None else now - 1e-6)
    rule.next_fire = bus.next_firing(parsed_schedule, rule.anchor, after)
    bus.rules[name] = rule
    return {"RuleArn": rule.arn}


def _put_targets(bus: EventBus, body: Mapping[str, Any]) -> dict[str, Any]:
    rule = bus.rule(str(body.get("Rule", "")))
    targets = list(body.get("Targets") or [])
    for target in targets:
        try:
            check_target(target)
        except InvalidTarget as error:
            raise EventsApiError("ValidationException", str(error)) from None
    if len(set(rule.targets) | {t["Id"] for t in targets}) > MAX_TARGETS_PER_RULE:
        raise EventsApiError("LimitExceededException", LIMIT_EXCEEDED)
    for target in targets:
        rule.targets[target["Id"]] = dict(target)
    return {"FailedEntryCount": 0, "FailedEntries": []}


def _remove_targets(bus: EventBus, body: Mapping[str, Any]) -> dict[str, Any]:
    rule = bus.rule(str(body.get("Rule", "")))
    for target_id in body.get("Ids") or []:
        rule.targets.pop(target_id, None)
    return {"FailedEntryCount": 0, "FailedEntries": []}


def _delete_rule(bus: EventBus, body: Mapping[str, Any]) -> dict[str, Any]:
    rule = bus.rules.get(str(body.get("Name", "")))
    if rule is None:
        return {}
    if rule.targets:
        raise EventsApiError("ValidationException", "Rule can't be deleted since it has targets.")
    del bus.rules[rule.name]
    return {}


def _describe_rule(bus: EventBus, body: Mapping[str, Any]) -> dict[str, Any]:
    return bus.rule(str(body.get("Name", ""))).describe()


def _list_targets_by_rule(bus: EventBus, body: Mapping[str, Any]) -> dict[str, Any]:
    rule = bus.rule(str(body.get("Rule", "")))
    return _page(list(rule.targets.values()), body, "Targets")


def _list_rules(bus: EventBus, body: Mapping[str, Any]) -> dict[str, Any]:
    prefix = str(body.get("NamePrefix") or "")
    rules = [r.describe() for name, r in sorted(bus.rules.items()) if name.startswith(prefix)]
    return _page(rules, body, "Rules")


def _enable_rule(bus: EventBus, body: Mapping[str, Any]) -> dict[str, Any]:
    bus.rule(str(body.get("Name", ""))).state = "ENABLED"
    return {}


def _disable_rule(bus: EventBus, body: Mapping[str, Any]) -> dict[str, Any]:
    bus.rule(str(body.get("Name", ""))).state = "DISABLED"
    return {}


def _put_events(bus: EventBus, body: Mapping[str, Any]) -> dict[str, Any]:
    """Custom events; an ``aws.*`` source is refused per entry, as for any account."""
    entries, failed = [], 0
    for entry in body.get("Entries") or []:
        try:
            detail = json.loads(entry.get("Detail") or "")
        except ValueError:
            detail = None
        if str(entry.get("Source", "")).startswith("aws."):
            entries.append({"ErrorCode": "NotAuthorizedForSourceException",
                            "ErrorMessage": "Not authorized for the source."})
        elif not isinstance(detail, dict) or not entry.get("Source") or not entry.get("DetailType"):
            entries.append({"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."})
        else:
            when = entry.get("Time")
            event = envelope(entry["Source"], entry["DetailType"], detail, list(entry.get("Resources") or []),
                             float(when) if when is not None else bus.clock(), bus.place)
            bus.publish(event)
            entries.append({"EventId": event["id"]})
            continue
        failed += 1
    return {"FailedEntryCount": failed, "Entries": entries}


def _page(items: list[Any], body: Mapping[str, Any], key: str) -> dict[str, Any]:
    token = str(body.get("NextToken") or "0")
    if not token.isdigit():
        raise EventsApiError("ValidationException", "The NextToken is not valid.")
    start, size = int(token), int(body.get("Limit") or 100)
    answer: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        answer["NextToken"] = str(start + size)
    return answer


_HANDLERS: dict[str, Callable[[EventBus, Mapping[str, Any]], dict[str, Any]]] = {
    "PutRule": _put_rule, "PutTargets": _put_targets, "RemoveTargets": _remove_targets, "DeleteRule": _delete_rule,
    "DescribeRule": _describe_rule, "ListTargetsByRule": _list_targets_by_rule, "ListRules": _list_rules,
    "EnableRule": _enable_rule, "DisableRule": _disable_rule, "PutEvents": _put_events,
}
