"""What a scenario may ask of a place to deploy to: stacks (a CDK app's or a plain template), and AWS Backup.

A scenario is written once against ``Target``. The stack operations differ by target (the CDK CLI and
CloudFormation's API on AWS; the CloudFormationSimulator here), the AWS Backup calls do not: both targets
use ``BackupApi``, plain boto3, against AWS or against the local AWS Backup (``AWS_ENDPOINT_URL_BACKUP``).
Everything a scenario creates is written in the ``Ledger``, and removed from it when removed.
"""

from __future__ import annotations

import abc
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

ENDED = ("COMPLETED", "FAILED", "ABORTED", "EXPIRED", "PARTIAL")


@dataclass
class StackResult:
    """How a stack operation ended: CloudFormation's status, the first failure's reason, the outputs,
    and when each WaitCondition of the stack completed (epoch seconds, on the target's clock)."""

    status: str
    reason: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    started_at: float = 0.0
    wait_conditions_done: dict[str, float] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE")


@dataclass
class Ledger:
    """What a run created and removed, in order, and the times it measured."""

    created: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)

    def add(self, what: str) -> None:
        self.created.append(what)

    def remove(self, what: str) -> None:
        self.removed.append(what)

    @property
    def left(self) -> list[str]:
        """What was created and not removed: empty after a clean run."""
        return [what for what in self.created if what not in self.removed]

    def measure(self, name: str, seconds: float) -> None:
        self.timings.append((name, seconds))

    def summary(self) -> list[str]:
        lines = [f"created: {what}" for what in self.created] + [f"removed: {what}" for what in self.removed]
        lines += [f"measured: {name}: {seconds:.0f} s" for name, seconds in self.timings]
        lines.append("left behind: " + (", ".join(self.left) if self.left else "nothing"))
        return lines


def epoch(value: Any) -> float:
    """A time from boto3 (datetime) or the simulator (epoch seconds) as epoch seconds."""
    return value.timestamp() if isinstance(value, datetime) else float(value)


class BackupApi:
    """The AWS Backup calls the scenarios check results and clean up with: the same boto3 on both targets."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self.client.describe_backup_job(BackupJobId=job_id))

    def copy_job(self, job_id: str) -> dict[str, Any]:
        return dict(self.client.describe_copy_job(CopyJobId=job_id)["CopyJob"])

    def jobs_of(self, resource_arn: str, since: float) -> list[dict[str, Any]]:
        """The backup jobs of a resource created at or after ``since``, oldest first."""
        pages = self.client.get_paginator("list_backup_jobs").paginate(
            ByResourceArn=resource_arn, ByCreatedAfter=datetime.fromtimestamp(since - 1))
        jobs = [job for page in pages for job in page["BackupJobs"] if epoch(job["CreationDate"]) >= since]
        return sorted(jobs, key=lambda job: epoch(job["CreationDate"]))

    def points_in(self, vault: str) -> list[dict[str, Any]]:
        pages = self.client.get_paginator("list_recovery_points_by_backup_vault").paginate(BackupVaultName=vault)
        return [point for page in pages for point in page["RecoveryPoints"]]

    def points_of(self, resource_arn: str) -> list[dict[str, Any]]:
        pages = self.client.get_paginator("list_recovery_points_by_resource").paginate(ResourceArn=resource_arn)
        return [point for page in pages for point in page["RecoveryPoints"]]

    def delete_point(self, vault: str, arn: str) -> None:
        self.client.delete_recovery_point(BackupVaultName=vault, RecoveryPointArn=arn)

    def delete_vault(self, vault: str) -> None:
        self.client.delete_backup_vault(BackupVaultName=vault)


class Target(abc.ABC):
    """Where the scenarios run: ``account``, ``region``, the operations on stacks, and ``backup``."""

    account: str
    region: str
    backup: BackupApi
    ledger: Ledger
    job_poll_seconds: float = 30.0

    # --- stacks -------------------------------------------------------------------------------

    @abc.abstractmethod
    def deploy_assembly(self, assembly: Path, stack_name: str) -> StackResult:
        """Create or update ``stack_name`` from a synthesized cloud assembly (``cdk deploy``)."""

    @abc.abstractmethod
    def deploy_template(self, template: Path, stack_name: str, parameters: Mapping[str, str],
                        role_arn: str | None) -> StackResult:
        """Create a stack from a plain CloudFormation template, with a service role if given."""

    @abc.abstractmethod
    def destroy(self, stack_name: str) -> StackResult:
        """Delete the stack (``cdk destroy`` or DeleteStack), whatever its status; DELETE_COMPLETE once gone."""

    @abc.abstractmethod
    def stack_resource_types(self, stack_name: str) -> list[str]:
        """The resource types the stack holds now (ListStackResources)."""

    @abc.abstractmethod
    def now(self) -> float:
        """The target's clock: AWS's (the machine's, on AWS) or the simulation's."""

    @abc.abstractmethod
    def sleep(self, seconds: float) -> None:
        """Let time pass between operations."""

    # --- what the targets share -----------------------------------------------------------------

    def deploy_app(self, stack_name: str, build: Callable[[Any], None]) -> StackResult:
        """Synthesize ``build(app)`` (a CDK app), then deploy its stack ``stack_name``."""
        from aws_cdk import App

        outdir = Path(tempfile.mkdtemp(prefix="cdk-backup-jobs-live-"))
        app = App(outdir=str(outdir))
        build(app)
        app.synth()
        return self.deploy_assembly(outdir, stack_name)

    def wait_for_job(self, job_id: str, *, copy: bool = False, timeout: float = 3600) -> dict[str, Any]:
        """Describe the job until it ended (it keeps running after a stack that does not wait for it)."""
        deadline = self.now() + timeout
        while True:
            job = self.backup.copy_job(job_id) if copy else self.backup.job(job_id)
            if job["State"] in ENDED or self.now() >= deadline:
                return job
            self.sleep(self.job_poll_seconds)

    def remove_points(self, vault: str) -> int:
        """Delete every recovery point in ``vault`` (a vault of this run alone), waiting for points still
        being made; returns how many were deleted."""
        deleted = 0
        for _ in range(120):
            points = self.backup.points_in(vault)
            if not points:
                return deleted
            for point in points:
                if point["Status"] in ("CREATING", "DELETING"):
                    continue
                self.backup.delete_point(vault, point["RecoveryPointArn"])
                self.ledger.remove(f"recovery point {point['RecoveryPointArn']}")
                deleted += 1
            if any(point["Status"] in ("CREATING", "DELETING") for point in points):
                self.sleep(self.job_poll_seconds)
        raise TimeoutError(f"recovery points still in vault {vault}")

    def note_points(self, points: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> None:
        for point in points:
            what = f"recovery point {point['RecoveryPointArn']}"
            if what not in self.ledger.created:
                self.ledger.add(what)
