"""A waited job: start its watch, and act on every invocation that wakes it.

A watch starts when a job must be waited for: for a WaitCondition (Create
or Update: the resource answers at once, the WaitCondition carries the wait,
up to 12 hours), or for the request itself (a final backup's Delete, or a
wait without a WaitCondition: answered within CloudFormation's hour).
Each wake-up is the job's own state change event or the rule's fallback
schedule; it ends the watch with a signal (``signals``) or moves the next
check (``eventbridge``). The verdicts are ``decisions``'. It lives with the
jobs, not the watches: it is what a job does when woken, and ``watches``
holds only the mechanism (the rule, its events, the signal), which imports
no job code.
"""

from __future__ import annotations

import time
from typing import Any, Mapping

from cdk_backup_jobs_runtime.aws.clients import ClientFactory, Clients
from cdk_backup_jobs_runtime.aws.service_clock import epoch_of, event_time
from cdk_backup_jobs_runtime.cloudformation import stack_state
from cdk_backup_jobs_runtime.cloudformation.request import CustomResourceRequest
from cdk_backup_jobs_runtime.errors import BackupServiceError, InvalidProperties, JobDidNotComplete, ProviderError
from cdk_backup_jobs_runtime.input import rules
from cdk_backup_jobs_runtime.input.shapes import WAIT_CONDITION_GRACE_SECONDS
from cdk_backup_jobs_runtime.input.violation_report import summarize
from cdk_backup_jobs_runtime.jobs import decisions
from cdk_backup_jobs_runtime.jobs.decisions import Outcome
from cdk_backup_jobs_runtime.jobs.job_types import JobType, describe, job_type_for
from cdk_backup_jobs_runtime.structured_log import StructuredLogger
from cdk_backup_jobs_runtime.watches import eventbridge, signals
from cdk_backup_jobs_runtime.watches.backup_events import read_state_change
from cdk_backup_jobs_runtime.watches.waiter import Waiter, next_check, same_job_id

log = StructuredLogger()

RECHECK_SECONDS = 5 * 60
"""After a wake-up that failed (a check AWS did not answer, a signal not delivered): the next try."""
UNDELIVERED_GRACE_SECONDS = WAIT_CONDITION_GRACE_SECONDS + RECHECK_SECONDS
"""How long after its deadline a watch whose signal could not be delivered keeps trying: past the
WaitCondition's own Timeout (the wait plus its grace, counted from the WaitCondition's creation, which
comes after the job's), so a signal is tried for as long as the WaitCondition can take it."""


def watch(waiter: Waiter, events_client: ClientFactory, function_arn: str, now: float) -> None:
    """Arm the watch: its rule wakes the function on the job's events and at its next check."""
    eventbridge.arm(events_client(), waiter, function_arn, next_check(now, waiter.started, waiter.deadline))
    log.info("Watching the job", job_id=waiter.job_id, signal=waiter.signal,
             deadline=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(waiter.deadline)))


def check_wait_condition(request: CustomResourceRequest, logical_id: str, wait_minutes: int,
                         clients: Clients) -> None:
    """Refuse, before any job starts, a WaitCondition that is not one of this stack's with a
    CreationPolicy (a ResourceSignal), which SignalResource could not signal, or one that breaks
    ``rules.wait_condition_violations`` (its Timeout too short for the wait or over PT12H, a Count other
    than 1, or no DependsOn on the job): its wait would end in CloudFormation's bare timeout, the job
    left running.

    The check reads the stack's template, and trusts only what it cannot
    have wrong: GetTemplate does not say whether, during an update, it answers
    with the new template or the previous one (CloudFormation API Reference,
    GetTemplate), and the previous one lacks a WaitCondition this update adds.
    So a template without a fitting WaitCondition refuses the resource only
    while the stack is being created (CREATE_IN_PROGRESS: it has one template);
    otherwise, as for a template that cannot be read (a refused call; JSON and
    YAML are both read: ``stack_state.parsed_template``), the check passes with
    a warning, and a wrong name shows as the signal's failure in the provider's
    log. A WaitCondition found is one the operation
    creates (it cannot be updated), so its rules are checked in any status.
    """
    refused = InvalidProperties(
        f"Invalid {request.resource_type} properties: WaitCondition must be the logical ID of an "
        f"{rules.WAIT_CONDITION_TYPE} of this stack with a CreationPolicy (ResourceSignal), got {logical_id!r}")
    if clients.events is None or clients.stack is None:
        raise refused  # a provider that cannot watch a job nor signal its WaitCondition
    resources = stack_state.stack_resources(clients.stack(), request.stack_id)
    if resources is None:
        log.warning("Could not read the template to check the WaitCondition", wait_condition=logical_id)
        return
    condition = resources.get(logical_id)
    if isinstance(condition, Mapping) and condition.get("Type") == rules.WAIT_CONDITION_TYPE \
            and isinstance(condition.get("CreationPolicy", {}).get("ResourceSignal"), Mapping):
        violations = rules.wait_condition_violations(request.logical_resource_id, wait_minutes, logical_id,
                                                     resources)
        if violations:
            raise InvalidProperties(f"Invalid {request.resource_type} properties: {summarize(violations)}")
        return
    if stack_state.stack_status(clients.stack(), request.stack_id) == "CREATE_IN_PROGRESS":
        raise refused
    log.warning("The template read has no such WaitCondition; it may be the previous one (an update)",
                wait_condition=logical_id)


