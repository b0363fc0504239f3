"""Backup vaults given as IBackupVault, a name or an ARN, in the form each API member needs.

The conversions (``conversions``) check a vault prop's type before they call
these; anything else is still passed through unchanged rather than failing
with an AttributeError that names no prop (the provider's grants, too, read
the props).
"""

from __future__ import annotations

from typing import Any, TypeGuard

from aws_cdk import ArnFormat, Stack, Token, aws_backup as backup


def is_vault(value: Any) -> TypeGuard[backup.IBackupVault]:
    """True for an IBackupVault: a construct or an imported vault (a jsii proxy, which
    ``isinstance`` cannot check against the interface), known by its string name."""
    return isinstance(getattr(value, "backup_vault_name", None), str)


def vault_name(vault: backup.IBackupVault | str | Any) -> Any:
    """The vault's name (a string is taken to be the name); anything else is passed through."""
    return vault.backup_vault_name if is_vault(vault) else vault


def vault_arn(stack: Stack, vault: backup.IBackupVault | str | Any) -> Any:
    """The vault's ARN; a name is taken to be a vault in the stack's account and region.

    Anything else is passed through, like ``vault_name``.
    """
    if is_vault(vault):
        return vault.backup_vault_arn
    if not isinstance(vault, str):
        return vault
    return stack.format_arn(
        service="backup", resource="backup-vault", resource_name=vault,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def destination_vault_arn(vault: backup.IBackupVault | str | Any) -> Any:
    """The ARN of a copy destination (a string is taken to be the ARN: any account or region);
    anything else is passed through, like ``vault_name``."""
    return vault.backup_vault_arn if is_vault(vault) else vault


def vault_name_of_arn(value: Any) -> Any:
    """The name a vault ARN ends with (``…:backup-vault:NAME``); a name, a token or anything else is
    passed through."""
    if isinstance(value, str) and ":backup-vault:" in value and not Token.is_unresolved(value):
        return value.rsplit(":backup-vault:", 1)[1]
    return value
