"""AWS Backup's behaviour for on-demand jobs, in memory, with an injectable clock.

Jobs move CREATED -> PENDING -> RUNNING -> COMPLETED on a configurable
timetable (instant by default), or end FAILED, PARTIAL or EXPIRED as scripted,
EXPIRED when their start or complete window closes first, or ABORTED by
StopBackupJob. States are computed from the clock when asked, so tests advance
a ManualClock instead of sleeping.

This module is the front: set-up, faults, throttling and the events; each
operation lives with its concern (``vaults``, ``job_operations``,
``recovery_points``), and ``OPERATIONS`` names every one it answers.
An operation of AWS Backup not among them is answered NotEmulatedException.

Each state change is also an EventBridge event ("Backup Job State Change",
"Copy Job State Change", source aws.backup; shapes in ``job_events``):
``publish_due_events()`` hands those the clock has passed to ``event_sink``
(for example an events server's ``publish``), and ``next_event_at()`` says
when the next one is due, so a simulator can move a ManualClock straight
there. ``drop_events`` (a set of (job ID, state)) or ``drop_event_if`` (a
predicate on the event) lose events, ``duplicate_events`` and
``duplicate_event_if`` deliver them twice, ``send_event`` delivers a forged
one, and ``event_delay`` (seconds, or a function of the event) holds them back, since AWS delivers them "in a
best-effort manner every 5 minutes"; ``event_job_id_case`` writes the job IDs
in events in upper or lower case.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Literal

from cdk_backup_jobs.testing.backup import job_operations, recovery_points, vaults
from cdk_backup_jobs.testing.backup.arns import IMMEDIATE_RECOVERY_POINT, rds_cluster_arn, vault_arn
from cdk_backup_jobs.testing.backup.arns import resource_type as backup_resource_type
from cdk_backup_jobs.testing.backup.errors import BackupApiError, not_emulated
from cdk_backup_jobs.testing.backup.job_events import JobEvents
from cdk_backup_jobs.testing.backup.jobs import (COMPLETE_WINDOW_EXPIRED, DEFAULT_START_WINDOW_MINUTES,
                                                 START_WINDOW_EXPIRED, STOPPED_MESSAGE, Expiry, Job, JobKind,
                                                 JobTiming, Outcome, ScriptedOutcome, TimingRule)
from cdk_backup_jobs.testing.backup.state import (ACTIVE_STATES, TOKEN_REUSE_MODES, BackupState, Fault, Service,
                                                  TokenReuse)
from cdk_backup_jobs.testing.shared.account import Place, default_place

__all__ = ["ACTIVE_STATES", "BackupEmulator", "BackupState", "COMPLETE_WINDOW_EXPIRED", "DEFAULT_START_WINDOW_MINUTES",
           "Expiry", "Fault", "IMMEDIATE_RECOVERY_POINT", "Job", "JobTiming", "OPERATIONS", "Outcome",
           "START_WINDOW_EXPIRED", "STOPPED_MESSAGE", "ScriptedOutcome", "TOKEN_REUSE_MODES", "TimingRule",
           "TokenReuse"]

IDEMPOTENCY_WINDOW_SECONDS = 3600
"""How long a token is remembered: "Idempotency tokens time out after one hour", in older versions of the
StartBackupJob reference and the AWS CLI v1 reference (docs.aws.amazon.com/cli/latest/reference/backup/
start-backup-job.html); today's StartBackupJob and StartCopyJob references name no time at all."""
Operation = Callable[[Service, dict[str, Any]], dict[str, Any]]
OPERATIONS: dict[str, Operation] = {**vaults.OPERATIONS, **job_operations.OPERATIONS,
                                    **recovery_points.OPERATIONS}
"""Every AWS Backup operation the emulator answers, by name."""
# Stack resources whose backups AWS reports under their own ResourceType though their ARNs are rds clusters'.
_CLUSTER_TYPES = {"AWS::DocDB::DBCluster": "DocumentDB", "AWS::Neptune::DBCluster": "Neptune"}


