"""Recovery point lifecycle for on-demand jobs, as the API's Lifecycle member."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from aws_cdk import Duration

from cdk_backup_jobs_runtime.shapes import KEEP_FOREVER as _API_KEEP_FOREVER
from cdk_backup_jobs_runtime.rules import Violation
from cdk_backup_jobs.validation import whole_units


class KeepForever:
    """Marks a lifecycle transition that never happens (the API's -1)."""

    def __repr__(self) -> str:
        return "KEEP_FOREVER"


KEEP_FOREVER = KeepForever()
"""The API's -1: on both ``move_to_cold_storage_after`` and ``delete_after`` together, as AWS documents."""

LifecycleDays = Union[Duration, KeepForever]

PROP_NAMES = {
    "Lifecycle": "lifecycle",
    "Lifecycle.MoveToColdStorageAfterDays": "lifecycle.move_to_cold_storage_after",
    "Lifecycle.DeleteAfterDays": "lifecycle.delete_after",
    "Lifecycle.OptInToArchiveForSupportedResources": "lifecycle.opt_in_to_archive_for_supported_resources",
}
"""The Lifecycle members' prop names, for validation messages."""


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

        A duration that is not a whole number of days is added to ``problems``.
        """
        api: dict[str, Any] = {}
        for member, value in (
            ("MoveToColdStorageAfterDays", self.move_to_cold_storage_after),
            ("DeleteAfterDays", self.delete_after),
        ):
            if isinstance(value, KeepForever):
                api[member] = _API_KEEP_FOREVER
            elif value is not None:
                days = whole_units(value, "days", f"Lifecycle.{member}", problems)
                if days is not None:
                    api[member] = days
        if self.opt_in_to_archive_for_supported_resources is not None:
            api["OptInToArchiveForSupportedResources"] = self.opt_in_to_archive_for_supported_resources
        return api
