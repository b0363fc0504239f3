"""Reliability suites: each case records its counts; bench/reliability.py turns them into docs/reliability.md.

RELIABILITY_SCALE=full runs the large sizes (by hand); CI runs the same cases smaller.
A test that fails without having recorded a failure gets a row of its own, so
a failing case cannot drop out of the table.
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


_first_row = pytest.StashKey[int]()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Add a failing row for a test that failed (in any phase, or by the log scan) but recorded none.

    ``tryfirst`` makes this the outermost wrapper, so it sees the report after
    tests/conftest.py's log scan may have failed it.
    """
    if call.when == "setup":
        item.stash[_first_row] = len(_records)
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    rows = _records[item.stash.get(_first_row, len(_records)):]
    if report.failed and not any(row["failures"] for row in rows):
        _records.append({"suite": f"{item.path.stem} (failed, no failure recorded)",
                         "case": f"{item.name}, {report.when}", "cases": 1, "failures": 1,
                         "duplicates": 0, "hung": 0})


@pytest.fixture(scope="session", autouse=True)
def write_records() -> Iterator[None]:
    yield
    target = os.environ.get("RELIABILITY_RESULTS")
    if target:
        Path(target).write_text(json.dumps(_records, indent=1))
