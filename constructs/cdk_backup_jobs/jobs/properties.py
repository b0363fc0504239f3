"""A job's resource properties from its props: each prop type's conversion, then one checking pass.

The props are converted by the resource type's table (``props.table``): one
function for each name of its ``CONVERSIONS``. Each takes a prop of the
Python type it accepts (anything else is a problem naming the prop: ``role
(IamRoleArn) must be an IRole, got int``) and gives its member's value. Roles
and vaults are recognised by their attributes, as imported ones are jsii
proxies that ``isinstance`` cannot check against the interface; a vault may be
given as an IBackupVault, a name or an ARN, in the form each API member needs.

Then the whole rule set the handler applies is run over the result
(``rules.resource_violations``: the rules, the stack's account and Region),
skipping tokens; every problem is reported at once, naming the prop and its
API member.
"""

from __future__ import annotations

import enum
from typing import Any, Callable, Mapping, TypeGuard

from aws_cdk import ArnFormat, CfnResource, Duration, Stack, Token, aws_backup as backup
from constructs import Construct, IConstruct, Node

from cdk_backup_jobs.jobs.job_resource import RunOn, is_recovery_point_source
from cdk_backup_jobs.jobs.recovery_point_lifecycle import LIFECYCLE_CONVERSIONS, JobLifecycle, lifecycle_fields
from cdk_backup_jobs.props.table import LIFECYCLE_PROPS, PropTable
from cdk_backup_jobs.props.validation import ADDED_LATER, REFUSED, Problem, is_unresolved, raise_problems, type_name
from cdk_backup_jobs.props.walk import Conversion, PropWalk, Site, as_given, whole_units
from cdk_backup_jobs.provider.rights import PROVIDER_PROP, is_provider
from cdk_backup_jobs_runtime.input import rules


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
"""Conversion name -> conversion; a test keeps the names equal to ``props.table.CONVERSIONS``."""


def checked_properties(job: Construct, table: PropTable, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The resource properties that the construct's keyword arguments set.

    ``arguments`` may hold more than the props (the constructor passes its
    ``locals()``): only the table's props are read, so no list of prop names
    is written a second time. Raises JobValidationError listing every
    problem, if there is any.
    """
    stack = Stack.of(job)
    walk = PropWalk(CONVERSIONS, stack)
    properties = walk.walk(table, arguments)
    walk.report(rules.resource_violations(table.shape, properties, stack.account, stack.region,
                                          is_unresolved), table)
    run_token = properties.get("RunToken")
    if properties.get("WaitCondition") is ADDED_LATER and is_unresolved(run_token) and run_token is not REFUSED:
        # Each run waits on a WaitCondition of its own (one cannot be updated), named after its value.
        walk.problems.append(Problem("run_on", "RunToken", "must be known at synth for a waited job: each run "
                                     "waits on a WaitCondition named after it, got a token"))
    walk.problems.extend(provider_problems(stack, arguments.get(PROVIDER_PROP)))
    raise_problems(job.node.path, table.shape.name, walk.problems)
    return properties


def provider_problems(stack: Stack, provider: Any) -> list[Problem]:
    """The ``provider`` prop: an IBackupJobsProvider, and a stack's own provider only for that stack's
    jobs (its rights name its stack: another stack's jobs could not run on it)."""
    if provider is None:
        return []
    if not is_provider(provider):
        return [Problem(PROVIDER_PROP, "ServiceToken", "must be an IBackupJobsProvider (BackupJobsProvider."
                        f"from_service_token or from_export_name), got {type_name(provider)}")]
    owner = Stack.of(provider) if isinstance(provider, Construct) and hasattr(provider, "policy") else stack
    if owner is not stack:
        return [Problem(PROVIDER_PROP, "ServiceToken", f"must be this stack's own provider or a shared one "
                        f"(BackupJobsProvider.from_service_token or from_export_name), got the BackupJobsProvider "
                        f"of stack {owner.node.path}, whose rights are for its own stack's jobs")]
    return []
