"""AWS's clock, read from its answers: deadlines are kept in the service's time, not the function's.

Clock skew in the function can then neither stretch nor cut a wait.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Mapping


def service_time(answer: Mapping[str, Any]) -> float:
    """The service's clock, from the Date header of its answer (epoch seconds; now, if it has none)."""
    from email.utils import parsedate_to_datetime  # here: the email package costs ~25 ms of a cold start

    date = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(date).timestamp() if date else time.time()
    except (TypeError, ValueError):
        return time.time()


def epoch(value: Any) -> float:
    """A timestamp from an answer as epoch seconds (now, if it has none)."""
    return value.timestamp() if isinstance(value, datetime) else time.time()


def event_time(event: Any) -> float | None:
    """An EventBridge event's ``time`` (ISO 8601, AWS's clock) as epoch seconds, or None."""
    return epoch_of(event.get("time")) if isinstance(event, Mapping) else None


def epoch_of(value: Any) -> float | None:
    """An ISO 8601 text (``2026-11-30T12:00:00.000Z``) as epoch seconds, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
