"""Fault matrix: in every cell one response reaches CloudFormation before the deadline, no job twice."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from cdk_backup_jobs.testing import Fault
from provider_events import LambdaContext, backup_properties, make_event
from reliability_sizes import THROTTLES


@dataclass
class Cell:
    name: str
    faults: list[Fault] = field(default_factory=list)
    failing_puts: int = 0
    seconds_left: float = 60.0
    status: str = "SUCCESS"
    reason: str = ""


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
    time.sleep(max(0.0, min(deadline - time.monotonic(), 1.0)) + 0.2)  # a second, late answer would land now
    answers = cfn.responses_for(event["ResponseURL"])
    arrivals = cfn.arrivals_for(event["ResponseURL"])
    jobs = len(backup_api.state.backup_jobs)
    record("Fault matrix", cell.name, cases=1, failures=int(len(answers) != 1 or answers[0]["Status"] != cell.status),
           duplicates=max(jobs - 1, 0), hung=int(not answers or arrivals[0] > deadline),
           seconds_to_answer=round(arrivals[0] - began, 3) if arrivals else None)

    assert len(answers) == 1
    assert arrivals[0] <= deadline
    assert answers[0]["Status"] == cell.status, answers[0]["Reason"]
    assert cell.reason in answers[0]["Reason"]
    assert jobs <= 1
    assert jobs == (1 if cell.status == "SUCCESS" else jobs)


def test_sender_is_bounded_when_the_url_never_accepts(provider, cfn, backup_api, record):
    cfn.log.fail_next = 10_000
    event = make_event(cfn, "Delete", "Custom::BackupJob", {}, physical_id="job")
    began = time.monotonic()
    provider.handler(event, LambdaContext(deadline=began + 4))
    took = time.monotonic() - began
    record("Fault matrix", "ResponseURL never accepts: sender stops at the deadline", cases=1,
           failures=int(took > 4.5), hung=int(took > 4.5), seconds_to_give_up=round(took, 2))
    assert took <= 4.5
