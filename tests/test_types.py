"""Type hints are checked, not decorative: mypy --strict over both source roots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def mypy(cwd: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", *targets],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def test_lambda_code_passes_mypy_strict():
    # The Lambda asset root is checked as the runtime sees it: modules at top level.
    files = sorted(p.name for p in (REPO / "lambda").glob("*.py"))
    result = mypy(REPO / "lambda", *files)
    assert result.returncode == 0, result.stdout


def test_construct_library_passes_mypy_strict():
    # provider_code is the Lambda code again (a link), checked above under its runtime names.
    package = REPO / "constructs" / "cdk_backup_jobs"
    files = [str(p.relative_to(REPO / "constructs")) for p in sorted(package.rglob("*.py"))
             if "provider_code" not in p.parts]
    result = mypy(REPO / "constructs", *files)
    assert result.returncode == 0, result.stdout
