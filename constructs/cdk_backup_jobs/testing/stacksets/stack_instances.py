"""Stack instances and StackSet operations as CloudFormation reports them: the simulated fleet's results.

A stack instance's ``status`` is StackInstance's (CURRENT, OUTDATED,
INOPERABLE) and ``detailed_status`` its StackInstanceComprehensiveStatus
(PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, INOPERABLE), as the API
Reference documents them
(https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackInstanceSummary.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackInstanceComprehensiveStatus.html):
CURRENT once its stack is up to date with the StackSet; OUTDATED while it is
not, because its stack failed, or because the operation failed or stopped
before the stack was created (CANCELLED: "the failure tolerance of the
StackSet operation has been exceeded").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cdk_backup_jobs.testing.stacksets.preferences import OperationPreferences

CURRENT, OUTDATED = "CURRENT", "OUTDATED"
PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED = "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"


@dataclass
class StackInstance:
    """One account and Region of a StackSet, and what its stack did in this simulation."""

    stack_set_name: str
    account: str
    region: str
    organizational_unit: str
    status: str = OUTDATED
    detailed_status: str = PENDING
    status_reason: str = ""
    stack_id: str | None = None
    stack_status: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    """Every backup job this account's AWS Backup holds in this Region after the stack's operation."""
    start_backup_job_calls: int = 0
    invocations: dict[str, dict[str, int]] = field(default_factory=dict)
    """Function ARN -> invocations by cause (cloudformation, event, schedule) in this account and Region."""
    started_at: float | None = None
    ended_at: float | None = None
    """Seconds since the operation began, when this instance was admitted (it may then wait for one of
    ``max_processes``' slots) and when its deployment ended."""

    def apply_report(self, report: dict[str, Any]) -> bool:
        """Take its deployment's report (``fleet.FleetServices.run``) into this instance's state; whether the stack
        was created."""
        self.stack_id, self.stack_status = report.get("stack_id"), report.get("status")
        self.outputs, self.jobs = report.get("outputs", {}), report.get("jobs", [])
        self.start_backup_job_calls = report.get("start_backup_job_calls", 0)
        self.invocations = report.get("invocations", {})
        if self.stack_status == "CREATE_COMPLETE":
            self.status, self.detailed_status, self.status_reason = CURRENT, SUCCEEDED, ""
            return True
        self.status, self.detailed_status = OUTDATED, FAILED
        self.status_reason = f"stack {self.stack_status}: {report.get('reason', '')}"
        return False

    def cancel(self, reason: str) -> None:
        self.status, self.detailed_status, self.status_reason = OUTDATED, CANCELLED, reason

    @property
    def key(self) -> tuple[str, str]:
        return self.account, self.region


@dataclass
class StackSetOperation:
    """One operation (CreateStackInstances, or an auto-deployment) and its per-instance results."""

    operation_id: str
    stack_set_name: str
    action: str
    preferences: OperationPreferences | None
    """None for an auto-deployment, to which the preferences do not apply."""
    instances: list[StackInstance] = field(default_factory=list)
    status: str = "RUNNING"
    status_reason: str = ""
    region_order: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the operation did otherwise than asked, as AWS documents it (a RegionOrder it did not follow)."""
    stopped_regions: dict[str, str] = field(default_factory=dict)
    """Region -> why the operation stopped there."""
    peak_in_progress: dict[str, int] = field(default_factory=dict)
    """Region -> the most of its accounts in progress at one time."""
    wall_seconds: float = 0.0
    began_at: float = 0.0
    ended_at: float = 0.0
    """When the operation ran, on ``time.monotonic()``: instances' times are seconds after ``began_at``."""

    def with_status(self, detailed_status: str, region: str | None = None) -> list[StackInstance]:
        return [i for i in self.instances if i.detailed_status == detailed_status and region in (None, i.region)]

    def accounts(self, detailed_status: str, region: str | None = None) -> list[str]:
        """The accounts whose instance (in ``region``, or any) ended with this detailed status."""
        return sorted({i.account for i in self.with_status(detailed_status, region)})

    def instance(self, account: str, region: str) -> StackInstance:
        return next(i for i in self.instances if i.key == (account, region))

    def finish(self) -> None:
        """SUCCEEDED unless the failure tolerance was exceeded somewhere (or, auto-deployed, anything failed)."""
        unsuccessful = self.with_status(FAILED) + self.with_status(CANCELLED)
        failed = bool(self.stopped_regions) or (self.preferences is None and bool(unsuccessful))
        self.status = "FAILED" if failed else "SUCCEEDED"
        if self.stopped_regions:
            self.status_reason = " ".join(self.stopped_regions.values())
        elif failed:
            self.status_reason = "The auto-deployment did not succeed in " + ", ".join(
                f"{i.account} {i.region} ({i.detailed_status})" for i in unsuccessful) + "."
