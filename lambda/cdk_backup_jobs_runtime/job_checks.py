"""One look at a job in AWS Backup, judged: shared by a request that waits and by a watch's wake-up."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from cdk_backup_jobs_runtime import backup_service, decisions
from cdk_backup_jobs_runtime.decisions import Outcome
from cdk_backup_jobs_runtime.errors import BackupServiceError
from cdk_backup_jobs_runtime.job_types import JobType
from cdk_backup_jobs_runtime.service_clock import service_time
from cdk_backup_jobs_runtime.structured_log import StructuredLogger

log = StructuredLogger()

ClientFactory = Callable[[], Any]


def describe(job_type: JobType, backup_client: ClientFactory, job_id: str) -> dict[str, Any]:
    """DescribeBackupJob or DescribeCopyJob, its failure a BackupServiceError."""
    job: dict[str, Any] = backup_service.call(job_type.describe_operation,
                                              lambda: job_type.describe(backup_client(), job_id))
    return job


def check_job(job_type: JobType, backup_client: ClientFactory, job_id: str,
              data: Mapping[str, str], now: float) -> Outcome:
    """Done, failed, timed out, or still waiting: decided from one Describe call. A call that failed
    is still waiting, unchecked (``Outcome.checked``), judged against the deadline at ``now`` (AWS's
    time of what woke the check) if AWS gave no answer."""
    try:
        job = describe(job_type, backup_client, job_id)
    except BackupServiceError as error:
        outcome = decisions.still_waiting_after(error, job_type, job_id, data, now)
        log.warning("Could not check the job; checking again in 5 minutes", job_id=job_id, reason=str(error))
        return outcome
    log.info(f"{job_type.noun} progress", job_id=job_id, **decisions.progress(job))
    return decisions.judge_job(job_type, job, job_id, data)


def judge_from_now(job_type: JobType, job: Mapping[str, Any], job_id: str, wait_minutes: int,
                   physical_id: str | None = None) -> Outcome:
    """A described job waited for from now, AWS's time of its answer, for ``wait_minutes``: a job the
    resource already has (an Update that turns waiting on, a final backup's next delete attempt)."""
    deadline = service_time(job) + wait_minutes * 60
    return decisions.judge_job(job_type, job, job_id,
                               decisions.waiting_data(job_type.attributes(job), deadline, physical_id))
