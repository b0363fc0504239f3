"""Backup and copy jobs: Start, Describe, List (with every filter) and StopBackupJob.

A job's answer is computed from its timetable at the clock's now
(``describe_backup``/``describe_copy``), so Describe and List always agree,
and the job state change events (``job_events``) read the same views.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Callable, Literal

from cdk_backup_jobs.testing.backup.arns import (ARN, IAM_ROLE_ARN, IMMEDIATE_RECOVERY_POINT, VAULT_ARN, is_local,
                                                 recovery_point_arn, resource_type, vault_arn, vault_location)
from cdk_backup_jobs.testing.backup.errors import invalid, invalid_request, not_found
from cdk_backup_jobs.testing.backup.input_rules import check_arns, check_lifecycle, check_windows
from cdk_backup_jobs.testing.backup.jobs import DEFAULT_START_WINDOW_MINUTES, Job, JobTiming
from cdk_backup_jobs.testing.backup.listing import by_dates, by_members, page, refuse_unemulated
from cdk_backup_jobs.testing.backup.recovery_points import find_recovery_point
from cdk_backup_jobs.testing.backup.state import ACTIVE_STATES, Service, find_vault

LISTED_DAYS = 30  # ListBackupJobs "returns ... backup jobs ... for the last 30 days" (ListBackupJobs reference)
UNEMULATED_FILTERS = ("ByMessageCategory",)  # AWS's message categories are not documented as a closed set
BACKUP_FILTERS = {"ByState": "State", "ByBackupVaultName": "BackupVaultName", "ByResourceArn": "ResourceArn",
                  "ByResourceType": "ResourceType", "ByAccountId": "AccountId", "ByParentJobId": "ParentJobId"}
COPY_FILTERS = {"ByState": "State", "ByResourceArn": "ResourceArn", "ByDestinationVaultArn": "DestinationBackupVaultArn",
                "BySourceRecoveryPointArn": "SourceRecoveryPointArn", "ByResourceType": "ResourceType",
                "ByAccountId": "AccountId", "ByParentJobId": "ParentJobId"}


def describe_backup(service: Service, job: Job, at: float | None = None) -> dict[str, Any]:
    """DescribeBackupJob's answer for ``job`` at time ``at`` (default: now)."""
    state, percent, message = job.state_at(service.clock() if at is None else at)
    p = job.params
    has_point = state in ("COMPLETED", "PARTIAL") or IMMEDIATE_RECOVERY_POINT.match(p["ResourceArn"])
    return {
        "AccountId": service.place.account_id, "BackupJobId": job.job_id,
        "BackupVaultName": p["BackupVaultName"], "BackupVaultArn": vault_arn(p["BackupVaultName"], service.place),
        "RecoveryPointArn": job.recovery_point_arn if has_point else None,
        "ResourceArn": p["ResourceArn"], "ResourceType": resource_type(p["ResourceArn"], service.state.resource_types),
        "IamRoleArn": p["IamRoleArn"], "CreationDate": job.created_at,
        "CompletionDate": job.finished_at() if state not in ACTIVE_STATES and job.stopped_at is None else None,
        "State": state, "StatusMessage": message or None, "PercentDone": f"{percent:.1f}",
        "BackupSizeInBytes": job.timing.size_in_bytes if state == "COMPLETED" else 0,
        "BytesTransferred": int(job.timing.size_in_bytes * percent / 100),
        "StartBy": job.created_at + p.get("StartWindowMinutes", DEFAULT_START_WINDOW_MINUTES) * 60,
        "BackupOptions": p.get("BackupOptions"), "IsParent": False, "BackupType": _backup_type(p),
        "RecoveryPointLifecycle": p.get("Lifecycle"),
    }