def watch_for_wait_condition(job_type: JobType, request: CustomResourceRequest, job_id: str,
                             attributes: Mapping[str, str], started: float, wait_minutes: int,
                             wait_condition: str, clients: Clients, now: float) -> None:
    """Watch a job for a WaitCondition: its deadline comes before the WaitCondition's own timeout.

    The WaitCondition's Timeout is at least the wait plus
    ``WAIT_CONDITION_GRACE_SECONDS`` and starts after the job
    (``check_wait_condition``), so the watch gives up that grace earlier and
    signals FAILURE naming the job's last state.
    """
    assert clients.events is not None
    wait = wait_minutes * 60
    waiter = Waiter(resource_type=job_type.resource_type, job_id=job_id, stack_id=request.stack_id,
                    logical_resource_id=request.logical_resource_id, started=started, deadline=started + wait,
                    signal="wait_condition", wait_condition=wait_condition, attributes=dict(attributes))
    watch(waiter, clients.events, clients.function_arn, now)


def watch_response(job_type: JobType, request: CustomResourceRequest, outcome: Outcome,
                   clients: Clients) -> Outcome:
    """Watch a job for the custom-resource request itself, if the outcome is still waiting: the watch
    answers the request when the job ends (``signals``), and crhelper holds its answer back meanwhile.

    The one way into a watch besides ``watch_for_wait_condition``: both are armed here, by the request
    that starts the wait; the deadline and the resource's ID come with the outcome, not in its data.
    """
    if not outcome.waiting:
        return outcome
    assert clients.events is not None and outcome.deadline is not None
    now = outcome.checked_at if outcome.checked_at is not None else time.time()
    attributes = dict(outcome.data)
    waiter = Waiter(
        resource_type=job_type.resource_type, job_id=str(attributes[job_type.id_attribute]),
        stack_id=request.stack_id, logical_resource_id=request.logical_resource_id,
        started=epoch_of(attributes.get("CreationDate")) or now, deadline=outcome.deadline, signal="response",
        response={"ResponseURL": request.response_url, "RequestId": request.request_id},
        attributes=attributes, physical_resource_id=outcome.physical_resource_id,
        resumable=request.request_type == "Delete")
    try:
        watch(waiter, clients.events, clients.function_arn, now=now)
    except ProviderError as error:  # the request fails, naming its resource as a held-back answer would
        error.physical_resource_id = error.physical_resource_id or outcome.physical_resource_id
        raise
    return outcome


def check_job(job_type: JobType, backup_client: ClientFactory, job_id: str,
              data: Mapping[str, str], now: float) -> Outcome:
    """One look at a job, shared by a request that waits and by a watch's wake-up: done, failed, timed
    out, or still waiting, decided from one Describe call. A call that failed is still waiting,
    unchecked (``Outcome.checked``), judged against the deadline at ``now`` (AWS's time of what woke the
    check) if AWS gave no answer."""
    try:
        job = describe(job_type, backup_client, job_id)
    except BackupServiceError as error:
        outcome = decisions.still_waiting_after(error, job_type, job_id, data, now)
        log.warning("Could not check the job; checking again in 5 minutes", job_id=job_id, reason=str(error))
        return outcome
    log.info(f"{job_type.noun} progress", job_id=job_id, **decisions.progress(job))
    return decisions.judge_job(job_type, job, job_id, data)


