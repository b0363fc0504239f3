"""Virtual time on its own: the loop moves the clock straight to what is due next, and a test's timed actions run in
time order; no stack, no server, no thread (the services' tests reach it through a stack's waits)."""

from __future__ import annotations

from typing import Any

from cdk_backup_jobs.testing import ManualClock
from cdk_backup_jobs.testing.shared.virtual_time import TimedActions, VirtualTimeLoop

HOUR = 3600.0


class Bus:
    """Deliveries due at set moments, read as the loop reads EventBridge's bus."""

    def __init__(self, clock: ManualClock, due: list[tuple[float, str]]) -> None:
        self.clock = clock
        self.due = sorted(due)

    def take_due(self) -> list[str]:
        taken = [delivery for moment, delivery in self.due if moment <= self.clock()]
        self.due = [(moment, delivery) for moment, delivery in self.due if moment > self.clock()]
        return taken

    def next_due(self) -> float | None:
        return self.due[0][0] if self.due else None


def loop_of(clock: ManualClock, bus: Bus | None, *sources: Any, invoked: list[tuple[float, str]]) -> VirtualTimeLoop:
    return VirtualTimeLoop(clock, clock.advance, bus, sources,
                           invoke=lambda delivery: invoked.append((clock(), delivery)))


def test_the_loop_moves_the_clock_to_each_delivery_and_then_to_the_deadline():
    clock = ManualClock()
    start = clock()
    invoked: list[tuple[float, str]] = []
    loop = loop_of(clock, Bus(clock, [(start + 2 * HOUR, "late"), (start + 30, "soon")]), invoked=invoked)

    loop.run_until(start + 5 * HOUR)

    assert invoked == [(start + 30, "soon"), (start + 2 * HOUR, "late")]  # each at its moment, not before or after
    assert clock() == start + 5 * HOUR and loop.advanced_seconds == 5 * HOUR


def test_a_wait_ends_when_it_is_done_without_moving_the_clock_further():
    clock = ManualClock()
    start = clock()
    invoked: list[tuple[float, str]] = []
    loop = loop_of(clock, Bus(clock, [(start + 60, "signal"), (start + HOUR, "never seen")]), invoked=invoked)

    assert loop.wait_until(lambda: bool(invoked), start + 12 * HOUR) is True

    assert invoked == [(start + 60, "signal")] and clock() == start + 60


def test_a_wait_that_nothing_ends_returns_false_at_its_deadline():
    clock = ManualClock()
    start = clock()
    loop = loop_of(clock, None, invoked=[])

    assert loop.wait_until(lambda: False, start + 90) is False
    assert clock() == start + 90


def test_timed_actions_run_in_time_order_and_those_of_one_moment_in_the_order_set():
    clock = ManualClock()
    start = clock()
    actions = TimedActions(clock)
    ran: list[tuple[str, float]] = []
    for name, moment in [("third", 3 * HOUR), ("first", HOUR), ("second", 3 * HOUR)]:
        actions.add(start + moment, lambda name=name: ran.append((name, clock())))
    actions.add(start - 10, lambda: ran.append(("passed", clock())))  # a moment passed runs at the next turn
    loop = loop_of(clock, None, actions, invoked=[])

    assert actions.next_event_at() == start  # not the passed moment: the loop never moves time back
    loop.run_until(start + 4 * HOUR)

    assert ran == [("passed", start), ("first", start + HOUR), ("third", start + 3 * HOUR),
                   ("second", start + 3 * HOUR)]
    assert [moment for moment, _ in actions.done] == [start - 10, start + HOUR, start + 3 * HOUR, start + 3 * HOUR]
    assert actions.next_event_at() is None and clock() == start + 4 * HOUR