def describe_copy(service: Service, job: Job, at: float | None = None) -> dict[str, Any]:
    """DescribeCopyJob's CopyJob for ``job`` at time ``at`` (default: now); a copy has no PENDING."""
    state, _, message = job.state_at(service.clock() if at is None else at)
    p = job.params
    return {
        "AccountId": service.place.account_id, "CopyJobId": job.job_id,
        "SourceBackupVaultArn": vault_arn(p["SourceBackupVaultName"], service.place),
        "SourceRecoveryPointArn": p["RecoveryPointArn"], "DestinationBackupVaultArn": p["DestinationBackupVaultArn"],
        "DestinationRecoveryPointArn": job.recovery_point_arn if state == "COMPLETED" else None,
        "ResourceArn": job.resource_arn, "ResourceType": resource_type(job.resource_arn, service.state.resource_types),
        "IamRoleArn": p["IamRoleArn"], "CreationDate": job.created_at,
        "CompletionDate": job.finished_at() if state not in ACTIVE_STATES else None,
        "State": "RUNNING" if state == "PENDING" else state, "StatusMessage": message or None,
        "BackupSizeInBytes": job.timing.size_in_bytes if state == "COMPLETED" else 0,
        "IsParent": False, "DestinationRecoveryPointLifecycle": p.get("Lifecycle"),
    }


# --- the operations -------------------------------------------------------------


