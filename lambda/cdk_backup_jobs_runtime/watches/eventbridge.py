"""The EventBridge calls that keep a watch (``waiter``): arm it, move its next check, disarm it, read it back.

Every call goes through ``backup_service.call``, so a failure reads as the
others do; an already removed rule is not a failure (two invocations may
finish the same watch).
"""

from __future__ import annotations

import json
from typing import Any

from cdk_backup_jobs_runtime.aws import backup_service
from cdk_backup_jobs_runtime.errors import BackupServiceError
from cdk_backup_jobs_runtime.watches.waiter import (TARGET_ID, WAITER_KEY, Waiter, event_pattern, job_kind, rule_name,
                                            schedule_expression, target_input_template)

NOT_FOUND = "ResourceNotFoundException"
RULE_QUOTA_REACHED = "LimitExceededException"
"""PutRule's error code when the bus holds as many rules as the account's quota allows."""


def arm(client: Any, waiter: Waiter, function_arn: str, check_at: float) -> str:
    """Create (or replace) the watch's rule and its one target; returns the rule's name."""
    name = schedule(client, waiter, check_at)
    target = {"Id": TARGET_ID, "Arn": function_arn,
              "InputTransformer": {"InputPathsMap": {}, "InputTemplate": target_input_template(waiter)}}
    backup_service.call("PutTargets", lambda: client.put_targets(Rule=name, Targets=[target]))
    return name


def schedule(client: Any, waiter: Waiter, check_at: float, enabled: bool = True) -> str:
    """Set the rule's next fallback check (PutRule replaces the rule, so the pattern goes again)."""
    name = rule_name(waiter.stack_id, waiter.logical_resource_id)
    try:
        backup_service.call("PutRule", lambda: client.put_rule(
            Name=name, EventPattern=event_pattern(job_kind(waiter.resource_type), waiter.job_id),
            ScheduleExpression=schedule_expression(check_at), State="ENABLED" if enabled else "DISABLED",
            Description=f"cdk-backup-jobs: waits for job {waiter.job_id} of {waiter.logical_resource_id}"))
    except BackupServiceError as error:
        if error.code == RULE_QUOTA_REACHED:
            raise BackupServiceError(rule_quota_reason(waiter.job_id), error.service_time,
                                     error.transient, error.code) from None
        raise
    return name


def rule_quota_reason(job_id: str) -> str:
    """Why a job cannot be watched when the event bus is full: the quota, and what to do.

    An account may have 300 rules per event bus in a Region by default (100
    in af-south-1 and eu-south-1), adjustable, and disabled rules count
    (EventBridge User Guide, "Amazon EventBridge quotas",
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html).
    A watch needs a rule of its own, so the wait fails at once instead of
    waiting blind; the job started and goes on.
    """
    return (f"Cannot wait for job {job_id}: the event bus's rule quota is reached (PutRule "
            "LimitExceededException; 300 by default, 100 in af-south-1 and eu-south-1, disabled rules count). "
            "Raise it in Service Quotas or delete unused rules")


def disarm(client: Any, waiter: Waiter) -> None:
    """Remove the watch's target and rule; one already gone is fine."""
    name = rule_name(waiter.stack_id, waiter.logical_resource_id)
    try:
        backup_service.call("RemoveTargets", lambda: client.remove_targets(Rule=name, Ids=[TARGET_ID]))
    except BackupServiceError as error:
        if NOT_FOUND not in str(error):
            raise
    backup_service.call("DeleteRule", lambda: client.delete_rule(Name=name))


def recorded(client: Any, stack_id: str, logical_resource_id: str) -> Waiter | None:
    """The watch a resource's rule still holds (a final backup's earlier delete attempt), if any."""
    name = rule_name(stack_id, logical_resource_id)
    try:
        answer = backup_service.call("ListTargetsByRule", lambda: client.list_targets_by_rule(Rule=name))
    except BackupServiceError as error:
        if NOT_FOUND in str(error):
            return None
        raise
    for target in answer.get("Targets", []):
        template = target.get("InputTransformer", {}).get("InputTemplate", "")
        try:
            payload = json.loads(template.replace("<aws.events.event.json>", "null"))
        except ValueError:
            continue
        if isinstance(payload, dict) and isinstance(payload.get(WAITER_KEY), dict):
            return Waiter.from_json(payload[WAITER_KEY])
    return None
