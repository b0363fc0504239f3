"""The aws_backup fixture fails a test at teardown when the emulator failed inside (an HTTP 500 botocore retries)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

INNER_TEST = textwrap.dedent('''
    import boto3
    import pytest
    from botocore.config import Config

    pytest_plugins = ["cdk_backup_jobs.testing.pytest_plugin"]

    def client():
        return boto3.client("backup", config=Config(retries={"mode": "standard", "total_max_attempts": 1}))

    def test_emulator_bug(aws_backup, monkeypatch):
        def broken(operation, params):
            raise KeyError("emulator-bug-marker")
        monkeypatch.setattr(aws_backup.emulator, "call", broken)
        with pytest.raises(Exception):  # the test itself shrugs the 500 off
            client().list_backup_vaults()

    def test_healthy(aws_backup):
        aws_backup.emulator.create_vault("fine")
        assert client().describe_backup_vault(BackupVaultName="fine")["BackupVaultName"] == "fine"
''')


def test_an_internal_error_fails_the_test_at_teardown_naming_it_and_a_healthy_test_passes(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rE", "test_inner.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)

    assert result.returncode == 1, result.stdout
    assert "2 passed, 1 error" in result.stdout, result.stdout
    assert "ERROR at teardown of test_emulator_bug" in result.stdout, result.stdout
    assert "HTTP 500 InternalFailure" in result.stdout and "KeyError: 'emulator-bug-marker'" in result.stdout


OTHER_PLACE_TEST = textwrap.dedent('''
    import boto3
    import pytest
    from botocore.config import Config
    from cdk_backup_jobs.testing import Place, account_access_key

    pytest_plugins = ["cdk_backup_jobs.testing.pytest_plugin"]

    def test_emulator_bug_in_another_account(aws_backup, monkeypatch):
        member = Place("210987654321", "eu-west-1")
        def broken(operation, params):
            raise KeyError("member-emulator-bug-marker")
        monkeypatch.setattr(aws_backup.backends[member], "call", broken)
        client = boto3.client("backup", region_name=member.region, aws_access_key_id=account_access_key(member.account_id),
                              aws_secret_access_key="testing",
                              config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
        with pytest.raises(Exception):
            client.list_backup_vaults()
''')


def test_an_internal_error_of_another_accounts_emulator_fails_the_test_too(tmp_path: Path) -> None:
    # One endpoint serves every account and Region (backup/backends.py): a failure behind any of them counts.
    (tmp_path / "test_inner.py").write_text(OTHER_PLACE_TEST)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rE", "test_inner.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)

    assert "1 passed, 1 error" in result.stdout, result.stdout
    assert "KeyError: 'member-emulator-bug-marker'" in result.stdout, result.stdout
