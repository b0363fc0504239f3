"""Backup vaults: CreateBackupVault, DescribeBackupVault, ListBackupVaults and DeleteBackupVault.

Every vault here is a plain BACKUP_VAULT of this account and Region, AVAILABLE
and not locked; its NumberOfRecoveryPoints counts the points it holds now.
"""

from __future__ import annotations

from typing import Any, Callable

from cdk_backup_jobs.testing.backup.arns import vault_arn
from cdk_backup_jobs.testing.backup.errors import already_exists, invalid_request
from cdk_backup_jobs.testing.backup.listing import by_members, page
from cdk_backup_jobs.testing.backup.recovery_points import recovery_points
from cdk_backup_jobs.testing.backup.state import Service, find_vault

CREATED_MEMBERS = ("BackupVaultName", "BackupVaultArn", "CreationDate")  # CreateBackupVault's answer


def create_backup_vault(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, request_id = p["BackupVaultName"], p.get("CreatorRequestId")
    existing = service.state.vaults.get(name)
    if existing is not None:
        # CreatorRequestId lets a failed request be retried without running it twice (API reference).
        if request_id and existing.get("CreatorRequestId") == request_id:
            return created(existing)
        raise already_exists(f"Backup vault {name} already exists in {service.place.region}")
    vault = {
        "BackupVaultName": name, "BackupVaultArn": vault_arn(name, service.place), "CreationDate": service.clock(),
        "VaultType": "BACKUP_VAULT", "VaultState": "AVAILABLE", "Locked": False, "CreatorRequestId": request_id,
    }
    service.state.vaults[name] = vault
    return created(vault)


def created(vault: dict[str, Any]) -> dict[str, Any]:
    """CreateBackupVault's answer for ``vault``."""
    return {name: vault[name] for name in CREATED_MEMBERS}


def describe_backup_vault(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    vault = find_vault(service, p["BackupVaultName"], p.get("BackupVaultAccountId"))
    return _with_count(vault, recovery_points(service))


def list_backup_vaults(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    """Vaults by creation. ByShared lists the vaults other accounts share with this one: none here."""
    points = recovery_points(service)
    vaults = sorted(service.state.vaults.values(), key=lambda vault: vault["CreationDate"])
    listed = by_members([_with_count(vault, points) for vault in vaults], p, {"ByVaultType": "VaultType"})
    if p.get("ByShared"):
        listed = []
    return page(listed, p, "BackupVaultList")


def _with_count(vault: dict[str, Any], points: list[dict[str, Any]]) -> dict[str, Any]:
    count = sum(1 for point in points if point["BackupVaultName"] == vault["BackupVaultName"])
    return {**vault, "NumberOfRecoveryPoints": count}


def delete_backup_vault(service: Service, p: dict[str, Any]) -> dict[str, Any]:
    """"A vault can be deleted only if it is empty" (DeleteBackupVault reference); otherwise AWS answers
    InvalidRequestException "Backup vault cannot be deleted because it contains recovery points."
    (the wording users report: aws/aws-cdk#33711, gruntwork-io/cloud-nuke#730)."""
    name = find_vault(service, p["BackupVaultName"])["BackupVaultName"]
    if any(point["BackupVaultName"] == name for point in recovery_points(service)):
        raise invalid_request("Backup vault cannot be deleted because it contains recovery points.")
    del service.state.vaults[name]
    return {}


OPERATIONS: dict[str, Callable[[Service, dict[str, Any]], dict[str, Any]]] = {
    "CreateBackupVault": create_backup_vault,
    "DeleteBackupVault": delete_backup_vault,
    "DescribeBackupVault": describe_backup_vault,
    "ListBackupVaults": list_backup_vaults,
}
