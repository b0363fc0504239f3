"""The command line refuses what it cannot serve in argparse's words, and prints a URL a client can use."""

from __future__ import annotations

import re
import subprocess
import sys

import boto3
import pytest
from botocore.config import Config

from cdk_backup_jobs.testing.backup_server import endpoint_url

COMMAND = [sys.executable, "-m", "cdk_backup_jobs.testing.backup_server"]
WAIT = 30  # seconds: an upper bound for start and stop on a loaded machine, not a sleep


@pytest.mark.parametrize("args, complaint", [
    (["--port", "99999"], "port must be 0-65535"),
    (["--port", "-1"], "port must be 0-65535"),
    (["--port", "http"], "not a port number"),
    (["--vault", "bad name!"], "is not a backup vault name"),
    (["--vault", "x"], "is not a backup vault name"),
    (["--job-seconds", "-5"], "seconds must be 0 or more"),
    (["--job-seconds", "nan"], "seconds must be 0 or more"),
])
def test_a_bad_option_is_argparses_usage_and_one_error_line_with_status_2(args, complaint):
    result = subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=WAIT)

    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.startswith("usage: ")
    error = result.stderr.splitlines()[-1]  # the one line saying what is wrong, after the usage
    assert error.startswith("python -m cdk_backup_jobs.testing.backup_server: error: ") and complaint in error, \
        result.stderr


def test_it_prints_the_bare_endpoint_url_a_client_can_use_even_bound_to_every_address():
    process = subprocess.Popen([*COMMAND, "--host", "0.0.0.0", "--port", "0", "--vault", "cli-vault"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().rstrip("\n")  # type: ignore[union-attr]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", line), line
        client = boto3.client("backup", endpoint_url=line, region_name="us-east-1", aws_access_key_id="testing",
                              aws_secret_access_key="testing", config=Config(retries={"total_max_attempts": 1}))
        assert client.describe_backup_vault(BackupVaultName="cli-vault")["BackupVaultName"] == "cli-vault"
    finally:
        process.terminate()
        process.communicate(timeout=WAIT)


def test_endpoint_url_brackets_ipv6_and_maps_wildcards_to_loopback():
    assert endpoint_url("127.0.0.1", 4567) == "http://127.0.0.1:4567"
    assert endpoint_url("0.0.0.0", 4567) == "http://127.0.0.1:4567"
    assert endpoint_url("::", 4567) == "http://[::1]:4567"
    assert endpoint_url("localhost", 80) == "http://localhost:80"
