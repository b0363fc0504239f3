"""Virtual time for the CloudFormation simulator: wait for something by moving a ManualClock to what is due next.

While CloudFormation waits (for a custom resource's response, for a
WaitCondition's signals) nothing in AWS moves unless time passes. The loop
makes it pass: it publishes what its event sources (the Backup emulator's
job state changes) have due, hands due EventBridge deliveries (matched events,
schedule firings) to ``invoke``, and when nothing is due now moves the clock
straight to the next due moment (the next schedule firing, the next job state
change or delayed event, or the wait's deadline), until the awaited thing
happened or the deadline passed.

Several resources may wait at once (one wave of a deploy runs in parallel):
time moves only while no resource is busy outside a wait (``working``), and one
waiting thread at a time drives the loop, so every wait sees the same
timeline. Every function invocation is recorded (``InvocationLog``) with its
cause: "cloudformation" (a request), "event" or "schedule" (a rule's target).
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Protocol, Sequence

from cdk_backup_jobs.testing.eventbridge import Delivery, EventBus
from cdk_backup_jobs.testing.lambda_runtime import Invocation

CAUSES = ("cloudformation", "event", "schedule")
IDLE_POLL_SECONDS = 0.02


class EventSource(Protocol):
    """Something that makes events as time passes (``BackupEmulator`` is one)."""

    def next_event_at(self) -> float | None: ...

    def publish_due_events(self) -> Any: ...


@dataclass
class InvocationRecord:
    at: float  # the virtual time it ran at
    function_arn: str
    cause: str  # "cloudformation", "event" or "schedule"
    payload: Any
    invocation: Invocation | None = None
    error: str | None = None  # why it could not run (no such function, input not JSON)
    rule_name: str = ""


@dataclass
class InvocationLog:
    """Every function invocation of a simulator, with its cause, for counts such as invocations per hour."""

    records: list[InvocationRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: InvocationRecord) -> None:
        with self.lock:
            self.records.append(record)

    def counts(self) -> dict[str, dict[str, int]]:
        """Function ARN -> cause -> invocations (failed deliveries, which ran nothing, left out)."""
        found: dict[str, Counter[str]] = {}
        for record in self.snapshot():
            if record.error is None:
                found.setdefault(record.function_arn, Counter())[record.cause] += 1
        return {arn: {cause: counter[cause] for cause in CAUSES} for arn, counter in found.items()}

    def count(self, function_arn: str | None = None, cause: str | None = None, since: float | None = None) -> int:
        return sum(1 for r in self.snapshot() if r.error is None and function_arn in (None, r.function_arn)
                   and cause in (None, r.cause) and (since is None or r.at >= since))

    def failures(self) -> list[InvocationRecord]:
        """Deliveries that reached no function (an unknown ARN, an input that is not JSON)."""
        return [r for r in self.snapshot() if r.error is not None]

    def snapshot(self) -> list[InvocationRecord]:
        with self.lock:
            return list(self.records)


class VirtualTimeLoop:
    """Runs the bus and the event sources on ``clock`` while someone waits."""

    def __init__(self, clock: Callable[[], float], advance: Callable[[float], None], bus: EventBus | None,
                 sources: Sequence[EventSource], invoke: Callable[[Delivery], None]) -> None:
        self.clock = clock
        self.advance = advance
        self.bus = bus
        self.sources = list(sources)
        self.invoke = invoke
        self.advanced_seconds = 0.0  # how far the loop moved the clock, in all
        self._condition = threading.Condition()
        self._busy = 0
        self._reserved = 0
        self._deadlines: list[float] = []
        self._driving = False
        self._local = threading.local()

    def reserve(self, count: int) -> None:
        """Count ``count`` threads about to start as busy already: the next ``count`` ``working()`` take these."""
        with self._condition:
            self._busy += count
            self._reserved += count

    @contextmanager
    def working(self) -> Iterator[None]:
        """Mark this thread busy (time stands still) until the block ends, except while it waits."""
        with self._condition:
            if self._reserved > 0:
                self._reserved -= 1
            else:
                self._busy += 1
            self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            yield
        finally:
            with self._condition:
                self._busy -= 1
                self._local.depth -= 1
                self._condition.notify_all()

    def wait_until(self, done: Callable[[], bool], deadline: float) -> bool:
        """Run the loop until ``done()`` or the clock reaches ``deadline``; returns ``done()``.

        Time never moves past the earliest deadline of those waiting, so each
        wait ends at its own deadline, not at a later one's.
        """
        counted = getattr(self._local, "depth", 0) > 0
        with self._condition:
            if counted:
                self._busy -= 1
            self._deadlines.append(deadline)
            self._condition.notify_all()
            try:
                while not done():
                    if self._driving or self._busy > 0:
                        self._condition.wait(IDLE_POLL_SECONDS)
                        continue
                    self._driving = True
                    horizon = min(self._deadlines)
                    self._condition.release()
                    try:
                        moved = self._step(horizon)
                    finally:
                        self._condition.acquire()
                        self._driving = False
                        self._condition.notify_all()
                    if not moved and self.clock() >= deadline:
                        return done()
                    if not moved:  # another wait's deadline came first: let it end
                        self._condition.wait(IDLE_POLL_SECONDS)
                return True
            finally:
                self._deadlines.remove(deadline)
                if counted:
                    self._busy += 1
                self._condition.notify_all()

    def run_until(self, moment: float) -> None:
        """Let time pass up to ``moment``, running whatever falls due on the way."""
        self.wait_until(lambda: False, moment)

    def _step(self, horizon: float) -> bool:
        """One turn: publish and deliver what is due now, or else move the clock (never past ``horizon``);
        False when nothing is due before the horizon and the clock is there."""
        published = [source.publish_due_events() for source in self.sources]
        due = self.bus.take_due() if self.bus is not None else []
        for delivery in due:
            self.invoke(delivery)
        if due or any(published):  # something happened now (an action may have ended a wait): look again
            return True
        now = self.clock()
        upcoming = [t for t in (s.next_event_at() for s in self.sources) if t is not None and t > now]
        bus_next = self.bus.next_due() if self.bus is not None else None
        if bus_next is not None and bus_next > now:
            upcoming.append(bus_next)
        target = min([*upcoming, horizon])
        if target <= now:
            return False
        self.advance(target - now)
        self.advanced_seconds += target - now
        return True
