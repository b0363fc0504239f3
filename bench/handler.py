"""Handler figures: cold import, per-event overhead over a bare boto3 call, calls per job, delete latency.

The RSS measured here is of a process that also hosts the emulator and the
receiver; the handler's own peak RSS comes from bench/head_to_head.py, whose
driver process runs nothing else.

Everything runs against the local AWS Backup emulator and the HTTPS response
receiver, with real crhelper and real botocore, in fresh processes where a
cold start is measured.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from cdk_backup_jobs.provider.asset import provider_asset_dir

LAMBDA_DIR = Path(__file__).resolve().parent.parent / "lambda"

COLD_IMPORT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[1])
    began = time.perf_counter()
    import index
    print(time.perf_counter() - began)
""")

# One process: N Create events through the real handler, N bare StartBackupJob
# calls on the same endpoint, N Delete events; prints the figures as JSON.
PEAK_RSS_KB = textwrap.dedent("""
    import resource

    def peak_rss_kb():
        # This process's own peak resident set in kB: VmHWM where Linux has it (ru_maxrss can
        # carry the spawning parent's figure across exec), else getrusage.
        try:
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
""")
"""Source of ``peak_rss_kb()``, put in front of the scripts that report their own peak memory."""

EVENTS = PEAK_RSS_KB + textwrap.dedent("""
    import json, resource, statistics, sys, time, uuid
    sys.path.insert(0, sys.argv[1])
    count = int(sys.argv[2])
    import boto3
    from cdk_backup_jobs.testing import backup_server, response_server

    class Context:
        function_name = "bench"
        aws_request_id = "bench"
        def get_remaining_time_in_millis(self):
            return 60_000

    def event(cfn, request_type, physical_id=None):
        e = {"RequestType": request_type, "ResponseURL": cfn.new_url(), "RequestId": str(uuid.uuid4()),
             "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/bench/1",
             "LogicalResourceId": "Job", "ResourceType": "Custom::BackupJob",
             "ResourceProperties": {"ServiceToken": "arn", "BackupVaultName": "vault",
                                    "ResourceArn": "arn:aws:dynamodb:us-east-1:123456789012:table/t",
                                    "IamRoleArn": "arn:aws:iam::123456789012:role/r",
                                    "StartWindowMinutes": "60"}}
        if physical_id:
            e["PhysicalResourceId"] = physical_id
        return e

    with backup_server() as backup, response_server() as cfn:
        import os
        os.environ["AWS_ENDPOINT_URL_BACKUP"] = backup.endpoint_url
        os.environ["SSL_CERT_FILE"] = cfn.ca_file
        backup.emulator.create_vault("vault")
        import index
        client = boto3.client("backup")
        index.handler(event(cfn, "Create"), Context())  # warm both paths once
        client.start_backup_job(BackupVaultName="vault", IamRoleArn="arn:aws:iam::123456789012:role/r",
                                ResourceArn="arn:aws:dynamodb:us-east-1:123456789012:table/t")
        calls_before = len(backup.state.calls)
        handler_times, bare_times, delete_times = [], [], []
        for _ in range(count):
            began = time.perf_counter()
            index.handler(event(cfn, "Create"), Context())
            handler_times.append(time.perf_counter() - began)
        calls_per_job = (len(backup.state.calls) - calls_before) / count
        for _ in range(count):
            began = time.perf_counter()
            client.start_backup_job(BackupVaultName="vault", IamRoleArn="arn:aws:iam::123456789012:role/r",
                                    ResourceArn="arn:aws:dynamodb:us-east-1:123456789012:table/t")
            bare_times.append(time.perf_counter() - began)
        for _ in range(count):
            began = time.perf_counter()
            index.handler(event(cfn, "Delete", physical_id="job"), Context())
            delete_times.append(time.perf_counter() - began)
        print(json.dumps({
            "handler_ms": statistics.median(handler_times) * 1000,
            "bare_boto3_ms": statistics.median(bare_times) * 1000,
            "delete_ms": statistics.median(delete_times) * 1000,
            "delete_max_ms": max(delete_times) * 1000,
            "calls_per_job": calls_per_job,
            "combined_peak_rss_mb": peak_rss_kb() / 1024,
        }))
""")


@dataclass
class HandlerFigures:
    cold_import_ms: float
    handler_ms: float
    bare_boto3_ms: float
    overhead_ms: float
    delete_ms: float
    delete_max_ms: float
    calls_per_job: float
    combined_peak_rss_mb: float  # handler, emulator and HTTPS receiver in one process: not the handler's own


def _environment() -> dict[str, str]:
    return {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "1"}


def _run(code: str, *args: str, code_dir: Path = LAMBDA_DIR) -> str:
    result = subprocess.run([sys.executable, "-c", code, str(code_dir), *args], capture_output=True,
                            text=True, env=_environment(), timeout=600, cwd=LAMBDA_DIR.parent)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return result.stdout.strip().splitlines()[-1]


def _cold_import_seconds() -> float:
    """One import of the handler from a fresh copy of its asset (our modules and crhelper): no
    cached bytecode, as in Lambda."""
    with tempfile.TemporaryDirectory() as folder:
        code = Path(folder) / "provider"
        shutil.copytree(provider_asset_dir(), code)
        return float(_run(COLD_IMPORT, code_dir=code))


def measure(events: int, imports: int) -> HandlerFigures:
    cold = statistics.median(_cold_import_seconds() for _ in range(imports)) * 1000
    figures = json.loads(_run(EVENTS, str(events)))
    return HandlerFigures(
        cold_import_ms=cold, overhead_ms=figures["handler_ms"] - figures["bare_boto3_ms"], **figures)
