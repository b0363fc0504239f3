"""``Custom::BackupJobResult``: a waited job's results, read once its WaitCondition completed.

A custom resource cannot change its attributes after it answered, and the
job resource answers as soon as its job started (its WaitCondition carries
the wait). The results (the recovery point ARN of an EBS backup, the
completion date, the size) are known only at the end, so a third resource,
created after the WaitCondition, describes the job then and answers with
them. It starts nothing; a job that did not complete fails it with the job's
state and message. Its one Describe is tried again while AWS throttles it or
does not answer, for as long as the function has time (at least a minute of
it with the function's 2 minutes): a burst of throttling must not throw away
a backup that took hours.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Mapping

from cdk_backup_jobs_runtime import invocation
from cdk_backup_jobs_runtime.aws.clients import Clients
from cdk_backup_jobs_runtime.cloudformation.request import CustomResourceRequest
from cdk_backup_jobs_runtime.errors import BackupServiceError, InvalidProperties, JobDidNotComplete
from cdk_backup_jobs_runtime.input import coercion, rules, shapes
from cdk_backup_jobs_runtime.input.violation_report import InvalidJobInput, summarize
from cdk_backup_jobs_runtime.jobs import decisions
from cdk_backup_jobs_runtime.jobs.decisions import Outcome
from cdk_backup_jobs_runtime.jobs.job_types import BACKUP_JOB, COPY_JOB, JobType, describe
from cdk_backup_jobs_runtime.structured_log import StructuredLogger

log = StructuredLogger()

RESOURCE_TYPE = shapes.JOB_RESULT_RESOURCE.name
RESERVE_SECONDS = 40.0
"""Kept of the function's time when another Describe begins: that call within botocore's own 6 attempts
(its backoff sleeps at most 1 + 2 + 4 + 8 + 16 s) and the answer to CloudFormation."""
MAX_PAUSE_SECONDS = 10.0


def job_result(request: CustomResourceRequest, clients: Clients) -> Outcome:
    """The named job's finished attributes, or a failure naming how it ended (Create and Update)."""
    values = _values(request.properties)
    job_type = BACKUP_JOB if values.get("BackupJobId") else COPY_JOB
    job_id = str(values[job_type.id_attribute])
    job = describe_patiently(job_type, clients, job_id)
    state = str(job.get("State"))
    physical_id = result_physical_id(request)
    if state == "COMPLETED":
        return Outcome(physical_id, job_type.finished_attributes(job), progress=decisions.progress(job))
    if state in decisions.UNFINISHED_STATES:
        raise JobDidNotComplete(f"{job_type.noun} {job_id} has not completed: state {state}, "
                                f"{job.get('PercentDone') or '0.0'}% done", physical_id)
    message = job.get("StatusMessage") or "no status message"
    raise JobDidNotComplete(f"{job_type.noun} {job_id} ended {state}: {message}", physical_id)


def result_physical_id(request: CustomResourceRequest) -> str:
    """The same ID whichever job the result reads: a new job's result is the same resource, updated in place."""
    return f"job-result-{request.stack_name}-{request.logical_resource_id}"[:1024]


def describe_patiently(job_type: JobType, clients: Clients, job_id: str,
                       sleep: Callable[[float], None] = time.sleep,
                       clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """Describe the job; a transient failure (throttled, a server error, no answer) is tried again after a
    pause (1 s, doubling to 10 s) while the function has ``RESERVE_SECONDS`` left after it."""
    pause = 1.0
    while True:
        try:
            return describe(job_type, clients.backup, job_id)
        except BackupServiceError as error:
            left = invocation.seconds_left(clock)
            if not error.transient or left is None or left < RESERVE_SECONDS + pause:
                raise
            log.warning("Could not read the job's result; trying again", job_id=job_id, reason=str(error),
                        pause_seconds=pause)
            sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_SECONDS)


def _values(properties: Mapping[str, Any]) -> dict[str, Any]:
    try:
        values = coercion.coerce(shapes.JOB_RESULT_RESOURCE, properties)
    except InvalidJobInput as error:
        raise InvalidProperties(f"Invalid {RESOURCE_TYPE} properties: {error}") from None
    violations = rules.validate(shapes.JOB_RESULT_RESOURCE, values)
    if violations:
        raise InvalidProperties(f"Invalid {RESOURCE_TYPE} properties: {summarize(violations)}")
    return values
