"""Test tools for users and for us: a local AWS Backup and CloudFormation's side of a custom resource.

- ``backup_server()``: AWS Backup's REST-JSON API on a loopback port
  (``AWS_ENDPOINT_URL_BACKUP``), backed by ``BackupEmulator``.
- ``response_server()``: the HTTPS endpoint custom-resource responses are PUT to.

Importing this package does not import aws-cdk-lib.
"""

from cdk_backup_jobs.testing.backup_emulator import (BackupEmulator, Fault, JobTiming, ManualClock,
                                                     ScriptedOutcome)
from cdk_backup_jobs.testing.backup_server import backup_server
from cdk_backup_jobs.testing.response_server import response_server

__all__ = ["BackupEmulator", "Fault", "JobTiming", "ManualClock", "ScriptedOutcome",
           "backup_server", "response_server"]
