"""``max_processes`` bounds the instances running at once across every operation, auto-deployments included."""

from __future__ import annotations

import threading
import time
from typing import Any

from cdk_backup_jobs.testing import AutoDeployment, OperationPreferences, SimulatedOrganization, StackSetSimulator

TEMPLATE = {"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}
REGIONS = ["us-east-1", "eu-west-1"]


def test_auto_deployments_of_several_stack_sets_share_max_processes():
    organization = SimulatedOrganization.of_sizes({"ou-a": 1})
    running, peak, lock = 0, 0, threading.Lock()
    with StackSetSimulator(organization, max_processes=2) as fleet:
        original = fleet._services.run

        def counted(*args: Any, **kwargs: Any) -> dict[str, Any]:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            try:
                time.sleep(0.3)  # long enough for every thread that could run to be running
                return original(*args, **kwargs)
            finally:
                with lock:
                    running -= 1

        fleet._services.run = counted  # type: ignore[method-assign]
        for name in ("First", "Second", "Third"):  # none depends on another: they auto-deploy together
            stack_set = fleet.create_stack_set(name, TEMPLATE, auto_deployment=AutoDeployment(enabled=True))
            fleet.create_stack_instances(stack_set, ["ou-a"], REGIONS, OperationPreferences(max_concurrent_count=1))
        peak = 0
        deployments = fleet.add_account("ou-a", "100000000099")

    assert [d.status for d in deployments] == ["SUCCEEDED"] * 3
    assert peak == 2  # 3 StackSets x 2 Regions wanted to run at once; 2 instances did
