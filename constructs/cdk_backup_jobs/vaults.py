"""Backup vaults given as IBackupVault, a name or an ARN, in the form each API member needs."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack, aws_backup as backup


def vault_name(vault: backup.IBackupVault | str) -> str:
    """The vault's name (a string is taken to be the name)."""
    return vault if isinstance(vault, str) else vault.backup_vault_name


def vault_arn(stack: Stack, vault: backup.IBackupVault | str) -> str:
    """The vault's ARN; a name is taken to be a vault in the stack's account and region."""
    if not isinstance(vault, str):
        return vault.backup_vault_arn
    return stack.format_arn(
        service="backup", resource="backup-vault", resource_name=vault,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def destination_vault_arn(vault: backup.IBackupVault | str) -> str:
    """The ARN of a copy destination (a string is taken to be the ARN: any account or region)."""
    return vault if isinstance(vault, str) else vault.backup_vault_arn
