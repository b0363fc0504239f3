"""What the emulator's own tests share: the emulator they start from, and a boto3 client of it."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from cdk_backup_jobs.testing import BackupEmulator, JobTiming, ManualClock

ROLE = "arn:aws:iam::123456789012:role/backup-role"
VOLUME = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"


def emulator_with_vaults(clock: ManualClock, done_after: float = 420) -> BackupEmulator:
    """Vaults "primary" and "copies"; jobs PENDING after 1 minute, RUNNING after 2, done after ``done_after`` s."""
    emulator = BackupEmulator(clock=clock, timing=JobTiming(pending_after=60, running_after=120,
                                                            done_after=done_after))
    emulator.create_vault("primary")
    emulator.create_vault("copies")
    return emulator


def backup_client(endpoint_url: str, attempts: int = 1, **config: Any) -> Any:
    """Plain boto3 against the emulator: ``attempts`` in all (1: botocore does not retry)."""
    return boto3.client("backup", endpoint_url=endpoint_url, region_name="us-east-1",
                        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}, **config))
