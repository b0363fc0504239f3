"""The organization's AWS in this process, and one stack instance deployed in its account and Region.

One endpoint per service serves every account and Region (``FleetServices``):
AWS Backup (``backup_server``: an emulator per account and Region), EventBridge,
Lambda and CloudFormation (``events_server``: a bus, permissions, stacks and
IAM per account and Region) and the custom-resource responses. A stack
instance is a ``CloudFormationSimulator`` in its account's place: its
functions (the provider's code from cdk.out) run in Lambda workers of their
own with that account's key and Region in their environment
(``shared.account``), so their calls reach that account's AWS Backup there.

An account-Region's stacks share its state (its AWS Backup, its bus, its
virtual clock) and deploy one at a time; the account's AWS Backup behaviour
(faults, scripted job outcomes) is set again for each of its stacks. An
instance that outlives ``timeout_seconds`` is a failed stack with the reason,
its functions' workers ended, never a lost instance.
"""

from __future__ import annotations

import contextvars
import threading
import time
from contextlib import ExitStack
from dataclasses import replace
from typing import Any, Mapping

from cdk_backup_jobs.testing.backup.emulator import BackupEmulator
from cdk_backup_jobs.testing.backup.endpoint import RunningBackupServer, backup_server
from cdk_backup_jobs.testing.backup.jobs import JobTiming
from cdk_backup_jobs.testing.cloudformation.response_server import RunningResponseServer, response_server
from cdk_backup_jobs.testing.cloudformation.service_endpoints import RunningEventsServer, events_server
from cdk_backup_jobs.testing.cloudformation.simulator import CloudFormationSimulator
from cdk_backup_jobs.testing.cloudformation.template import TemplateError
from cdk_backup_jobs.testing.shared.account import Place, account_access_key, in_place
from cdk_backup_jobs.testing.shared.virtual_time import ManualClock
from cdk_backup_jobs.testing.stacksets.organization import SimulatedAccount

DEFAULT_TIMING = {"pending_after": 60.0, "running_after": 120.0, "done_after": 600.0}
"""A job takes ten minutes of virtual time: a waited job's wait costs no real time."""
ENDED_SECONDS = 30.0
"""How long a timed-out instance may take to unwind once its functions' workers are ended."""


