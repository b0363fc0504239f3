"""How a watch ends: a signal to the job's WaitCondition, or the answer to the custom-resource request.

A WaitCondition with a CreationPolicy is signalled with CloudFormation's
SignalResource (StackName, LogicalResourceId, UniqueId, Status SUCCESS or
FAILURE), signed by the function's role: "You can use the SignalResource
operation in conjunction with a creation policy or update policy"
(CloudFormation API Reference, SignalResource). No presigned URL is needed for
it, so none is kept for it (a watch that answers its own request keeps that
request's ResponseURL: docs/behaviour.md, waiting). A signal carries no reason: a FAILURE's UniqueId is the reason's
first 64 characters (the longest UniqueId), so the WaitCondition's failure
names it; the job's full status message is in the function's logs. The
results of a job that COMPLETED are read by its ``Custom::BackupJobResult``.
"""

from __future__ import annotations

import enum
import re
import time
from typing import Any, Mapping

from cdk_backup_jobs_runtime.aws import iam_propagation
from cdk_backup_jobs_runtime.cloudformation.response_sender import clip_reason, deliver_response
from cdk_backup_jobs_runtime.structured_log import StructuredLogger
from cdk_backup_jobs_runtime.watches.waiter import Waiter

log = StructuredLogger()

SIGNAL_BUDGET_SECONDS = 20.0
MAX_UNIQUE_ID = 64
CANNOT_BE_SIGNALED = re.compile(r" is in (?P<state>[A-Z_]+) state and cannot be signaled")
"""CloudFormation's refusal once the operation no longer waits: "ValidationError: Stack arn:... is in
CREATE_COMPLETE state and cannot be signaled" (aws-cloudformation/aws-cloudformation-templates#34,
https://github.com/aws-cloudformation/aws-cloudformation-templates/issues/34)."""


class SignalResult(enum.Enum):
    """How a signal went: accepted, worth another try later, or never deliverable."""

    DONE = "done"
    RETRY = "retry"
    NEVER = "never"


def failure_unique_id(reason: str) -> str:
    """A FAILURE signal's UniqueId: the reason, cut to SignalResource's 64 characters."""
    return reason if len(reason) <= MAX_UNIQUE_ID else reason[: MAX_UNIQUE_ID - 3] + "..."


def send(waiter: Waiter, stack_client: Any, succeeded: bool, reason: str, summary: str,
         attributes: Mapping[str, str]) -> SignalResult:
    """Tell the waiting side how the job ended: a WaitCondition gets ``summary`` (a FAILURE's
    UniqueId is short), a custom-resource request the whole ``reason``."""
    if waiter.signal == "wait_condition":
        return _signal_resource(stack_client, waiter, succeeded, summary)
    response = dict(waiter.response)
    body = {"Status": "SUCCESS" if succeeded else "FAILED", "Reason": clip_reason(reason),
            "PhysicalResourceId": waiter.physical_resource_id or waiter.job_id,
            "StackId": waiter.stack_id, "RequestId": response.get("RequestId", ""),
            "LogicalResourceId": waiter.logical_resource_id, "NoEcho": False,
            "Data": dict(attributes) if succeeded else {}}
    delivered = deliver_response(response.get("ResponseURL", ""), body,
                                 deadline=time.monotonic() + SIGNAL_BUDGET_SECONDS)
    return SignalResult.DONE if delivered else SignalResult.RETRY


def _signal_resource(stack_client: Any, waiter: Waiter, succeeded: bool, reason: str) -> SignalResult:
    """SignalResource. Any failure is tried again (a fast job can end before CloudFormation has created
    its WaitCondition, and AWS does not document what it answers then), except the one documented
    refusal that cannot change: the stack or WaitCondition is in a state that is not *_IN_PROGRESS."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        iam_propagation.retrying("SignalResource", lambda: stack_client.signal_resource(
            StackName=waiter.stack_id, LogicalResourceId=waiter.wait_condition,
            UniqueId=waiter.job_id if succeeded else failure_unique_id(reason),
            Status="SUCCESS" if succeeded else "FAILURE"))
    except ClientError as error:
        log.warning("Could not signal the WaitCondition", wait_condition=waiter.wait_condition,
                    reason=str(error)[:300])
        return refusal(str(error.response.get("Error", {}).get("Message", "")))
    except BotoCoreError as error:
        log.warning("Could not signal the WaitCondition", wait_condition=waiter.wait_condition,
                    reason=str(error)[:300])
        return SignalResult.RETRY
    log.info("WaitCondition signalled", wait_condition=waiter.wait_condition,
             status="SUCCESS" if succeeded else "FAILURE")
    return SignalResult.DONE


def refusal(message: str) -> SignalResult:
    """A refused signal: NEVER once its stack (or WaitCondition) is in a state that is not *_IN_PROGRESS,
    which no later try changes; RETRY for anything else, whatever its text."""
    found = CANNOT_BE_SIGNALED.search(message)
    return SignalResult.NEVER if found and not found.group("state").endswith("_IN_PROGRESS") else SignalResult.RETRY
