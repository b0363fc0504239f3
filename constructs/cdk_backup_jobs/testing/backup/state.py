"""What the local AWS Backup holds, and what its operations need of it.

``BackupState`` is open to tests' assertions; ``Service`` is the part of the
emulator each operation module works on, so those modules need not import the
emulator (which imports them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Protocol

from cdk_backup_jobs.testing.backup.errors import not_found
from cdk_backup_jobs.testing.backup.jobs import Job, JobTiming, ScriptedOutcome
from cdk_backup_jobs.testing.shared.account import Place

ACTIVE_STATES = ("CREATED", "PENDING", "RUNNING")


@dataclass
class Fault:
    """Make the next ``count`` calls of ``operation`` ("*" for any) misbehave, or, with ``seconds``
    (``Fault.lasting``), every call of it for that long from the fault's first use.

    kind "error" answers ``status``/``code``; "drop" closes the connection
    without an answer; "slow" waits ``delay`` seconds, then answers normally.
    The default error is AWS Backup's throttling answer: "ThrottlingException:
    The request was denied due to request throttling. HTTP Status Code: 400"
    (AWS Backup API Reference, Common Errors,
    https://docs.aws.amazon.com/aws-backup/latest/devguide/CommonErrors.html).

    A window's ``seconds`` are real seconds (``time.monotonic``): the
    simulated clock stands still while a function runs, so a function that
    retries within one invocation meets the fault for its real duration.
    """

    operation: str
    count: int
    kind: Literal["error", "drop", "slow"] = "error"
    status: int = 400
    code: str = "ThrottlingException"
    message: str = "Rate exceeded"
    delay: float = 0.0
    seconds: float = 0.0
    began: float | None = None
    """When a window's first call came (``time.monotonic``); None until then."""
    from_time: float | None = None
    until_time: float | None = None
    """A window of virtual time (``Fault.between``): every call from ``from_time`` until ``until_time``
    (None: no end) of the emulator's clock."""

    @classmethod
    def lasting(cls, operation: str, seconds: float, **how: Any) -> "Fault":
        """Every call of ``operation`` misbehaves (as ``how`` says: kind, status, code ...) for ``seconds``
        from the first one."""
        return cls(operation, 0, seconds=seconds, **how)

    @classmethod
    def between(cls, operation: str, start: float, end: float | None = None, **how: Any) -> "Fault":
        """Every call of ``operation`` misbehaves (as ``how`` says) from ``start`` until ``end`` (None: for good),
        both times of the emulator's clock: a fault from hour 6 of a wait in virtual time."""
        return cls(operation, 0, from_time=start, until_time=end, **how)

    def applies(self, operation: str, now: float, clock_now: float | None = None) -> bool:
        """Whether this fault takes the call of ``operation`` at ``now`` (monotonic) and ``clock_now`` (the
        emulator's clock); uses one of ``count``."""
        if self.operation not in (operation, "*"):
            return False
        if self.from_time is not None:
            return clock_now is not None and clock_now >= self.from_time and (
                self.until_time is None or clock_now < self.until_time)
        if self.seconds > 0:
            self.began = now if self.began is None else self.began
            return now - self.began < self.seconds
        if self.count > 0:
            self.count -= 1
            return True
        return False


@dataclass
class BackupState:
    """Everything the emulator holds, open to assertions."""

    vaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    backup_jobs: dict[str, Job] = field(default_factory=dict)
    copy_jobs: dict[str, Job] = field(default_factory=dict)
    tokens: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    # ResourceTypes an ARN does not tell: DocumentDB and Neptune clusters, by ARN (see arns).
    resource_types: dict[str, str] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    # Recovery points DeleteRecoveryPoint removed, as (vault name, recovery point ARN).
    deleted_recovery_points: set[tuple[str, str]] = field(default_factory=set)

    def calls_of(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


TokenReuse = Literal["same-job", "new-job", "error"]
"""What AWS Backup does with an IdempotencyToken it has seen (``BackupEmulator.token_reuse``)."""
TOKEN_REUSE_MODES: tuple[TokenReuse, ...] = ("same-job", "new-job", "error")


class Service(Protocol):
    """What an operation reads and changes: the state, the clock, and how new jobs run."""

    state: BackupState
    place: Place
    """The account and Region this state is of."""
    clock: Callable[[], float]
    timing: JobTiming
    outcomes: list[ScriptedOutcome]
    idempotency_window: float
    token_reuse: TokenReuse

    def timing_for(self, kind: Literal["backup", "copy"], resource_arn: str) -> JobTiming:
        """The timing of a job of ``kind`` of ``resource_arn`` started now."""
        ...


def find_vault(service: Service, name: str, account: str | None = None) -> dict[str, Any]:
    """The vault named ``name``; ResourceNotFoundException when there is none (DescribeBackupVault).

    ``account`` is a request's BackupVaultAccountId: another account's vaults are not here.
    """
    vault = service.state.vaults.get(name)
    elsewhere = account is not None and account != service.place.account_id
    if vault is None or elsewhere:
        where = f"account {account}" if elsewhere else service.place.region
        raise not_found(f"Backup vault {name} does not exist in {where}")
    return vault
