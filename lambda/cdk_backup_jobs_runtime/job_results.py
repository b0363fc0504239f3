"""``Custom::BackupJobResult``: a waited job's results, read once its WaitCondition completed.

A custom resource cannot change its attributes after it answered, and the
job resource answers as soon as its job started (its WaitCondition carries
the wait). The results (the recovery point ARN of an EBS backup, the
completion date, the size) are known only at the end, so a third resource,
created after the WaitCondition, describes the job then and answers with
them. It starts nothing; a job that did not complete fails it with the job's
state and message.
"""

from __future__ import annotations

from typing import Any, Mapping

from cdk_backup_jobs_runtime import coercion, decisions, rules, shapes
from cdk_backup_jobs_runtime.aws_clients import Clients
from cdk_backup_jobs_runtime.decisions import Outcome
from cdk_backup_jobs_runtime.errors import InvalidProperties, JobDidNotComplete
from cdk_backup_jobs_runtime.job_checks import describe
from cdk_backup_jobs_runtime.job_types import BACKUP_JOB, COPY_JOB
from cdk_backup_jobs_runtime.request import CustomResourceRequest
from cdk_backup_jobs_runtime.violation_report import InvalidJobInput, summarize

RESOURCE_TYPE = shapes.JOB_RESULT_RESOURCE.name


def job_result(request: CustomResourceRequest, clients: Clients) -> Outcome:
    """The named job's finished attributes, or a failure naming how it ended (Create and Update)."""
    values = _values(request.properties)
    job_type = BACKUP_JOB if values.get("BackupJobId") else COPY_JOB
    job_id = str(values[job_type.id_attribute])
    job = describe(job_type, clients.backup, job_id)
    state = str(job.get("State"))
    # The same ID whichever job it reads: a new job's result is the same resource, updated in place.
    physical_id = f"job-result-{request.stack_name}-{request.logical_resource_id}"[:1024]
    if state == "COMPLETED":
        return Outcome(physical_id, job_type.finished_attributes(job), progress=decisions.progress(job))
    if state in decisions.UNFINISHED_STATES:
        raise JobDidNotComplete(f"{job_type.noun} {job_id} has not completed: state {state}, "
                                f"{job.get('PercentDone') or '0.0'}% done", physical_id)
    message = job.get("StatusMessage") or "no status message"
    raise JobDidNotComplete(f"{job_type.noun} {job_id} ended {state}: {message}", physical_id)


def _values(properties: Mapping[str, Any]) -> dict[str, Any]:
    try:
        values = coercion.coerce(shapes.JOB_RESULT_RESOURCE, properties)
    except InvalidJobInput as error:
        raise InvalidProperties(f"Invalid {RESOURCE_TYPE} properties: {error}") from None
    violations = rules.validate(shapes.JOB_RESULT_RESOURCE, values)
    if violations:
        raise InvalidProperties(f"Invalid {RESOURCE_TYPE} properties: {summarize(violations)}")
    return values
