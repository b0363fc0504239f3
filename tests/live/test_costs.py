"""The live run's cost estimate, from the dated price table kept beside it."""

from __future__ import annotations

import re
from datetime import date

import pytest

from live.costs import Assumptions, estimate, load_prices
from live.scenarios import BY_NAME, SCENARIOS


def test_the_price_table_is_dated_and_cites_a_source_for_each_figure():
    table = load_prices()
    date.fromisoformat(table["read_on"])
    assert "estimate" in table["note"].lower()
    for name, item in table["prices"].items():
        assert item["usd"] >= 0, name
        assert re.match(r"https://aws\.amazon\.com/|https://docs\.aws\.amazon\.com/", item["source"]), name
        assert item["figure_read_from"].startswith("https://"), name


def test_the_estimate_sums_storage_and_lambda_from_the_table():
    table = {"region": "us-east-1", "read_on": "2026-12-07", "prices": {
        "backup_storage_gb_month": {"usd": 0.10}, "dynamodb_backup_gb_month": {"usd": 0.10},
        "lambda_requests_per_million": {"usd": 0.20}, "lambda_gb_second": {"usd": 0.0000166667},
        "eventbridge_aws_service_events_per_million": {"usd": 0.0}}}
    one = [BY_NAME["waited-copy"]]  # 2 recovery points, 2 stack operations
    assumed = Assumptions(backup_gb=1.0, hours_kept=730.0, invocations_per_deployment=10, seconds_per_invocation=2.0)

    result = estimate(one, table, assumed)

    storage = 2 * 1.0 * 0.10  # two points of 1 GB for a month
    lambda_cost = 20 / 1e6 * 0.20 + 20 * 2.0 * 0.25 * 0.0000166667
    assert result.total_usd == pytest.approx(storage + lambda_cost)
    assert "estimate" in result.lines[0] and "2026-12-07" in result.lines[0]


def test_a_whole_run_is_estimated_under_a_cent():
    assert estimate(SCENARIOS, load_prices()).total_usd < 0.01
