"""EventBridge schedule expressions: ``rate(value unit)`` and six-field ``cron(...)``, in UTC.

As the EventBridge User Guide ("Creating an Amazon EventBridge rule that runs
on a schedule") documents them:

- ``rate(value unit)``: a positive whole value; unit minute(s), hour(s) or
  day(s), singular for 1 and plural above ("rate(1 hours)" is not valid). The
  rule fires every ``value`` units from the moment it was created.
- ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``, UTC, minute
  precision (the rule runs within that minute). Fields take ``,`` ``-`` ``*``
  ``/``; Month takes JAN-DEC, Day-of-week 1-7 (1 = Sunday) or SUN-SAT; one of
  Day-of-month and Day-of-week must be ``?`` (and only those may be);
  Day-of-month also takes ``L`` and ``W`` (``15W``, ``LW``), Day-of-week ``L``
  (``6L``: the month's last Friday) and ``#`` (``2#1``: its first Monday).
  Years run 1970-2199. ``cron(37 14 30 11 ? 2026)`` fires once.

A malformed expression raises ``ValueError``; EventBridge answers it with
"Parameter ScheduleExpression is not valid.".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
CRON = re.compile(r"^cron\((.+)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
MONTHS = {name: i + 1 for i, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"))}
DAYS = {name: i + 1 for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
LAST_YEAR = 2199


@dataclass(frozen=True)
class Rate:
    """Fires every ``seconds`` after the rule's anchor (its creation)."""

    seconds: int

    def next_after(self, anchor: float, after: float) -> float:
        """The first firing strictly after ``after`` (and after the anchor)."""
        if after < anchor:
            return anchor + self.seconds
        return anchor + (int((after - anchor) // self.seconds) + 1) * self.seconds


@dataclass(frozen=True)
class Cron:
    """Fires at the start of each minute the six fields allow."""

    minutes: frozenset[int]
    hours: frozenset[int]
    years: frozenset[int]
    months: frozenset[int]
    day_matches: Callable[[int, int, int], bool]  # (year, month, day) -> fires that day

    def next_after(self, anchor: float, after: float) -> float | None:
        """The first firing at or after both ``anchor`` and the minute after ``after``; None if none is left."""
        start = max(anchor, after + 1e-6)
        first = datetime.fromtimestamp(-(-start // 60) * 60, timezone.utc)  # the minute that holds it, or the next
        for year in sorted(y for y in self.years if y >= first.year):
            for month in sorted(self.months):
                if (year, month) < (first.year, first.month):
                    continue
                for day in range(1, calendar.monthrange(year, month)[1] + 1):
                    if (year, month, day) < (first.year, first.month, first.day) or not self.day_matches(
                            year, month, day):
                        continue
                    found = self._in_day(datetime(year, month, day, tzinfo=timezone.utc), first)
                    if found is not None:
                        return found
        return None

    def _in_day(self, day: datetime, first: datetime) -> float | None:
        for hour in sorted(self.hours):
            for minute in sorted(self.minutes):
                moment = day + timedelta(hours=hour, minutes=minute)
                if moment >= first:
                    return moment.timestamp()
        return None


Schedule = Rate | Cron


def parse_schedule(expression: str) -> Schedule:
    """A Rate or Cron; ValueError (with the reason) when EventBridge would refuse the expression."""
    rate = RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise ValueError("the unit must be singular for 1 and plural above")
        return Rate(value * UNIT_SECONDS[unit.rstrip("s")])
    cron = CRON.match(expression)
    if not cron:
        raise ValueError("not a rate(...) or cron(...) expression")
    return _cron(cron.group(1).split())


def _cron(fields: list[str]) -> Cron:
    if len(fields) != 6:
        raise ValueError("a cron expression has six fields")
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ValueError("exactly one of Day-of-month and Day-of-week must be ?")
    if "?" in (minutes, hours, month, year):
        raise ValueError("only Day-of-month and Day-of-week take ?")
    return Cron(minutes=_field(minutes, 0, 59), hours=_field(hours, 0, 23),
                years=_field(year, 1970, LAST_YEAR), months=_field(month, 1, 12, MONTHS),
                day_matches=_days_of_month(day_of_month) if day_of_week == "?" else _days_of_week(day_of_week))


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    """The values of a field: lists of ``*``, ``n``, ``a-b``, each with an optional ``/step``."""
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = _number(step_text, 1, high - low + 1 if high > low else 1) if step_text else 1
        if body == "*":
            first, last = low, high
        elif "-" in body:
            first, last = (_value(v, low, high, names) for v in body.split("-", 1))
        else:
            first = _value(body, low, high, names)
            last = high if step_text else first
        if first > last:
            raise ValueError(f"{part}: a range must go upwards")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _value(text: str, low: int, high: int, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    return _number(text, low, high)


def _number(text: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{text!r} is not a value between {low} and {high}")
    return int(text)


def _days_of_month(text: str) -> Callable[[int, int, int], bool]:
    """Day-of-month with ``L`` (last day), ``nW`` (weekday nearest day n) and ``LW`` (last weekday)."""
    if text in ("L", "LW") or text.endswith("W"):
        def special(year: int, month: int, day: int) -> bool:
            last = calendar.monthrange(year, month)[1]
            if text == "L":
                return day == last
            target = last if text == "LW" else _number(text[:-1], 1, 31)
            return day == _nearest_weekday(year, month, min(target, last))
        return special
    days = _field(text, 1, 31)
    return lambda year, month, day: day in days


def _nearest_weekday(year: int, month: int, day: int) -> int:
    """The weekday nearest ``day`` without leaving the month (cron's W)."""
    weekday = calendar.weekday(year, month, day)  # Monday 0 ... Sunday 6
    last = calendar.monthrange(year, month)[1]
    if weekday == 5:
        return day - 1 if day > 1 else day + 2
    if weekday == 6:
        return day + 1 if day < last else day - 2
    return day


def _days_of_week(text: str) -> Callable[[int, int, int], bool]:
    """Day-of-week (1 = Sunday) with ``nL`` (last such day of the month) and ``n#k`` (its k-th)."""
    def day_of_week(year: int, month: int, day: int) -> int:
        return (calendar.weekday(year, month, day) + 1) % 7 + 1

    if "#" in text:
        weekday_text, _, nth_text = text.partition("#")
        weekday, nth = _value(weekday_text, 1, 7, DAYS), _number(nth_text, 1, 5)
        return lambda y, m, d: day_of_week(y, m, d) == weekday and (d - 1) // 7 + 1 == nth
    if text.endswith("L") and text != "L":
        weekday = _value(text[:-1], 1, 7, DAYS)
        return lambda y, m, d: day_of_week(y, m, d) == weekday and d + 7 > calendar.monthrange(y, m)[1]
    days = frozenset({7}) if text == "L" else _field(text, 1, 7, DAYS)
    return lambda y, m, d: day_of_week(y, m, d) in days
