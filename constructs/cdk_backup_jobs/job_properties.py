"""A job's resource properties, checked in one pass: every problem of the construct, then one error.

The props are converted by the resource type's table (types checked on the
way), then the whole rule set the handler applies is run over the result
(``rules.resource_violations``: the rules, the stack's account and Region, the
logical ID), skipping tokens; every problem is reported at once, naming the
prop and its API member.
"""

from __future__ import annotations

from typing import Any, Mapping

from aws_cdk import Stack
from constructs import Construct

from cdk_backup_jobs.conversions import CONVERSIONS
from cdk_backup_jobs.job_resource import planned_logical_id
from cdk_backup_jobs.prop_walk import PropWalk
from cdk_backup_jobs.validation import is_unresolved, raise_problems
from cdk_backup_jobs_runtime import rules
from cdk_backup_jobs_runtime.prop_table import PropTable


def checked_properties(job: Construct, table: PropTable, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The resource properties that the construct's keyword arguments set.

    ``arguments`` may hold more than the props (the constructor passes its
    ``locals()``): only the table's props are read, so no list of prop names
    is written a second time. Raises JobValidationError listing every
    problem, if there is any.
    """
    walk = PropWalk(CONVERSIONS)
    properties = walk.walk(table, arguments)
    stack = Stack.of(job)
    logical_id = planned_logical_id(job) if rules.waits(properties) else None
    walk.report(rules.resource_violations(table.shape, properties, logical_id, stack.account, stack.region,
                                          is_unresolved), table)
    raise_problems(job.node.path, table.shape, walk.problems)
    return properties
