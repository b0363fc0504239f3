"""One-job stacks: jobs on a shared provider, against their own provider and aws-cdk-lib's AwsCustomResource.

Each stack is synthesized once (its resources and template bytes do not vary
from one synth to the next): the job role imported (an organization's own
role, made elsewhere) and, for the footprint table's comparison, made in the
stack. ``python bench/shared_provider.py`` prints the report's section;
``--write`` puts it into docs/performance.md in place (``bench/run.py``
writes it with the rest of the report).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from aws_cdk import App, Stack, aws_iam as iam

sys.path.insert(0, str(Path(__file__).resolve().parent))

import footprint  # noqa: E402
import report_page  # noqa: E402

from cdk_backup_jobs import BackupJob, BackupJobsProvider  # noqa: E402

HEADING = "## Jobs on a shared provider"
NEXT_HEADING = "## Handler (local emulator"
"""The section goes before this one (the order bench/run.py writes)."""
ROLE_ARN = "arn:aws:iam::123456789012:role/backup-role"
TARGET_RESOURCES = 1


def shared(stack: Stack, role: iam.IRole) -> None:
    provider = BackupJobsProvider.from_export_name(stack, "SharedProvider")
    BackupJob(stack, "Job0", backup_vault="primary-vault", role=role, resource_arn=footprint.TABLE.format(index=0),
              provider=provider)


def own(stack: Stack, role: iam.IRole) -> None:
    BackupJob(stack, "Job0", backup_vault="primary-vault", role=role, resource_arn=footprint.TABLE.format(index=0))


def aws_custom_resource(stack: Stack, role: iam.IRole) -> None:
    footprint.aws_custom_resource_jobs(stack, 1, role)


STACKS: dict[str, Callable[[Stack, iam.IRole], None]] = {
    "cdk-backup-jobs on a shared provider (`BackupJobsProvider.from_export_name`)": shared,
    "cdk-backup-jobs with its own provider": own,
    "AwsCustomResource": aws_custom_resource,
}


@dataclass
class OneJobStack:
    stack: str
    resources: int
    template_bytes: int
    resources_with_role: int
    template_bytes_with_role: int


def template(build: Callable[[Stack, iam.IRole], None], role_made_here: bool) -> dict[str, object]:
    app = App()
    stack = Stack(app, "Bench")
    role = footprint.job_role(stack) if role_made_here else iam.Role.from_role_arn(stack, "Role", ROLE_ARN)
    build(stack, role)
    synthesized: dict[str, object] = app.synth().get_stack_by_name("Bench").template
    return synthesized


def measure() -> list[OneJobStack]:
    rows = []
    for name, build in STACKS.items():
        imported, made = template(build, False), template(build, True)
        rows.append(OneJobStack(name, len(imported["Resources"]), len(json.dumps(imported)),  # type: ignore[arg-type]
                                len(made["Resources"]), len(json.dumps(made))))  # type: ignore[arg-type]
    return rows


def section_lines(rows: list[OneJobStack]) -> list[str]:
    by = {row.stack.split(" (")[0]: row for row in rows}
    ours, theirs = by["cdk-backup-jobs on a shared provider"], by["AwsCustomResource"]
    met = ours.resources == TARGET_RESOURCES and ours.resources < theirs.resources
    lines = [
        HEADING,
        "",
        "`bench/shared_provider.py`: a stack of one backup job, synthesized; the job role imported (an",
        "organization's own, made elsewhere), and made in the stack as in the footprint table above.",
        "",
        "| one-job stack | resources | template bytes | resources, role made in the stack |"
        " template bytes, role made in the stack |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {row.stack} | {row.resources} | {row.template_bytes:,} | {row.resources_with_role} | "
              f"{row.template_bytes_with_role:,} |" for row in rows]
    lines += [
        "",
        f"Target: a one-job stack on a shared provider is {TARGET_RESOURCES} resource, against AwsCustomResource's"
        f" {theirs.resources} ({ours.resources_with_role} against {theirs.resources_with_role} with the job role"
        f" made in the stack): {'MET' if met else 'MISSED'}; its template is"
        f" {ours.template_bytes:,} bytes against {theirs.template_bytes:,}"
        f" ({ours.template_bytes / theirs.template_bytes:.2f}x).",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", nargs="?", const=str(Path(__file__).resolve().parent.parent / "docs" /
                                                       "performance.md"), help="the report to put the section into")
    args = parser.parse_args()
    lines = section_lines(measure())
    if args.write:
        report_page.write_section(Path(args.write), HEADING, lines, insert_before=NEXT_HEADING)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
