"""What BackupJob and CopyJob share: the base construct and its attributes, when a job runs (``RunOn``),
the custom resource, and the WaitCondition that carries a waited job's wait.

A waited job is three resources: the custom resource, which answers once its
job started; a WaitCondition with a CreationPolicy, which the provider
signals (SignalResource) when the job ended; and a ``Custom::BackupJobResult``
after it, whose attributes are the finished job's (a custom resource cannot
change its own once it answered). CloudFormation waits for a signal up to 12
hours, where a custom resource must answer within one (CloudFormation
Template Reference, "CreationPolicy attribute": ResourceSignal Timeout, at
most PT12H). A WaitCondition cannot be updated, so each run of a job
(``RunOn``) waits on one of its own.

A custom resource's ServiceToken cannot be updated (CloudFormation fails the
update: "Modifying service token is not allowed."), so a job on another
provider is another resource: on a shared provider its resources' logical IDs
end with a digest of that provider's ServiceToken (``provider_suffix``), and a
move from one provider to another replaces them. The stack's own provider
adds nothing: stacks deployed before keep their logical IDs.

``RecoveryPointSource`` is what a CopyJob copies from (a BackupJob is one):
naming it here lets copy_job take a backup job without importing backup_job,
which imports copy_job (``BackupJob.copy_to``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any, Mapping, Protocol, runtime_checkable

from aws_cdk import (CfnCreationPolicy, CfnElement, CfnResource, CfnResourceSignal, CustomResource, Duration, Stack,
                     Token, aws_cloudformation as cloudformation)
from constructs import Construct, Node

from cdk_backup_jobs.props.validation import ADDED_LATER, JobValidationError
from cdk_backup_jobs.provider.provider import BackupJobsProvider
from cdk_backup_jobs.provider.rights import IBackupJobsProvider, JobRights
from cdk_backup_jobs_runtime.input import rules
from cdk_backup_jobs_runtime.input.shapes import (JOB_RESULT_RESOURCE, MAX_WAIT_CONDITION_SECONDS, MAX_WAIT_MINUTES,
                                                  Member)

RESOURCE_ID = "Resource"
"""The construct ID of a job's custom resource, under the job."""
SERVICE_TIMEOUT = Duration.minutes(5)
"""How long CloudFormation waits for a job that is not waited for (its default is one hour)."""
WAIT_GRACE = Duration.minutes(5)
"""Added to a final backup's timeout: time for the last check and the answer."""
MAX_LOGICAL_ID_LENGTH = 255
"""CloudFormation's limit on a logical ID."""


class RunOn:
    """When a job runs: once when the resource is created, on every deployment, or when a value changes.

    The job's trigger. A new run is a new job (a new physical ID); earlier
    recovery points are kept. The choice travels as the ``RunToken`` property:
    a change of it is a change of the resource, and so a new job.
    """

    def __init__(self, run_token: str | None, description: str, on_delete: bool = False) -> None:
        self.run_token = run_token
        self.description = description
        self.on_delete = on_delete

    @classmethod
    def create(cls) -> "RunOn":
        """Once, when the stack creates the resource (and again only if its job's properties change)."""
        return cls(None, "create")

    @classmethod
    def every_deployment(cls) -> "RunOn":
        """On every deployment: a new value is synthesized each time, like aws-cdk-lib's Trigger.

        The template therefore differs on every synth (``cdk diff`` always
        shows this resource as changed).
        """
        return cls(str(uuid.uuid4()), "every deployment")

    @classmethod
    def change_of(cls, value: str) -> "RunOn":
        """Whenever ``value`` changes, for example an application version (a token is fine)."""
        return cls(value, "change of a value")

    @classmethod
    def delete(cls) -> "RunOn":
        """A final backup: nothing on create or update; the job runs, waited, when the stack
        deletes the resource together with the resource it protects. BackupJob only (a CopyJob
        refuses it). Prefer ``BackupJob.final_backup``, which also orders the deletions."""
        return cls(None, "delete", on_delete=True)

    def __repr__(self) -> str:
        return f"RunOn({self.description})"


class JobConstruct(Construct):
    """Base of BackupJob and CopyJob: the attributes both jobs have."""

    resource: CustomResource
    waits: bool = False
    wait_condition: cloudformation.CfnWaitCondition | None = None
    """A waited job's WaitCondition, which the provider signals once the job ended."""
    result: CustomResource | None = None
    """A waited job's ``Custom::BackupJobResult``: the finished job's attributes, after its WaitCondition."""

    def _finished_attribute(self, name: str, prop: str) -> str:
        if not self.waits or self.result is None:
            raise JobValidationError(
                f"{self.node.path}: {prop} is known only when the job is waited for "
                "(wait_for_completion=True)")
        return self.result.get_att_string(name)

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


def service_timeout(properties: Mapping[str, Any]) -> Duration:
    """CloudFormation's wait for the resource's answer: a little longer than a final backup's own,
    capped at one hour; five minutes for any other job, which answers once its job started."""
    if properties.get("RunOnDelete") is not True:
        return SERVICE_TIMEOUT
    minutes = properties.get("WaitTimeoutMinutes", MAX_WAIT_MINUTES)
    if Token.is_unresolved(minutes):
        return Duration.minutes(60)
    return Duration.minutes(min(int(minutes) + WAIT_GRACE.to_minutes(), 60))


