"""The library's conversions: one function for each name in ``prop_table.CONVERSIONS``.

Each takes a prop of the Python type it accepts (anything else is a problem
naming the prop: ``role (IamRoleArn) must be an IRole, got int``) and gives
its member's value. Roles and vaults are recognised by their attributes, as
imported ones are jsii proxies that ``isinstance`` cannot check against the
interface.
"""

from __future__ import annotations

import enum
from typing import Any, Callable, Mapping

from aws_cdk import CfnResource, Duration, Stack
from constructs import IConstruct, Node

from cdk_backup_jobs.job_resource import is_recovery_point_source
from cdk_backup_jobs.prop_table import LIFECYCLE_PROPS
from cdk_backup_jobs.prop_walk import Conversion, Site, as_given, whole_units
from cdk_backup_jobs.recovery_point_lifecycle import LIFECYCLE_CONVERSIONS, JobLifecycle, lifecycle_fields
from cdk_backup_jobs.run_on import RunOn
from cdk_backup_jobs.validation import ADDED_LATER
from cdk_backup_jobs.vaults import destination_vault_arn, is_vault, vault_name


def is_role(value: Any) -> bool:
    """An IRole (a construct or an imported role: a jsii proxy, so known by its string ARN)."""
    return isinstance(getattr(value, "role_arn", None), str)


def is_flag(value: Any) -> bool:
    """True or False only: a truthy number or dict is a mistake, not a yes."""
    return isinstance(value, bool)


def is_mapping(value: Any) -> bool:
    """A mapping (its keys and values are then checked by the rules)."""
    return isinstance(value, Mapping)


def is_construct(value: Any) -> bool:
    """A construct (anything with a construct tree node)."""
    return isinstance(getattr(value, "node", None), Node)


def instance_of(*types: type) -> Callable[[Any], bool]:
    """A check for plain Python classes (Duration, JobLifecycle, RunOn)."""
    return lambda value: isinstance(value, types)


def _is_vault_or_text(value: Any) -> bool:
    return is_vault(value) or isinstance(value, str)


def _logical_id(construct: IConstruct, site: Site) -> Any:
    """The logical ID of a construct's CloudFormation resource (the construct or its default child)."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        return site.refuse(f"must be a CloudFormation resource or have one as its default child, "
                           f"got {construct.node.path}")
    stack, job_stack = Stack.of(resource), site.walk.stack
    if job_stack is not None and stack is not job_stack:
        # The provider reads the template of the job's own stack to tell whether the resource goes: a
        # resource of another stack (a nested stack too: a template of its own) is never in it, so
        # every delete of the job's stack would back it up, though it stays.
        return site.refuse(f"must be in the job's stack {job_stack.node.path}, got {resource.node.path} of "
                           f"stack {stack.node.path}: a final backup reads its own stack's template to tell "
                           f"whether the resource goes, and would back it up on every delete of that stack; "
                           f"declare the final backup (with final_backup's resource) in the resource's own stack")
    return stack.get_logical_id(resource)


def _recovery_point_source(source: Any, site: Site) -> Any:
    if not source.waits:
        return site.refuse(f"must wait_for_completion=True (only a COMPLETED recovery point can be copied), "
                           f"got {source.node.path}, which does not wait")
    return {"RecoveryPointArn": source.recovery_point_arn, "SourceBackupVaultName": source.backup_vault_name}


CONVERSIONS: Mapping[str, Conversion] = {
    "text": Conversion("a string", instance_of(str), as_given),
    "vault_name": Conversion("an IBackupVault or a vault name", _is_vault_or_text,
                             lambda vault, _: vault_name(vault)),
    "vault_arn": Conversion("an IBackupVault or a vault ARN", _is_vault_or_text,
                            lambda vault, _: destination_vault_arn(vault)),
    "role_arn": Conversion("an IRole", is_role, lambda role, _: role.role_arn),
    "minutes": Conversion("a Duration", instance_of(Duration),
                          lambda duration, site: whole_units(duration, "minutes", site)),
    "flag": Conversion("True or False", is_flag, lambda flag, _: True if flag else None),
    "wait": Conversion("True or False", is_flag, lambda flag, _: {
        "WaitForCompletion": True if flag else None, "WaitCondition": ADDED_LATER if flag else None},
        sets_members=True),
    "mapping": Conversion("a mapping", is_mapping, lambda mapping, _: dict(mapping)),
    "enum": Conversion("an enum member or a string", instance_of(enum.Enum, str),
                       lambda value, _: value.value if isinstance(value, enum.Enum) else value),
    "lifecycle": Conversion("a JobLifecycle", instance_of(JobLifecycle),
                            lambda lifecycle, site: site.nested(LIFECYCLE_PROPS, lifecycle_fields(lifecycle))),
    "run_on": Conversion("a RunOn", instance_of(RunOn), lambda run_on, _: {
        "RunToken": run_on.run_token, "RunOnDelete": True if run_on.on_delete else None}, sets_members=True),
    "logical_id": Conversion("a construct", is_construct, _logical_id),
    "recovery_point_source": Conversion("a BackupJob", is_recovery_point_source, _recovery_point_source,
                                        sets_members=True),
    **LIFECYCLE_CONVERSIONS,
}
"""Conversion name -> conversion; a test keeps the names equal to ``prop_table.CONVERSIONS``."""