class FleetServices:
    """The shared endpoints, started on first use; ``run`` deploys one instance (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exits: ExitStack | None = None
        self._places: dict[Place, threading.Lock] = {}
        self._clocks: dict[Place, ManualClock] = {}

    def run(self, account: SimulatedAccount, region: str, request: Mapping[str, Any],
            timeout_seconds: float = 600.0) -> dict[str, Any]:
        """Deploy ``request``'s stack as ``account`` in ``region``: the instance's report."""
        place = Place(account.account_id, region)
        backup, events, responses = self._started()
        with self._place_lock(place):
            made: dict[str, Any] = {}
            work = contextvars.copy_context()
            thread = threading.Thread(target=work.run, daemon=True, args=(
                self._deploy, place, account, request, (backup, events, responses), made))
            thread.start()
            thread.join(timeout_seconds)
            if thread.is_alive():
                simulator = made.get("simulator")
                if simulator is not None:
                    simulator.close()  # its functions' workers end, busy ones too; what waited on them fails
                thread.join(ENDED_SECONDS)
                return _failed(f"the instance did not finish within {timeout_seconds:g} seconds")
        return made.get("report") or _failed(f"the instance's deployment raised {made.get('error', 'nothing')}")

    def endpoints(self) -> dict[str, str]:
        """The shared endpoints' URLs by service."""
        backup, events, _ = self._started()
        return {"backup": backup.endpoint_url, "events": events.endpoint_url}

    def close(self) -> None:
        with self._lock:
            exits, self._exits = self._exits, None
        if exits is not None:
            exits.close()

    # --- internals ---------------------------------------------------------------

    def _started(self) -> tuple[RunningBackupServer, RunningEventsServer, RunningResponseServer]:
        with self._lock:
            if self._exits is None:
                exits = ExitStack()
                self._servers = (exits.enter_context(backup_server()), exits.enter_context(events_server()),
                                 exits.enter_context(response_server()))
                self._exits = exits
            return self._servers

    def _place_lock(self, place: Place) -> threading.Lock:
        with self._lock:
            return self._places.setdefault(place, threading.Lock())

    def _clock(self, place: Place) -> ManualClock:
        with self._lock:
            return self._clocks.setdefault(place, ManualClock())

    def _deploy(self, place: Place, account: SimulatedAccount, request: Mapping[str, Any],
                servers: tuple[RunningBackupServer, RunningEventsServer, RunningResponseServer],
                made: dict[str, Any]) -> None:
        try:
            with in_place(place):
                made["report"] = self._deploy_here(place, account, request, servers, made)
        except BaseException as error:  # a simulator bug: the instance fails with it, the fleet goes on
            made["error"] = f"{type(error).__name__}: {error}"

    def _deploy_here(self, place: Place, account: SimulatedAccount, request: Mapping[str, Any],
                     servers: tuple[RunningBackupServer, RunningEventsServer, RunningResponseServer],
                     made: dict[str, Any]) -> dict[str, Any]:
        backup, events, responses = servers
        began = time.monotonic()
        clock = self._clock(place)
        scheduler = events.for_place(place)
        emulator = _account_backup(backup.backends[place], account, clock, request)
        emulator.event_sink = scheduler.publish
        starts_before = len(emulator.state.calls_of("StartBackupJob"))
        environment = {"AWS_ACCESS_KEY_ID": account_access_key(place.account_id), "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_ENDPOINT_URL_BACKUP": backup.endpoint_url, "SSL_CERT_FILE": responses.ca_file}
        given = dict(request.get("functions", {}))
        stack = CloudFormationSimulator(
            responses, stack_name=request["stack_name"], assets_dir=request.get("assets_dir"),
            s3_objects={(bucket, key): path for bucket, key, path in request.get("s3_objects", [])},
            functions=given, environment=environment, exports=request.get("exports", {}),
            parameters=request.get("parameters", {}), scheduler=scheduler, clock=clock,
            event_sources=[emulator], on_resource=emulator.on_stack_resource, place=place)
        made["simulator"] = stack
        with stack:
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
        with emulator.lock:
            jobs = [_job(job, clock(), place) for job in emulator.state.backup_jobs.values()]
            starts = [params for params in emulator.state.calls_of("StartBackupJob")[starts_before:]
                      if not params.get("_not_emulated")]
        created_stack = status == "CREATE_COMPLETE"
        return {"account": place.account_id, "region": place.region, "stack_id": stack.stack_id, "status": status,
                "reason": reason, "outputs": outputs, "exports": exports if created_stack else {},
                "functions": created if created_stack else {}, "jobs": jobs,
                "start_backup_job_calls": len(starts), "invocations": invocations,
                "seconds": round(time.monotonic() - began, 3)}


def _account_backup(emulator: BackupEmulator, account: SimulatedAccount, clock: ManualClock,
                    request: Mapping[str, Any]) -> BackupEmulator:
    """The account-Region's AWS Backup, behaving as the account says for this stack (fresh faults, each use
    counted from here), on the place's virtual clock."""
    with emulator.lock:
        emulator.clock = clock
        emulator.timing = JobTiming(**{**DEFAULT_TIMING, **request.get("job_timing", {})})
        emulator.state.faults[:] = [replace(fault) for fault in account.backup_faults]
        emulator.outcomes[:] = list(account.job_outcomes)
    return emulator


class _RecordedExports(dict[str, Any]):
    """The account-Region's exports, with the names this stack's outputs export."""

    def __init__(self, given: Mapping[str, Any]) -> None:
        super().__init__(given)
        self.written: list[str] = []

    def __setitem__(self, name: str, value: Any) -> None:
        self.written.append(name)
        super().__setitem__(name, value)


def _job(job: Any, now: float, place: Place) -> dict[str, Any]:
    state, _, message = job.state_at(now)
    return {"job_id": job.job_id, "state": state, "status_message": message, "resource_arn": job.resource_arn,
            "backup_vault_name": job.params.get("BackupVaultName"), "recovery_point_arn": job.recovery_point_arn,
            "iam_role_arn": job.params.get("IamRoleArn"), "account_id": place.account_id, "region": place.region}


def _failed(reason: str) -> dict[str, Any]:
    return {"status": "CREATE_FAILED", "reason": reason}
