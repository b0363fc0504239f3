"""Test tools for users and for us: a local AWS Backup endpoint and an HTTPS response receiver.

Importing this package does not import aws-cdk-lib.
"""

from cdk_backup_jobs.testing.backup_server import BackupEmulator, Fault, backup_server
from cdk_backup_jobs.testing.response_server import response_server

__all__ = ["BackupEmulator", "Fault", "backup_server", "response_server"]
