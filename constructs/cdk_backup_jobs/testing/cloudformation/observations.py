"""What a test reads of a simulated stack besides its operations' results: invocations by cause, virtual time
waited, function logs and runtimes, physical IDs, and the resources as ListStackResources lists them."""

from __future__ import annotations

from typing import Any

from cdk_backup_jobs.testing.cloudformation.stack import SimulatedStack
from cdk_backup_jobs.testing.lambda_service.runtime import InvocationLog, LambdaRuntime

__all__ = ["StackObservations"]


class StackObservations(SimulatedStack):
    """Mixin of CloudFormationSimulator: read-only views of the stack and its functions."""

    template: dict[str, Any]
    _resource_status: dict[str, str]

    def stack_resources(self) -> list[dict[str, Any]]:
        """The stack's resources as ListStackResources summarises them (logical ID, physical ID, type, status)."""
        resources, statuses = self.resources.copy(), self._resource_status.copy()
        rows = [{"LogicalResourceId": lid, "PhysicalResourceId": r.physical_id, "ResourceType": r.resource_type,
                 "ResourceStatus": statuses.get(lid, "CREATE_COMPLETE")} for lid, r in resources.items()]
        definitions = self.template.get("Resources", {})
        rows += [{"LogicalResourceId": lid, "ResourceType": definitions.get(lid, {}).get("Type", ""),
                  "ResourceStatus": status} for lid, status in statuses.items() if lid not in resources]
        return rows

    @property
    def invocations(self) -> InvocationLog:
        """Every function invocation with its cause: "cloudformation", "event" or "schedule"."""
        return self.functions.log

    @property
    def invocation_counts(self) -> dict[str, dict[str, int]]:
        """Function ARN -> {"cloudformation": n, "event": n, "schedule": n}."""
        return self.functions.log.counts()

    @property
    def waited_seconds(self) -> float:
        """The virtual seconds the simulator moved its clock, over every operation so far."""
        return self.loop.advanced_seconds

    def wake_ups_per_hour(self, function_arn: str | None = None) -> float:
        """Invocations by rules (events and schedules) per hour of virtual time passed so far (0.0 if none)."""
        woken = sum(self.functions.log.count(function_arn, cause) for cause in ("event", "schedule"))
        return woken / (self.waited_seconds / 3600) if self.waited_seconds else 0.0

    @property
    def function_logs(self) -> str:
        """Everything every function wrote to stdout and stderr."""
        return self.functions.logs

    @property
    def runtimes(self) -> dict[str, LambdaRuntime]:
        """The functions started so far, by ARN."""
        return self.functions.runtimes

    def physical_id(self, logical_id: str) -> str:
        return self.resources[logical_id].physical_id
