"""The recovery point's lifecycle (cold storage, deletion) for on-demand jobs, as the API's Lifecycle member.

Not the resource's Create/Update/Delete: when AWS Backup moves and deletes
the recovery point a job makes. Its fields and their members are the runtime
table ``props.table.LIFECYCLE_PROPS``; the conversions of those fields (whole
days, ``KEEP_FOREVER``) live here, beside the class they read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping, Union

from aws_cdk import Duration

from cdk_backup_jobs.props.table import LIFECYCLE_PROPS
from cdk_backup_jobs.props.validation import REFUSED
from cdk_backup_jobs.props.walk import Conversion, PropWalk, Site, as_given, whole_units
from cdk_backup_jobs_runtime.input.shapes import KEEP_FOREVER as _API_KEEP_FOREVER
from cdk_backup_jobs_runtime.input.violation_report import Violation


class KeepForever:
    """Marks a lifecycle transition that never happens (the API's -1)."""

    def __repr__(self) -> str:
        return "KEEP_FOREVER"


KEEP_FOREVER = KeepForever()
"""The API's -1: on both ``move_to_cold_storage_after`` and ``delete_after`` together, as AWS documents."""

LifecycleDays = Union[Duration, KeepForever]


def _days(value: LifecycleDays, site: Site) -> Any:
    return _API_KEEP_FOREVER if isinstance(value, KeepForever) else whole_units(value, "days", site)


LIFECYCLE_CONVERSIONS: Mapping[str, Conversion] = {
    "days": Conversion("a Duration or KEEP_FOREVER", lambda value: isinstance(value, (Duration, KeepForever)),
                       _days),
    "boolean": Conversion("True or False", lambda value: isinstance(value, bool), as_given),
}
"""The conversions of JobLifecycle's fields (``LIFECYCLE_PROPS`` names them)."""


@dataclass(frozen=True)
class JobLifecycle:
    """When the job's recovery point moves to cold storage and when it is deleted.

    :param move_to_cold_storage_after: time after creation before the recovery
        point moves to cold storage, in whole days, or ``KEEP_FOREVER`` (with ``delete_after``).
        Default: never moves (the vault's settings apply).
    :param delete_after: time after creation before the recovery point is
        deleted, in whole days, at least 90 days after
        ``move_to_cold_storage_after``, or ``KEEP_FOREVER`` (with ``move_to_cold_storage_after``).
        Default: never deleted.
    :param opt_in_to_archive_for_supported_resources: move supported resources
        to the archive (cold) tier according to this lifecycle.
        Default: not set (AWS Backup's default).
    """

    move_to_cold_storage_after: LifecycleDays | None = None
    delete_after: LifecycleDays | None = None
    opt_in_to_archive_for_supported_resources: bool | None = None

    @classmethod
    def keep_forever(cls) -> "JobLifecycle":
        """Keep the recovery point indefinitely: -1 for both transitions, as AWS documents."""
        return cls(move_to_cold_storage_after=KEEP_FOREVER, delete_after=KEEP_FOREVER)

    def to_api(self, problems: list[Violation]) -> dict[str, Any]:
        """The Lifecycle member with the API's names; whole days or -1.

        A field that cannot be converted (a duration that is not a whole number
        of days) is left out and added to ``problems``.
        """
        walk = PropWalk(LIFECYCLE_CONVERSIONS)
        api = walk.walk(LIFECYCLE_PROPS, lifecycle_fields(self), ("lifecycle.", "Lifecycle."))
        problems.extend(Violation(problem.members, problem.message) for problem in walk.problems)
        return {member: value for member, value in api.items() if value is not REFUSED}


def lifecycle_fields(lifecycle: JobLifecycle) -> dict[str, Any]:
    """The fields as props of ``LIFECYCLE_PROPS``."""
    return {field.name: getattr(lifecycle, field.name) for field in dataclasses.fields(lifecycle)}
