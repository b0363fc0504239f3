"""What an account and Region need before the live suite starts, checked as pure functions of AWS's
answers (``problems``), and the few read-only calls that fetch those answers (``gather``).

- The CDK bootstrap: ``cdk deploy`` needs the CDKToolkit stack, whose version is the SSM parameter
  ``/cdk-bootstrap/hnb659fds/version``; templates of CDK v2 require version 6 or newer.
- AWS Backup's DynamoDB advanced features: a copy of a DynamoDB backup needs them
  (``DescribeRegionSettings``: ``ResourceTypeOptInPreference`` and ``ResourceTypeManagementPreference``
  for DynamoDB both true).
- Vaults it may delete recovery points from: no Vault Lock and no minimum retention
  (``DescribeBackupVault``: ``Locked``, ``MinRetentionDays``), checked on the run's vaults once made.
- Names the long-wait template uses that must be free: its vaults (``long-wait-vault``,
  ``long-wait-copies``) and the provider export it imports, which the scenario deploys itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
MIN_BOOTSTRAP_VERSION = 6


@dataclass
class Facts:
    """AWS's answers the checks judge."""

    bootstrap_version: str | None
    region_settings: Mapping[str, Any]
    vault_names: Sequence[str] = ()
    export_names: Sequence[str] = ()
    free_vault_names: Sequence[str] = ()
    free_export_names: Sequence[str] = field(default_factory=tuple)


def bootstrap_problems(version: str | None, region: str) -> list[str]:
    if version is None:
        return [f"the CDK bootstrap is missing in {region}: run `npx cdk bootstrap` ({BOOTSTRAP_PARAMETER} not found)"]
    if not version.isdigit() or int(version) < MIN_BOOTSTRAP_VERSION:
        return [f"the CDK bootstrap in {region} is version {version}, {MIN_BOOTSTRAP_VERSION} or newer is needed: "
                "run `npx cdk bootstrap` again"]
    return []


def dynamodb_problems(region_settings: Mapping[str, Any]) -> list[str]:
    """Both DynamoDB preferences true: AWS Backup may back DynamoDB up, and manages its backups itself."""
    problems = []
    if not (region_settings.get("ResourceTypeOptInPreference") or {}).get("DynamoDB"):
        problems.append("AWS Backup is not opted in for DynamoDB here: turn DynamoDB on in AWS Backup's "
                        "Settings > Service opt-in")
    if not (region_settings.get("ResourceTypeManagementPreference") or {}).get("DynamoDB"):
        problems.append("AWS Backup's advanced features for DynamoDB are off here (copies need them): turn them on "
                        "in AWS Backup's Settings > Advanced features for Amazon DynamoDB backups")
    return problems


def vault_problems(vault: Mapping[str, Any]) -> list[str]:
    """A vault whose recovery points the suite must be able to delete."""
    name = vault.get("BackupVaultName", "?")
    problems = []
    if vault.get("Locked"):
        problems.append(f"vault {name} has a Vault Lock: its recovery points cannot be deleted")
    if vault.get("MinRetentionDays"):
        problems.append(f"vault {name} keeps recovery points at least {vault['MinRetentionDays']} days")
    return problems


def name_problems(facts: Facts) -> list[str]:
    taken_vaults = sorted(set(facts.free_vault_names) & set(facts.vault_names))
    taken_exports = sorted(set(facts.free_export_names) & set(facts.export_names))
    return ([f"vault {name} exists already: the long-wait scenario creates it (and deletes it after)"
             for name in taken_vaults]
            + [f"export {name} exists already: the long-wait scenario deploys a provider stack exporting it"
               for name in taken_exports])


def problems(facts: Facts, region: str) -> list[str]:
    return [*bootstrap_problems(facts.bootstrap_version, region), *dynamodb_problems(facts.region_settings),
            *name_problems(facts)]


def gather(session: Any, *, free_vault_names: Sequence[str], free_export_names: Sequence[str]) -> Facts:
    """The read-only calls: SSM GetParameter, AWS Backup DescribeRegionSettings and ListBackupVaults,
    CloudFormation ListExports."""
    ssm, backup, cloudformation = (session.client(name) for name in ("ssm", "backup", "cloudformation"))
    try:
        version: str | None = ssm.get_parameter(Name=BOOTSTRAP_PARAMETER)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        version = None
    settings = backup.describe_region_settings()
    vaults = [v["BackupVaultName"] for page in backup.get_paginator("list_backup_vaults").paginate()
              for v in page["BackupVaultList"]]
    exports = [e["Name"] for page in cloudformation.get_paginator("list_exports").paginate()
               for e in page["Exports"]]
    return Facts(version, settings, vaults, exports, tuple(free_vault_names), tuple(free_export_names))
