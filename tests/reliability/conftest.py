"""Reliability suites: each case records its counts; bench/reliability.py turns them into docs/reliability.md.

RELIABILITY_SCALE=full runs the large sizes (by hand); CI runs the same cases smaller.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

_records: list[dict[str, Any]] = []


@pytest.fixture
def record() -> Callable[..., None]:
    """record(suite, case, cases=, failures=, duplicates=, hung=, **figures)."""

    def add(suite: str, case: str, *, cases: int, failures: int = 0, duplicates: int = 0, hung: int = 0,
            **figures: Any) -> None:
        _records.append({"suite": suite, "case": case, "cases": cases, "failures": failures,
                         "duplicates": duplicates, "hung": hung, **figures})

    return add


@pytest.fixture(scope="session", autouse=True)
def write_records() -> Iterator[None]:
    yield
    target = os.environ.get("RELIABILITY_RESULTS")
    if target:
        Path(target).write_text(json.dumps(_records, indent=1))
