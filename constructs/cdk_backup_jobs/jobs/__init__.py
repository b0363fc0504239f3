"""The jobs: ``BackupJob`` and ``CopyJob``, what both share (the base construct, ``RunOn``, the custom resource
and a waited job's WaitCondition), their props turned into resource properties and checked, a final backup's
guards, and the recovery point's ``JobLifecycle``."""
