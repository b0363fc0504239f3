"""A simulated AWS Organization's fleet: the provider and the orders snapshot as StackSets, timed and weighed.

N accounts x 2 Regions: the provider StackSet, then
examples/cloudformation/fleet-orders-snapshot.yaml, every stack instance a
process standing in its own account and Region (``StackSetSimulator``), with
the provider's code really running there. Memory is the peak of the summed
VmRSS of the whole process tree (``PeakMemory``): pages that forked processes
share count once per process, so it is an upper bound.
``python bench/fleet.py`` prints the report's section; ``bench/run.py`` writes
it with the rest of the report.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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


def section_lines(figures: FleetFigures) -> list[str]:
    return [
        HEADING,
        "",
        "`bench/fleet.py`: the provider StackSet, then the orders-snapshot StackSet",
        "(`examples/cloudformation/fleet-orders-snapshot.yaml`), each to "
        f"{figures.accounts} accounts × {figures.regions} Regions",
        "(PARALLEL Regions, SOFT_FAILURE_TOLERANCE, MaxConcurrentPercentage 100), at most "
        f"{figures.processes} stack-instance processes at a time (`StackSetSimulator`'s default on this machine).",
        "Each instance is a process forked from one that imported cfn-lint, botocore and the TLS libraries once,",
        "standing in its own account and Region with its own emulated AWS Backup. Memory is the peak of the sum",
        "of VmRSS over the whole process tree (`PeakMemory`), which counts pages the forked processes share once",
        "per process: an upper bound. AwsCustomResource has no simulated counterpart to compare with.",
        "",
        "| instances | jobs started | duplicate jobs | wall time | peak memory | processes at peak |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {figures.instances} | {figures.jobs} | {figures.duplicate_jobs} | {figures.wall_seconds:.1f} s "
        f"| {figures.peak_mib:,.0f} MiB | {figures.peak_processes} |",
        "",
    ]



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--write", nargs="?", const=str(Path(__file__).resolve().parent.parent / "docs" /
                                                         "performance.md"), help="put the section into this page")
    args = parser.parse_args()
    lines = section_lines(measure(args.accounts))
    print("\n".join(lines))
    if args.write:
        report_page.write_section(Path(args.write), HEADING, lines)


if __name__ == "__main__":
    main()
