"""What BackupJob and CopyJob share: checked properties and the one custom resource."""

from __future__ import annotations

from typing import Any, Mapping

from aws_cdk import CustomResource, Duration
from constructs import Construct

from cdk_backup_jobs.provider import BackupJobsProvider
from cdk_backup_jobs.provider_code.backup_jobs_rules import Member, Violation
from cdk_backup_jobs.validation import check_job_input

SERVICE_TIMEOUT = Duration.minutes(5)
"""How long CloudFormation waits for the provider (its default is one hour)."""


def checked_properties(
    scope: Construct,
    shape: Member,
    candidates: Mapping[str, Any],
    prop_names: Mapping[str, str],
    problems: list[Violation],
) -> dict[str, Any]:
    """The resource properties: unset members dropped, every rule checked."""
    properties = {name: value for name, value in candidates.items() if value is not None}
    check_job_input(scope.node.path, shape, properties, prop_names, problems)
    return properties


class JobConstruct(Construct):
    """Base of BackupJob and CopyJob: the attributes both jobs have."""

    resource: CustomResource

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
    """The job's custom resource, created after the provider's policy and deleted before it."""
    resource = CustomResource(
        scope, "Resource",
        service_token=provider.service_token,
        resource_type=resource_type,
        properties=dict(properties),
        service_timeout=SERVICE_TIMEOUT,
    )
    resource.node.add_dependency(provider.policy)
    return resource
