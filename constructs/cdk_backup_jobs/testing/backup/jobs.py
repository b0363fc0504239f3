"""A backup or copy job's timetable and the states it goes through: the emulator's data model.

A job is CREATED, then PENDING, RUNNING and done (COMPLETED, or a scripted
FAILED, PARTIAL or EXPIRED) at the times its ``JobTiming`` gives after its
creation (the first ``TimingRule`` that matches it, else the emulator's timing); EXPIRED when its start or complete window closes first; ABORTED
once stopped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

DEFAULT_START_WINDOW_MINUTES = 480  # "the default is 8 hours" (StartBackupJob reference)
START_WINDOW_EXPIRED = "Backup job did not start within the start window"
COMPLETE_WINDOW_EXPIRED = "Backup job expired before completion."  # what AWS reports for the complete window
STOPPED_MESSAGE = "Backup job was stopped by user"
Outcome = Literal["COMPLETED", "FAILED", "PARTIAL", "EXPIRED"]


@dataclass
class JobTiming:
    """Seconds after creation at which a job becomes PENDING, RUNNING and done."""

    pending_after: float = 0.0
    running_after: float = 0.0
    done_after: float = 0.0
    size_in_bytes: int = 5 * 1024 * 1024

    def starts_after(self) -> float:
        """When the job turns RUNNING: it goes through CREATED and PENDING first, whatever the order given."""
        return max(self.pending_after, self.running_after)

    def ends_after(self) -> float:
        return max(self.starts_after(), self.done_after)


JobKind = Literal["backup", "copy"]


@dataclass
class TimingRule:
    """The ``timing`` of the jobs this rule matches; a field left None matches any job.

    ``resource_arn`` is a regular expression searched in the job's resource ARN
    (a copy's: the resource its source recovery point was made of);
    ``resource_type`` is AWS Backup's ResourceType (``"EFS"``, ``"DynamoDB"``,
    ``"RDS"``...); ``created_from`` keeps jobs created at or after that time of
    the emulator's clock (so a later job of the same resource, a final backup
    say, can take another time than an earlier one).
    """

    timing: JobTiming
    kind: JobKind | None = None
    resource_arn: str | None = None
    resource_type: str | None = None
    created_from: float | None = None

    def matches(self, kind: JobKind, resource_arn: str, resource_type: str, created_at: float) -> bool:
        return ((self.kind is None or self.kind == kind)
                and (self.resource_arn is None or re.search(self.resource_arn, resource_arn) is not None)
                and (self.resource_type is None or self.resource_type == resource_type)
                and (self.created_from is None or created_at >= self.created_from))


@dataclass
class ScriptedOutcome:
    """How jobs whose resource ARN matches ``pattern`` end."""

    pattern: str
    state: Outcome
    message: str = ""


class Expiry(NamedTuple):
    """When AWS cancels a job for a closed window, and whether it had started by then."""

    at: float
    had_started: bool
    message: str


@dataclass
class Job:
    """One backup or copy job and what decides its state over time."""

    job_id: str
    kind: JobKind
    params: dict[str, Any]
    resource_arn: str
    created_at: float
    timing: JobTiming
    outcome: ScriptedOutcome | None
    recovery_point_arn: str
    stopped_at: float | None = None

    def state_at(self, now: float) -> tuple[str, float, str]:
        """(State, PercentDone, StatusMessage) at time ``now``."""
        age = now - self.created_at
        if self.stopped_at is not None:
            return "ABORTED", 0.0, STOPPED_MESSAGE
        expiry = self.expiry()
        if expiry is not None and now >= expiry.at:
            return "EXPIRED", self._percent(expiry.at - self.created_at), expiry.message
        if age < self.timing.pending_after:
            return "CREATED", 0.0, ""
        if age < self.timing.running_after:
            return "PENDING", 0.0, ""
        if age < self.timing.done_after:
            return "RUNNING", self._percent(age), ""
        if self.outcome is not None:
            return self.outcome.state, 100.0 if self.outcome.state == "PARTIAL" else 0.0, self.outcome.message
        return "COMPLETED", 100.0, ""

    def expiry(self) -> Expiry | None:
        """The first window AWS closes on this job: not RUNNING by the end of the start window,
        or not done by the end of the complete window (both counted from creation), if any."""
        if self.kind != "backup":
            return None  # copy jobs take neither window (and CopyJobState has no EXPIRED)
        starts, ends = self.timing.starts_after(), self.timing.ends_after()
        closing = []
        start_window = self.params.get("StartWindowMinutes", DEFAULT_START_WINDOW_MINUTES) * 60
        if starts > start_window:
            closing.append((start_window, START_WINDOW_EXPIRED))
        complete_window = self.params.get("CompleteWindowMinutes")
        if complete_window is not None and ends > complete_window * 60:
            closing.append((complete_window * 60, COMPLETE_WINDOW_EXPIRED))
        if not closing:
            return None
        after, message = min(closing)
        return Expiry(self.created_at + after, after >= starts, message)

    def finished_at(self) -> float:
        """When the job reached its final state (ABORTED jobs aside): done, or expired."""
        expiry = self.expiry()
        return expiry.at if expiry is not None else self.created_at + self.timing.ends_after()

    def _percent(self, age: float) -> float:
        if age < self.timing.starts_after():
            return 0.0
        span = max(self.timing.done_after - self.timing.starts_after(), 1e-9)
        return round(min(100.0, 100.0 * (age - self.timing.starts_after()) / span), 1)
