"""The benchmark scripts still run (tiny sizes; the figures in docs/ come from a full run by hand)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_benchmarks_run_and_write_the_report(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--sizes", "1,3", "--repeats", "1",
         "--events", "3", "--imports", "1", "--colds", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=REPO)

    assert result.returncode == 0, result.stderr[-3000:]
    report = (tmp_path / "performance.md").read_text()
    assert "| resources | 1.0 | 2.0 | 0.50 |" in report  # one resource per extra job, against two
    assert "| AWS API calls per job that does not wait | 1 |" in report
    # The head to head ran aws-cdk-lib's own handler: a retried delivery starts a second job without a token.
    assert "| StartBackupJob calls per Create | 1.0  | 1.0  | 1.00 |" in report
    assert "| jobs started by one Create delivered twice (a Lambda retry) | 1 | 1 with a fixed" in report
    assert "2 without one |" in report
    assert (tmp_path / "performance.png").stat().st_size > 10_000


def test_importing_the_handler_imports_no_aws_sdk():
    code = ("import sys; sys.path.insert(0, 'lambda'); import index; "
            "loaded = [m for m in ('botocore', 'boto3.session') if m in sys.modules]; "
            "sys.exit(f'imported at cold start: {loaded}' if loaded else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
