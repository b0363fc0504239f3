"""What keeps a final backup (``RunOn.delete()``) safe beyond its own resource.

Its job resource is deleted, and the backup runs, before the role AWS Backup
assumes and the vault it backs up into, when they are in its stack; and synth
warns of a vault that the stack deletes, which the backup would not outlive.
"""

from __future__ import annotations

from aws_cdk import Annotations, CfnDeletionPolicy, CfnResource, Stack, aws_backup as backup, aws_iam as iam
from constructs import Construct


def outlived_by(resource: Construct, *needed: iam.IRole | backup.IBackupVault | str) -> None:
    """Make ``resource`` depend on each construct of its own stack in ``needed``.

    A final backup runs while CloudFormation deletes the stack: the role AWS
    Backup assumes (its separate DefaultPolicy included, a child of the role)
    and the vault must still exist until the backup completed.
    """
    stack = Stack.of(resource)
    for construct in needed:
        if not isinstance(construct, str) and Stack.of(construct) is stack:
            resource.node.add_dependency(construct)


def warn_if_vault_is_destroyed(job: Construct, vault: backup.IBackupVault | str) -> None:
    """A final backup into a vault that the same stack deletes would not outlive the stack."""
    child = vault.node.default_child if isinstance(vault, Construct) else None
    if isinstance(child, CfnResource) and child.cfn_options.deletion_policy == CfnDeletionPolicy.DELETE:
        Annotations.of(job).add_warning_v2(
            "cdk-backup-jobs:final-backup-vault-deleted",
            "The final backup's vault is deleted with the stack (RemovalPolicy.DESTROY); CloudFormation "
            "cannot delete a vault that holds recovery points, and the backup would not outlive the stack. "
            "Keep the vault (RemovalPolicy.RETAIN) or use one outside this stack.")
