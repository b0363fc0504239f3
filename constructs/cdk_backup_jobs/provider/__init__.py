"""The provider: ``BackupJobsProvider`` (one function per stack, or a shared one), its role's policies within
IAM's limits, what a job needs of it, what a shared one may do, ``BackupJobsProviderStack``, and its Lambda code.

Kept free of imports at this level: ``cdk_backup_jobs.provider_artifacts`` imports ``asset`` where no aws-cdk-lib
is installed."""
