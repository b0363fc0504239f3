"""Which stack instance of an operation runs when: CloudFormation's order, concurrency and failure tolerance.

Per Region, accounts are taken in order while fewer are in progress than the
preferences allow (``OperationPreferences.concurrency``: under
STRICT_FAILURE_TOLERANCE it falls with each failure). A failure past the
Region's tolerance stops the operation there: the accounts in progress run to
their end, as a stack operation under way is not interrupted, and those not
yet begun are CANCELLED. Regions go one at a time (SEQUENTIAL) or all at once
(PARALLEL); after a Region where the operation stopped, no later Region is
attempted, as CloudFormation documents. An auto-deployment (no preferences)
runs every instance at once and stops nowhere.

The machine's limit is apart from all this: at most ``max_processes``
instances run at a time. An instance admitted beyond that waits for a
slot but counts as in progress, so which accounts run, fail or are
cancelled is what CloudFormation's rules give, whatever the machine.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable

from cdk_backup_jobs.testing.stacksets.preferences import PARALLEL, OperationPreferences
from cdk_backup_jobs.testing.stacksets.stack_instances import FAILED, RUNNING, StackInstance, StackSetOperation


@dataclass
class _Region:
    name: str
    pending: deque[StackInstance]
    accounts: int
    running: int = 0
    failures: list[str] = field(default_factory=list)
    stopped: bool = False

    @property
    def done(self) -> bool:
        return self.running == 0 and (self.stopped or not self.pending)


class OperationScheduler:
    """Runs one operation's instances with ``run_instance`` (in a thread each), as CloudFormation would order them."""

    def __init__(self, operation: StackSetOperation, run_instance: Callable[[StackInstance], None],
                 max_processes: int) -> None:
        self.operation = operation
        self.preferences: OperationPreferences | None = operation.preferences
        self.run_instance = run_instance
        self.max_processes = max_processes
        self._began = 0.0
        self._futures: dict[Future[None], tuple[_Region, StackInstance]] = {}

    def run(self) -> None:
        by_region: dict[str, list[StackInstance]] = {}
        for instance in self.operation.instances:
            by_region.setdefault(instance.region, []).append(instance)
        order = self.preferences.ordered_regions(list(by_region)) if self.preferences else list(by_region)
        self.operation.region_order = order
        regions = [_Region(name, deque(by_region[name]), len(by_region[name])) for name in order]
        parallel = self.preferences is None or self.preferences.region_concurrency_type == PARALLEL
        waiting = deque([] if parallel else regions[1:])
        self._began = self.operation.began_at = time.monotonic()
        with ThreadPoolExecutor(max_workers=self.max_processes) as pool:
            for region in regions if parallel else regions[:1]:
                self._admit(pool, region)
            while self._futures:
                finished, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
                for future in finished:
                    region, instance = self._futures.pop(future)
                    self._ended(region, instance, future)
                    self._admit(pool, region)
                    if region.done and waiting:
                        if region.stopped:
                            self._not_attempted(waiting, region)
                        else:
                            self._admit(pool, waiting.popleft())
        self.operation.ended_at = time.monotonic()
        self.operation.wall_seconds = self.operation.ended_at - self._began

    def _limit(self, region: _Region) -> int:
        if self.preferences is None:  # an auto-deployment: the preferences do not apply
            return region.accounts
        return self.preferences.concurrency(region.accounts, len(region.failures))

    def _admit(self, pool: ThreadPoolExecutor, region: _Region) -> None:
        while region.pending and not region.stopped and region.running < self._limit(region):
            instance = region.pending.popleft()
            instance.detailed_status = RUNNING
            region.running += 1
            peak = self.operation.peak_in_progress
            peak[region.name] = max(peak.get(region.name, 0), region.running)
            self._futures[pool.submit(self._run, instance)] = (region, instance)
        if region.done and region.stopped:
            for instance in region.pending:
                instance.cancel(f"Cancelled: {self.operation.stopped_regions[region.name]}")
            region.pending.clear()

    def _run(self, instance: StackInstance) -> None:
        instance.started_at = time.monotonic() - self._began
        try:
            self.run_instance(instance)
        finally:
            instance.ended_at = time.monotonic() - self._began

    def _ended(self, region: _Region, instance: StackInstance, future: Future[None]) -> None:
        region.running -= 1
        error = future.exception()
        if error is not None:  # the simulator's own failure, reported on the instance rather than lost
            instance.detailed_status, instance.status_reason = FAILED, f"the simulation failed: {error!r}"
        if instance.detailed_status != FAILED:
            return
        region.failures.append(instance.account)
        tolerance = self.preferences.failure_tolerance(region.accounts) if self.preferences else None
        if tolerance is not None and len(region.failures) > tolerance:  # the reason counts later failures too
            region.stopped = True
            self.operation.stopped_regions[region.name] = (
                f"The operation stopped in {region.name}: {len(region.failures)} of its {region.accounts} "
                f"accounts failed, more than its failure tolerance of {tolerance} "
                f"(failed: {', '.join(sorted(region.failures))}).")

    def _not_attempted(self, waiting: deque[_Region], stopped: _Region) -> None:
        """CloudFormation doesn't attempt the operation in any Region after one where it stopped."""
        while waiting:
            region = waiting.popleft()
            for instance in region.pending:
                instance.cancel(f"Not attempted: the operation stopped in {stopped.name}, and CloudFormation "
                                f"doesn't attempt it in any later Region.")
            region.pending.clear()
