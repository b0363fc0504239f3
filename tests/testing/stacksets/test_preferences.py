"""StackSet operation preferences as CloudFormation documents them, and the scheduler that honours them.

The scheduler's tests run instances with a stand-in for a stack instance's
process (it sleeps and fails the accounts named), so what they check is the
order alone: concurrency, failure tolerance, Region order, cancellation. The
fleet tests (test_stackset_fleet.py) run the real processes.
"""

from __future__ import annotations

import threading
import time

import pytest

from cdk_backup_jobs.testing import OperationPreferences, StackInstance, StackSetOperation
from cdk_backup_jobs.testing.stacksets.preferences import InvalidOperationPreferences
from cdk_backup_jobs.testing.stacksets.scheduler import OperationScheduler

ACCOUNTS = [f"{100_000_000_000 + n:012d}" for n in range(10)]


def test_percentages_round_down_and_max_concurrency_is_at_least_one():
    preferences = OperationPreferences(failure_tolerance_percentage=19, max_concurrent_percentage=5)
    assert preferences.failure_tolerance(10) == 1  # 1.9 rounds down
    assert preferences.max_concurrent(10) == 1  # 0.5 rounds down to 0, which becomes 1
    assert OperationPreferences(max_concurrent_percentage=25).max_concurrent(10) == 2
    assert OperationPreferences(failure_tolerance_percentage=9).failure_tolerance(10) == 0


def test_the_defaults_are_one_account_at_a_time_and_no_failure():
    preferences = OperationPreferences()
    assert (preferences.failure_tolerance(50), preferences.max_concurrent(50)) == (0, 1)
    assert preferences.concurrency_mode == "STRICT_FAILURE_TOLERANCE"
    assert preferences.region_concurrency_type == "SEQUENTIAL"


def test_strict_concurrency_is_at_most_tolerance_plus_one_and_falls_with_each_failure():
    strict = OperationPreferences(failure_tolerance_count=2, max_concurrent_count=10)
    assert [strict.concurrency(20, failures) for failures in range(4)] == [3, 2, 1, 0]
    assert OperationPreferences(failure_tolerance_count=5, max_concurrent_count=2).concurrency(20, 0) == 2


def test_soft_concurrency_is_the_maximum_whatever_failed():
    soft = OperationPreferences(failure_tolerance_count=0, max_concurrent_count=6,
                                concurrency_mode="SOFT_FAILURE_TOLERANCE")
    assert [soft.concurrency(20, failures) for failures in range(3)] == [6, 6, 6]


@pytest.mark.parametrize("options, message", [
    ({"failure_tolerance_count": 1, "failure_tolerance_percentage": 10}, "not both"),
    ({"max_concurrent_count": 1, "max_concurrent_percentage": 10}, "not both"),
    ({"max_concurrent_count": 0}, "at least 1"),
    ({"max_concurrent_percentage": 0}, "from 1 to 100"),
    ({"concurrency_mode": "FAST"}, "ConcurrencyMode"),
    ({"region_concurrency_type": "ALL"}, "RegionConcurrencyType"),
])
def test_preferences_cloudformation_refuses_are_refused(options, message):
    with pytest.raises(InvalidOperationPreferences, match=message):
        OperationPreferences(**options)


def test_region_order_comes_first_and_must_name_the_operations_regions():
    preferences = OperationPreferences(region_order=("eu-west-1",))
    assert preferences.ordered_regions(["us-east-1", "eu-west-1", "ap-south-1"]) == [
        "eu-west-1", "us-east-1", "ap-south-1"]
    with pytest.raises(InvalidOperationPreferences, match="eu-west-1"):
        preferences.ordered_regions(["us-east-1"])


class Stand:
    """Stands in for an instance's process: takes a little time, fails the accounts named, counts overlap."""

    def __init__(self, failing: set[str], seconds: float = 0.05) -> None:
        self.failing, self.seconds = failing, seconds
        self.running: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, instance: StackInstance) -> None:
        with self.lock:
            self.running[instance.region] = self.running.get(instance.region, 0) + 1
            self.peak[instance.region] = max(self.peak.get(instance.region, 0), self.running[instance.region])
        time.sleep(self.seconds)
        with self.lock:
            self.running[instance.region] -= 1
        failed = instance.account in self.failing
        instance.apply_report({"status": "ROLLBACK_COMPLETE" if failed else "CREATE_COMPLETE", "reason": "no"})


def run(preferences: OperationPreferences, regions: list[str], failing: set[str], processes: int = 8,
        accounts: list[str] = ACCOUNTS) -> tuple[StackSetOperation, Stand]:
    operation = StackSetOperation("op", "Set", "CREATE", preferences,
                                  [StackInstance("Set", a, r, "ou") for r in regions for a in accounts])
    stand = Stand(failing)
    OperationScheduler(operation, stand, processes).run()
    operation.finish()
    return operation, stand


