"""A simulated AWS Organization's fleet: the provider and the orders snapshot as StackSets, timed and weighed.

N accounts x 2 Regions: the provider StackSet, then
examples/cloudformation/fleet-orders-snapshot.yaml, every stack instance in
its own account and Region (``StackSetSimulator``), with the provider's code
really running there. Memory is the peak of the summed VmRSS of this process
and every process it started, sampled from /proc every 0.1 s
(``PeakMemory``): the fleet's one process and the provider's Lambda workers
(and, in a fleet of before the one-process fleet, the fork server and its
instance processes). A page that processes share counts once per process, so
it is an upper bound.

``python bench/fleet.py`` prints the report's section; ``--before REF`` first
measures the fleet of the git ref REF (checked out in a temporary ``git
worktree``, its ``cdk_backup_jobs`` first on ``PYTHONPATH``) and then this
checkout's, each in a fresh process, one after the other on the same machine,
and puts both rows in the section. ``bench/run.py`` writes it with the rest of
the report.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from cdk_backup_jobs.testing import (AutoDeployment, OperationPreferences, PeakMemory, SimulatedOrganization,
                                     StackSetSimulator, read_assembly_template)

sys.path.insert(0, str(Path(__file__).resolve().parent))

import report_page  # noqa: E402

ORDERS = Path(__file__).resolve().parent.parent / "examples" / "cloudformation" / "fleet-orders-snapshot.yaml"
REGIONS = ("us-east-1", "eu-west-1")
HEADING = "## A simulated fleet"
# The provider stack is synthesized in a process of its own: aws-cdk-lib's jsii Node.js would otherwise be
# a child of this one, and weigh in the fleet's memory.
SYNTH = ("import sys; from aws_cdk import App; from cdk_backup_jobs import BackupJobsProviderStack; "
         "app = App(outdir=sys.argv[1]); BackupJobsProviderStack(app, 'BackupJobsProvider'); app.synth()")


@dataclass
class FleetFigures:
    accounts: int
    regions: int
    instances: int
    jobs: int
    duplicate_jobs: int
    processes: int  # the most stack instances at a time
    wall_seconds: float
    peak_mib: float
    peak_processes: int


def measure(accounts: int = 50) -> FleetFigures:
    """Both StackSets to ``accounts`` accounts x 2 Regions, every instance at once as far as processes allow."""
    preferences = OperationPreferences(max_concurrent_percentage=100, failure_tolerance_percentage=10,
                                       concurrency_mode="SOFT_FAILURE_TOLERANCE", region_concurrency_type="PARALLEL")
    with tempfile.TemporaryDirectory() as workdir:
        out = Path(workdir) / "cdk.out"
        subprocess.run([sys.executable, "-c", SYNTH, str(out)], check=True, timeout=600)
        organization = SimulatedOrganization.of_sizes({"ou-workloads": accounts})
        began = time.monotonic()
        with PeakMemory() as peak, StackSetSimulator(organization) as fleet:
            provider = fleet.create_stack_set("BackupJobsProvider",
                                              read_assembly_template(out, "BackupJobsProvider"), assets_dir=out)
            orders = fleet.create_stack_set("OrdersSnapshot", ORDERS, parameters={"MigrationId": "migration-7"},
                                            auto_deployment=AutoDeployment(depends_on=("BackupJobsProvider",)))
            providers = fleet.create_stack_instances(provider, ["ou-workloads"], list(REGIONS), preferences)
            snapshots = fleet.create_stack_instances(orders, ["ou-workloads"], list(REGIONS), preferences)
            processes = fleet.max_processes
        wall = time.monotonic() - began
    if providers.status != "SUCCEEDED" or snapshots.status != "SUCCEEDED":
        raise RuntimeError(f"the fleet did not deploy: {providers.status_reason} {snapshots.status_reason}")
    jobs = [job["job_id"] for instance in snapshots.instances for job in instance.jobs]
    return FleetFigures(accounts, len(REGIONS), len(providers.instances) + len(snapshots.instances), len(jobs),
                        len(jobs) - len(set(jobs)), processes, wall, peak.peak_bytes / 2**20, peak.peak_processes)


REPO = Path(__file__).resolve().parent.parent


def measured_apart(accounts: int, source: Path | None = None) -> FleetFigures:
    """``measure`` in a fresh process: of this checkout, or of the checkout at ``source``."""
    environment = dict(os.environ)
    if source is not None:  # its package first on the path: the fleet of that commit
        environment["PYTHONPATH"] = os.pathsep.join([str(source / "constructs"), str(source / "lambda"),
                                                     environment.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, __file__, "--accounts", str(accounts), "--json"], env=environment,
                          check=True, timeout=3600, capture_output=True, text=True)
    return FleetFigures(**json.loads(done.stdout.strip().splitlines()[-1]))


def measured_before(ref: str, accounts: int) -> FleetFigures:
    """The fleet of git ref ``ref``, from a temporary worktree (removed after)."""
    with tempfile.TemporaryDirectory() as workdir:
        checkout = Path(workdir) / "before"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(checkout), ref], check=True,
                       capture_output=True)
        try:
            return measured_apart(accounts, checkout)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(checkout)], check=False,
                           capture_output=True)


def table(figures: FleetFigures) -> list[str]:
    return ["| instances | jobs started | duplicate jobs | wall time | peak memory | processes at peak |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {figures.instances} | {figures.jobs} | {figures.duplicate_jobs} | {figures.wall_seconds:.1f} s "
            f"| {figures.peak_mib:,.0f} MiB | {figures.peak_processes} |"]


def section_lines(figures: FleetFigures, before: tuple[str, FleetFigures] | None = None) -> list[str]:
    earlier = ([f"Before (`{before[0]}`: a process forked per instance, measured first):", "", *table(before[1]), "",
                "One process (this checkout, measured next):", ""] if before else [])
    return [
        HEADING,
        "",
        "`bench/fleet.py`: the provider StackSet, then the orders-snapshot StackSet",
        "(`examples/cloudformation/fleet-orders-snapshot.yaml`), each to "
        f"{figures.accounts} accounts × {figures.regions} Regions",
        "(PARALLEL Regions, SOFT_FAILURE_TOLERANCE, MaxConcurrentPercentage 100), at most "
        f"{figures.processes} stack instances at a time (`StackSetSimulator`'s default `max_processes` on this "
        "machine).",
        "The fleet runs in one process: every simulated service keeps its state per account and Region behind one",
        "endpoint, and each instance's functions run in Lambda workers with their account's key and Region.",
        "Memory is the peak of the sum of VmRSS over this process and every process it started (`PeakMemory`,",
        "sampled from /proc): the provider's Lambda workers"
        + (", and before, the fork server and its instance processes" if before else "")
        + "; a page shared by processes counts once per process, so it is an upper bound."
        + (" Both tables were measured one after the other in one run of `bench/fleet.py --before`, on the same"
           " machine." if before else ""),
        "AwsCustomResource has no simulated counterpart to compare with.",
        "",
        *earlier,
        *table(figures),
        "",
    ]



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--before", metavar="REF", help="measure the fleet of this git ref first, in the same run")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line (internal)")
    parser.add_argument("--write", nargs="?", const=str(Path(__file__).resolve().parent.parent / "docs" /
                                                         "performance.md"), help="put the section into this page")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(asdict(measure(args.accounts))))
        return
    if args.before:
        label = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", args.before], check=True,
                               capture_output=True, text=True).stdout.strip()
        before = (label, measured_before(args.before, args.accounts))
        lines = section_lines(measured_apart(args.accounts), before)
    else:
        lines = section_lines(measure(args.accounts))
    print("\n".join(lines))
    if args.write:
        report_page.write_section(Path(args.write), HEADING, lines)


if __name__ == "__main__":
    main()
