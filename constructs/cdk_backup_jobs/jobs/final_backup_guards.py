"""What keeps a final backup (``RunOn.delete()``) safe beyond its own resource.

Its job resource is deleted, and the backup runs, before the role AWS Backup
assumes, the vault it backs up into and the resource it protects, when they
are in its stack; synth warns of a vault that the stack deletes, which the
backup would not outlive, and of a protected resource that is snapshotted
on deletion as well.
"""

from __future__ import annotations

from typing import Any, Mapping

import jsii
from aws_cdk import (Annotations, Aspects, CfnDeletionPolicy, CfnResource, IAspect, Stack, aws_backup as backup,
                     aws_iam as iam)
from constructs import Construct, IConstruct


def outlived_by(resource: Construct, properties: Mapping[str, Any],
                *needed: IConstruct | iam.IRole | backup.IBackupVault | str) -> None:
    """Make ``resource`` depend on each construct of its own stack in ``needed``.

    A final backup runs while CloudFormation deletes the stack: the role AWS
    Backup assumes (its separate DefaultPolicy included, a child of the role),
    the vault and the protected resource must still exist until the backup
    completed. What ``properties`` already reference (``Ref``, ``Fn::GetAtt``)
    is ordered by that reference, and an explicit ``DependsOn`` on it is what
    cfn-lint warns of (W3005), so only the rest is added, once every construct
    exists (at synth: a DefaultPolicy may come after the job).
    """
    stack = Stack.of(resource)
    own = [c for c in needed if not isinstance(c, str) and Stack.of(c) is stack]
    if own:
        Aspects.of(resource).add(_DependsOnWhatIsNotReferenced(resource, properties, own))


@jsii.implements(IAspect)
class _DependsOnWhatIsNotReferenced:
    """At synth: ``resource`` depends on every CloudFormation resource of ``needed`` that its
    ``properties`` do not reference already."""

    def __init__(self, resource: Construct, properties: Mapping[str, Any], needed: list[IConstruct]) -> None:
        self._resource = resource
        self._properties = properties
        self._needed = needed

    def visit(self, node: IConstruct) -> None:
        if node.node.path != self._resource.node.path:
            return
        stack = Stack.of(self._resource)
        referenced = _referenced_logical_ids(stack.resolve(dict(self._properties)))
        for construct in self._needed:
            for child in construct.node.find_all():
                if isinstance(child, CfnResource) and stack.resolve(stack.get_logical_id(child)) not in referenced:
                    self._resource.node.add_dependency(child)


def _referenced_logical_ids(value: Any) -> set[str]:
    """The logical IDs a resolved template fragment names in ``Ref`` and ``Fn::GetAtt``."""
    if isinstance(value, list):
        return set().union(*map(_referenced_logical_ids, value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    if isinstance(value.get("Ref"), str):
        found.add(value["Ref"])
    get_att = value.get("Fn::GetAtt")
    if isinstance(get_att, list) and get_att and isinstance(get_att[0], str):
        found.add(get_att[0])
    return found.union(*map(_referenced_logical_ids, value.values()))


def warn_if_vault_is_destroyed(job: Construct, vault: backup.IBackupVault | str) -> None:
    """A final backup into a vault that the same stack deletes would not outlive the stack."""
    child = vault.node.default_child if isinstance(vault, Construct) else None
    if isinstance(child, CfnResource) and child.cfn_options.deletion_policy == CfnDeletionPolicy.DELETE:
        Annotations.of(job).add_warning_v2(
            "cdk-backup-jobs:final-backup-vault-deleted",
            "The final backup's vault is deleted with the stack (RemovalPolicy.DESTROY); CloudFormation "
            "cannot delete a vault that holds recovery points, and the backup would not outlive the stack. "
            "Keep the vault (RemovalPolicy.RETAIN) or use one outside this stack.")


def warn_if_snapshotted_too(job: Construct, protects: IConstruct | None) -> None:
    """A protected resource deleted with ``DeletionPolicy: Snapshot`` (aws-cdk-lib's default for RDS
    instances and clusters, ``RemovalPolicy.SNAPSHOT``) gets a snapshot of its service besides the final
    backup's recovery point: two copies to pay for, kept by different rules."""
    child = protects if CfnResource.is_cfn_resource(protects) else \
        (protects.node.default_child if protects is not None else None)
    if isinstance(child, CfnResource) and child.cfn_options.deletion_policy == CfnDeletionPolicy.SNAPSHOT:
        Annotations.of(job).add_warning_v2(
            "cdk-backup-jobs:final-backup-and-snapshot",
            f"The protected {child.cfn_resource_type} is deleted with DeletionPolicy Snapshot (aws-cdk-lib's "
            "default RemovalPolicy.SNAPSHOT for RDS), so its deletion makes a snapshot as well as the final "
            "backup's recovery point. Keep one: removal_policy=RemovalPolicy.DESTROY on the resource to rely on "
            "the final backup, or no final backup to rely on the snapshot.")
