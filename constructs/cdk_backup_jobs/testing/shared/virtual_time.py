"""Virtual time, shared by the simulated services: a clock moved by hand, and a loop that moves it to what is due next.

``ManualClock`` is the clock tests move by hand (``clock.advance(seconds)``).

While CloudFormation waits (for a custom resource's response, for a
WaitCondition's signals) nothing in AWS moves unless time passes. The loop
(``VirtualTimeLoop``) makes it pass: it publishes what its event sources (the
Backup emulator's job state changes, a test's ``TimedActions``) have due,
hands due deliveries of its bus (EventBridge's matched events, schedule
firings) to ``invoke``, and when nothing is due now moves the clock straight
to the next due moment (the next schedule firing, the next job state change
or delayed event, or the wait's deadline), until the awaited thing happened
or the deadline passed. It knows a bus and a source only by what it reads of
them (``DueDeliveries``, ``EventSource``), so no service package sits below it.

Several resources may wait at once (one wave of a deploy runs in parallel):
time moves only while no resource is busy outside a wait (``working``), and one
waiting thread at a time drives the loop, so every wait sees the same
timeline.

``TimedActions`` are actions a test sets at moments of virtual time (stop a
job at hour 3, delete the stack at hour 2): an event source of the loop, which
moves the clock straight to the next action's moment, as to a job's state
change, and runs it there, in the order the moments come (actions at one
moment in the order they were set). An action runs only while the stack waits
(in an operation, or in ``wait()``): one set after every wait has ended runs
in a later operation's wait, if any.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Protocol, Sequence

IDLE_POLL_SECONDS = 0.02


class ManualClock:
    """A clock that moves only when told: ``clock.advance(seconds)``."""

    def __init__(self, start: float = 1_764_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class DueDeliveries(Protocol):
    """What the loop reads of an event bus (EventBridge's ``EventBus`` is one): deliveries due now, and when next."""

    def take_due(self) -> Sequence[Any]: ...

    def next_due(self) -> float | None: ...


class EventSource(Protocol):
    """Something that makes events as time passes (``BackupEmulator`` is one)."""

    def next_event_at(self) -> float | None: ...

    def publish_due_events(self) -> Any: ...


class VirtualTimeLoop:
    """Runs the bus and the event sources on ``clock`` while someone waits."""

    def __init__(self, clock: Callable[[], float], advance: Callable[[float], None], bus: DueDeliveries | None,
                 sources: Sequence[EventSource], invoke: Callable[[Any], None]) -> None:
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


class TimedActions:
    """Actions by the virtual time they are due at, run by the loop (``next_event_at``/``publish_due_events``)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.done: list[tuple[float, Callable[[], Any]]] = []
        """(moment, action) of every action run so far, in the order they ran."""
        self._due: list[tuple[float, int, Callable[[], Any]]] = []
        self._order = itertools.count()
        self._lock = threading.Lock()

    def add(self, moment: float, action: Callable[[], Any]) -> None:
        """Run ``action`` once the clock reaches ``moment`` (epoch seconds); a moment passed runs at the next turn."""
        with self._lock:
            heapq.heappush(self._due, (float(moment), next(self._order), action))

    def next_event_at(self) -> float | None:
        """The moment of the next action, or None."""
        with self._lock:
            return max(self._due[0][0], self.clock()) if self._due else None

    def publish_due_events(self) -> list[Callable[[], Any]]:
        """Run every action due by now, in time order; an action that raises stops the operation running it."""
        ran: list[Callable[[], Any]] = []
        while True:
            with self._lock:
                if not self._due or self._due[0][0] > self.clock():
                    return ran
                moment, _, action = heapq.heappop(self._due)
            self.done.append((moment, action))
            ran.append(action)
            action()