def forget(stack_id: str, logical_id: str, events_client: ClientFactory, job_id: str | None = None) -> None:
    """Remove the watch a resource's rule holds (only if it watches ``job_id``, when given); best
    effort: a Delete never fails for it."""
    try:
        recorded = eventbridge.recorded(events_client(), stack_id, logical_id)
        if recorded is not None and job_id in (None, recorded.job_id):
            eventbridge.disarm(events_client(), recorded)
            log.info("Watch removed with its resource", job_id=recorded.job_id)
    except BackupServiceError as error:
        log.warning("Could not remove the watch's rule", reason=str(error))


def check_again_later(waiter: Waiter, events_client: ClientFactory) -> None:
    """Best effort after a wake-up that failed: one more check in 5 minutes (the one-time schedule
    that woke it has fired, and the watch must not depend on events alone)."""
    try:
        eventbridge.schedule(events_client(), waiter, time.time() + RECHECK_SECONDS)
    except Exception as error:  # nothing more to do: the error is logged, the rule stays
        log.error("Could not schedule the next check", error=type(error).__name__)


def on_wake(waiter: Waiter, event: Any, backup_client: ClientFactory, stack_client: ClientFactory,
            events_client: ClientFactory) -> None:
    """One wake-up: judge the job from the event (no call) or from a Describe, then act.

    Only a watch its rule still holds is acted on: the payload must equal the
    target stored on the rule, so an invocation that merely claims to be a
    watch (anyone allowed to invoke the function) can do nothing.
    """
    if eventbridge.recorded(events_client(), waiter.stack_id, waiter.logical_resource_id) != waiter:
        log.warning("Wake-up for a watch its rule does not hold; ignored", job_id=waiter.job_id)
        return
    job_type = job_type_for(waiter.resource_type)
    data = decisions.waiting_data(waiter.attributes, waiter.deadline, waiter.physical_resource_id or None)
    change = read_state_change(event)
    now = event_time(event) or time.time()
    log.set_keys(job_id=waiter.job_id, logical_resource_id=waiter.logical_resource_id,
                 woken_by="event" if change else "schedule")
    try:
        if change is not None:
            if change.job_id is None or not same_job_id(change.job_id, waiter.job_id):
                return  # not this job's (a CREATED copy event has no ID): the schedule will check
            outcome = decisions.judge_state_change(job_type, change, waiter.job_id, data, now)
            log.info(f"{job_type.noun} progress", **outcome.progress)
        else:
            outcome = check_job(job_type, backup_client, waiter.job_id, data, now)
    except JobDidNotComplete as error:
        _finish(waiter, stack_client, events_client, False, str(error), {}, now, summary=error.summary,
                unfinished=error.unfinished)
        return
    if not outcome.waiting:
        _finish(waiter, stack_client, events_client, True, f"{job_type.noun} {waiter.job_id} COMPLETED",
                outcome.data, now)
    elif change is None:
        due = next_check(now, waiter.started, waiter.deadline)
        if not outcome.checked:  # AWS gave no verdict: look again in 5 minutes, not at the next regular check
            due = min(due, now + RECHECK_SECONDS)
        eventbridge.schedule(events_client(), waiter, due)


def _finish(waiter: Waiter, stack_client: ClientFactory, events_client: ClientFactory, succeeded: bool,
            reason: str, attributes: Mapping[str, str], now: float, summary: str = "",
            unfinished: bool = False) -> None:
    """Signal the end; then remove the watch (keep it, disabled, for a final backup whose job is still
    running: the next delete attempt waits for it).

    A signal that could not be delivered is tried again at a check 5 minutes
    later, until a grace period after the deadline; one that can never be
    (its stack operation ended: no state *_IN_PROGRESS) is not.
    """
    (log.info if succeeded else log.error)("Wait ended", succeeded=succeeded, reason=reason)
    signal = signals.send(waiter, stack_client(), succeeded, reason, summary or reason, attributes)
    if signal is signals.SignalResult.RETRY:
        if now < waiter.deadline + UNDELIVERED_GRACE_SECONDS:
            log.warning("Signal not delivered; trying again at the next check")
            eventbridge.schedule(events_client(), waiter, max(now, time.time()) + RECHECK_SECONDS)
            return
        log.error("Signal not delivered before giving up; removing the watch")
    elif signal is signals.SignalResult.NEVER:
        log.error("Signal cannot be delivered (its stack no longer waits); removing the watch")
    try:
        if waiter.resumable and unfinished:
            eventbridge.schedule(events_client(), waiter, waiter.deadline, enabled=False)
        else:
            eventbridge.disarm(events_client(), waiter)
    except BackupServiceError as error:
        log.warning("Could not remove the watch's rule", reason=str(error))
