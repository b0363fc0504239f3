"""AWS Backup's behaviour for on-demand jobs, in memory, with an injectable clock.

Jobs move CREATED -> PENDING -> RUNNING -> COMPLETED on a configurable
timetable (instant by default), or end FAILED, PARTIAL or EXPIRED as scripted,
EXPIRED when their start or complete window closes first, or ABORTED by
StopBackupJob. States are computed from the clock when asked, so tests advance
a ManualClock instead of sleeping.

Each state change is also an EventBridge event ("Backup Job State Change",
"Copy Job State Change", source aws.backup; shapes in ``backup_job_events``):
``publish_due_events()`` hands those the clock has passed to ``event_sink``
(for example an events server's ``publish``), and ``next_event_at()`` says
when the next one is due, so a simulator can move a ManualClock straight
there. ``drop_events`` (a set of (job ID, state)) or ``drop_event_if`` (a
predicate on the event) lose events, and ``event_delay`` (seconds, or a
function of the event) holds them back, since AWS delivers them "in a
best-effort manner every 5 minutes".
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from cdk_backup_jobs.testing.backup_job_events import JobEvents
from cdk_backup_jobs.testing.backup_jobs import (COMPLETE_WINDOW_EXPIRED, DEFAULT_START_WINDOW_MINUTES,
                                                 START_WINDOW_EXPIRED, STOPPED_MESSAGE, Expiry, Job, JobTiming,
                                                 ManualClock, Outcome, ScriptedOutcome)
from cdk_backup_jobs.testing.backup_protocol import (BackupApiError, already_exists, invalid,
                                                     invalid_request, not_found)
from cdk_backup_jobs.testing.simulated_account import ACCOUNT_ID, REGION

__all__ = ["ACTIVE_STATES", "BackupEmulator", "BackupState", "COMPLETE_WINDOW_EXPIRED", "DEFAULT_START_WINDOW_MINUTES",
           "Expiry", "Fault", "IMMEDIATE_RECOVERY_POINT", "Job", "JobTiming", "ManualClock", "Outcome",
           "START_WINDOW_EXPIRED", "STOPPED_MESSAGE", "ScriptedOutcome"]

# StartBackupJob returns the recovery point at once for these resources (AWS docs).
IMMEDIATE_RECOVERY_POINT = re.compile(r"^arn:[^:]+:(elasticfilesystem|dynamodb):")
RESOURCE_TYPES = {"dynamodb": "DynamoDB", "elasticfilesystem": "EFS", "ec2": "EC2", "rds": "RDS",
                  "s3": "S3", "fsx": "FSx", "storagegateway": "Storage Gateway"}
ACTIVE_STATES = ("CREATED", "PENDING", "RUNNING")
IDEMPOTENCY_WINDOW_SECONDS = 3600  # "Idempotency tokens time out after one hour" (AWS CLI reference)
# arn:partition:service:region:account:resource; IAM and S3 ARNs leave region (and account) empty.
ARN = re.compile(r"^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$")
IAM_ROLE_ARN = re.compile(r"^arn:[^:]+:iam::\d{12}:role/.+$")
VAULT_ARN = re.compile(r"^arn:[^:]+:backup:[^:]+:\d{12}:backup-vault:[^:]+$")
ARN_KINDS = {ARN: "an ARN", IAM_ROLE_ARN: "an IAM role ARN", VAULT_ARN: "a backup vault ARN"}



@dataclass
class Fault:
    """Make the next ``count`` calls of ``operation`` ("*" for any) misbehave.

    kind "error" answers ``status``/``code``; "drop" closes the connection
    without an answer; "slow" waits ``delay`` seconds, then answers normally.
    """

    operation: str
    count: int
    kind: Literal["error", "drop", "slow"] = "error"
    status: int = 400
    code: str = "ThrottlingException"
    message: str = "Rate exceeded"
    delay: float = 0.0


@dataclass
class BackupState:
    """Everything the emulator holds, open to assertions."""

    vaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    backup_jobs: dict[str, Job] = field(default_factory=dict)
    copy_jobs: dict[str, Job] = field(default_factory=dict)
    tokens: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def calls_of(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


class BackupEmulator:
    """The service logic, independent of HTTP: ``call(operation, params)``."""

    def __init__(self, clock: Callable[[], float] = time.time,
                 timing: JobTiming | None = None,
                 idempotency_window: float = IDEMPOTENCY_WINDOW_SECONDS) -> None:
        self.state = BackupState()
        self.clock = clock
        self.timing = timing or JobTiming()
        self.outcomes: list[ScriptedOutcome] = []
        self.idempotency_window = idempotency_window
        self.lock = threading.RLock()
        self.event_sink: Callable[[dict[str, Any]], Any] | None = None
        """Where job state change events go (e.g. ``RunningEventsServer.publish``); None: nowhere."""
        self.event_delay: float | Callable[[dict[str, Any]], float] = 0.0
        """Seconds between a state change and its event's delivery (a number, or a function of the event)."""
        self.drop_events: set[tuple[str, str]] = set()
        """(job ID, state) pairs whose events are lost."""
        self.drop_event_if: Callable[[dict[str, Any]], bool] | None = None
        """A predicate: the events it is true for are lost."""
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
        return f"arn:aws:backup:{REGION}:{ACCOUNT_ID}:backup-vault:{name}"

    def create_vault(self, name: str) -> dict[str, Any]:
        """Set-up: create a vault as CreateBackupVault does, without recording a call.

        Unlike the API it keeps a vault that exists, so set-up (and stack updates) can repeat it.
        """
        with self.lock:
            if name in self.state.vaults:
                return _vault_answer(self.state.vaults[name])
            return self._create_backup_vault({"BackupVaultName": name})

    def on_stack_resource(self, resource_type: str, physical_id: str, _properties: Any) -> None:
        """A CloudFormationSimulator ``on_resource`` hook: stack vaults become vaults here."""
        if resource_type == "AWS::Backup::BackupVault":
            self.create_vault(physical_id)

    def script_outcome(self, pattern: str, state: Outcome, message: str = "") -> None:
        """Jobs of resources matching ``pattern`` (a regex) end in ``state``."""
        self.outcomes.append(ScriptedOutcome(pattern, state, message))

    def next_fault(self, operation: str) -> Fault | None:
        """Take one use of the first fault that applies to ``operation``."""
        with self.lock:
            for fault in self.state.faults:
                if fault.operation in (operation, "*") and fault.count > 0:
                    fault.count -= 1
                    return fault
        return None

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

    def all_jobs(self) -> list[Job]:
        """Every backup and copy job, oldest first."""
        with self.lock:
            jobs = [*self.state.backup_jobs.values(), *self.state.copy_jobs.values()]
        return sorted(jobs, key=lambda job: job.created_at)

    def backup_job_states(self) -> dict[str, str]:
        now = self.clock()
        return {job_id: job.state_at(now)[0] for job_id, job in self.state.backup_jobs.items()}

    # --- the API ----------------------------------------------------------------

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if not self._admit():
                self.state.calls.append((operation, {"_fault": "ThrottlingException"}))
                raise BackupApiError(400, "ThrottlingException", "Rate exceeded")
            self.state.calls.append((operation, dict(params)))
            handler: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(
                self, f"_{_snake(operation)}", None)
            if handler is None:
                raise BackupApiError(404, "UnknownOperationException", f"Unknown operation {operation}")
            return handler(params)

    def _create_backup_vault(self, p: dict[str, Any]) -> dict[str, Any]:
        name, request_id = p["BackupVaultName"], p.get("CreatorRequestId")
        existing = self.state.vaults.get(name)
        if existing is not None:
            # CreatorRequestId lets a failed request be retried without running it twice (API reference).
            if request_id and existing.get("CreatorRequestId") == request_id:
                return _vault_answer(existing)
            raise already_exists(f"Backup vault {name} already exists in {REGION}")
        vault = {
            "BackupVaultName": name, "BackupVaultArn": self.vault_arn(name),
            "CreationDate": self.clock(), "NumberOfRecoveryPoints": 0,
            "VaultType": "BACKUP_VAULT", "VaultState": "AVAILABLE", "CreatorRequestId": request_id,
        }
        self.state.vaults[name] = vault
        return _vault_answer(vault)

    def _describe_backup_vault(self, p: dict[str, Any]) -> dict[str, Any]:
        vault = self._vault(p["BackupVaultName"])
        count = sum(1 for rp in self._recovery_points() if rp["BackupVaultName"] == vault["BackupVaultName"])
        return {**vault, "NumberOfRecoveryPoints": count}

    def _start_backup_job(self, p: dict[str, Any]) -> dict[str, Any]:
        _check_arns(p, {"ResourceArn": ARN, "IamRoleArn": IAM_ROLE_ARN,
                        "LogicallyAirGappedBackupVaultArn": VAULT_ARN})
        self._vault(p["BackupVaultName"])
        _check_windows(p)
        _check_lifecycle(p.get("Lifecycle"))
        if "LogicallyAirGappedBackupVaultArn" in p:
            self._local_vault_arn(p["LogicallyAirGappedBackupVaultArn"])
        job = self._job_for_token("StartBackupJob", p, self.state.backup_jobs)
        if job is None:
            job = self._new_job("backup", p, p["ResourceArn"])
            self.state.backup_jobs[job.job_id] = job
            self._remember_token("StartBackupJob", p, job)
        answer: dict[str, Any] = {"BackupJobId": job.job_id, "CreationDate": job.created_at,
                                  "IsParent": False}
        if IMMEDIATE_RECOVERY_POINT.match(job.params["ResourceArn"]):
            answer["RecoveryPointArn"] = job.recovery_point_arn
        return answer

    def _describe_backup_job(self, p: dict[str, Any]) -> dict[str, Any]:
        job = self.state.backup_jobs.get(p["BackupJobId"])
        if job is None:
            raise not_found(f"Backup job {p['BackupJobId']} not found")
        return self._describe_backup(job)

    def _list_backup_jobs(self, p: dict[str, Any]) -> dict[str, Any]:
        jobs = [self._describe_backup(j) for j in self.state.backup_jobs.values()]
        jobs = _filter(jobs, p, {"ByState": "State", "ByBackupVaultName": "BackupVaultName",
                                 "ByResourceArn": "ResourceArn", "ByResourceType": "ResourceType",
                                 "ByAccountId": "AccountId", "ByParentJobId": "ParentJobId"})
        return _page(_filter_dates(jobs, p), p, "BackupJobs")

    def _stop_backup_job(self, p: dict[str, Any]) -> dict[str, Any]:
        job = self.state.backup_jobs.get(p["BackupJobId"])
        if job is None:
            raise not_found(f"Backup job {p['BackupJobId']} not found")
        state = job.state_at(self.clock())[0]
        if state not in ACTIVE_STATES:
            raise invalid_request(f"Backup job {job.job_id} is {state} and cannot be stopped")
        job.stopped_at = self.clock()
        return {}

    def _start_copy_job(self, p: dict[str, Any]) -> dict[str, Any]:
        _check_arns(p, {"RecoveryPointArn": ARN, "IamRoleArn": IAM_ROLE_ARN,
                        "DestinationBackupVaultArn": VAULT_ARN})
        self._vault(p["SourceBackupVaultName"])
        self._destination_vault(p["DestinationBackupVaultArn"])
        _check_lifecycle(p.get("Lifecycle"))
        source = self._recovery_point(p["SourceBackupVaultName"], p["RecoveryPointArn"])
        if source["Status"] != "COMPLETED":
            raise invalid_request(
                f"Recovery point {p['RecoveryPointArn']} is {source['Status']}; only COMPLETED "
                "recovery points can be copied")
        job = self._job_for_token("StartCopyJob", p, self.state.copy_jobs)
        if job is None:
            destination_region, destination_account = p["DestinationBackupVaultArn"].split(":")[3:5]
            job = self._new_job("copy", p, source["ResourceArn"], destination_region, destination_account)
            self.state.copy_jobs[job.job_id] = job
            self._remember_token("StartCopyJob", p, job)
        return {"CopyJobId": job.job_id, "CreationDate": job.created_at, "IsParent": False}

    def _describe_copy_job(self, p: dict[str, Any]) -> dict[str, Any]:
        job = self.state.copy_jobs.get(p["CopyJobId"])
        if job is None:
            raise not_found(f"Copy job {p['CopyJobId']} not found")
        return {"CopyJob": self._describe_copy(job)}

    def _list_copy_jobs(self, p: dict[str, Any]) -> dict[str, Any]:
        jobs = [self._describe_copy(j) for j in self.state.copy_jobs.values()]
        jobs = _filter(jobs, p, {"ByState": "State", "ByResourceArn": "ResourceArn",
                                 "ByDestinationVaultArn": "DestinationBackupVaultArn",
                                 "BySourceRecoveryPointArn": "SourceRecoveryPointArn",
                                 "ByResourceType": "ResourceType", "ByAccountId": "AccountId",
                                 "ByParentJobId": "ParentJobId"})
        return _page(_filter_dates(jobs, p), p, "CopyJobs")

    def _describe_recovery_point(self, p: dict[str, Any]) -> dict[str, Any]:
        self._vault(p["BackupVaultName"])
        return self._recovery_point(p["BackupVaultName"], p["RecoveryPointArn"])

    # --- internals --------------------------------------------------------------

    def _vault(self, name: str) -> dict[str, Any]:
        vault = self.state.vaults.get(name)
        if vault is None:
            raise not_found(f"Backup vault {name} does not exist in {REGION}")
        return vault

    def _local_vault_arn(self, arn: str) -> dict[str, Any]:
        region, account, name = _vault_location(arn)  # a backup vault ARN, as _check_arns made sure
        if (region, account) != (REGION, ACCOUNT_ID):
            raise invalid(f"{arn} must be a vault in account {ACCOUNT_ID} and region {REGION}")
        return self._vault(name)

    def _destination_vault(self, arn: str) -> None:
        region, account, name = _vault_location(arn)  # a backup vault ARN, as _check_arns made sure
        if (region, account) == (REGION, ACCOUNT_ID):
            self._vault(name)  # another account's or Region's vault is checked by the copy itself

    def _new_job(self, kind: Literal["backup", "copy"], p: dict[str, Any], resource_arn: str,
                 region: str = REGION, account: str = ACCOUNT_ID) -> Job:
        """A job whose recovery point is made where its vault is (a copy's: the destination's)."""
        outcome = next((o for o in self.outcomes if re.search(o.pattern, resource_arn)), None)
        return Job(
            job_id=str(uuid.uuid4()).upper(), kind=kind, params=dict(p), resource_arn=resource_arn,
            created_at=self.clock(),
            timing=JobTiming(**vars(self.timing)), outcome=outcome,
            recovery_point_arn=f"arn:aws:backup:{region}:{account}:recovery-point:{uuid.uuid4()}",
        )

    def _job_for_token(self, operation: str, p: dict[str, Any], jobs: dict[str, Job]) -> Job | None:
        token = p.get("IdempotencyToken")
        remembered = self.state.tokens.get((operation, token)) if token else None
        if remembered is None or self.clock() - remembered[1] > self.idempotency_window:
            return None
        return jobs[remembered[0]]

    def _remember_token(self, operation: str, p: dict[str, Any], job: Job) -> None:
        if p.get("IdempotencyToken"):
            self.state.tokens[(operation, p["IdempotencyToken"])] = (job.job_id, job.created_at)

    def describe_backup(self, job: Job, at: float | None = None) -> dict[str, Any]:
        """DescribeBackupJob's answer for ``job`` at time ``at`` (default: now), without recording a call."""
        return self._describe_backup(job, at)

    def describe_copy(self, job: Job, at: float | None = None) -> dict[str, Any]:
        """DescribeCopyJob's CopyJob for ``job`` at time ``at`` (default: now), without recording a call."""
        return self._describe_copy(job, at)

    def _describe_backup(self, job: Job, at: float | None = None) -> dict[str, Any]:
        now = self.clock() if at is None else at
        state, percent, message = job.state_at(now)
        p = job.params
        done = state not in ACTIVE_STATES
        has_point = state in ("COMPLETED", "PARTIAL") or IMMEDIATE_RECOVERY_POINT.match(p["ResourceArn"])
        return {
            "AccountId": ACCOUNT_ID, "BackupJobId": job.job_id,
            "BackupVaultName": p["BackupVaultName"], "BackupVaultArn": self.vault_arn(p["BackupVaultName"]),
            "RecoveryPointArn": job.recovery_point_arn if has_point else None,
            "ResourceArn": p["ResourceArn"], "ResourceType": _resource_type(p["ResourceArn"]),
            "IamRoleArn": p["IamRoleArn"], "CreationDate": job.created_at,
            "CompletionDate": job.finished_at() if done and job.stopped_at is None else None,
            "State": state, "StatusMessage": message or None, "PercentDone": f"{percent:.1f}",
            "BackupSizeInBytes": job.timing.size_in_bytes if state == "COMPLETED" else 0,
            "BytesTransferred": int(job.timing.size_in_bytes * percent / 100),
            "StartBy": job.created_at + p.get("StartWindowMinutes", 480) * 60,
            "BackupOptions": p.get("BackupOptions"), "IsParent": False, "BackupType": "",
            "RecoveryPointLifecycle": p.get("Lifecycle"),
        }

    def _describe_copy(self, job: Job, at: float | None = None) -> dict[str, Any]:
        state, _, message = job.state_at(self.clock() if at is None else at)
        p = job.params
        return {
            "AccountId": ACCOUNT_ID, "CopyJobId": job.job_id,
            "SourceBackupVaultArn": self.vault_arn(p["SourceBackupVaultName"]),
            "SourceRecoveryPointArn": p["RecoveryPointArn"],
            "DestinationBackupVaultArn": p["DestinationBackupVaultArn"],
            "DestinationRecoveryPointArn": job.recovery_point_arn if state == "COMPLETED" else None,
            "ResourceArn": job.resource_arn, "ResourceType": _resource_type(job.resource_arn),
            "IamRoleArn": p["IamRoleArn"], "CreationDate": job.created_at,
            "CompletionDate": job.finished_at() if state not in ACTIVE_STATES else None,
            "State": "RUNNING" if state == "PENDING" else state, "StatusMessage": message or None,
            "BackupSizeInBytes": job.timing.size_in_bytes if state == "COMPLETED" else 0,
            "IsParent": False, "DestinationRecoveryPointLifecycle": p.get("Lifecycle"),
        }

    def _recovery_points(self) -> list[dict[str, Any]]:
        """Every recovery point that exists now: from backups, and from finished copies."""
        now = self.clock()
        points = []
        for job in self.state.backup_jobs.values():
            status = _backup_point_status(job, now)
            if status is not None:
                points.append(self._point(job, job.params["BackupVaultName"], job.resource_arn, status))
        for job in self.state.copy_jobs.values():
            region, account, vault = _vault_location(job.params["DestinationBackupVaultArn"])
            # A copy into another account's or Region's vault lives there, not in this emulator's vaults.
            if job.state_at(now)[0] == "COMPLETED" and (region, account) == (REGION, ACCOUNT_ID):
                points.append(self._point(job, vault, job.resource_arn, "COMPLETED"))
        return points

    def _point(self, job: Job, vault: str, resource_arn: str, status: str) -> dict[str, Any]:
        # A copy's recovery point records the resource its source was taken of.
        return {
            "RecoveryPointArn": job.recovery_point_arn, "BackupVaultName": vault,
            "BackupVaultArn": self.vault_arn(vault), "ResourceArn": resource_arn,
            "Status": status, "CreationDate": job.created_at,
            "CompletionDate": job.finished_at() if status == "COMPLETED" else None,
            "Lifecycle": job.params.get("Lifecycle"), "IamRoleArn": job.params["IamRoleArn"],
            "BackupSizeInBytes": job.timing.size_in_bytes,
        }

    def _recovery_point(self, vault: str, arn: str) -> dict[str, Any]:
        for point in self._recovery_points():
            if point["RecoveryPointArn"] == arn and point["BackupVaultName"] == vault:
                return point
        raise not_found(f"Recovery point {arn} not found in backup vault {vault}")


