"""Runs the reliability suites at full size and writes docs/reliability.md from their counts.

    python bench/reliability.py          # by hand; CI runs the same suites smaller, as tests
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder) / "results.json"
        env = {**os.environ, "RELIABILITY_SCALE": "full", "RELIABILITY_RESULTS": str(results)}
        began = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "tests/reliability"], cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - began
        records = json.loads(results.read_text()) if results.exists() else []
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "no output"
    lines = [
        "# Reliability: suites and counts",
        "",
        f"Produced by `python bench/reliability.py` on {time.strftime('%Y-%m-%d')} (Python"
        f" {platform.python_version()}, {platform.machine()}): the suites in `tests/reliability/` at full size,"
        f" {seconds:.0f} s in all; pytest said: `{summary}`. CI runs the same suites with smaller sizes.",
        "",
        "| suite | case | cases run | failures | duplicates | hung responses | figures |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in records:
        figures = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in r.items()
                            if k not in ("suite", "case", "cases", "failures", "duplicates", "hung"))
        lines.append(f"| {r['suite']} | {r['case']} | {r['cases']} | {r['failures']} | {r['duplicates']} |"
                     f" {r['hung']} | {figures} |")
    lines += [
        "",
        "What each suite holds the provider to:",
        "",
        "- **Property fuzzing (handler)**: random and adversarial property sets (wrong types, huge strings,",
        "  unicode, nested junk, missing, extra and out-of-range members) through the real handler: exactly one",
        "  response, SUCCESS or FAILED with a reason under 256 characters, never an exception, never an",
        "  internal error, and a job only for a SUCCESS that started one.",
        "- **Property fuzzing (synth)**: random BackupJob props: a JobValidationError naming the construct, or a",
        "  stack; never a jsii error.",
        "- **Fault matrix**: one response before the function's deadline, at most one job, the reason says what",
        "  failed (botocore retries throttling, 5xx and dropped connections; crhelper's timer answers just before",
        "  the deadline; our sender retries a failing ResponseURL and stops at the deadline).",
        "- **Concurrency**: a stack deployed by the simulator in parallel waves against an emulator that throttles.",
        "- **Duplicate deliveries**: retried and stale requests reuse the job their token names.",
        "- **Security**: the provider's IAM, no public invoke; and, for the whole test suite (tests/conftest.py),",
        "  every captured log and every function log is scanned for the presigned URL and tag values.",
    ]
    out = REPO / "docs" / "reliability.md"
    out.write_text("\n".join(lines) + "\n")
    print(out.read_text())
    if run.returncode != 0:
        print(run.stdout[-3000:], run.stderr[-2000:])
        sys.exit(run.returncode)


if __name__ == "__main__":
    main()
