"""The current invocation's deadline: noted once by the handler, read by whatever retries within it.

Lambda runs one invocation at a time in a container, so the deadline is held
here, for the retries deep in the calls (``iam_propagation``, a result's
``describe_patiently``) that must stop in time for the function to answer.
"""

from __future__ import annotations

import time
from typing import Any, Callable

_deadline: float | None = None
"""When the current invocation ends (``time.monotonic``); None outside one, or unknown."""


def begin(remaining_seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
    """Note when this invocation ends (Lambda's ``get_remaining_time_in_millis``); None: unknown."""
    global _deadline
    _deadline = None if remaining_seconds is None else clock() + remaining_seconds


def begin_from(context: Any) -> None:
    """``begin`` with the Lambda context's remaining time (a context without it: unknown)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    begin(float(remaining()) / 1000.0 if callable(remaining) else None)


def deadline() -> float | None:
    """When the current invocation ends, on ``time.monotonic``'s clock; None if unknown."""
    return _deadline


def seconds_left(clock: Callable[[], float] = time.monotonic) -> float | None:
    """Seconds until the current invocation ends; None if unknown."""
    return None if _deadline is None else _deadline - clock()