def _vault_location(vault_arn: str) -> tuple[str, str, str]:
    """(Region, account, name) of a backup vault ARN."""
    parts = vault_arn.split(":")
    return parts[3], parts[4], parts[-1]


def _vault_answer(vault: dict[str, Any]) -> dict[str, Any]:
    return {k: vault[k] for k in ("BackupVaultName", "BackupVaultArn", "CreationDate")}


def _check_arns(p: dict[str, Any], shapes: dict[str, re.Pattern[str]]) -> None:
    """AWS refuses a malformed ARN up front; the model types ARN members as plain strings."""
    for name, shape in shapes.items():
        if name in p and not shape.fullmatch(p[name]):
            raise invalid(f"{name} {p[name]!r} is not {ARN_KINDS[shape]}")


def _resource_type(arn: str) -> str:
    """The ResourceType AWS reports: by service, except EBS volumes, which the ec2 service owns."""
    parts = arn.split(":", 5)
    service = parts[2] if len(parts) > 2 else ""
    if service == "ec2" and len(parts) == 6 and parts[5].startswith("volume/"):
        return "EBS"
    return RESOURCE_TYPES.get(service, service)


def _backup_point_status(job: Job, now: float) -> str | None:
    """The status of a backup job's recovery point at ``now``; None when there is none.

    EFS and DynamoDB points exist from the start (CREATING). A job that ends
    without completing does not leave one CREATING: an EXPIRED job that had
    started keeps a PARTIAL point (AWS documents PARTIAL as "could not create
    the recovery point before the backup window closed"); a FAILED, ABORTED
    (StopBackupJob) or never-started job leaves nothing restorable, and AWS has
    no recovery-point status for a stopped one-time backup, so its point is
    deleted. The job keeps reporting the RecoveryPointArn it answered at start.
    """
    state = job.state_at(now)[0]
    if state in ("COMPLETED", "PARTIAL"):
        return state
    if not IMMEDIATE_RECOVERY_POINT.match(job.params["ResourceArn"]):
        return None
    if state in ACTIVE_STATES:
        return "CREATING"
    expiry = job.expiry()
    if state == "EXPIRED" and expiry is not None and expiry.had_started:
        return "PARTIAL"
    return None


