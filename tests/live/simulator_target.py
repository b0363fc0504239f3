"""``SimulatorTarget``: the scenarios against the CloudFormationSimulator and the local AWS Backup, from the
pytest plugin's fixtures (``aws_backup``, ``cfn_stack``). Time is the simulation's: a job takes minutes
of it, a wait costs none of the test's.

Stacks see each other as they would in one account and Region: each new stack gets the exports of the
stacks deployed before it, and every provider function those export (a ServiceToken) runs the provider's
code (``functions=``), as tests/scenarios/test_provider_move.py wires a shared provider.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import boto3

from cdk_backup_jobs.provider.asset import provider_asset_dir
from cdk_backup_jobs.testing import JobTiming, ManualClock, read_assembly_template

from live.target import BackupApi, Ledger, StackResult, Target

JOB_TIMING = JobTiming(pending_after=60, running_after=120, done_after=300)
"""A small table's backup: started within a minute or two, done within five (virtual) minutes."""
SESSION_SECONDS = 3600
"""The caller's session CloudFormation acts with when no service role is given: an hour, as for a typical
assumed role (docs/cloudformation.md), so a template deployed without one meets its expiry as on AWS."""


class SimulatorTarget(Target):
    def __init__(self, aws_backup: Any, cfn_stack: Callable[..., Any]) -> None:
        # The account and Region of the local AWS Backup the fixtures serve.
        self.account, self.region = aws_backup.emulator.place.account_id, aws_backup.emulator.place.region
        self.clock = ManualClock()
        aws_backup.emulator.clock = self.clock
        aws_backup.emulator.timing = JOB_TIMING
        self.make_stack = cfn_stack
        self.stacks: dict[str, Any] = {}
        self.backup = BackupApi(boto3.client("backup", region_name=self.region))
        self.ledger = Ledger()

    def _wiring(self) -> dict[str, Any]:
        exports = {name: value for stack in self.stacks.values() for name, value in stack.exports.items()}
        functions = {str(value): provider_asset_dir() for value in exports.values()
                     if str(value).startswith("arn:aws:lambda:")}
        return {"exports": exports, "functions": functions, "on_tick": self.clock.advance}

    def _result(self, operation: Any, started_at: float) -> StackResult:
        return StackResult(operation.status, operation.reason, {k: str(v) for k, v in operation.outputs.items()},
                           started_at, {wc.logical_id: wc.ended_at for wc in operation.wait_conditions
                                        if wc.status == "CREATE_COMPLETE"})

    def deploy_assembly(self, assembly: Path, stack_name: str) -> StackResult:
        started_at = self.now()
        template = read_assembly_template(assembly, stack_name)
        stack = self.stacks.get(stack_name)
        if stack is None:
            stack = self.stacks[stack_name] = self.make_stack(assembly, stack_name=stack_name, **self._wiring())
            return self._result(stack.deploy(template), started_at)
        stack.assets_dir = Path(assembly)  # the update's own assets, as cdk deploy publishes them
        return self._result(stack.update(template), started_at)

    def deploy_template(self, template: Path, stack_name: str, parameters: Mapping[str, str],
                        role_arn: str | None) -> StackResult:
        started_at = self.now()
        stack = self.stacks[stack_name] = self.make_stack(
            stack_name=stack_name, parameters=dict(parameters), role_arn=role_arn,
            caller_session_seconds=SESSION_SECONDS, **self._wiring())
        return self._result(stack.deploy(template), started_at)

    def destroy(self, stack_name: str) -> StackResult:
        started_at = self.now()
        stack = self.stacks.pop(stack_name, None)
        if stack is None:
            return StackResult("DELETE_COMPLETE", started_at=started_at)  # DeleteStack of no stack succeeds
        return self._result(stack.delete(), started_at)

    def stack_resource_types(self, stack_name: str) -> list[str]:
        return sorted({row["ResourceType"] for row in self.stacks[stack_name].stack_resources()})

    def now(self) -> float:
        return self.clock()

    def sleep(self, seconds: float) -> None:
        self.clock.advance(seconds)
