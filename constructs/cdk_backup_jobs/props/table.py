"""Which construct prop sets which member of each resource, and by which conversion: one table per type.

The construct library builds a resource's properties by walking its table
(each conversion name is one function of its registry: a Duration to whole
minutes, an IRole to its ARN ...), checks each prop's Python type by the same
conversion, and names the prop of every rule violation from it; the docs tests
read it too. The handler never needs it: CloudFormation hands it the members.

Why a table beside ``shapes`` rather than fields on ``shapes.Member``: the
shapes are AWS's model (checked against botocore's) and one Member object
serves both resources (``IamRoleArn``, ``Lifecycle``); and the relation is not
one prop per member: ``run_on`` sets ``RunToken`` and ``RunOnDelete``, while
``RecoveryPointArn`` is set by ``recovery_point_arn`` or by ``source``. A row
per prop says all of that once. It lives in the library, not in the runtime
package: the handler never reads it, so the Lambda asset does not carry it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdk_backup_jobs_runtime.input.shapes import BACKUP_JOB_RESOURCE, COPY_JOB_RESOURCE, LIFECYCLE, Member

CONVERSIONS = {
    "text": "a string, as given",
    "vault_name": "an IBackupVault or a vault name: the vault's name",
    "vault_arn": "an IBackupVault or a vault ARN: the vault's ARN",
    "role_arn": "an IRole: its ARN",
    "minutes": "a Duration: whole minutes",
    "days": "a Duration: whole days, or KEEP_FOREVER: -1",
    "boolean": "True or False, as given",
    "flag": "True: true; False: left out",
    "wait": "True: WaitForCompletion true, and the logical ID of the WaitCondition the construct adds; "
            "False: left out",
    "mapping": "a mapping of strings: a dict",
    "enum": "an enum member or its value: the value",
    "lifecycle": "a JobLifecycle: the Lifecycle structure, by LIFECYCLE_PROPS",
    "run_on": "a RunOn: RunToken, and RunOnDelete true for RunOn.delete()",
    "logical_id": "a construct: the logical ID of its CloudFormation resource",
    "recovery_point_source": "a backup job: its RecoveryPointArn and SourceBackupVaultName",
}
"""Every conversion a row may name, and what it takes and gives; the library registers one function each."""


@dataclass(frozen=True)
class PropRow:
    """One construct prop: the members it sets (the first one names it in messages) and its conversion."""

    prop: str
    members: tuple[str, ...]
    conversion: str


@dataclass(frozen=True)
class PropTable:
    """A resource type's (or a structure's) shape and the props that set its members, in prop order."""

    shape: Member
    rows: tuple[PropRow, ...]

    def props_of(self, member: str) -> tuple[str, ...]:
        """The props that can set ``member``, in table order."""
        return tuple(row.prop for row in self.rows if member in row.members)


def _row(prop: str, conversion: str, *members: str) -> PropRow:
    return PropRow(prop, members, conversion)


LIFECYCLE_PROPS = PropTable(LIFECYCLE, (
    _row("move_to_cold_storage_after", "days", "MoveToColdStorageAfterDays"),
    _row("delete_after", "days", "DeleteAfterDays"),
    _row("opt_in_to_archive_for_supported_resources", "boolean", "OptInToArchiveForSupportedResources"),
))
"""JobLifecycle's fields (``DeleteAfterEvent`` is not valid as an input, so no field sets it)."""

_JOB_ROWS = (
    _row("role", "role_arn", "IamRoleArn"),
    _row("idempotency_token", "text", "IdempotencyToken"),
    _row("lifecycle", "lifecycle", "Lifecycle"),
    _row("wait_for_completion", "wait", "WaitForCompletion", "WaitCondition"),
    _row("timeout", "minutes", "WaitTimeoutMinutes"),
)
"""The props both jobs take, with the same members and conversions."""

BACKUP_JOB_PROPS = PropTable(BACKUP_JOB_RESOURCE, (
    _row("backup_vault", "vault_name", "BackupVaultName"),
    _row("resource_arn", "text", "ResourceArn"),
    _row("start_window", "minutes", "StartWindowMinutes"),
    _row("complete_window", "minutes", "CompleteWindowMinutes"),
    _row("recovery_point_tags", "mapping", "RecoveryPointTags"),
    _row("backup_options", "mapping", "BackupOptions"),
    _row("index", "enum", "Index"),
    _row("logically_air_gapped_backup_vault_arn", "text", "LogicallyAirGappedBackupVaultArn"),
    *_JOB_ROWS,
    _row("run_on", "run_on", "RunToken", "RunOnDelete"),
    _row("stop_on_delete", "flag", "StopOnDelete"),
    _row("protects", "logical_id", "ProtectedLogicalId"),
    _row("skip_final_backup", "flag", "SkipFinalBackup"),
))

COPY_JOB_PROPS = PropTable(COPY_JOB_RESOURCE, (
    _row("recovery_point_arn", "text", "RecoveryPointArn"),
    _row("source_backup_vault", "vault_name", "SourceBackupVaultName"),
    _row("source", "recovery_point_source", "RecoveryPointArn", "SourceBackupVaultName"),
    _row("destination_backup_vault", "vault_arn", "DestinationBackupVaultArn"),
    *_JOB_ROWS,
    # RunOn.delete() would also set RunOnDelete, which is no Custom::CopyJob member:
    # the shape refuses it, at synth as in the handler.
    _row("run_on", "run_on", "RunToken"),
))

PROPS_BY_RESOURCE_TYPE = {table.shape.name: table for table in (BACKUP_JOB_PROPS, COPY_JOB_PROPS)}
