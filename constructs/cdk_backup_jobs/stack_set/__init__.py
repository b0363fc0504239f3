"""The provider across an Organization: ``BackupJobsProviderStackSet``, the provider's template it carries, its
props checked, and ``BackupJobsAssetBucket`` with the provider's code copied into it."""
