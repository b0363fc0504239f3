"""What BackupJob and CopyJob share: checked properties and the one custom resource."""

from __future__ import annotations

from typing import Any, Mapping

from aws_cdk import CustomResource, Duration, Stack, Token
from constructs import Construct

from cdk_backup_jobs.provider import BackupJobsProvider
from cdk_backup_jobs_runtime.shapes import MAX_WAIT_MINUTES, Member
from cdk_backup_jobs_runtime.rules import (Violation,
                                                              placement_violations)
from cdk_backup_jobs.run_on import RunOn
from cdk_backup_jobs.lifecycle import JobLifecycle
from cdk_backup_jobs.validation import (JobValidationError, PropType, check_job_input, check_prop_types,
                                        instance_of, is_flag, is_role, is_unresolved, whole_units)

SERVICE_TIMEOUT = Duration.minutes(5)
"""How long CloudFormation waits for a job that is not waited for (its default is one hour)."""
WAIT_GRACE = Duration.minutes(5)
"""Added to a waited job's timeout: time for the last poll and the answer."""
MAX_POLLING_LOGICAL_ID = 56
"""crhelper names its rule LogicalId + 8 characters; EventBridge allows 64."""

PROVIDER_PROP_NAMES = {
    "WaitForCompletion": "wait_for_completion",
    "WaitTimeoutMinutes": "timeout",
    "RunToken": "run_on",
}


def check_shared_prop_types(scope: Construct, role: Any, lifecycle: Any, wait_for_completion: Any,
                            timeout: Any, run_on: Any, *more: PropType) -> None:
    """The props both jobs take that the rules never see as given (a role is read for its
    ARN, a flag for its truth): a wrong type is named here, never an AttributeError later."""
    check_prop_types(scope.node.path, [
        PropType("role", role, is_role, "an IRole", required=True),
        PropType("lifecycle", lifecycle, instance_of(JobLifecycle), "a JobLifecycle"),
        PropType("wait_for_completion", wait_for_completion, is_flag, "True or False"),
        PropType("timeout", timeout, instance_of(Duration), "a Duration"),
        PropType("run_on", run_on, instance_of(RunOn), "a RunOn"),
        *more,
    ])


def provider_properties(wait_for_completion: bool, timeout: Duration | None, run_on: RunOn | None,
                        problems: list[Violation]) -> dict[str, Any]:
    """The provider's own properties: WaitForCompletion, WaitTimeoutMinutes, RunToken."""
    return {
        "WaitForCompletion": True if wait_for_completion else None,
        "WaitTimeoutMinutes": whole_units(timeout, "minutes", "WaitTimeoutMinutes", problems) if timeout else None,
        "RunToken": run_on.run_token if run_on else None,
    }


def waits(properties: Mapping[str, Any]) -> bool:
    """Whether some request of this resource waits for a job (a final backup waits on Delete)."""
    return properties.get("WaitForCompletion") is True or properties.get("RunOnDelete") is True


def service_timeout(properties: Mapping[str, Any]) -> Duration:
    """CloudFormation's wait: a little longer than the provider's own, capped at one hour."""
    if not waits(properties):
        return SERVICE_TIMEOUT
    minutes = properties.get("WaitTimeoutMinutes", MAX_WAIT_MINUTES)
    if Token.is_unresolved(minutes):
        return Duration.minutes(60)
    return Duration.minutes(min(int(minutes) + WAIT_GRACE.to_minutes(), 60))


def checked_properties(
    scope: Construct,
    shape: Member,
    candidates: Mapping[str, Any],
    prop_names: Mapping[str, str],
    problems: list[Violation],
) -> dict[str, Any]:
    """The resource properties: unset members dropped, every rule checked (the stack's
    account and Region too, where a member must be in them and both are known)."""
    properties = {name: value for name, value in candidates.items() if value is not None}
    stack = Stack.of(scope)
    placement = placement_violations(properties, stack.account, stack.region, is_unresolved)
    check_job_input(scope.node.path, shape, properties, prop_names, [*problems, *placement])
    return properties


class JobConstruct(Construct):
    """Base of BackupJob and CopyJob: the attributes both jobs have."""

    resource: CustomResource
    waits: bool = False

    def _finished_attribute(self, name: str, prop: str) -> str:
        if not self.waits:
            raise JobValidationError(
                f"{self.node.path}: {prop} is known only when the job is waited for "
                "(wait_for_completion=True)")
        return self.resource.get_att_string(name)

    @property
    def creation_date(self) -> str:
        """When the job was created, ISO 8601 in UTC. Token: ``Fn::GetAtt CreationDate``."""
        return self.resource.get_att_string("CreationDate")

    @property
    def is_parent(self) -> str:
        """``"true"`` for a parent (composite) job, else ``"false"``. Token: ``Fn::GetAtt IsParent``."""
        return self.resource.get_att_string("IsParent")


def job_custom_resource(
    scope: Construct, provider: BackupJobsProvider, resource_type: str, properties: Mapping[str, Any]
) -> CustomResource:
    """The job's custom resource, created after the provider's policy and deleted before it.

    A waited job (or a final backup) also lets the provider poll for it (its
    own schedule rule).
    """
    resource = CustomResource(
        scope, "Resource",
        service_token=provider.service_token,
        resource_type=resource_type,
        properties=dict(properties),
        service_timeout=service_timeout(properties),
    )
    resource.node.add_dependency(provider.policy)
    if waits(properties):
        stack = Stack.of(scope)
        logical_id = stack.get_logical_id(resource.node.default_child)  # type: ignore[arg-type]
        if len(stack.resolve(logical_id)) > MAX_POLLING_LOGICAL_ID:
            raise JobValidationError(
                f"{scope.node.path}: a waited job's logical ID must be at most {MAX_POLLING_LOGICAL_ID} "
                f"characters (crhelper names its polling rule after it), got {stack.resolve(logical_id)}")
        provider.allow_polling(logical_id)
    return resource