def test_strict_never_fails_more_than_tolerance_plus_one_even_when_every_account_fails():
    operation, stand = run(OperationPreferences(failure_tolerance_count=2, max_concurrent_count=8),
                           ["us-east-1"], set(ACCOUNTS))
    assert len(operation.accounts("FAILED")) == 3
    assert len(operation.accounts("CANCELLED")) == 7
    assert stand.peak["us-east-1"] <= 3
    assert operation.status == "FAILED"


def test_soft_runs_at_the_maximum_and_may_fail_past_tolerance_plus_one():
    operation, stand = run(OperationPreferences(failure_tolerance_count=0, max_concurrent_count=5,
                                                concurrency_mode="SOFT_FAILURE_TOLERANCE"),
                           ["us-east-1"], set(ACCOUNTS))
    assert stand.peak["us-east-1"] == 5
    assert len(operation.accounts("FAILED")) == 5  # all in progress when the first failed run to their end
    assert len(operation.accounts("CANCELLED")) == 5


def test_within_tolerance_every_account_is_attempted_and_the_operation_succeeds():
    operation, _ = run(OperationPreferences(failure_tolerance_count=1, max_concurrent_count=4),
                       ["us-east-1", "eu-west-1"], {ACCOUNTS[3]})
    assert operation.status == "SUCCEEDED"
    assert operation.accounts("FAILED") == [ACCOUNTS[3]]
    assert len(operation.with_status("SUCCEEDED")) == 18
    assert operation.instance(ACCOUNTS[3], "eu-west-1").status == "OUTDATED"
    assert operation.instance(ACCOUNTS[4], "eu-west-1").status == "CURRENT"


def test_sequential_regions_stop_at_the_first_region_past_tolerance():
    operation, _ = run(OperationPreferences(failure_tolerance_count=0, region_order=("eu-west-1",)),
                       ["us-east-1", "eu-west-1"], {ACCOUNTS[0]})
    assert operation.region_order == ["eu-west-1", "us-east-1"]
    assert operation.accounts("FAILED", "eu-west-1") == [ACCOUNTS[0]]
    assert len(operation.with_status("CANCELLED", "eu-west-1")) == 9
    assert len(operation.with_status("CANCELLED", "us-east-1")) == 10
    assert all(i.started_at is None for i in operation.with_status("CANCELLED"))
    assert "stopped in eu-west-1" in operation.status_reason and ACCOUNTS[0] in operation.status_reason
    assert "Not attempted" in operation.instance(ACCOUNTS[5], "us-east-1").status_reason


def test_parallel_regions_run_at_once_and_stop_each_on_its_own():
    operation, stand = run(OperationPreferences(failure_tolerance_count=0, max_concurrent_count=2,
                                                region_concurrency_type="PARALLEL"),
                           ["us-east-1", "eu-west-1"], {ACCOUNTS[9]}, accounts=ACCOUNTS)
    assert stand.peak == {"us-east-1": 1, "eu-west-1": 1}  # STRICT with tolerance 0: one account at a time
    assert list(operation.stopped_regions) in (["us-east-1", "eu-west-1"], ["eu-west-1", "us-east-1"])
    assert len(operation.with_status("SUCCEEDED")) == 18


def test_the_machine_limit_changes_no_outcome():
    preferences = OperationPreferences(failure_tolerance_count=1, max_concurrent_count=2)
    one, _ = run(preferences, ["us-east-1"], {ACCOUNTS[0], ACCOUNTS[1]}, processes=1)
    many, _ = run(preferences, ["us-east-1"], {ACCOUNTS[0], ACCOUNTS[1]}, processes=8)
    assert [(i.account, i.detailed_status) for i in one.instances] == [
        (i.account, i.detailed_status) for i in many.instances]
    assert one.accounts("FAILED") == [ACCOUNTS[0], ACCOUNTS[1]] and len(one.accounts("CANCELLED")) == 8


def test_apply_report_takes_a_workers_report_into_the_instance():
    instance = StackInstance("Set", "100000000000", "us-east-1", "ou")
    assert instance.apply_report({"status": "CREATE_COMPLETE", "stack_id": "arn:stack", "outputs": {"A": "1"},
                                  "jobs": [{"job_id": "j"}], "start_backup_job_calls": 1}) is True
    assert (instance.status, instance.detailed_status, instance.stack_id, instance.outputs) == \
        ("CURRENT", "SUCCEEDED", "arn:stack", {"A": "1"})
    assert instance.apply_report({"status": "ROLLBACK_COMPLETE", "reason": "denied"}) is False
    assert (instance.status, instance.detailed_status, instance.status_reason) == \
        ("OUTDATED", "FAILED", "stack ROLLBACK_COMPLETE: denied")