def signal_timeout(properties: Mapping[str, Any]) -> str:
    """The WaitCondition's ResourceSignal Timeout (ISO 8601): the shortest the rule allows, the wait plus the
    provider's grace (``rules.shortest_signal_timeout``; the wait is at most 710 minutes, so at most PT12H);
    PT12H for a wait that is a token, which the handler checks against the rule once it is resolved."""
    minutes = properties.get("WaitTimeoutMinutes", MAX_WAIT_MINUTES)
    seconds = MAX_WAIT_CONDITION_SECONDS if Token.is_unresolved(minutes) else rules.shortest_signal_timeout(int(minutes))
    return f"PT{seconds // 60}M"


def run_suffix(scope: Construct, api_shape: Member, properties: Mapping[str, Any]) -> str:
    """What tells one run's WaitCondition from another's in its logical ID.

    A run is one job: the API members and the RunToken define it (an Update
    that changes them starts a new job), so they name its WaitCondition and
    its result, as they resolve in the template (stable from one synth to the
    next). A value that changes only at deploy (an attribute of another
    resource) cannot be seen here: the handler refuses such a new run on the
    same WaitCondition with a clear error.
    """
    defining = {name: value for name, value in properties.items()
                if name == "RunToken" or api_shape.member(name) is not None}
    rendered = json.dumps(Stack.of(scope).resolve(defining), sort_keys=True, default=str)
    return hashlib.sha256(rendered.encode()).hexdigest()[:8].upper()


def provider_suffix(scope: Construct, provider: IBackupJobsProvider) -> str:
    """What a job's resources add to their logical IDs for the provider that serves them.

    Nothing for the stack's own provider (the logical IDs every deployed stack
    has); for any other, a digest of its ServiceToken as it resolves in the
    template (an ``Fn::ImportValue``, an ARN), so moving to it, from it or
    between two shared providers makes new resources rather than an update
    CloudFormation refuses.
    """
    if isinstance(provider, BackupJobsProvider) and Stack.of(provider) is Stack.of(scope):
        return ""
    rendered = json.dumps(Stack.of(scope).resolve(provider.service_token), sort_keys=True, default=str)
    return hashlib.sha256(rendered.encode()).hexdigest()[:8].upper()


def _with_suffix(element: CfnElement, suffix: str) -> str:
    """The element's logical ID with ``suffix`` (overridden when there is one): within 255
    characters, its own digest kept whole."""
    default = Stack.of(element).get_logical_id(element)
    if not suffix:
        return default
    room = MAX_LOGICAL_ID_LENGTH - len(suffix)
    logical_id = default + suffix if len(default) <= room else default[:room - 8] + default[-8:] + suffix
    element.override_logical_id(logical_id)
    return logical_id


def _cfn(resource: CustomResource) -> CfnResource:
    child = resource.node.default_child
    assert isinstance(child, CfnResource)
    return child


@dataclass(frozen=True)
class JobResources:
    """A job's resources: the custom resource, and a waited job's WaitCondition and result."""

    resource: CustomResource
    wait_condition: cloudformation.CfnWaitCondition | None = None
    result: CustomResource | None = None


def job_resources(
    scope: Construct, provider: IBackupJobsProvider, rights: JobRights, resource_type: str, api_shape: Member,
    properties: Mapping[str, Any]
) -> JobResources:
    """The job's custom resource, served by ``provider`` with ``rights`` (and a waited job's or a
    final backup's watch); a waited job's WaitCondition after it, and its result after that.

    The resources are created after what the provider returns for them (its
    policy, the permission a watch invokes it by) and deleted before it: a
    final backup's Delete is answered by its watch, so EventBridge must still
    be allowed to invoke the function then.
    """
    properties = dict(properties)
    condition, suffix = None, ""
    moved = provider_suffix(scope, provider)
    if properties.get("WaitCondition") is ADDED_LATER:
        suffix = run_suffix(scope, api_shape, properties)
        condition = cloudformation.CfnWaitCondition(scope, f"Wait{suffix}")
        condition.cfn_options.creation_policy = CfnCreationPolicy(
            resource_signal=CfnResourceSignal(count=1, timeout=signal_timeout(properties)))
        # A job on another provider is a new job: it waits on a WaitCondition of its own.
        properties["WaitCondition"] = _with_suffix(condition, moved)
    watched = condition is not None or properties.get("RunOnDelete") is True
    needed = provider.serve(scope, dataclasses.replace(rights, watched=watched, signals=condition is not None))
    resource = CustomResource(
        scope, RESOURCE_ID,
        service_token=provider.service_token,
        resource_type=resource_type,
        properties=properties,
        service_timeout=service_timeout(properties),
    )
    _with_suffix(_cfn(resource), moved)
    resource.node.add_dependency(*needed)
    if condition is None:
        return JobResources(resource)
    condition.node.add_dependency(resource)
    id_attribute = "BackupJobId" if resource_type == "Custom::BackupJob" else "CopyJobId"
    # The result is named after its run too: what uses it (a chained copy, say) then sees a new run
    # as a change, and so runs (and waits) again itself.
    result = CustomResource(scope, f"Result{suffix}", service_token=provider.service_token,
                            resource_type=JOB_RESULT_RESOURCE.name, service_timeout=SERVICE_TIMEOUT,
                            properties={id_attribute: resource.get_att_string(id_attribute)})
    _with_suffix(_cfn(result), moved)
    result.node.add_dependency(condition, *needed)
    return JobResources(resource, condition, result)
