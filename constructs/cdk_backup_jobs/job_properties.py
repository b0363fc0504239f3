"""A job's resource properties, checked in one pass: every problem of the construct, then one error.

The props are converted by the resource type's table (types checked on the
way), then the whole rule set the handler applies is run over the result
(``rules.resource_violations``: the rules, the stack's account and Region),
skipping tokens; every problem is reported at once, naming the
prop and its API member.
"""

from __future__ import annotations

from typing import Any, Mapping

from aws_cdk import Stack
from constructs import Construct

from cdk_backup_jobs.conversions import CONVERSIONS
from cdk_backup_jobs.prop_table import PropTable
from cdk_backup_jobs.prop_walk import PropWalk
from cdk_backup_jobs.provider_rights import PROVIDER_PROP, is_provider
from cdk_backup_jobs.validation import ADDED_LATER, REFUSED, Problem, is_unresolved, raise_problems, type_name
from cdk_backup_jobs_runtime.input import rules


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