def start_backup_job(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    check_arns(p, {"ResourceArn": ARN, "IamRoleArn": IAM_ROLE_ARN, "LogicallyAirGappedBackupVaultArn": VAULT_ARN})
    find_vault(service, p["BackupVaultName"])
    check_windows(p)
    check_lifecycle(p.get("Lifecycle"))
    if "LogicallyAirGappedBackupVaultArn" in p:
        region, account, name = vault_location(p["LogicallyAirGappedBackupVaultArn"])
        # "ARN must be in the same account and Region" (StartBackupJob)
        if not is_local(service.place, region, account):
            raise invalid(f"{p['LogicallyAirGappedBackupVaultArn']} must be a vault in account "
                          f"{service.place.account_id} and region {service.place.region}")
        find_vault(service, name)
    job = _job_for_token(service, "StartBackupJob", p, service.state.backup_jobs)
    if job is None:
        job = _new_job(service, "backup", p, p["ResourceArn"], service.place.region, service.place.account_id)
        service.state.backup_jobs[job.job_id] = job
    answer: dict[str, Any] = {"BackupJobId": job.job_id, "CreationDate": job.created_at, "IsParent": False}
    if IMMEDIATE_RECOVERY_POINT.match(job.params["ResourceArn"]):
        answer["RecoveryPointArn"] = job.recovery_point_arn
    return answer


def describe_backup_job(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    return describe_backup(service, _job(service.state.backup_jobs, p["BackupJobId"], "Backup"))


def list_backup_jobs(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    refuse_unemulated("ListBackupJobs", p, UNEMULATED_FILTERS)
    since = service.clock() - LISTED_DAYS * 86400
    jobs = [describe_backup(service, job) for job in service.state.backup_jobs.values() if job.created_at >= since]
    return page(by_dates(by_members(jobs, p, BACKUP_FILTERS), p), p, "BackupJobs")


def stop_backup_job(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    job = _job(service.state.backup_jobs, p["BackupJobId"], "Backup")
    state = job.state_at(service.clock())[0]
    if state not in ACTIVE_STATES:
        raise invalid_request(f"Backup job {job.job_id} is {state} and cannot be stopped")
    job.stopped_at = service.clock()
    return {}


def start_copy_job(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    check_arns(p, {"RecoveryPointArn": ARN, "IamRoleArn": IAM_ROLE_ARN, "DestinationBackupVaultArn": VAULT_ARN})
    find_vault(service, p["SourceBackupVaultName"])
    region, account, destination = vault_location(p["DestinationBackupVaultArn"])
    if is_local(service.place, region, account):
        find_vault(service, destination)  # another account's or Region's vault is checked by the copy itself
    check_lifecycle(p.get("Lifecycle"))
    source = find_recovery_point(service, p["SourceBackupVaultName"], p["RecoveryPointArn"])
    if source["Status"] != "COMPLETED":
        raise invalid_request(f"Recovery point {p['RecoveryPointArn']} is {source['Status']}; only COMPLETED "
                              "recovery points can be copied")
    job = _job_for_token(service, "StartCopyJob", p, service.state.copy_jobs)
    if job is None:
        job = _new_job(service, "copy", p, source["ResourceArn"], region, account)
        service.state.copy_jobs[job.job_id] = job
    return {"CopyJobId": job.job_id, "CreationDate": job.created_at, "IsParent": False}


def describe_copy_job(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    return {"CopyJob": describe_copy(service, _job(service.state.copy_jobs, p["CopyJobId"], "Copy"))}


def list_copy_jobs(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    refuse_unemulated("ListCopyJobs", p, UNEMULATED_FILTERS)
    jobs = [describe_copy(service, job) for job in service.state.copy_jobs.values()]
    return page(by_dates(by_members(jobs, p, COPY_FILTERS), p), p, "CopyJobs")


OPERATIONS: dict[str, Callable[[Service, dict[str, Any]], dict[str, Any]]] = {
    "StartBackupJob": start_backup_job, "DescribeBackupJob": describe_backup_job,
    "ListBackupJobs": list_backup_jobs, "StopBackupJob": stop_backup_job,
    "StartCopyJob": start_copy_job, "DescribeCopyJob": describe_copy_job, "ListCopyJobs": list_copy_jobs,
}


# --- internals ------------------------------------------------------------------


def _backup_type(p: dict[str, Any]) -> str | None:
    """"WindowsVSS" for a job that asked for a VSS backup; AWS leaves BackupType out of a regular one.

    DescribeBackupJob: "If BackupType is empty, then the backup type was a regular backup"
    (docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeBackupJob.html).
    """
    return "WindowsVSS" if (p.get("BackupOptions") or {}).get("WindowsVSS") == "enabled" else None


def _job(jobs: dict[str, Job], job_id: str, kind: str) -> Job:
    job = jobs.get(job_id)
    if job is None:
        raise not_found(f"{kind} job {job_id} not found")
    return job


def _new_job(service: Service, kind: Literal["backup", "copy"], p: dict[str, Any], resource_arn: str,
             region: str, account: str) -> Job:
    """A job whose recovery point is made where its vault is (a copy's: the destination's)."""
    outcome = next((o for o in service.outcomes if re.search(o.pattern, resource_arn)), None)
    job = Job(job_id=str(uuid.uuid4()).upper(), kind=kind, params=dict(p), resource_arn=resource_arn,
              created_at=service.clock(), timing=JobTiming(**vars(service.timing_for(kind, resource_arn))),
              outcome=outcome,
              recovery_point_arn=recovery_point_arn(str(uuid.uuid4()), region, account))
    if p.get("IdempotencyToken"):
        operation = "StartBackupJob" if kind == "backup" else "StartCopyJob"
        service.state.tokens[(operation, p["IdempotencyToken"])] = (job.job_id, job.created_at)
    return job


def _job_for_token(service: Service, operation: str, p: dict[str, Any], jobs: dict[str, Job]) -> Job | None:
    """The job a token seen within the idempotency window hands back, as ``service.token_reuse`` reads
    AWS's undocumented behaviour (see ``BackupEmulator.token_reuse``): that token's job, whatever the
    other members ("same-job"), none ("new-job"), or InvalidRequestException ("error")."""
    token = p.get("IdempotencyToken")
    remembered = service.state.tokens.get((operation, token)) if token else None
    if remembered is None or service.clock() - remembered[1] > service.idempotency_window:
        return None
    if service.token_reuse == "new-job":
        return None
    if service.token_reuse == "error":
        raise invalid_request(f"IdempotencyToken {token} was already used by {operation}")
    return jobs[remembered[0]]
