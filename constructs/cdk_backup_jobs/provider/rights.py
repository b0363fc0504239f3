"""What a job needs of the provider that serves it, and what the jobs need a provider to be.

A job (BackupJob, CopyJob) hands its provider one ``JobRights``: the vaults it
backs up into, the role it passes, and whether it copies, is watched (a
waited job, a final backup), signals a WaitCondition, stops its job on delete
or reads its stack's template. Its own stack's ``BackupJobsProvider`` grows
its policy by them; a shared provider, deployed elsewhere, cannot be granted
anything, and warns instead of what it may lack (``shared_provider``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence, runtime_checkable

from constructs import Construct, IConstruct

PROVIDER_PROP = "provider"
"""The job prop that chooses the provider. It sets no member of the job's shape but the custom
resource's own ``ServiceToken`` (the docs' prop tables name it so)."""


@dataclass(frozen=True)
class JobRights:
    """What one job needs its provider's role to allow."""

    role_arn: str
    """The role the job passes to AWS Backup (``iam:PassRole``)."""
    backup_vault_arns: tuple[Any, ...] = ()
    """The vaults the job backs up into (``backup:StartBackupJob``), as ARNs."""
    backup_vault_names: tuple[Any, ...] = ()
    """The same vaults by name, as far as the job knows them (a shared provider is narrowed by name)."""
    copies: bool = False
    """``backup:StartCopyJob`` on this account's recovery points."""
    watched: bool = False
    """The job is watched (a waited job, a final backup): EventBridge rules and their permission."""
    signals: bool = False
    """A waited job: its WaitCondition is signalled (``cloudformation:SignalResource``)."""
    stops: bool = False
    """``stop_on_delete``: ``backup:StopBackupJob``."""
    reads_template: bool = False
    """A final backup: its stack's template is read (``cloudformation:GetTemplate``)."""


@runtime_checkable
class IBackupJobsProvider(Protocol):
    """A provider that serves jobs: its stack's ``BackupJobsProvider``, or a shared one
    (``BackupJobsProvider.from_service_token``, ``BackupJobsProvider.from_export_name``)."""

    @property
    def service_token(self) -> str:
        """The ServiceToken of the job resources it serves: its function's ARN."""
        ...

    def serve(self, job: Construct, rights: JobRights) -> Sequence[IConstruct]:
        """Allow ``job`` what it needs (or warn of what a shared provider may lack); returns what
        the job's resources must be created after and deleted before."""
        ...


def is_provider(value: Any) -> bool:
    """An IBackupJobsProvider: a string ServiceToken and a ``serve`` method."""
    return isinstance(getattr(value, "service_token", None), str) and callable(getattr(value, "serve", None))
