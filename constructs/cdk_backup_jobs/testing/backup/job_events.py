"""The emulator's job state change events, in the shapes AWS Backup sends to EventBridge.

AWS Backup "sends events to Amazon EventBridge when the state of a backup or
copy job changes", "in a best-effort manner every 5 minutes" (AWS Backup
Developer Guide, "Monitoring AWS Backup events using Amazon EventBridge",
https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html).
The shapes follow that page's examples:

- envelope: version "0", id, detail-type, source "aws.backup", account, time
  (ISO 8601, Z), region, resources, detail;
- "Backup Job State Change": detail backupJobId, backupVaultArn,
  backupVaultName, bytesTransferred and backupSizeInBytes (strings),
  creationDate, iamRoleArn, resourceArn, resourceType, state, percentDone (a
  number), startBy, completionDate (COMPLETED), statusMessage (when the job
  has one: FAILED, EXPIRED, ABORTED); the recovery point ARN is not in detail
  but ``resources[0]`` (empty until the job reports one); a CREATED event
  carries only backupJobId, state and creationDate;
- "Copy Job State Change": detail copyJobId (absent from CREATED events),
  backupSizeInBytes (a number), creationDate, iamRoleArn, resourceArn,
  resourceType, sourceBackupVaultArn, destinationBackupVaultArn, state,
  destinationRecoveryPointArn (the ARN once COMPLETED, an empty object ``{}``
  before and on failure), completionDate (COMPLETED), statusMessage (FAILED);
  resources: the source recovery point.

Each state a job enters, CREATED first, is one event, timed at the change.
``JobEvents`` turns the emulator's timetables into events as its clock
passes them, drops those a test chose to lose and holds back those it chose
to delay, and hands the rest to a sink (the events server's ``publish``).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from dataclasses import replace
from typing import Any, Callable, Literal, Protocol

from cdk_backup_jobs.testing.backup.jobs import Job
from cdk_backup_jobs.testing.eventbridge.bus import envelope
from cdk_backup_jobs.testing.shared.account import Place

DETAIL_TYPES = {"backup": "Backup Job State Change", "copy": "Copy Job State Change"}
SOURCE = "aws.backup"
Sink = Callable[[dict[str, Any]], Any]


class Emulator(Protocol):
    """What the events need of ``BackupEmulator``."""

    lock: threading.RLock
    place: Place
    clock: Callable[[], float]
    event_sink: Sink | None
    event_delay: float | Callable[[dict[str, Any]], float]
    event_job_id_case: Literal["upper", "lower"] | None
    drop_events: set[tuple[str, str]]
    drop_event_if: Callable[[dict[str, Any]], bool] | None
    duplicate_events: set[tuple[str, str]]
    duplicate_event_if: Callable[[dict[str, Any]], bool] | None
    duplicate_delay: float

    def all_jobs(self) -> list[Job]: ...

    def describe_backup(self, job: Job, at: float | None = None) -> dict[str, Any]: ...

    def describe_copy(self, job: Job, at: float | None = None) -> dict[str, Any]: ...


def iso_millis(seconds: float) -> str:
    """A date inside an event's detail: ISO 8601 with milliseconds, Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds * 1000) % 1000:03d}Z"


def transitions(job: Job) -> list[tuple[float, str]]:
    """(when, state) for every state the job enters, CREATED first, as its timetable has it now."""
    unstopped = replace(job, stopped_at=None)
    timing = job.timing
    expiry = job.expiry()
    moments = sorted({job.created_at + after for after in (timing.pending_after, timing.running_after,
                                                             timing.done_after)}
                     | ({expiry.at} if expiry is not None else set()))
    found = [(job.created_at, "CREATED")]
    for moment in moments:
        if job.stopped_at is not None and moment > job.stopped_at:
            break
        state = _public_state(job, unstopped.state_at(moment)[0])
        if state != found[-1][1]:
            found.append((moment, state))
    if job.stopped_at is not None:
        found.append((job.stopped_at, "ABORTED"))
    return found


def _public_state(job: Job, state: str) -> str:
    """A copy job has no PENDING: the API (and its events) say RUNNING."""
    return "RUNNING" if job.kind == "copy" and state == "PENDING" else state


def job_event(emulator: Emulator, job: Job, at: float, state: str) -> dict[str, Any]:
    """The event for ``job`` entering ``state`` at ``at``."""
    as_then = job if job.stopped_at is not None and at >= job.stopped_at else replace(job, stopped_at=None)
    if job.kind == "backup":
        detail, resources = _backup_detail(emulator.describe_backup(as_then, at), state)
    else:
        detail, resources = _copy_detail(emulator.describe_copy(as_then, at), state)
    case = emulator.event_job_id_case
    for key in ("backupJobId", "copyJobId"):
        if case is not None and key in detail:
            detail[key] = detail[key].upper() if case == "upper" else detail[key].lower()
    return envelope(SOURCE, DETAIL_TYPES[job.kind], detail, resources, at, emulator.place)


