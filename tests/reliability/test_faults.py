"""Fault matrix: in every cell one response reaches CloudFormation before the deadline, no job twice."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from cdk_backup_jobs.testing import Fault
from provider_events import LambdaContext, backup_properties, make_event
from reliability_sizes import THROTTLES

pytestmark = pytest.mark.slow


@dataclass
class Cell:
    name: str
    faults: list[Fault] = field(default_factory=list)
    failing_puts: int = 0
    seconds_left: float = 60.0
    status: str = "SUCCESS"
    reason: str = ""

    def injected_delay(self) -> float:
        """Seconds of slow answers injected, one after the other. A Start held past the function's
        deadline still makes its job when it lands, so jobs are counted only after this."""
        return sum(f.delay * f.count for f in self.faults if f.kind == "slow")


SETTLE_MARGIN = 0.5
"""Time for a job to land after the last injected delay."""
LATE_ANSWER_WINDOW = 1.0
"""How long after the handler returns a second, late answer is waited for (less if the deadline is nearer)."""

CELLS = [
    Cell(f"throttling burst ({THROTTLES} x ThrottlingException)", [Fault("StartBackupJob", THROTTLES)]),
    Cell("5xx (3 x ServiceUnavailableException)",
         [Fault("StartBackupJob", 3, status=503, code="ServiceUnavailableException")]),
    Cell("connection resets (2 dropped connections)", [Fault("StartBackupJob", 2, kind="drop")]),
    Cell("throttling past the retry budget", [Fault("StartBackupJob", 100)], status="FAILED",
         reason="StartBackupJob failed: ThrottlingException: Rate exceeded"),
    Cell("ResponseURL fails the first 3 PUTs", failing_puts=3),
    Cell("slow answer (2 s) with 30 s left", [Fault("StartBackupJob", 1, kind="slow", delay=2.0)]),
    Cell("slow answer (4 s) beyond the time left (3 s): the function is about to time out",
         [Fault("StartBackupJob", 1, kind="slow", delay=4.0)], seconds_left=3.0, status="FAILED",
         reason="Execution timed out"),
    Cell("function with 1.8 s left and a 1 s answer", [Fault("StartBackupJob", 1, kind="slow", delay=1.0)],
         seconds_left=1.8),
]


@pytest.mark.parametrize("cell", CELLS, ids=[c.name for c in CELLS])
def test_fault_cell(provider, cfn, backup_api, record, cell):
    backup_api.state.faults.extend(cell.faults)
    cfn.log.fail_next = cell.failing_puts
    event = make_event(cfn, "Create", "Custom::BackupJob", backup_properties())
    began = time.monotonic()
    deadline = began + cell.seconds_left
    provider.handler(event, LambdaContext(deadline=deadline))
    # A second, late answer, or a job from a Start still in flight, would have landed by now.
    late_answer = max(0.0, min(deadline - time.monotonic(), LATE_ANSWER_WINDOW)) + 0.2
    time.sleep(max(late_answer, began + cell.injected_delay() + SETTLE_MARGIN - time.monotonic()))
    answers = cfn.responses_for(event["ResponseURL"])
    arrivals = cfn.arrivals_for(event["ResponseURL"])
    jobs = len(backup_api.state.backup_jobs)
    failed = failed_checks(cell, answers, arrivals, deadline, jobs)
    record("Fault matrix", cell.name, cases=1, failures=int(bool(failed)), duplicates=max(jobs - 1, 0),
           hung=int(not answers or arrivals[0] > deadline), jobs_started=jobs,
           seconds_to_answer=round(arrivals[0] - began, 3) if arrivals else None)
    assert failed == [], (failed, answers)


def failed_checks(cell: Cell, answers: list[dict[str, Any]], arrivals: list[float], deadline: float,
                  jobs: int) -> list[str]:
    """What a cell promises, each by name, so the recorded failure and the assertion are the same thing."""
    first = answers[0] if answers else {}
    checks = {
        "exactly one answer": len(answers) == 1,
        "answered before the deadline": bool(arrivals) and arrivals[0] <= deadline,
        f"status {cell.status}": first.get("Status") == cell.status,
        f"reason holds {cell.reason!r}": cell.reason in first.get("Reason", ""),
        "at most one job": jobs <= 1,
        "exactly one job for a SUCCESS": cell.status != "SUCCESS" or jobs == 1,
    }
    return [f"{name} ({jobs} jobs)" if "job" in name else name for name, ok in checks.items() if not ok]


def test_sender_is_bounded_when_the_url_never_accepts(provider, cfn, backup_api, record):
    cfn.log.fail_next = 10_000
    event = make_event(cfn, "Delete", "Custom::BackupJob", {}, physical_id="job")
    began = time.monotonic()
    provider.handler(event, LambdaContext(deadline=began + 4))
    took = time.monotonic() - began
    record("Fault matrix", "ResponseURL never accepts: sender stops at the deadline", cases=1,
           failures=int(took > 4.5), hung=int(took > 4.5), seconds_to_give_up=round(took, 2))
    assert took <= 4.5