def _check_windows(p: dict[str, Any]) -> None:
    if "StartWindowMinutes" in p and p["StartWindowMinutes"] < 60:
        raise invalid("StartWindowMinutes must be at least 60 minutes")
    for name in ("StartWindowMinutes", "CompleteWindowMinutes"):
        if p.get(name, 0) > 52_560_000:
            raise invalid(f"{name} must be at most 100 years (52,560,000 minutes)")


def _check_lifecycle(lifecycle: dict[str, Any] | None) -> None:
    if not lifecycle:
        return
    if "DeleteAfterEvent" in lifecycle:
        raise invalid("Lifecycle.DeleteAfterEvent is not valid as an input")
    cold, delete = lifecycle.get("MoveToColdStorageAfterDays"), lifecycle.get("DeleteAfterDays")
    for name, days in (("MoveToColdStorageAfterDays", cold), ("DeleteAfterDays", delete)):
        if days is not None and days != -1 and not 1 <= days <= 36_500:
            raise invalid(f"Lifecycle.{name} must be between 1 and 36500 days, or -1")
    if cold is not None and delete is not None and -1 not in (cold, delete) and delete < cold + 90:
        raise invalid("Lifecycle.DeleteAfterDays must be at least 90 days after MoveToColdStorageAfterDays")


