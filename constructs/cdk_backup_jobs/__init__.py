"""AWS CDK constructs for on-demand AWS Backup jobs: BackupJob and CopyJob.

Each job is one CloudFormation custom resource (``Custom::BackupJob`` or
``Custom::CopyJob``) served by one provider function per stack.
"""

from cdk_backup_jobs.backup_job import BackupIndex, BackupJob
from cdk_backup_jobs.copy_job import CopyJob
from cdk_backup_jobs.lifecycle import KEEP_FOREVER, JobLifecycle, KeepForever
from cdk_backup_jobs.provider import BackupJobsProvider
from cdk_backup_jobs.validation import JobValidationError

__all__ = [
    "BackupIndex",
    "BackupJob",
    "BackupJobsProvider",
    "CopyJob",
    "JobLifecycle",
    "JobValidationError",
    "KEEP_FOREVER",
    "KeepForever",
]
