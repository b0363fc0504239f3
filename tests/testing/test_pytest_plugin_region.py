"""The plugin's clients sign for the Region the emulators stand in (CDK_BACKUP_JOBS_REGION), not a fixed one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

INNER_TEST = textwrap.dedent('''
    import os

    import boto3

    pytest_plugins = ["cdk_backup_jobs.testing.pytest_plugin"]

    def test_region(aws_backup):
        assert os.environ["AWS_REGION"] == os.environ["AWS_DEFAULT_REGION"] == "eu-west-1"
        aws_backup.emulator.create_vault("here")
        vault = boto3.client("backup").describe_backup_vault(BackupVaultName="here")
        assert vault["BackupVaultArn"].startswith("arn:aws:backup:eu-west-1:")
''')


def test_the_fixtures_set_the_simulated_accounts_region(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    environment = {**os.environ, "CDK_BACKUP_JOBS_REGION": "eu-west-1"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_inner.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120, env=environment)

    assert result.returncode == 0, result.stdout
    assert "1 passed" in result.stdout
