"""AWS CDK constructs for on-demand AWS Backup jobs: BackupJob and CopyJob.

Each job is one CloudFormation custom resource (``Custom::BackupJob`` or
``Custom::CopyJob``) served by one provider function per stack.

Names are imported on first use, so ``cdk_backup_jobs.testing`` (the local
AWS Backup endpoint) loads without aws-cdk-lib and its Node.js runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdk_backup_jobs.backup_job import BackupIndex, BackupJob
    from cdk_backup_jobs.copy_job import CopyJob
    from cdk_backup_jobs.lifecycle import KEEP_FOREVER, JobLifecycle, KeepForever
    from cdk_backup_jobs.provider import BackupJobsProvider
    from cdk_backup_jobs.provider_stack import BackupJobsProviderStack
    from cdk_backup_jobs.run_on import RunOn
    from cdk_backup_jobs.validation import JobValidationError

_EXPORTS = {
    "BackupIndex": "cdk_backup_jobs.backup_job",
    "BackupJob": "cdk_backup_jobs.backup_job",
    "BackupJobsProvider": "cdk_backup_jobs.provider",
    "BackupJobsProviderStack": "cdk_backup_jobs.provider_stack",
    "CopyJob": "cdk_backup_jobs.copy_job",
    "JobLifecycle": "cdk_backup_jobs.lifecycle",
    "JobValidationError": "cdk_backup_jobs.validation",
    "KEEP_FOREVER": "cdk_backup_jobs.lifecycle",
    "KeepForever": "cdk_backup_jobs.lifecycle",
    "RunOn": "cdk_backup_jobs.run_on",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cdk_backup_jobs' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
