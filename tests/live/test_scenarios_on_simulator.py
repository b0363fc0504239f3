"""Each live scenario, run on the simulator target: the same code ``./dev test-live`` runs on AWS.

Each test sets up the Base stack, runs one scenario, cleans up, and checks that the run left nothing:
no stack, no recovery point in the run's vaults, every vault the run made deleted.
"""

from __future__ import annotations

from typing import Any

import pytest

from live.scenarios import SCENARIOS, Run, Scenario, clean_up, set_up
from live.simulator_target import SimulatorTarget

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.name for scenario in SCENARIOS])
def test_the_scenario_passes_on_the_simulator_and_leaves_nothing(scenario: Scenario, aws_backup: Any,
                                                                 cfn_stack: Any):
    target = SimulatorTarget(aws_backup, cfn_stack)
    run = Run("cbj-live-test")
    try:
        set_up(target, run)
        scenario.run(target, run)
    finally:
        clean_up(target, run)

    assert target.stacks == {} and run.stacks == []
    assert target.ledger.left == [], target.ledger.summary()
    assert [point for point in aws_backup.emulator.recovery_points()
            if point["BackupVaultName"] in ("cbj-live-test-primary", "cbj-live-test-copies")] == []
    assert any(line.startswith("removed: recovery point") for line in target.ledger.summary()) == (scenario.backups > 0)
