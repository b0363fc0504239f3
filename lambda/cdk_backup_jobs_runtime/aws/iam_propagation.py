"""IAM changes take effect a while after CloudFormation reports them: which answers that causes, and
how long the provider tries again.

CloudFormation goes on as soon as IAM accepted a policy or role, not once
IAM has spread it, so a function that runs right after its own policy grew
(the provider's policy grows with each job) can be denied for a few seconds:
aws/aws-cdk#37675 and #18237 (a new AwsCustomResource's policy, then
AccessDenied), aws/aws-cdk#37939 (the "is not authorized to perform ... because
no identity-based policy allows" answer), and aws/aws-cdk#37878, which retries
AccessDenied for about 30 s. A job role created in the same stack is refused
by AWS Backup meanwhile with "IAM Role arn:... cannot be assumed by AWS
Backup" (InvalidParameterValueException), which the AWS Terraform provider
retries for its propagation timeout (hashicorp/terraform-provider-aws#9297,
its CreateBackupSelection retry).

A denied call starts nothing, so trying it again is safe, and a Start call
carries its idempotency token anyway. The provider tries the calls a
deployment makes at once (``RETRIED_OPERATIONS``, its stack's reads too) again with backoff, for at
most ``MAX_RETRY_SECONDS`` and never into the last ``ANSWER_MARGIN_SECONDS``
of the invocation (the function must still answer CloudFormation), then lets
AWS's own error through. A Describe is not retried here: a watch's failed
check is tried again at its next check. The decisions are pure; ``retrying``
applies them around one call.
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from cdk_backup_jobs_runtime import invocation
from cdk_backup_jobs_runtime.structured_log import StructuredLogger

log = StructuredLogger()
T = TypeVar("T")

MAX_RETRY_SECONDS = 60.0
"""The longest the provider waits for IAM in one call (aws/aws-cdk#37878 waits about 30 s; IAM says
changes usually spread within seconds, rarely a minute)."""
ANSWER_MARGIN_SECONDS = 10.0
"""Kept free at the end of an invocation, to fail the resource with AWS's message and send the answer."""
FIRST_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 8.0
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException"})
"""AccessDenied (CloudFormation's query API) and AccessDeniedException (AWS Backup, EventBridge)."""
ROLE_NOT_YET_ASSUMABLE = "cannot be assumed by AWS Backup"
RETRIED_OPERATIONS = frozenset({"StartBackupJob", "StartCopyJob", "SignalResource", "PutRule", "PutTargets",
                                "RemoveTargets", "DeleteRule", "ListTargetsByRule", "DescribeStacks", "GetTemplate"})
"""The Start calls, the watch's EventBridge calls and its signal, and the reads of the provider's own stack
(a denied DescribeStacks or GetTemplate would be read as "not rolling back" or "back up to be safe")."""

def is_propagation_symptom(code: str, message: str) -> bool:
    """Whether AWS's answer is what a policy or role not yet in effect gives."""
    if code in DENIED_CODES:
        return True
    return code == "InvalidParameterValueException" and ROLE_NOT_YET_ASSUMABLE in message


def next_delay(attempt: int) -> float:
    """The wait before try ``attempt + 1`` (attempt 1 is the first that failed): doubling, capped."""
    return min(FIRST_DELAY_SECONDS * 2.0 ** (attempt - 1), MAX_DELAY_SECONDS)


def has_time_for(delay: float, started: float, now: float, deadline: float) -> bool:
    """Whether waiting ``delay`` more and trying again stays within the retry budget and the invocation."""
    return now + delay <= min(started + MAX_RETRY_SECONDS, deadline - ANSWER_MARGIN_SECONDS)


def retrying(operation: str, request: Callable[[], T], sleep: Callable[[float], None] | None = None,
             clock: Callable[[], float] | None = None) -> T:
    """Run one call; while AWS answers it as a change not yet in effect, wait and try again, within the
    budget. The last answer (AWS's own error) is raised unchanged."""
    from botocore.exceptions import ClientError

    sleep = sleep or time.sleep
    clock = clock or time.monotonic

    started, attempt = clock(), 0
    while True:
        try:
            return request()
        except ClientError as error:
            details = error.response.get("Error", {})
            if operation not in RETRIED_OPERATIONS or not is_propagation_symptom(
                    str(details.get("Code", "")), str(details.get("Message", ""))):
                raise
            attempt += 1
            delay = next_delay(attempt)
            deadline = invocation.deadline()
            if deadline is None or not has_time_for(delay, started, clock(), deadline):
                raise
            log.warning("Denied, as a new IAM policy or role may not be in effect yet; trying again",
                        operation=operation, attempt=attempt, wait_seconds=delay,
                        code=str(details.get("Code", "")))
            sleep(delay)
