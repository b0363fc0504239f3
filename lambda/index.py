"""Lambda entry point (handler ``index.handler``) for Custom::BackupJob and Custom::CopyJob."""

from __future__ import annotations

from typing import Any, Callable

from cdk_backup_jobs_runtime import jobs
from cdk_backup_jobs_runtime.decisions import Outcome
from cdk_backup_jobs_runtime.errors import ProviderError
from cdk_backup_jobs_runtime.crhelper_adapter import ProviderResource
from cdk_backup_jobs_runtime.request import CustomResourceRequest
from cdk_backup_jobs_runtime.structured_log import StructuredLogger
from cdk_backup_jobs_runtime.aws_clients import create_backup_client, create_cloudformation_client

log = StructuredLogger()
helper = ProviderResource(expected_errors=(ProviderError,), polling_interval=1)
_backup_client: Any = None
_stack_client: Any = None


def backup_client() -> Any:
    """One Backup client per container, built the first time a request needs it."""
    global _backup_client
    if _backup_client is None:
        _backup_client = create_backup_client()
    return _backup_client


def stack_client() -> Any:
    """One CloudFormation client per container, for final backups only."""
    global _stack_client
    if _stack_client is None:
        _stack_client = create_cloudformation_client()
    return _stack_client


def _respond(action: Callable[[CustomResourceRequest], Outcome], event: dict[str, Any],
             polling: bool = False) -> str | None:
    """Run one action; its physical ID, or None while a polled job is still running."""
    request = CustomResourceRequest.from_event(event)
    log.set_keys(
        request_type=request.request_type,
        resource_type=request.resource_type,
        logical_resource_id=request.logical_resource_id,
        request_id=request.request_id,
        poll=polling,
    )
    if not polling:
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
    # The outcome's data is complete: replace, so nothing only a poll needed
    # (the wait deadline) stays in the resource's attributes.
    helper.Data.clear()
    helper.Data.update(outcome.data)
    if outcome.waiting:
        helper.poll_this_request = True
        log.info("Waiting for the job to complete", physical_resource_id=outcome.physical_resource_id)
        return None if polling else outcome.physical_resource_id
    log.info("Request succeeded", physical_resource_id=outcome.physical_resource_id)
    return outcome.physical_resource_id


@helper.create
def on_create(event: dict[str, Any], _context: Any) -> str | None:
    return _respond(lambda request: jobs.create(request, backup_client), event)


@helper.update
def on_update(event: dict[str, Any], _context: Any) -> str | None:
    return _respond(lambda request: jobs.update(request, backup_client, stack_client), event)


@helper.delete
def on_delete(event: dict[str, Any], _context: Any) -> str | None:
    return _respond(lambda request: jobs.delete(request, backup_client, stack_client), event)


@helper.poll_create
@helper.poll_update
@helper.poll_delete
def on_poll(event: dict[str, Any], _context: Any) -> str | None:
    data = dict(helper.Data)
    return _respond(lambda request: jobs.poll(request, backup_client, data), event, polling=True)


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
