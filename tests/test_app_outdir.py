"""`python app.py` writes its cloud assembly where `cdk synth` does (issue 14, item 6)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent


def run_app(cwd: Path, **env: str) -> None:
    environment = {key: value for key, value in os.environ.items() if key != "CDK_OUTDIR"}
    environment["PATH"] = os.pathsep.join([sysconfig.get_path("scripts"), environment.get("PATH", "")])
    result = subprocess.run([sys.executable, str(REPO / "app.py")], cwd=cwd, env={**environment, **env},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def test_python_app_py_writes_cdk_out_in_the_working_directory_like_cdk_synth(tmp_path):
    run_app(tmp_path)

    for stack in ("BackupJobsExample", "SnapshotBeforeMigration", "BackupJobsProvider"):
        assert (tmp_path / "cdk.out" / f"{stack}.template.json").is_file(), stack
    assert (tmp_path / "cdk.out" / "manifest.json").is_file()


def test_the_cli_s_output_directory_still_wins(tmp_path):
    # The cdk CLI runs the app with CDK_OUTDIR set to its --output (cdk.out by default).
    run_app(tmp_path, CDK_OUTDIR=str(tmp_path / "elsewhere"))

    assert (tmp_path / "elsewhere" / "BackupJobsExample.template.json").is_file()
    assert not (tmp_path / "cdk.out").exists()
