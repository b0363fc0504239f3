"""``python -m cdk_backup_jobs.testing.backup_server``, run for real in a subprocess: a clean command line.

--help without runpy's RuntimeWarning, Ctrl-C and SIGTERM ending it quietly
with status 0, a port in use reported in one line with status 1, and
--verbose logging each request (quiet without it).
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cdk_backup_jobs.testing import BackupEmulator
from cdk_backup_jobs.testing.backup.endpoint import BackupHttpServer, routes
from cdk_backup_jobs.testing.backup_server import EXIT_CANNOT_LISTEN, EXIT_STOPPED, Stopped

COMMAND = [sys.executable, "-W", "always", "-m", "cdk_backup_jobs.testing.backup_server"]
WAIT = 30  # seconds: an upper bound for start and stop on a loaded machine, not a sleep


def launch(*args: str) -> tuple[subprocess.Popen[str], str]:
    """The server started on a free port, and its endpoint URL (from its first line on stdout)."""
    process = subprocess.Popen([*COMMAND, "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    line = process.stdout.readline()  # type: ignore[union-attr]
    found = re.search(r"http://\S+", line)
    if found is None:
        process.kill()
        pytest.fail(f"no endpoint line: {line!r} {process.communicate()[1]!r}")
    return process, found.group(0)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.communicate()


def stop(process: subprocess.Popen[str], signum: int = signal.SIGINT) -> tuple[int, str]:
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=WAIT)
    return process.returncode, stderr


def api(endpoint: str) -> Any:
    return boto3.client("backup", endpoint_url=endpoint, region_name="us-east-1",
                        config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


def test_help_prints_usage_without_a_runtime_warning():
    result = subprocess.run([*COMMAND, "--help"], capture_output=True, text=True, timeout=WAIT)

    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m cdk_backup_jobs.testing.backup_server")
    for option in ("--host", "--port", "--vault", "--job-seconds", "--verbose"):
        assert option in result.stdout
    assert "RuntimeWarning" not in result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_ends_it_quietly_with_status_0(started, signum):
    process, endpoint = launch("--vault", "cli-vault")
    started.append(process)
    assert api(endpoint).describe_backup_vault(BackupVaultName="cli-vault")["BackupVaultName"] == "cli-vault"

    status, stderr = stop(process, signum)
    assert status == EXIT_STOPPED == 0
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert stderr == ""


@pytest.mark.parametrize("stop", [KeyboardInterrupt, Stopped])
def test_a_stop_landing_while_a_request_starts_ends_serving_not_just_that_request(monkeypatch, stop):
    # A signal's exception is raised wherever the main thread is; while it starts a request's
    # thread that is inside socketserver's "except Exception", which logs an Exception and serves on.
    server = BackupHttpServer(("127.0.0.1", 0), BackupEmulator(), routes())

    def stopped_there(request: Any, address: Any) -> None:
        raise stop

    monkeypatch.setattr(server, "process_request", stopped_there)
    try:
        with socket.create_connection(server.server_address):
            with pytest.raises(stop):
                server.handle_request()
    finally:
        server.server_close()


def test_a_port_in_use_is_one_line_on_stderr_and_status_1():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([*COMMAND, "--port", str(port)], capture_output=True, text=True, timeout=WAIT)

    assert result.returncode == EXIT_CANNOT_LISTEN == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert f"127.0.0.1:{port}" in line and "in use" in line
    assert "Traceback" not in result.stderr


def test_verbose_logs_each_request_with_its_operation_and_status(started):
    process, endpoint = launch("--verbose", "--vault", "cli-vault")
    started.append(process)
    client = api(endpoint)
    client.describe_backup_vault(BackupVaultName="cli-vault")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_backup_vault(BackupVaultName="missing")
    with pytest.raises(ClientError):
        client.start_restore_job(RecoveryPointArn="arn:aws:backup:us-east-1:123456789012:recovery-point:1",
                                 IamRoleArn="arn:aws:iam::123456789012:role/r", Metadata={})
    client.list_backup_jobs(ByState="COMPLETED")

    status, stderr = stop(process)
    assert status == 0
    assert stderr.splitlines() == [
        "GET /backup-vaults/cli-vault DescribeBackupVault 200",
        "GET /backup-vaults/missing DescribeBackupVault 400",
        "PUT /restore-jobs StartRestoreJob 501",
        "GET /backup-jobs/?state=COMPLETED ListBackupJobs 200",
    ]


def test_without_verbose_it_logs_nothing(started):
    process, endpoint = launch("--vault", "cli-vault")
    started.append(process)
    api(endpoint).describe_backup_vault(BackupVaultName="cli-vault")

    status, stderr = stop(process)
    assert (status, stderr) == (0, "")


def test_the_package_name_backup_server_still_serves_after_the_plugin_imports_the_cli_module():
    # The pytest plugin imports cdk_backup_jobs.testing.backup_server, which makes Python set the
    # package's attribute of that name to the module: it must still serve when called.
    code = ("import boto3, cdk_backup_jobs.testing.pytest_plugin\n"
            "from cdk_backup_jobs.testing import BackupEmulator, backup_server\n"
            "emulator = BackupEmulator(); emulator.create_vault('v')\n"
            "with backup_server(emulator) as running:\n"
            "    client = boto3.client('backup', endpoint_url=running.endpoint_url, region_name='us-east-1')\n"
            "    print(client.describe_backup_vault(BackupVaultName='v')['BackupVaultName'])\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=WAIT)
    assert (result.returncode, result.stdout, result.stderr) == (0, "v\n", "")