class BackupEmulator:
    """The service logic of one account in one Region, independent of HTTP: ``call(operation, params)``."""

    def __init__(self, clock: Callable[[], float] = time.time,
                 timing: JobTiming | None = None,
                 idempotency_window: float = IDEMPOTENCY_WINDOW_SECONDS, *, place: Place | None = None) -> None:
        self.place = place or default_place()
        """The account and Region whose AWS Backup this is: in every ARN and answer. Default: ``default_place()``."""
        self.state = BackupState()
        self.clock = clock
        self.timing = timing or JobTiming()
        """The timing of every job no rule of ``timing_rules`` matches."""
        self.timing_rules: list[TimingRule] = []
        """Timings per job kind, resource or time (``time_jobs``): the first rule that matches a new job gives
        its timing."""
        self.outcomes: list[ScriptedOutcome] = []
        self.idempotency_window = idempotency_window
        self.token_reuse: TokenReuse = "same-job"
        """What a Start call with a token seen within ``idempotency_window`` gets. AWS documents only
        "Retrying a successful request with the same idempotency token results in a success message with
        no action taken" (API_StartBackupJob.html, API_StartCopyJob.html): not which job the answer names,
        nor what other parameters with the same token do. So each plausible reading can be played:
        "same-job" (the default) answers with the job the token started, whatever the call's other
        members; "new-job" ignores the token and starts a job each time; "error" refuses the call with
        InvalidRequestException, the model's error for "something is wrong with the input to the
        request" (other AWS APIs refuse a reused token: EC2's IdempotentParameterMismatch, EBS
        StartSnapshot's ConflictException)."""
        self.lock = threading.RLock()
        self.iam: Any = None
        """The account's IAM (``iam.model.AccountIam``), when wired (the ``cfn_stack`` fixture does): who may
        call, and which job roles AWS Backup can assume yet. None: every call is allowed."""
        self.event_sink: Callable[[dict[str, Any]], Any] | None = None
        """Where job state change events go (e.g. ``RunningEventsServer.publish``); None: nowhere."""
        self.event_delay: float | Callable[[dict[str, Any]], float] = 0.0
        """Seconds between a state change and its event's delivery (a number, or a function of the event)."""
        self.drop_events: set[tuple[str, str]] = set()
        """(job ID, state) pairs whose events are lost."""
        self.drop_event_if: Callable[[dict[str, Any]], bool] | None = None
        """A predicate: the events it is true for are lost."""
        self.duplicate_events: set[tuple[str, str]] = set()
        """(job ID, state) pairs whose events are delivered twice, the copy ``duplicate_delay`` after the first."""
        self.duplicate_event_if: Callable[[dict[str, Any]], bool] | None = None
        """A predicate: the events it is true for are delivered twice."""
        self.duplicate_delay: float = 0.0
        """Seconds between an event and its duplicate (the same event, the same ID)."""
        self.event_job_id_case: Literal["upper", "lower"] | None = None
        """The letter case of the job IDs in events (None: as StartBackupJob answered). AWS Backup's
        example events show job IDs in both cases (AWS Backup Developer Guide, "Monitoring AWS Backup
        events using Amazon EventBridge"), and nothing promises the case of the API's answers."""
        self.job_events = JobEvents(self)
        self._rate: tuple[float, float] | None = None
        self._tokens = 0.0
        self._refilled_at = time.monotonic()

    def throttle_above(self, per_second: float, burst: int) -> None:
        """Answer ThrottlingException past ``per_second`` calls (a token bucket of ``burst``), as AWS does."""
        with self.lock:
            self._rate = (per_second, float(burst))
            self._tokens = float(burst)
            self._refilled_at = time.monotonic()

    def _admit(self) -> bool:
        if self._rate is None:
            return True
        per_second, burst = self._rate
        now = time.monotonic()
        self._tokens = min(burst, self._tokens + (now - self._refilled_at) * per_second)
        self._refilled_at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    # --- set-up and inspection -------------------------------------------------

    def vault_arn(self, name: str) -> str:
        return vault_arn(name, self.place)

    def create_vault(self, name: str) -> dict[str, Any]:
        """Set-up: create a vault as CreateBackupVault does, without recording a call.

        Unlike the API it keeps a vault that exists, so set-up (and stack updates) can repeat it.
        """
        with self.lock:
            if name in self.state.vaults:
                return vaults.created(self.state.vaults[name])
            return vaults.create_backup_vault(self, {"BackupVaultName": name})

    def on_stack_resource(self, resource_type: str, physical_id: str, _properties: Any) -> None:
        """A CloudFormationSimulator ``on_resource`` hook: stack vaults become vaults here."""
        if resource_type == "AWS::Backup::BackupVault":
            self.create_vault(physical_id)
        elif resource_type in _CLUSTER_TYPES:  # their ARNs look like Aurora's: remember which they are
            self.state.resource_types[rds_cluster_arn(physical_id, self.place)] = _CLUSTER_TYPES[resource_type]

    def time_jobs(self, timing: JobTiming, *, kind: JobKind | None = None, resource_arn: str | None = None,
                  resource_type: str | None = None, created_from: float | None = None) -> TimingRule:
        """Jobs started from now on that match (``TimingRule``) take ``timing``, not ``self.timing``: a
        5-hour backup and a 10-minute copy of it, one table slower than the rest, a quicker final backup.
        Rules are tried in the order given; the first that matches wins."""
        rule = TimingRule(timing, kind, resource_arn, resource_type, created_from)
        with self.lock:
            self.timing_rules.append(rule)
        return rule

    def timing_for(self, kind: JobKind, resource_arn: str) -> JobTiming:
        """The timing a job of ``kind`` of ``resource_arn`` started now gets: the first matching rule's, else
        ``self.timing``."""
        resource_type = backup_resource_type(resource_arn, self.state.resource_types)
        now = self.clock()
        rule = next((r for r in self.timing_rules if r.matches(kind, resource_arn, resource_type, now)), None)
        return rule.timing if rule is not None else self.timing

    def script_outcome(self, pattern: str, state: Outcome, message: str = "") -> None:
        """Jobs of resources matching ``pattern`` (a regex) end in ``state``."""
        self.outcomes.append(ScriptedOutcome(pattern, state, message))

    def next_fault(self, operation: str) -> Fault | None:
        """Take one use of the first fault that applies to ``operation`` (or a window still open)."""
        with self.lock:
            now, clock_now = time.monotonic(), self.clock()
            return next((fault for fault in self.state.faults if fault.applies(operation, now, clock_now)), None)

    def next_event_at(self) -> float | None:
        """When the next job state change event is due (epoch seconds on the clock), or None."""
        return self.job_events.next_at()

    def publish_due_events(self) -> list[dict[str, Any]]:
        """Hand ``event_sink`` every event due by now (those dropped aside), in time order; returns them."""
        return self.job_events.publish_due()

    @property
    def published_events(self) -> list[dict[str, Any]]:
        """Every event delivered so far."""
        return list(self.job_events.published)

    @property
    def dropped_events(self) -> list[dict[str, Any]]:
        """Every event lost on purpose so far."""
        return list(self.job_events.dropped)

    def job_event(self, job_id: str, state: str, at: float | None = None, **detail: Any) -> dict[str, Any]:
        """The event AWS Backup would send for the job ``job_id`` (backup or copy) entering ``state`` at ``at``
        (default: now), its ``detail`` members replaced by ``detail``: the makings of a forged event."""
        with self.lock:
            job = self.state.backup_jobs.get(job_id) or self.state.copy_jobs.get(job_id)
            if job is None:
                raise KeyError(f"no backup or copy job {job_id}")
            event = self.job_events.event_of(job, self.clock() if at is None else at, state)
        event["detail"].update(detail)
        return event

    def send_event(self, event: dict[str, Any], at: float | None = None) -> None:
        """Deliver ``event`` (any event: a forged one, one of ``job_event``) to ``event_sink`` at ``at`` (default:
        now) of the clock, beside the jobs' own events: no drop, delay or duplicate applies to it."""
        self.job_events.send(event, self.clock() if at is None else at)

    def all_jobs(self) -> list[Job]:
        """Every backup and copy job, oldest first."""
        with self.lock:
            jobs = [*self.state.backup_jobs.values(), *self.state.copy_jobs.values()]
        return sorted(jobs, key=lambda job: job.created_at)

    def backup_job_states(self) -> dict[str, str]:
        now = self.clock()
        return {job_id: job.state_at(now)[0] for job_id, job in self.state.backup_jobs.items()}

    def describe_backup(self, job: Job, at: float | None = None) -> dict[str, Any]:
        """DescribeBackupJob's answer for ``job`` at time ``at`` (default: now), without recording a call."""
        return job_operations.describe_backup(self, job, at)

    def describe_copy(self, job: Job, at: float | None = None) -> dict[str, Any]:
        """DescribeCopyJob's CopyJob for ``job`` at time ``at`` (default: now), without recording a call."""
        return job_operations.describe_copy(self, job, at)

    def recovery_points(self) -> list[dict[str, Any]]:
        """Every recovery point that exists now (DescribeRecoveryPoint's answers), without recording a call."""
        with self.lock:
            return recovery_points.recovery_points(self)

    _recovery_points = recovery_points  # the name tests used before it was public

    # --- the API ----------------------------------------------------------------

    def emulates(self, operation: str) -> bool:
        """Whether ``operation`` (an AWS Backup operation name) is answered, not refused as not emulated."""
        return operation in OPERATIONS

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Answer ``operation`` as AWS would, given its validated input members; record the call."""
        with self.lock:
            if not self.emulates(operation):
                self.state.calls.append((operation, {"_not_emulated": True}))
                raise not_emulated(operation)
            if not self._admit():
                self.state.calls.append((operation, {"_fault": "ThrottlingException"}))
                raise BackupApiError(400, "ThrottlingException", "Rate exceeded")
            self.state.calls.append((operation, dict(params)))
            return OPERATIONS[operation](self, params)
