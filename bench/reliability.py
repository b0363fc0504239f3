"""Runs the reliability suites at full size and writes docs/reliability.md from their counts.

    python bench/reliability.py          # by hand; CI runs the same suites smaller, as tests

If any test fails, it prints the table and pytest's output, writes nothing and exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def run_suites() -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]], float]:
    """pytest over tests/reliability at full size: its result, the recorded rows, and the seconds taken."""
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder) / "results.json"
        env = {**os.environ, "RELIABILITY_SCALE": "full", "RELIABILITY_RESULTS": str(results)}
        began = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "tests/reliability"], cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - began
        records = json.loads(results.read_text()) if results.exists() else []
    return run, records, seconds


def table(records: list[dict[str, Any]]) -> list[str]:
    """The suites table, one row per recorded case."""
    lines = [
        "| suite | case | cases run | failures | duplicates | hung responses | figures |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in records:
        figures = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in r.items()
                            if k not in ("suite", "case", "cases", "failures", "duplicates", "hung"))
        lines.append(f"| {r['suite']} | {r['case']} | {r['cases']} | {r['failures']} | {r['duplicates']} |"
                     f" {r['hung']} | {figures} |")
    return lines


def report(records: list[dict[str, Any]], summary: str, seconds: float) -> str:
    lines = [
        "# Reliability: suites and counts",
        "",
        f"Produced by `python bench/reliability.py` on {time.strftime('%Y-%m-%d')} (Python"
        f" {platform.python_version()}, {platform.machine()}): the suites in `tests/reliability/` at full size,"
        f" {seconds:.0f} s in all; pytest said: `{summary}`. CI runs the same suites with smaller sizes.",
        "",
        *table(records),
        "",
        "What each suite holds the provider to:",
        "",
        "- **Property fuzzing (handler)**: random and adversarial property sets (wrong types, huge strings,",
        "  unicode, nested junk, missing, extra and out-of-range members) through the real handler: exactly one",
        "  response, SUCCESS or FAILED with a reason under 256 characters, never an exception, never an",
        "  internal error, and a job only for a SUCCESS that started one. A valid set with one member",
        "  removed or set records that member; where the API model alone makes the result invalid (a",
        "  required member removed, a name that is no member, null, a list, an object where a scalar",
        "  belongs or the reverse) the answer must be FAILED, start no job and name the member.",
        "- **Property fuzzing (synth)**: random BackupJob and CopyJob props, and every prop given a plain",
        "  value of the wrong type (ints, None, dicts, lists, bools, floats), by fuzzing and by a sweep of",
        "  every prop against one value of each type: a JobValidationError naming the construct (and the",
        "  wrong prop), or a stack for right types; a wrong type is never accepted, and any other exception",
        "  (AttributeError, TypeError, a jsii error) is a failure.",
        "- **Fault matrix**: one response before the function's deadline, at most one job (exactly one for a",
        "  SUCCESS, counted after every injected delay has passed), the reason says what",
        "  failed (botocore retries throttling, 5xx and dropped connections; crhelper's timer answers just before",
        "  the deadline; our sender retries a failing ResponseURL and stops at the deadline).",
        "- **Concurrency**: a stack deployed by the simulator, its resources in parallel, against an emulator that",
        "  throttles.",
        "- **Duplicate deliveries**: retried and stale requests reuse the job their token names.",
        "- **Security**: the provider's IAM (no `*` action; PassRole exactly on the job roles, or for the shared",
        "  provider stack on this account's roles unless `job_role_arns` narrows it, and only to",
        "  backup.amazonaws.com), no public invoke; and, for the whole test suite (tests/conftest.py), every",
        "  captured log, all output read through capsys/capfd, and every function log is scanned for the",
        "  presigned URL, tag values and the test credentials' secret key (and session token, if set).",
        "",
        "A test that fails without recording a failure gets a row of its own (suite \"... (failed, no failure",
        "recorded)\"), and this script writes nothing when any test fails.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(REPO / "docs" / "reliability.md"))
    out = Path(parser.parse_args(argv).out)
    run, records, seconds = run_suites()
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "no output"
    if run.returncode != 0 or not records:
        # A failing suite must not leave a table of figures behind that reads as a pass.
        print("\n".join(table(records)))
        print(run.stdout[-6000:], run.stderr[-2000:], file=sys.stderr)
        print(f"reliability suites failed ({summary}); docs/reliability.md not written", file=sys.stderr)
        sys.exit(run.returncode or 1)
    out.write_text(report(records, summary, seconds))
    print(out.read_text())


if __name__ == "__main__":
    main()
