"""Starting a job: exactly one per request (its derived token), a fresh one for a retried operation
whose first job ended, and the wait that follows if the resource asks for one."""

from __future__ import annotations

from typing import Any, Mapping

from cdk_backup_jobs_runtime import backup_service, decisions, waiting
from cdk_backup_jobs_runtime.aws_clients import ClientFactory, Clients
from cdk_backup_jobs_runtime.decisions import Outcome
from cdk_backup_jobs_runtime.errors import BackupServiceError
from cdk_backup_jobs_runtime.job_checks import check_job, describe
from cdk_backup_jobs_runtime.job_spec import JobSpec
from cdk_backup_jobs_runtime.job_types import JobType
from cdk_backup_jobs_runtime.request import CustomResourceRequest, derived_idempotency_token, retry_token
from cdk_backup_jobs_runtime.service_clock import epoch, service_time
from cdk_backup_jobs_runtime.structured_log import StructuredLogger

log = StructuredLogger()


def start_job(job_type: JobType, spec: JobSpec, request: CustomResourceRequest, clients: Clients,
              physical_id: str | None = None) -> Outcome:
    """Start one job (the token makes a repeated request find it) and wait if asked.

    ``physical_id`` keeps the resource's own ID (a final backup) instead of the job's.
    """
    if spec.wait and spec.wait_condition:
        waiting.check_wait_condition(request, spec.wait_condition, clients)
    token = derived_idempotency_token(request)
    answer = _start(job_type, spec, token, clients.backup)
    if decisions.started_earlier(answer):
        answer = _fresh_if_ended(job_type, spec, token, answer, clients.backup)
    data = job_type.attributes(answer)
    job_id = data[job_type.id_attribute]
    log.info(f"{job_type.noun} started", job_id=job_id, waits=spec.wait)
    if not spec.wait:
        return Outcome(physical_id or job_id, data)
    # The wait is measured in the service's time, from the job's creation.
    started = epoch(answer.get("CreationDate"))
    if spec.wait_condition:
        waiting.watch_for_wait_condition(job_type, request, job_id, data, started, spec.wait_minutes,
                                         spec.wait_condition, clients, now=service_time(answer))
        return Outcome(physical_id or job_id, data)
    deadline = started + spec.wait_minutes * 60
    return check_job(job_type, clients.backup, job_id, decisions.waiting_data(data, deadline, physical_id),
                     now=service_time(answer))


def _start(job_type: JobType, spec: JobSpec, token: str, backup_client: ClientFactory) -> dict[str, Any]:
    params = {"IdempotencyToken": token, **spec.params}
    missing = backup_service.unknown_members(backup_client(), job_type.api_shape.name, params)
    if missing:
        raise BackupServiceError(
            f"The Lambda runtime's botocore {backup_service.botocore_version()} does not know "
            f"{', '.join(missing)} of {job_type.api_shape.name}; it needs a newer runtime SDK "
            "(see docs/bundling.md)")
    answer: dict[str, Any] = backup_service.call(job_type.api_shape.name,
                                                 lambda: job_type.start(backup_client(), params))
    return answer


def _fresh_if_ended(job_type: JobType, spec: JobSpec, token: str, answer: Mapping[str, Any],
                    backup_client: ClientFactory) -> dict[str, Any]:
    """The token handed back a job created before this request: a retried stack operation.

    CloudFormation sends the same RequestId again when a user retries a failed
    operation (aws/aws-cdk#35957), so the derived token finds the first
    attempt's job. A healthy one is kept (a duplicate delivery starts
    nothing); one that ended FAILED, ABORTED, EXPIRED or PARTIAL is replaced by
    a fresh job, whose token is derived from the ended one (a duplicate of this
    retry finds the same fresh job).
    """
    job_id = str(answer[job_type.id_attribute])
    job = describe(job_type, backup_client, job_id)
    if not decisions.ended_unsuccessfully(job):
        return dict(answer)
    log.warning(f"{job_type.noun} of an earlier attempt ended {job.get('State')}; starting a fresh one",
                job_id=job_id)
    return _start(job_type, spec, retry_token(token, job_id), backup_client)
