"""AWS CDK constructs for on-demand AWS Backup jobs: BackupJob and CopyJob.

Each job is one CloudFormation custom resource (``Custom::BackupJob`` or
``Custom::CopyJob``) served by one provider function per stack.

Names are imported on first use, so ``cdk_backup_jobs.testing`` (the local
AWS Backup endpoint) loads without aws-cdk-lib and its Node.js runtime:
``_EXPORTS`` is the list of public names, each with its module, and
``__all__`` is read from it. Type checkers read the ``TYPE_CHECKING`` imports
instead, each an explicit re-export (``import X as X``), the form mypy
--strict accepts from a user's ``from cdk_backup_jobs import BackupJob``
(it needs no literal ``__all__`` then). That is a second list, and cannot be
the same one: a type checker reads only import statements, which run at
once, while the lazy names need a table looked up without importing; one
list would mean parsing this file's source at import time. A test keeps the
two equal (tests/test_types.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdk_backup_jobs.jobs.backup_job import BackupIndex as BackupIndex
    from cdk_backup_jobs.jobs.backup_job import BackupJob as BackupJob
    from cdk_backup_jobs.jobs.copy_job import CopyJob as CopyJob
    from cdk_backup_jobs.jobs.job_resource import RunOn as RunOn
    from cdk_backup_jobs.jobs.recovery_point_lifecycle import JobLifecycle as JobLifecycle
    from cdk_backup_jobs.jobs.recovery_point_lifecycle import KEEP_FOREVER as KEEP_FOREVER
    from cdk_backup_jobs.jobs.recovery_point_lifecycle import KeepForever as KeepForever
    from cdk_backup_jobs.props.validation import JobValidationError as JobValidationError
    from cdk_backup_jobs.provider.provider import BackupJobsProvider as BackupJobsProvider
    from cdk_backup_jobs.provider.provider_stack import BackupJobsProviderStack as BackupJobsProviderStack
    from cdk_backup_jobs.provider.rights import IBackupJobsProvider as IBackupJobsProvider
    from cdk_backup_jobs.stack_set.asset_bucket import BackupJobsAssetBucket as BackupJobsAssetBucket
    from cdk_backup_jobs.stack_set.props import StackSetCallAs as StackSetCallAs
    from cdk_backup_jobs.stack_set.props import StackSetConcurrencyMode as StackSetConcurrencyMode
    from cdk_backup_jobs.stack_set.props import StackSetRegionConcurrency as StackSetRegionConcurrency
    from cdk_backup_jobs.stack_set.provider_stack_set import BackupJobsProviderStackSet as BackupJobsProviderStackSet

_EXPORTS = {
    "BackupIndex": "cdk_backup_jobs.jobs.backup_job",
    "BackupJob": "cdk_backup_jobs.jobs.backup_job",
    "BackupJobsAssetBucket": "cdk_backup_jobs.stack_set.asset_bucket",
    "BackupJobsProvider": "cdk_backup_jobs.provider.provider",
    "BackupJobsProviderStack": "cdk_backup_jobs.provider.provider_stack",
    "BackupJobsProviderStackSet": "cdk_backup_jobs.stack_set.provider_stack_set",
    "CopyJob": "cdk_backup_jobs.jobs.copy_job",
    "IBackupJobsProvider": "cdk_backup_jobs.provider.rights",
    "JobLifecycle": "cdk_backup_jobs.jobs.recovery_point_lifecycle",
    "JobValidationError": "cdk_backup_jobs.props.validation",
    "KEEP_FOREVER": "cdk_backup_jobs.jobs.recovery_point_lifecycle",
    "KeepForever": "cdk_backup_jobs.jobs.recovery_point_lifecycle",
    "RunOn": "cdk_backup_jobs.jobs.job_resource",
    "StackSetCallAs": "cdk_backup_jobs.stack_set.props",
    "StackSetConcurrencyMode": "cdk_backup_jobs.stack_set.props",
    "StackSetRegionConcurrency": "cdk_backup_jobs.stack_set.props",
}
"""The public names and where each lives."""
__all__ = sorted(_EXPORTS)

if not TYPE_CHECKING:
    # Hidden from type checkers: a module __getattr__ would type every
    # misspelled import as Any instead of reporting it.
    def __getattr__(name: str) -> Any:
        if name not in _EXPORTS:
            raise AttributeError(f"module 'cdk_backup_jobs' has no attribute {name!r}")
        return getattr(importlib.import_module(_EXPORTS[name]), name)