def _backup_detail(d: dict[str, Any], state: str) -> tuple[dict[str, Any], list[str]]:
    if state == "CREATED":
        return {"backupJobId": d["BackupJobId"], "state": state, "creationDate": iso_millis(d["CreationDate"])}, []
    detail: dict[str, Any] = {
        "backupJobId": d["BackupJobId"], "backupVaultArn": d["BackupVaultArn"],
        "backupVaultName": d["BackupVaultName"], "bytesTransferred": str(d["BytesTransferred"]),
        "backupSizeInBytes": str(d["BackupSizeInBytes"]), "creationDate": iso_millis(d["CreationDate"]),
        "iamRoleArn": d["IamRoleArn"], "resourceArn": d["ResourceArn"], "resourceType": d["ResourceType"],
        "state": state, "percentDone": float(d["PercentDone"]), "startBy": iso_millis(d["StartBy"]),
    }
    if state == "COMPLETED" and d.get("CompletionDate") is not None:
        detail["completionDate"] = iso_millis(d["CompletionDate"])
    if d.get("StatusMessage"):
        detail["statusMessage"] = d["StatusMessage"]
    return detail, [d["RecoveryPointArn"]] if d.get("RecoveryPointArn") else []


def _copy_detail(d: dict[str, Any], state: str) -> tuple[dict[str, Any], list[str]]:
    detail: dict[str, Any] = {
        "copyJobId": d["CopyJobId"], "backupSizeInBytes": d["BackupSizeInBytes"],
        "creationDate": iso_millis(d["CreationDate"]), "iamRoleArn": d["IamRoleArn"],
        "resourceArn": d["ResourceArn"], "resourceType": d["ResourceType"],
        "sourceBackupVaultArn": d["SourceBackupVaultArn"], "destinationBackupVaultArn": d["DestinationBackupVaultArn"],
        "state": state,
        "destinationRecoveryPointArn": d["DestinationRecoveryPointArn"] if state == "COMPLETED" else {},
    }
    if state == "CREATED":
        del detail["copyJobId"]
    if state == "COMPLETED" and d.get("CompletionDate") is not None:
        detail["completionDate"] = iso_millis(d["CompletionDate"])
    if state != "COMPLETED" and d.get("StatusMessage"):
        detail["statusMessage"] = d["StatusMessage"]
    return detail, [d["SourceRecoveryPointArn"]]


class JobEvents:
    """Turns job state changes into events as the emulator's clock passes them, and delivers them.

    The emulator's ``event_sink``, ``event_delay``, ``drop_events`` and
    ``drop_event_if`` decide where, when and whether each event goes.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.published: list[dict[str, Any]] = []  # handed to the sink (or made with no sink set)
        self.dropped: list[dict[str, Any]] = []
        self._made: dict[str, int] = {}  # job ID -> how many of its transitions are events already
        self._held: list[tuple[float, int, dict[str, Any]]] = []  # (deliver at, order, event)
        self._order = itertools.count()

    def next_at(self) -> float | None:
        """When the next event is due: a delayed one's delivery, or the next state change of a job."""
        with self.emulator.lock:
            now = self.emulator.clock()
            times = [self._held[0][0]] if self._held else []
            for job in self._jobs():
                pending = transitions(job)[self._made.get(job.job_id, 0):]
                if pending:
                    times.append(max(pending[0][0], now))  # a change already passed is due now
            return min(times) if times else None

    def publish_due(self) -> list[dict[str, Any]]:
        """Make every event whose change the clock has passed; deliver those due, in time order."""
        emulator = self.emulator
        with emulator.lock:
            now = emulator.clock()
            for job in self._jobs():
                timeline = transitions(job)
                made = self._made.get(job.job_id, 0)
                for at, state in timeline[made:]:
                    if at > now:
                        break
                    self._made[job.job_id] = self._made.get(job.job_id, 0) + 1
                    self._hold(job, job_event(emulator, job, at, state), at, state)
            due = []
            while self._held and self._held[0][0] <= now:
                due.append(heapq.heappop(self._held)[2])
            self.published.extend(due)
            sink = emulator.event_sink
        for event in due:
            if sink is not None:
                sink(event)
        return due

    def event_of(self, job: Job, at: float, state: str) -> dict[str, Any]:
        """The event of ``job`` entering ``state`` at ``at``, as ``publish_due`` makes it."""
        return job_event(self.emulator, job, at, state)

    def send(self, event: dict[str, Any], at: float) -> None:
        """Deliver ``event`` as it is at ``at``, beside the jobs' own (nothing dropped, delayed or doubled)."""
        with self.emulator.lock:
            heapq.heappush(self._held, (at, next(self._order), event))

    def _hold(self, job: Job, event: dict[str, Any], at: float, state: str) -> None:
        emulator = self.emulator
        predicate = emulator.drop_event_if
        if (job.job_id, state) in emulator.drop_events or (predicate is not None and predicate(event)):
            self.dropped.append(event)
            return
        delay = emulator.event_delay
        seconds = delay(event) if callable(delay) else float(delay)
        heapq.heappush(self._held, (at + seconds, next(self._order), event))
        # A service's "durable delivery" attempts "to deliver events to EventBridge at least once" (EventBridge
        # User Guide, "Event delivery from AWS services":
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-delivery-level.html):
        # at least once, so possibly twice, and a target must bear a duplicate.
        doubled = emulator.duplicate_event_if
        if (job.job_id, state) in emulator.duplicate_events or (doubled is not None and doubled(event)):
            heapq.heappush(self._held, (at + seconds + emulator.duplicate_delay, next(self._order), dict(event)))

    def _jobs(self) -> list[Job]:
        return self.emulator.all_jobs()
