"""Actions a test sets at moments of virtual time: stop a job at hour 3, delete the stack at hour 2.

``TimedActions`` is an event source of the simulator's virtual-time loop
(``event_loop``): the loop moves the clock straight to the next action's
moment, as to a job's state change, and runs it there, in the order the
moments come (actions at one moment in the order they were set). An action
runs only while the stack waits (in an operation, or in ``wait()``): one set
after every wait has ended runs in a later operation's wait, if any.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from typing import Any, Callable


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
