"""The documented rules of StartBackupJob's and StartCopyJob's input that the model's shapes do not carry.

The model checks types, enums, patterns and ranges; these are the rules the
API reference states in words (a window of at least 60 minutes, a lifecycle
90 days past cold storage, ARNs of the right kind).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from cdk_backup_jobs.testing.backup_arns import ARN_KINDS
from cdk_backup_jobs.testing.backup_errors import invalid

MAX_WINDOW_MINUTES = 52_560_000  # "a maximum value of 100 years" (StartBackupJob reference)
MAX_LIFECYCLE_DAYS = 36_500


def check_arns(p: Mapping[str, Any], forms: Mapping[str, re.Pattern[str]]) -> None:
    """AWS refuses a malformed ARN up front; the model types ARN members as plain strings."""
    for name, form in forms.items():
        if name in p and not form.fullmatch(p[name]):
            raise invalid(f"{name} {p[name]!r} is not {ARN_KINDS[form]}")


def check_windows(p: Mapping[str, Any]) -> None:
    # StartWindowMinutes "must be at least 60 minutes" (StartBackupJob reference).
    if "StartWindowMinutes" in p and p["StartWindowMinutes"] < 60:
        raise invalid("StartWindowMinutes must be at least 60 minutes")
    for name in ("StartWindowMinutes", "CompleteWindowMinutes"):
        if p.get(name, 0) > MAX_WINDOW_MINUTES:
            raise invalid(f"{name} must be at most 100 years (52,560,000 minutes)")


def check_lifecycle(lifecycle: Mapping[str, Any] | None) -> None:
    """Backups in cold storage stay there 90 days at least (Lifecycle, StartBackupJob reference)."""
    if not lifecycle:
        return
    if "DeleteAfterEvent" in lifecycle:
        raise invalid("Lifecycle.DeleteAfterEvent is not valid as an input")
    cold, delete = lifecycle.get("MoveToColdStorageAfterDays"), lifecycle.get("DeleteAfterDays")
    for name, days in (("MoveToColdStorageAfterDays", cold), ("DeleteAfterDays", delete)):
        if days is not None and days != -1 and not 1 <= days <= MAX_LIFECYCLE_DAYS:
            raise invalid(f"Lifecycle.{name} must be between 1 and 36500 days, or -1")
    if cold is not None and delete is not None and -1 not in (cold, delete) and delete < cold + 90:
        raise invalid("Lifecycle.DeleteAfterDays must be at least 90 days after MoveToColdStorageAfterDays")
