"""Waits of hours: what a waited job adds to a template, and what its wait costs in Lambda invocations.

- Footprint: stacks of 1 and 2 jobs, waited and not, synthesized; resources
  and template bytes per extra job.
- Invocations: one backup job of ``hours`` hours, waited on the
  CloudFormation simulator with the local AWS Backup publishing its state
  change events, on a manual clock; the provider's invocations per hour of
  waiting, by cause (CloudFormation request, job event, fallback check).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import App, Duration, Stack, aws_iam as iam

from cdk_backup_jobs import BackupJob

VOLUME = "arn:aws:ec2:us-east-1:123456789012:volume/vol-{index}"


@dataclass
class WaitFootprint:
    waited: bool
    resources_per_job: float
    template_bytes_per_job: float


def _template(jobs: int, waited: bool) -> dict[str, object]:
    app = App()
    stack = Stack(app, "Bench")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    for index in range(jobs):
        BackupJob(stack, f"Job{index}", backup_vault="primary-vault", role=role,
                  resource_arn=VOLUME.format(index=index), wait_for_completion=waited,
                  timeout=Duration.minutes(710) if waited else None)
    template: dict[str, object] = app.synth().get_stack_by_name("Bench").template
    return template


def footprints() -> list[WaitFootprint]:
    """Per extra job: the difference between stacks of 2 jobs and of 1 (the provider is counted once)."""
    rows = []
    for waited in (False, True):
        one, two = _template(1, waited), _template(2, waited)
        resources = len(two["Resources"]) - len(one["Resources"])  # type: ignore[arg-type]
        rows.append(WaitFootprint(waited, float(resources), float(len(json.dumps(two)) - len(json.dumps(one)))))
    return rows


@dataclass
class WaitInvocations:
    hours: float
    waited_hours: float
    by_cause: dict[str, int]

    @property
    def wake_ups_per_hour(self) -> float:
        """Invocations by the watch (events and fallback checks) per hour of waiting."""
        return (self.by_cause.get("event", 0) + self.by_cause.get("schedule", 0)) / self.waited_hours

    @property
    def per_hour(self) -> float:
        """Every invocation, CloudFormation's requests included, per hour of waiting."""
        return sum(self.by_cause.values()) / self.waited_hours


def invocations(hours: float, workdir: str) -> WaitInvocations:
    """One waited backup of ``hours`` hours, deployed on the simulator: the provider's invocations."""
    import os
    from contextlib import ExitStack
    from pathlib import Path

    from cdk_backup_jobs.testing import (CloudFormationSimulator, JobTiming, ManualClock, backup_server,
                                         events_server, read_assembly_template, response_server)

    out = Path(workdir) / "cdk.out"
    app = App(outdir=str(out))
    stack = Stack(app, "LongWait")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    BackupJob(stack, "Job", backup_vault="primary-vault", role=role, resource_arn=VOLUME.format(index=0),
              wait_for_completion=True, timeout=Duration.minutes(710))
    app.synth()
    clock = ManualClock()
    credentials = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
                   "AWS_REGION": "us-east-1"}
    saved = {name: os.environ.get(name) for name in credentials}
    os.environ.update(credentials)
    try:
        with ExitStack() as exits:
            backup = exits.enter_context(backup_server())
            responses = exits.enter_context(response_server())
            scheduler = exits.enter_context(events_server(clock=clock))
            backup.emulator.clock = clock
            backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=hours * 3600)
            backup.emulator.create_vault("primary-vault")
            backup.emulator.event_sink = scheduler.publish
            simulator = exits.enter_context(CloudFormationSimulator(
                responses, stack_name="LongWait", assets_dir=out, scheduler=scheduler, on_tick=clock.advance,
                event_sources=[backup.emulator], on_resource=backup.emulator.on_stack_resource,
                environment={**credentials, "AWS_ENDPOINT_URL_BACKUP": backup.endpoint_url,
                             "SSL_CERT_FILE": responses.ca_file}))
            result = simulator.deploy(read_assembly_template(out, "LongWait"))
            if result.status != "CREATE_COMPLETE":
                raise RuntimeError(f"the long wait did not complete: {result.reason}")
            counts = {cause: 0 for cause in ("cloudformation", "event", "schedule")}
            for by_cause in simulator.invocation_counts.values():
                for cause, count in by_cause.items():
                    counts[cause] = counts.get(cause, 0) + count
            return WaitInvocations(hours, simulator.waited_seconds / 3600, counts)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
