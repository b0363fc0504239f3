"""Starting a job: exactly one per request (its derived token), never adopting a job that is not the one
asked for, a fresh one for a retried operation whose first job ended, and the wait that follows if the
resource asks for one.

AWS Backup documents only that a repeated token gets "a success message with no action taken"; the
provider assumes the answer names the token's job, and stays safe if AWS answers otherwise
(docs/behaviour.md#idempotency).
"""

from __future__ import annotations

from typing import Any, Mapping

from cdk_backup_jobs_runtime.aws import backup_service
from cdk_backup_jobs_runtime.aws.clients import ClientFactory, Clients
from cdk_backup_jobs_runtime.aws.service_clock import epoch, service_time
from cdk_backup_jobs_runtime.cloudformation.request import (CustomResourceRequest, derived_idempotency_token,
                                                            fresh_token, retry_token)
from cdk_backup_jobs_runtime.errors import BackupServiceError, JobNotAskedFor
from cdk_backup_jobs_runtime.jobs import decisions
from cdk_backup_jobs_runtime.jobs.decisions import Outcome
from cdk_backup_jobs_runtime.jobs.job_spec import JobSpec
from cdk_backup_jobs_runtime.jobs.job_types import JobType, describe
from cdk_backup_jobs_runtime.structured_log import StructuredLogger
from cdk_backup_jobs_runtime.jobs import waits

log = StructuredLogger()


def start_job(job_type: JobType, spec: JobSpec, request: CustomResourceRequest, clients: Clients,
              physical_id: str | None = None) -> Outcome:
    """Start one job (the token makes a repeated request find it) and wait if asked.

    ``physical_id`` keeps the resource's own ID (a final backup) instead of the job's.
    """
    if spec.wait and spec.wait_condition:
        waits.check_wait_condition(request, spec.wait_condition, spec.wait_minutes, clients)
    token = derived_idempotency_token(request)
    answer = _start_unless_refused(job_type, spec, token, clients.backup)
    answer = _the_job_asked_for(job_type, spec, token, answer, clients.backup)
    data = job_type.attributes(answer)
    job_id = data[job_type.id_attribute]
    log.info(f"{job_type.noun} started", job_id=job_id, waits=spec.wait)
    if not spec.wait:
        return Outcome(physical_id or job_id, data)
    # The wait is measured in the service's time, from the job's creation.
    started = epoch(answer.get("CreationDate"))
    if spec.wait_condition:
        waits.watch_for_wait_condition(job_type, request, job_id, data, started, spec.wait_minutes,
                                         spec.wait_condition, clients, now=service_time(answer))
        return Outcome(physical_id or job_id, data)
    deadline = started + spec.wait_minutes * 60
    checked = waits.check_job(job_type, clients.backup, job_id, decisions.waiting_data(data, deadline, physical_id),
                                now=service_time(answer))
    return waits.watch_response(job_type, request, checked, clients)


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


def _start_unless_refused(job_type: JobType, spec: JobSpec, token: str,
                          backup_client: ClientFactory) -> dict[str, Any]:
    """The Start call; if AWS refuses the derived token (as it might a token it has seen: undocumented),
    once more with a fresh one, so that a retried delivery is not failed for its predecessor's call."""
    try:
        return _start(job_type, spec, token, backup_client)
    except BackupServiceError as error:
        if not decisions.token_refused(error):
            raise
        if decisions.uses_fixed_token(spec):
            raise BackupServiceError(f"{error} (the fixed IdempotencyToken may have been used by an earlier "
                                     "call, whose job AWS Backup does not hand back)", error.service_time,
                                     error.transient, error.code) from None
        log.warning(f"{job_type.api_shape.name} refused; trying once with a fresh token, as AWS Backup may "
                    "refuse a token an earlier delivery used", reason=str(error))
        return _start(job_type, spec, fresh_token(), backup_client)


def _the_job_asked_for(job_type: JobType, spec: JobSpec, token: str, answer: Mapping[str, Any],
                       backup_client: ClientFactory) -> dict[str, Any]:
    """The Start call's job, if it is the one asked for; else a fresh one (or a failure).

    A job handed back for a token used before is described once. One that is
    another resource's or vault's is never adopted: a derived token starts a
    fresh job with a token derived from both (a duplicate delivery derives the
    same), a fixed token fails the resource. One that is this request's but
    ended FAILED, ABORTED, EXPIRED or PARTIAL (a retried stack operation:
    CloudFormation sends the same RequestId again, aws/aws-cdk#35957) is
    replaced by a fresh job the same way; a healthy one is kept.
    """
    fixed = decisions.uses_fixed_token(spec)
    if not decisions.identity_check_needed(answer, fixed):
        return dict(answer)
    job_id = str(answer[job_type.id_attribute])
    job = describe(job_type, backup_client, job_id)
    wrong = decisions.not_asked_for(job_type, spec.params, job)
    if wrong:
        log.warning(f"{job_type.api_shape.name} handed back a job that is not the one asked for",
                    job_id=job_id, differences=wrong, fixed_token=fixed)
    if wrong and fixed:  # a FAILED reason is cut at 255 characters: what to do first, then the details
        raise JobNotAskedFor(
            f"IdempotencyToken {spec.params['IdempotencyToken']!r} already started {job_type.noun.lower()} "
            f"{job_id}, not this resource's: give it another IdempotencyToken ({'; '.join(wrong)})")
    if wrong:
        log.warning("Starting a fresh job in its place", job_id=job_id)
    elif fixed or not decisions.started_earlier(answer) or not decisions.ended_unsuccessfully(job):
        return dict(answer)
    else:
        log.warning(f"{job_type.noun} of an earlier attempt ended {job.get('State')}; starting a fresh one",
                    job_id=job_id)
    return _replacement(job_type, spec, retry_token(token, job_id), job, backup_client)


def _replacement(job_type: JobType, spec: JobSpec, token: str, replaced: Mapping[str, Any],
                 backup_client: ClientFactory) -> dict[str, Any]:
    """A fresh job in place of ``replaced``, checked in turn: its token, derived from the replaced job,
    cannot have been used before that job was created."""
    answer = _start(job_type, spec, token, backup_client)
    if not decisions.started_earlier(answer):
        return answer
    job_id = str(answer[job_type.id_attribute])
    wrong = decisions.not_asked_for(job_type, spec.params, describe(job_type, backup_client, job_id),
                                    not_before=epoch(replaced.get("CreationDate")))
    if wrong:
        log.warning(f"{job_type.api_shape.name} handed back a job that is not the one asked for",
                    job_id=job_id, differences=wrong, replaced=replaced.get(job_type.id_attribute))
        raise JobNotAskedFor(
            f"{job_type.api_shape.name} handed back {job_type.noun.lower()} {job_id} in place of "
            f"{replaced.get(job_type.id_attribute)}, not the one asked for either ({'; '.join(wrong)})")
    return answer
