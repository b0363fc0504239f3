"""The benchmark scripts still run (tiny sizes; the figures in docs/ come from a full run by hand)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_benchmarks_run_and_write_the_report(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--sizes", "1,3", "--repeats", "1",
         "--events", "3", "--imports", "1", "--colds", "1", "--wait-hours", "6", "--fleet-accounts", "2",
         "--out", str(tmp_path)],
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
    # The targets, each with its figure and a verdict; the deterministic ones are met.
    targets = re.findall(r"^\| (.+?) \| (.+?) \| (MET|MISSED) \|$", report.split("## Targets\n")[1]
                         .split("## ")[0], flags=re.MULTILINE)
    assert len(targets) == 10, targets
    verdicts = {target: verdict for target, _, verdict in targets}
    assert verdicts["at most 3 resources per waited job; 1 per job that does not wait"] == "MET"
    assert verdicts["at most 4 Lambda invocations per hour of waiting (was 60)"] == "MET"
    # A 6-hour wait, simulated: every invocation by cause.
    assert "| waited | 3 |" in report and "| not waited | 1 |" in report
    assert re.search(r"^\| the job's state change events \| [1-9]\d* \|$", report, flags=re.MULTILINE)
    assert re.search(r"^\| fallback checks .* \| [1-9]\d* \|$", report, flags=re.MULTILINE)
    assert verdicts["exactly 1 CloudFormation resource per extra job"] == "MET"
    assert verdicts["exactly 1 AWS API call per job that does not wait"] == "MET"
    assert "200 jobs fit CloudFormation's limits: under 500 resources and under 1 MB" in verdicts
    assert "(extrapolated from 1, 3 jobs)" in report  # 200 was not run: the figure says so
    # The synth ratio at every size, and the handler's own peak RSS for both tools.
    assert re.search(r"^\| 1 \| [\d.]+ \| [\d.]+ \| [\d.]+ \|$", report, flags=re.MULTILINE)
    assert re.search(r"^\| 3 \| [\d.]+ \| [\d.]+ \| [\d.]+ \|$", report, flags=re.MULTILINE)
    assert re.search(r"^\| peak RSS of the handler process alone .*\| [\d.]+ MB \| [\d.]+ MB \| [\d.]+ \|$",
                     report, flags=re.MULTILINE)
    assert "The handler alone peaks at" in report
    # The simulated fleet: 2 accounts x 2 Regions, a provider and a job in each, no job twice.
    assert re.search(r"^\| 8 \| 4 \| 0 \| [\d.]+ s \| [\d,]+ MiB \| \d+ \|$", report, flags=re.MULTILINE)


def test_importing_the_handler_imports_no_aws_sdk():
    code = ("import sys; sys.path.insert(0, 'lambda'); import index; "
            "loaded = [m for m in ('botocore', 'boto3.session') if m in sys.modules]; "
            "sys.exit(f'imported at cold start: {loaded}' if loaded else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def reliability_script():
    """bench/reliability.py as a module, its pytest run to be replaced by the test."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_reliability", REPO / "bench" / "reliability.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_exits_without_writing(script: Any, out: Path) -> None:
    """bench/reliability.py exits 1 and leaves no report at ``out``."""
    with pytest.raises(SystemExit) as exited:
        script.main(["--out", str(out)])
    assert exited.value.code == 1
    assert not out.exists()


ROW = {"suite": "Security", "case": "provider IAM", "cases": 3, "failures": 0, "duplicates": 0, "hung": 0}


def test_reliability_report_is_not_written_when_a_suite_fails(tmp_path, monkeypatch, capsys):
    script = reliability_script()
    failed = subprocess.CompletedProcess([], 1, stdout="F.\n1 failed, 1 passed in 1.00s\n", stderr="")
    failing_row = {**ROW, "case": "PassRole exactly the job roles", "failures": 1}
    monkeypatch.setattr(script, "run_suites", lambda: (failed, [ROW, failing_row], 1.0))
    assert_exits_without_writing(script, tmp_path / "reliability.md")
    printed = capsys.readouterr()
    assert "| Security | PassRole exactly the job roles | 3 | 1 |" in printed.out  # the failing row is shown
    assert "1 failed, 1 passed" in printed.err


def test_reliability_report_is_not_written_without_rows(tmp_path, monkeypatch):
    # pytest passed but recorded nothing (RELIABILITY_RESULTS not honoured): no table of nothing.
    script = reliability_script()
    passed = subprocess.CompletedProcess([], 0, stdout="no tests ran\n", stderr="")
    monkeypatch.setattr(script, "run_suites", lambda: (passed, [], 1.0))
    assert_exits_without_writing(script, tmp_path / "reliability.md")


def test_reliability_report_is_written_when_every_suite_passes(tmp_path, monkeypatch):
    script = reliability_script()
    passed = subprocess.CompletedProcess([], 0, stdout="..\n2 passed in 1.00s\n", stderr="")
    monkeypatch.setattr(script, "run_suites", lambda: (passed, [ROW], 1.0))
    out = tmp_path / "reliability.md"
    script.main(["--out", str(out)])
    assert "| Security | provider IAM | 3 | 0 | 0 | 0 |  |" in out.read_text()
    assert "`2 passed in 1.00s`" in out.read_text()


def fleet_script(monkeypatch: pytest.MonkeyPatch) -> Any:
    """bench/fleet.py as a module (its section's text only: nothing is measured); the module and the bench
    folder it puts on sys.path are gone after the test."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_fleet", REPO / "bench" / "fleet.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_the_fleet_section_names_the_fork_server_only_beside_the_figures_of_before(monkeypatch):
    # bench/run.py writes the section without --before: it must not describe a "before" it does not show.
    script = fleet_script(monkeypatch)
    figures = script.FleetFigures(accounts=2, regions=2, instances=8, jobs=4, duplicate_jobs=0, processes=4,
                                  wall_seconds=1.0, peak_mib=100.0, peak_processes=3)
    alone = "\n".join(script.section_lines(figures))
    assert "fork server" not in alone and "Before (" not in alone
    compared = "\n".join(script.section_lines(figures, ("abc1234", figures)))
    assert "the fork server and its instance" in compared and "Before (`abc1234`" in compared
