"""Recovery points: which exist now, read from the jobs that make them, and the operations that show and delete them.

A recovery point is not stored: it is what a backup job (or a copy into a
vault of this account and Region) has made by the clock's now, so a test that
moves the clock sees points appear, turn PARTIAL or go, as the jobs do.
Answers use the model's member names per shape: DescribeRecoveryPoint and
RecoveryPointByBackupVault say BackupSizeInBytes, RecoveryPointByResource
says BackupSizeBytes. A point DeleteRecoveryPoint removed stays removed.
"""

from __future__ import annotations

from typing import Any, Callable

from cdk_backup_jobs.testing.backup.arns import (ARN, IMMEDIATE_RECOVERY_POINT, is_local, resource_type, vault_arn,
                                                 vault_location)
from cdk_backup_jobs.testing.backup.errors import BackupApiError, not_found
from cdk_backup_jobs.testing.backup.input_rules import check_arns
from cdk_backup_jobs.testing.backup.jobs import Job
from cdk_backup_jobs.testing.backup.listing import by_dates, by_members, page
from cdk_backup_jobs.testing.backup.state import ACTIVE_STATES, Service, find_vault

BY_RESOURCE_MEMBERS = ("RecoveryPointArn", "CreationDate", "Status", "BackupVaultName", "IsParent", "VaultType")


def recovery_points(service: Service) -> list[dict[str, Any]]:
    """Every recovery point that exists now, oldest first, as DescribeRecoveryPoint answers it."""
    now = service.clock()
    deleted = service.state.deleted_recovery_points
    points = []
    for job in service.state.backup_jobs.values():
        status = backup_point_status(job, now)
        if status is not None:
            points.append(_point(service, job, job.params["BackupVaultName"], status))
    for job in service.state.copy_jobs.values():
        region, account, vault = vault_location(job.params["DestinationBackupVaultArn"])
        # A copy into another account's or Region's vault lives there, not in this emulator's vaults.
        if job.state_at(now)[0] == "COMPLETED" and is_local(service.place, region, account):
            points.append(_point(service, job, vault, "COMPLETED"))
    points = [point for point in points if (point["BackupVaultName"], point["RecoveryPointArn"]) not in deleted]
    return sorted(points, key=lambda point: point["CreationDate"])


def find_recovery_point(service: Service, vault: str, arn: str) -> dict[str, Any]:
    for point in recovery_points(service):
        if point["RecoveryPointArn"] == arn and point["BackupVaultName"] == vault:
            return point
    raise not_found(f"Recovery point {arn} not found in backup vault {vault}")


def backup_point_status(job: Job, now: float) -> str | None:
    """The status of a backup job's recovery point at ``now``; None when there is none.

    EFS and DynamoDB points exist from the start (CREATING). A job that ends
    without completing does not leave one CREATING: an EXPIRED job that had
    started keeps a PARTIAL point (AWS documents PARTIAL as "could not create
    the recovery point before the backup window closed"); a FAILED, ABORTED
    (StopBackupJob) or never-started job leaves nothing restorable, and AWS has
    no recovery-point status for a stopped one-time backup, so its point is
    deleted. The job keeps reporting the RecoveryPointArn it answered at start.
    """
    state = job.state_at(now)[0]
    if state in ("COMPLETED", "PARTIAL"):
        return state
    if not IMMEDIATE_RECOVERY_POINT.match(job.params["ResourceArn"]):
        return None
    if state in ACTIVE_STATES:
        return "CREATING"
    expiry = job.expiry()
    if state == "EXPIRED" and expiry is not None and expiry.had_started:
        return "PARTIAL"
    return None


def _point(service: Service, job: Job, vault: str, status: str) -> dict[str, Any]:
    types = service.state.resource_types
    # A copy's recovery point records the resource its source was taken of, and the source's vault.
    source_vault = job.params.get("SourceBackupVaultName")
    return {
        "RecoveryPointArn": job.recovery_point_arn, "BackupVaultName": vault,
        "BackupVaultArn": vault_arn(vault, service.place),
        "SourceBackupVaultArn": vault_arn(source_vault, service.place) if source_vault else None,
        "ResourceArn": job.resource_arn, "ResourceType": resource_type(job.resource_arn, types),
        "IamRoleArn": job.params["IamRoleArn"], "Status": status, "CreationDate": job.created_at,
        "CompletionDate": job.finished_at() if status == "COMPLETED" else None,
        "BackupSizeInBytes": job.timing.size_in_bytes, "Lifecycle": job.params.get("Lifecycle"),
        "IsParent": False, "VaultType": "BACKUP_VAULT",
    }


# --- the operations -------------------------------------------------------------


def describe_recovery_point(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    find_vault(service, p["BackupVaultName"], p.get("BackupVaultAccountId"))
    return find_recovery_point(service, p["BackupVaultName"], p["RecoveryPointArn"])


def list_recovery_points_by_backup_vault(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    """ResourceNotFoundException for a vault that does not exist (ListRecoveryPointsByBackupVault reference)."""
    name = find_vault(service, p["BackupVaultName"], p.get("BackupVaultAccountId"))["BackupVaultName"]
    points = [point for point in recovery_points(service) if point["BackupVaultName"] == name]
    points = by_members(points, p, {"ByResourceArn": "ResourceArn", "ByResourceType": "ResourceType",
                                    "ByParentRecoveryPointArn": "ParentRecoveryPointArn"})
    if "ByBackupPlanId" in p:
        points = []  # on-demand jobs make every point here, and those belong to no backup plan
    return page(by_dates(points, p), p, "RecoveryPoints")


def list_recovery_points_by_resource(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    """A resource's points in every vault here. ManagedByAWSBackupOnly changes nothing: AWS Backup
    made every one of them (ListRecoveryPointsByResource reference)."""
    check_arns(p, {"ResourceArn": ARN})
    points = [{**{name: point[name] for name in BY_RESOURCE_MEMBERS},
               "BackupSizeBytes": point["BackupSizeInBytes"]}
              for point in recovery_points(service) if point["ResourceArn"] == p["ResourceArn"]]
    return page(points, p, "RecoveryPoints")


def delete_recovery_point(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    """Remove a point at once (AWS shows it DELETING for a while: not emulated), answering nothing.

    A point still CREATING (its job runs) is refused with InvalidResourceStateException, the model's
    error for "Backup is already performing an action on this recovery point ... Try again later"
    (DeleteRecoveryPoint, botocore's service model); an unknown vault or point is ResourceNotFoundException.
    """
    point = find_recovery_point(service, find_vault(service, p["BackupVaultName"])["BackupVaultName"],
                                p["RecoveryPointArn"])
    if point["Status"] == "CREATING":
        raise BackupApiError(400, "InvalidResourceStateException",
                             f"Backup is already performing an action on recovery point {point['RecoveryPointArn']}. "
                             "Try again later")
    service.state.deleted_recovery_points.add((point["BackupVaultName"], point["RecoveryPointArn"]))
    return {}


OPERATIONS: dict[str, Callable[[Service, dict[str, Any]], dict[str, Any]]] = {
    "DeleteRecoveryPoint": delete_recovery_point,
    "DescribeRecoveryPoint": describe_recovery_point,
    "ListRecoveryPointsByBackupVault": list_recovery_points_by_backup_vault,
    "ListRecoveryPointsByResource": list_recovery_points_by_resource,
}
