"""What BackupJob and CopyJob share: the base construct and its attributes, and the one custom resource.

``RecoveryPointSource`` is what a CopyJob copies from (a BackupJob is one):
naming it here lets copy_job take a backup job without importing backup_job,
which imports copy_job (``BackupJob.copy_to``).
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, runtime_checkable

from aws_cdk import CfnResource, CustomResource, Duration, Stack, Token
from constructs import Construct, Node

from cdk_backup_jobs.provider import BackupJobsProvider
from cdk_backup_jobs.validation import JobValidationError
from cdk_backup_jobs_runtime.rules import waits
from cdk_backup_jobs_runtime.shapes import MAX_WAIT_MINUTES

RESOURCE_ID = "Resource"
"""The construct ID of a job's custom resource, under the job."""
SERVICE_TIMEOUT = Duration.minutes(5)
"""How long CloudFormation waits for a job that is not waited for (its default is one hour)."""
WAIT_GRACE = Duration.minutes(5)
"""Added to a waited job's timeout: time for the last poll and the answer."""


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

    @property
    def completion_date(self) -> str:
        """When the job completed, ISO 8601 in UTC (waited jobs only). Token: ``Fn::GetAtt CompletionDate``."""
        return self._finished_attribute("CompletionDate", "completion_date")

    @property
    def backup_size_in_bytes(self) -> str:
        """The size of the backup or copy in bytes (waited jobs only). Token: ``Fn::GetAtt BackupSizeInBytes``."""
        return self._finished_attribute("BackupSizeInBytes", "backup_size_in_bytes")


@runtime_checkable
class RecoveryPointSource(Protocol):
    """A job whose recovery point a CopyJob can copy: a backup job (BackupJob)."""

    @property
    def node(self) -> Node: ...

    @property
    def waits(self) -> bool: ...

    @property
    def recovery_point_arn(self) -> str: ...

    @property
    def backup_vault_name(self) -> str: ...


def is_recovery_point_source(value: Any) -> bool:
    """A job of this library that makes a recovery point (a CopyJob does not count)."""
    return isinstance(value, JobConstruct) and isinstance(value, RecoveryPointSource)


def planned_logical_id(job: Construct) -> str:
    """The logical ID the job's resource will have, known before the resource is added.

    It is checked with every other problem (a waited job's must suit
    crhelper's polling rule), so it is read from a stand-in at the same path
    (the stack may allocate or rename IDs its own way), removed again at once.
    """
    stand_in = Construct(job, RESOURCE_ID)
    try:
        stack = Stack.of(job)
        return str(stack.resolve(stack.get_logical_id(CfnResource(stand_in, "Default", type="Custom::StandIn"))))
    finally:
        job.node.try_remove_child(RESOURCE_ID)


def service_timeout(properties: Mapping[str, Any]) -> Duration:
    """CloudFormation's wait: a little longer than the provider's own, capped at one hour."""
    if not waits(properties):
        return SERVICE_TIMEOUT
    minutes = properties.get("WaitTimeoutMinutes", MAX_WAIT_MINUTES)
    if Token.is_unresolved(minutes):
        return Duration.minutes(60)
    return Duration.minutes(min(int(minutes) + WAIT_GRACE.to_minutes(), 60))


def job_custom_resource(
    scope: Construct, provider: BackupJobsProvider, resource_type: str, properties: Mapping[str, Any]
) -> CustomResource:
    """The job's custom resource, created after the provider's policy and deleted before it.

    A waited job (or a final backup) also lets the provider poll for it (its
    own schedule rule).
    """
    resource = CustomResource(
        scope, RESOURCE_ID,
        service_token=provider.service_token,
        resource_type=resource_type,
        properties=dict(properties),
        service_timeout=service_timeout(properties),
    )
    resource.node.add_dependency(provider.policy)
    if waits(properties):
        provider.allow_polling(Stack.of(scope).get_logical_id(resource.node.default_child))  # type: ignore[arg-type]
    return resource
