"""The VPC + EFS example of docs/testing.md is the file examples/testing/test_vpc_efs_stack.py, and it passes
as a user's own test suite would run it: pasted into an empty folder beside a one-line conftest.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "testing" / "test_vpc_efs_stack.py"


def test_the_testing_page_shows_the_example_file_verbatim():
    page = (REPO / "docs" / "testing.md").read_text()
    assert f"```python\n{EXAMPLE.read_text()}```" in page


@pytest.mark.slow
def test_the_example_passes_when_pasted_into_a_users_project(tmp_path: Path):
    (tmp_path / EXAMPLE.name).write_text(EXAMPLE.read_text())
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["cdk_backup_jobs.testing.pytest_plugin"]\n')
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", EXAMPLE.name],
                         cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "1 passed" in run.stdout
