"""What a live run will cost, estimated from the dated price table ``prices.json`` (its sources beside each
figure), as a pure function of the scenarios chosen and a few stated assumptions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from live.scenarios import Scenario

PRICES = Path(__file__).with_name("prices.json")
HOURS_PER_MONTH = 730
PROVIDER_MEMORY_GB = 256 / 1024  # the provider function's memory (provider.MEMORY_SIZE_MB)


@dataclass(frozen=True)
class Assumptions:
    backup_gb: float = 0.001
    """Each recovery point: the empty table's backup is a few bytes; 1 MB is generous."""
    hours_kept: float = 3.0
    """How long a recovery point exists before the run deletes it (a run takes about an hour)."""
    invocations_per_deployment: int = 10
    """Provider invocations per stack operation: requests, a waited job's few wake-ups, clean-up."""
    seconds_per_invocation: float = 2.0


@dataclass(frozen=True)
class Estimate:
    lines: list[str]
    total_usd: float


def load_prices(path: Path = PRICES) -> dict[str, Any]:
    return json.loads(path.read_text())


def estimate(scenarios: Sequence[Scenario], table: Mapping[str, Any],
             assumptions: Assumptions = Assumptions()) -> Estimate:
    prices = {name: float(item["usd"]) for name, item in table["prices"].items()}
    points = sum(s.backups for s in scenarios)
    invocations = sum(s.deployments for s in scenarios) * assumptions.invocations_per_deployment
    gb_months = points * assumptions.backup_gb * assumptions.hours_kept / HOURS_PER_MONTH
    storage = gb_months * max(prices["backup_storage_gb_month"], prices["dynamodb_backup_gb_month"])
    requests = invocations / 1e6 * prices["lambda_requests_per_million"]
    duration = invocations * assumptions.seconds_per_invocation * PROVIDER_MEMORY_GB * prices["lambda_gb_second"]
    events = 0.0 * prices["eventbridge_aws_service_events_per_million"]  # AWS Backup's events: free
    total = storage + requests + duration + events
    lines = [
        f"estimated cost (prices of {table['region']} read on {table['read_on']}, estimates, before free tiers):",
        f"  backup storage: {points} recovery points x {assumptions.backup_gb} GB x {assumptions.hours_kept} h "
        f"= ${storage:.6f}",
        f"  Lambda: {invocations} invocations x {assumptions.seconds_per_invocation} s at "
        f"{PROVIDER_MEMORY_GB * 1024:.0f} MB = ${requests + duration:.6f}",
        "  EventBridge: AWS Backup's job events and the watches' schedules = $0 (AWS service events are free)",
        "  DynamoDB tables (on demand, empty), vaults, IAM roles, CloudFormation stacks: $0",
        f"  total: about ${total:.4f} (under a cent); a DynamoDB on-demand backup made without AWS Backup's "
        "advanced features is billed for the rest of the month until deleted, then adjusted",
    ]
    return Estimate(lines, total)
