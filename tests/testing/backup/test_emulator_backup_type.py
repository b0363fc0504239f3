"""BackupType is left out of a regular backup job and is WindowsVSS for one that enabled VSS, as AWS reports."""

from __future__ import annotations

from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config

from cdk_backup_jobs.testing import BackupEmulator, backup_server

ROLE = "arn:aws:iam::123456789012:role/backup-role"
INSTANCE = "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"


@pytest.fixture
def api() -> Iterator[Any]:
    emulator = BackupEmulator()
    emulator.create_vault("primary")
    with backup_server(emulator) as server:
        yield boto3.client("backup", endpoint_url=server.endpoint_url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing",
                           config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


@pytest.mark.parametrize("options, expected", [
    (None, None), ({"WindowsVSS": "disabled"}, None), ({"WindowsVSS": "enabled"}, "WindowsVSS")])
def test_backup_type_is_windows_vss_only_when_enabled(api: Any, options: Any, expected: Any) -> None:
    extra = {"BackupOptions": options} if options else {}
    job_id = api.start_backup_job(BackupVaultName="primary", ResourceArn=INSTANCE, IamRoleArn=ROLE,
                                  **extra)["BackupJobId"]
    assert api.describe_backup_job(BackupJobId=job_id).get("BackupType") == expected
    [listed] = api.list_backup_jobs()["BackupJobs"]
    assert listed.get("BackupType") == expected
