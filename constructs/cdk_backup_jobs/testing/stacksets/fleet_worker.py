"""One stack instance of a simulated StackSet, deployed in a process of its own (``fleet_zygote`` forks it).

That process imports this module only once the instance's account and Region
are in its environment (``shared.account``), so the AWS Backup,
EventBridge and CloudFormation it stands up here are that account's, in that
Region, and the provider's Lambda code runs with them. The request: the
stack's name, template, parameters, the cdk.out folder of its functions, the
account-Region's exports and functions from its other stacks, the account's
AWS Backup faults and scripted job outcomes. The report: status, reason,
outputs, exports, the functions it created, and every job this account's
AWS Backup holds, with the StartBackupJob calls that started them.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Mapping

from cdk_backup_jobs.testing.backup.endpoint import backup_server
from cdk_backup_jobs.testing.backup.jobs import JobTiming
from cdk_backup_jobs.testing.backup.state import Fault
from cdk_backup_jobs.testing.cloudformation.response_server import response_server
from cdk_backup_jobs.testing.cloudformation.service_endpoints import events_server
from cdk_backup_jobs.testing.cloudformation.simulator import CloudFormationSimulator
from cdk_backup_jobs.testing.cloudformation.template import TemplateError
from cdk_backup_jobs.testing.shared.account import ACCOUNT_ID, REGION
from cdk_backup_jobs.testing.shared.virtual_time import ManualClock

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
DEFAULT_TIMING = {"pending_after": 60.0, "running_after": 120.0, "done_after": 600.0}
"""A job takes ten minutes of virtual time: a waited job's wait costs no real time."""


def deploy(request: Mapping[str, Any], on_report: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Deploy the requested stack in this process's account and Region; the report.

    ``on_report`` gets it before the local services stop: a process that
    ends there (``os._exit``) spares their shutdown, up to half a second each.
    """
    began = time.monotonic()
    clock = ManualClock()
    with backup_server() as backup, response_server() as responses, events_server() as scheduler:
        emulator = backup.emulator
        emulator.clock = clock
        emulator.timing = JobTiming(**{**DEFAULT_TIMING, **request.get("job_timing", {})})
        emulator.event_sink = scheduler.publish
        emulator.state.faults.extend(Fault(**fault) for fault in request.get("faults", []))
        for outcome in request.get("outcomes", []):
            emulator.script_outcome(outcome["pattern"], outcome["state"], outcome.get("message", ""))
        environment = {**DUMMY_CREDENTIALS, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
                       "AWS_ENDPOINT_URL_BACKUP": backup.endpoint_url, "SSL_CERT_FILE": responses.ca_file}
        given = dict(request.get("functions", {}))
        with CloudFormationSimulator(
                responses, stack_name=request["stack_name"], assets_dir=request.get("assets_dir"),
                s3_objects={(bucket, key): path for bucket, key, path in request.get("s3_objects", [])},
                functions=given, environment=environment, exports=request.get("exports", {}),
                parameters=request.get("parameters", {}), scheduler=scheduler, clock=clock,
                event_sources=[emulator], on_resource=emulator.on_stack_resource) as stack:
            stack.exports = recorded = _RecordedExports(stack.exports)
            try:
                result = stack.deploy(request["template"])
                status, reason, outputs = result.status, result.reason, result.outputs
            except TemplateError as error:  # a template CloudFormation rejects: the stack is not created
                status, reason, outputs = "CREATE_FAILED", f"Template error: {error}", {}
            created = {arn: runtime.code_dir for arn, runtime in stack.runtimes.items() if arn not in given}
            invocations = stack.invocation_counts
            # What this stack exported, including a name another stack of the account-Region already
            # exports (the StackSetSimulator fails the stack for it, as CloudFormation does).
            exports = {name: recorded[name] for name in recorded.written}
        jobs = [_job(job, clock()) for job in emulator.state.backup_jobs.values()]
        starts = [params for params in emulator.state.calls_of("StartBackupJob") if not params.get("_not_emulated")]
        created_stack = status == "CREATE_COMPLETE"
        report = {"account": ACCOUNT_ID, "region": REGION, "stack_id": stack.stack_id, "status": status,
                  "reason": reason, "outputs": outputs, "exports": exports if created_stack else {},
                  "functions": created if created_stack else {}, "jobs": jobs,
                  "start_backup_job_calls": len(starts), "invocations": invocations,
                  "seconds": round(time.monotonic() - began, 3)}
        if on_report is not None:
            on_report(report)
    return report


class _RecordedExports(dict[str, Any]):
    """The account-Region's exports, with the names this stack's outputs export."""

    def __init__(self, given: Mapping[str, Any]) -> None:
        super().__init__(given)
        self.written: list[str] = []

    def __setitem__(self, name: str, value: Any) -> None:
        self.written.append(name)
        super().__setitem__(name, value)


def _job(job: Any, now: float) -> dict[str, Any]:
    state, _, message = job.state_at(now)
    return {"job_id": job.job_id, "state": state, "status_message": message, "resource_arn": job.resource_arn,
            "backup_vault_name": job.params.get("BackupVaultName"), "recovery_point_arn": job.recovery_point_arn,
            "iam_role_arn": job.params.get("IamRoleArn"), "account_id": ACCOUNT_ID, "region": REGION}
