"""A stack of many jobs deployed with CloudFormation-like parallelism against a throttling AWS Backup."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from aws_cdk import App, Stack, aws_backup as backup, aws_iam as iam

from cdk_backup_jobs import BackupJob
from cdk_backup_jobs.testing import read_assembly_template
from reliability_sizes import CONCURRENT_JOBS

pytestmark = pytest.mark.slow

RATE_PER_SECOND = 20
BURST = 10
PARALLEL = 10


def test_many_jobs_in_parallel_with_throttling(tmp_path: Path, aws_backup, cfn_stack, record):
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Many")
    vault = backup.BackupVault(stack, "Vault")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    for index in range(CONCURRENT_JOBS):
        BackupJob(stack, f"Job{index}", backup_vault=vault, role=role,
                  resource_arn=f"arn:aws:dynamodb:us-east-1:123456789012:table/t{index}")
    app.synth()
    aws_backup.emulator.throttle_above(per_second=RATE_PER_SECOND, burst=BURST)

    began = time.monotonic()
    with cfn_stack(tmp_path, stack_name="Many", max_parallel=PARALLEL) as simulator:
        result = simulator.deploy(read_assembly_template(tmp_path, "Many"))
    seconds = time.monotonic() - began

    jobs = list(aws_backup.state.backup_jobs.values())
    throttled = len([c for c in aws_backup.state.calls_of("StartBackupJob") if "_fault" in c])
    failures = len([e for e in result.events if not e.succeeded])
    duplicates = len(jobs) - len({j.resource_arn for j in jobs})
    record("Concurrency", f"{CONCURRENT_JOBS} jobs, {PARALLEL} in parallel, throttled above "
           f"{RATE_PER_SECOND}/s (burst {BURST})", cases=CONCURRENT_JOBS, failures=failures,
           duplicates=duplicates, hung=len([e for e in result.events if e.response is None]),
           total_seconds=round(seconds, 1), throttled_calls=throttled)

    assert result.status == "CREATE_COMPLETE", result.reason
    assert len(jobs) == CONCURRENT_JOBS and duplicates == 0 and failures == 0
    assert throttled > 0  # the limit did bite
