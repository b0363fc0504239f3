"""Lambda entry point (handler ``index.handler``) for Custom::BackupJob and Custom::CopyJob.

Two kinds of invocation arrive: CloudFormation's requests (through crhelper)
and a watch's wake-ups (a waited job's own EventBridge rule: its state change
events and its fallback checks), which go to ``jobs.waits`` directly.
"""

from __future__ import annotations

from typing import Any, Callable

from cdk_backup_jobs_runtime import invocation
from cdk_backup_jobs_runtime.aws.clients import (Clients, create_backup_client, create_cloudformation_client,
                                                 create_events_client)
from cdk_backup_jobs_runtime.cloudformation.crhelper_adapter import ProviderResource
from cdk_backup_jobs_runtime.cloudformation.log_redaction import redact
from cdk_backup_jobs_runtime.cloudformation.request import CustomResourceRequest
from cdk_backup_jobs_runtime.errors import ProviderError
from cdk_backup_jobs_runtime.jobs import actions
from cdk_backup_jobs_runtime.jobs.decisions import Outcome
from cdk_backup_jobs_runtime.structured_log import StructuredLogger
from cdk_backup_jobs_runtime.jobs import waits
from cdk_backup_jobs_runtime.watches.waiter import read_invocation

log = StructuredLogger()
_backup_client: Any = None
_stack_client: Any = None
_events_client: Any = None


def backup_client() -> Any:
    """One Backup client per container, built the first time a request needs it."""
    global _backup_client
    if _backup_client is None:
        _backup_client = create_backup_client()
    return _backup_client


def stack_client() -> Any:
    """One CloudFormation client per container (rollbacks, final backups, WaitCondition signals)."""
    global _stack_client
    if _stack_client is None:
        _stack_client = create_cloudformation_client()
    return _stack_client


def events_client() -> Any:
    """One EventBridge client per container, for the watches of waited jobs."""
    global _events_client
    if _events_client is None:
        _events_client = create_events_client()
    return _events_client


def clients(context: Any) -> Clients:
    return Clients(backup_client, stack_client, events_client,
                   function_arn=str(getattr(context, "invoked_function_arn", "") or ""))


helper = ProviderResource(expected_errors=(ProviderError,))


def _respond(action: Callable[[CustomResourceRequest], Outcome], event: dict[str, Any]) -> str | None:
    """Run one action; its physical ID (held back by crhelper while a watch, armed by the action, waits to
    answer)."""
    request = CustomResourceRequest.from_event(event)
    log.set_keys(
        request_type=request.request_type,
        resource_type=request.resource_type,
        logical_resource_id=request.logical_resource_id,
        request_id=request.request_id,
    )
    log.info("Request received", properties=sorted(request.properties))
    try:
        outcome = action(request)
    except ProviderError as error:
        if error.physical_resource_id:
            helper.PhysicalResourceId = error.physical_resource_id
        log.error("Request failed", reason=str(error))
        raise
    except Exception as error:  # a bug of ours: say where to look, not a stack trace
        log.error("Unexpected error", exc_info=True)
        raise ProviderError(
            f"Internal error ({type(error).__name__}); see the provider function's logs"
        ) from None
    helper.Data.update(outcome.data)  # the resource's attributes, and nothing else
    if outcome.waiting:
        helper.poll_this_request = True
        log.info("Waiting for the job to complete", physical_resource_id=outcome.physical_resource_id)
        return outcome.physical_resource_id
    log.info("Request succeeded", physical_resource_id=outcome.physical_resource_id)
    return outcome.physical_resource_id


@helper.create
def on_create(event: dict[str, Any], context: Any) -> str | None:
    return _respond(lambda request: actions.create(request, clients(context)), event)


@helper.update
def on_update(event: dict[str, Any], context: Any) -> str | None:
    return _respond(lambda request: actions.update(request, clients(context)), event)


@helper.delete
def on_delete(event: dict[str, Any], context: Any) -> str | None:
    return _respond(lambda request: actions.delete(request, clients(context)), event)


def handler(event: dict[str, Any], context: Any) -> None:
    # Retries within a request (a call denied while a new policy is not in effect, a throttled result) stop
    # in time for the function to answer.
    invocation.begin_from(context)
    woken = read_invocation(event)
    if woken is None:
        helper(event, context)
        return
    watch, wake_event = woken
    try:
        waits.on_wake(watch, wake_event, backup_client, stack_client, events_client)
    except Exception as error:  # the watch's rule stays, and gets a check 5 minutes from now
        log.error("Watch failed; checking again in 5 minutes", reason=redact(str(error))[:500],
                  error=type(error).__name__)
        waits.check_again_later(watch, events_client)