def _filter(items: list[dict[str, Any]], p: dict[str, Any], fields: dict[str, str]) -> list[dict[str, Any]]:
    for parameter, field_name in fields.items():
        if parameter in p:
            items = [item for item in items if item.get(field_name) == p[parameter]]
    return items


def _filter_dates(items: list[dict[str, Any]], p: dict[str, Any]) -> list[dict[str, Any]]:
    """ByCreatedAfter/Before and ByCompleteAfter/Before: [after, before), on CreationDate and
    CompletionDate (a job not complete has none, so a completion filter leaves it out)."""
    for parameter, field_name, after in (("ByCreatedAfter", "CreationDate", True),
                                         ("ByCreatedBefore", "CreationDate", False),
                                         ("ByCompleteAfter", "CompletionDate", True),
                                         ("ByCompleteBefore", "CompletionDate", False)):
        if parameter in p:
            bound = float(p[parameter])
            items = [item for item in items if item.get(field_name) is not None
                     and (item[field_name] >= bound if after else item[field_name] < bound)]
    return items


def _page(items: list[dict[str, Any]], p: dict[str, Any], key: str) -> dict[str, Any]:
    token = p.get("NextToken") or "0"
    if not re.fullmatch(r"[0-9]+", token):  # only tokens this emulator handed out are valid
        raise invalid(f"NextToken {token!r} is not valid")
    start = int(token)
    size = int(p.get("MaxResults") or 1000)
    answer: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        answer["NextToken"] = str(start + size)
    return answer


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
