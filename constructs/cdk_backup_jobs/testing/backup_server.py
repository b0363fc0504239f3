"""A local AWS Backup endpoint speaking the REST-JSON protocol botocore uses.

Point boto3 at it with ``AWS_ENDPOINT_URL_BACKUP``. It keeps jobs, vaults and
idempotency tokens in memory, answers errors in AWS's wire format (so
botocore raises the modeled exception classes), and can be told to throttle
or fail calls, so tests exercise real botocore retries over real HTTP.

Run standalone: ``python -m cdk_backup_jobs.testing.backup_server --port 4567``.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator
from contextlib import contextmanager

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
# StartBackupJob returns the recovery point at once for these resource types.
IMMEDIATE_RECOVERY_POINT = re.compile(r"^arn:[^:]+:(elasticfilesystem|dynamodb):")
VAULT_NAME = re.compile(r"^[a-zA-Z0-9\-\_]{2,50}$")


class BackupApiError(Exception):
    """An error answered in AWS's format: HTTP status, error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Fault:
    """Fail the next ``count`` calls of ``operation`` with this error."""

    operation: str
    count: int
    status: int = 400
    code: str = "ThrottlingException"
    message: str = "Rate exceeded"


@dataclass
class BackupState:
    """Everything the emulator holds, open to assertions."""

    vaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    backup_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    copy_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)


class BackupEmulator:
    """The service logic, independent of HTTP."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.state = BackupState()
        self.clock = clock
        self.lock = threading.Lock()

    def vault_arn(self, name: str) -> str:
        return f"arn:aws:backup:{REGION}:{ACCOUNT_ID}:backup-vault:{name}"

    def create_vault(self, name: str) -> dict[str, Any]:
        if not VAULT_NAME.match(name):
            raise BackupApiError(400, "InvalidParameterValueException", f"Invalid vault name {name}")
        vault = {"BackupVaultName": name, "BackupVaultArn": self.vault_arn(name),
                 "CreationDate": self.clock()}
        self.state.vaults.setdefault(name, vault)
        return dict(self.state.vaults[name])

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.state.calls.append((operation, params))
            for fault in self.state.faults:
                if fault.operation in (operation, "*") and fault.count > 0:
                    fault.count -= 1
                    raise BackupApiError(fault.status, fault.code, fault.message)
            handler = getattr(self, f"_{_snake(operation)}", None)
            if handler is None:
                raise BackupApiError(404, "UnknownOperationException", f"Unknown operation {operation}")
            answer: dict[str, Any] = handler(params)
            return answer

    def _start_backup_job(self, p: dict[str, Any]) -> dict[str, Any]:
        _require(p, "BackupVaultName", "ResourceArn", "IamRoleArn")
        self._known_vault(p["BackupVaultName"])
        if "StartWindowMinutes" in p and p["StartWindowMinutes"] < 60:
            raise BackupApiError(400, "InvalidParameterValueException",
                                 "StartWindowMinutes must be at least 60 minutes")
        _check_lifecycle(p.get("Lifecycle") or {})
        existing = self._by_token("StartBackupJob", p)
        if existing:
            job = self.state.backup_jobs[existing]
        else:
            job_id = str(uuid.uuid4()).upper()
            recovery_point = (f"arn:aws:backup:{REGION}:{ACCOUNT_ID}:recovery-point:{uuid.uuid4()}")
            job = {
                "BackupJobId": job_id, "AccountId": ACCOUNT_ID,
                "BackupVaultName": p["BackupVaultName"],
                "BackupVaultArn": self.vault_arn(p["BackupVaultName"]),
                "ResourceArn": p["ResourceArn"], "IamRoleArn": p["IamRoleArn"],
                "CreationDate": self.clock(), "State": "COMPLETED", "PercentDone": "100.0",
                "RecoveryPointArn": recovery_point, "IsParent": False,
            }
            self.state.backup_jobs[job_id] = job
            self._remember_token("StartBackupJob", p, job_id)
        answer = {k: job[k] for k in ("BackupJobId", "CreationDate", "IsParent")}
        if IMMEDIATE_RECOVERY_POINT.match(job["ResourceArn"]):
            answer["RecoveryPointArn"] = job["RecoveryPointArn"]
        return answer

    def _start_copy_job(self, p: dict[str, Any]) -> dict[str, Any]:
        _require(p, "RecoveryPointArn", "SourceBackupVaultName", "DestinationBackupVaultArn", "IamRoleArn")
        self._known_vault(p["SourceBackupVaultName"])
        source = next((j for j in self.state.backup_jobs.values()
                       if j["RecoveryPointArn"] == p["RecoveryPointArn"]), None)
        if source is None:
            raise BackupApiError(400, "ResourceNotFoundException",
                                 f"Recovery point {p['RecoveryPointArn']} not found")
        _check_lifecycle(p.get("Lifecycle") or {})
        existing = self._by_token("StartCopyJob", p)
        if existing:
            job = self.state.copy_jobs[existing]
        else:
            job_id = str(uuid.uuid4()).upper()
            job = {
                "CopyJobId": job_id, "AccountId": ACCOUNT_ID,
                "SourceRecoveryPointArn": p["RecoveryPointArn"],
                "SourceBackupVaultArn": self.vault_arn(p["SourceBackupVaultName"]),
                "DestinationBackupVaultArn": p["DestinationBackupVaultArn"],
                "DestinationRecoveryPointArn":
                    f"arn:aws:backup:{REGION}:{ACCOUNT_ID}:recovery-point:{uuid.uuid4()}",
                "IamRoleArn": p["IamRoleArn"], "ResourceArn": source["ResourceArn"],
                "CreationDate": self.clock(), "State": "COMPLETED", "IsParent": False,
            }
            self.state.copy_jobs[job_id] = job
            self._remember_token("StartCopyJob", p, job_id)
        return {k: job[k] for k in ("CopyJobId", "CreationDate", "IsParent")}

    def _describe_backup_job(self, p: dict[str, Any]) -> dict[str, Any]:
        job = self.state.backup_jobs.get(p["BackupJobId"])
        if job is None:
            raise BackupApiError(400, "ResourceNotFoundException", f"Backup job {p['BackupJobId']} not found")
        return dict(job)

    def _describe_copy_job(self, p: dict[str, Any]) -> dict[str, Any]:
        job = self.state.copy_jobs.get(p["CopyJobId"])
        if job is None:
            raise BackupApiError(400, "ResourceNotFoundException", f"Copy job {p['CopyJobId']} not found")
        return {"CopyJob": dict(job)}

    def _create_backup_vault(self, p: dict[str, Any]) -> dict[str, Any]:
        vault = self.create_vault(p["BackupVaultName"])
        return {k: vault[k] for k in ("BackupVaultName", "BackupVaultArn", "CreationDate")}

    def _known_vault(self, name: str) -> None:
        if name not in self.state.vaults:
            raise BackupApiError(400, "ResourceNotFoundException", f"Backup vault {name} does not exist")

    def _by_token(self, operation: str, p: dict[str, Any]) -> str | None:
        token = p.get("IdempotencyToken")
        return self.state.tokens.get((operation, token)) if token else None

    def _remember_token(self, operation: str, p: dict[str, Any], job_id: str) -> None:
        if p.get("IdempotencyToken"):
            self.state.tokens[(operation, p["IdempotencyToken"])] = job_id


def _require(p: dict[str, Any], *names: str) -> None:
    missing = [n for n in names if not p.get(n)]
    if missing:
        raise BackupApiError(400, "MissingParameterValueException", f"Missing {', '.join(missing)}")


def _check_lifecycle(lifecycle: dict[str, Any]) -> None:
    cold, delete = lifecycle.get("MoveToColdStorageAfterDays"), lifecycle.get("DeleteAfterDays")
    if cold is not None and delete is not None and -1 not in (cold, delete) and delete < cold + 90:
        raise BackupApiError(400, "InvalidParameterValueException",
                             "DeleteAfterDays must be at least 90 days after MoveToColdStorageAfterDays")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


ROUTES: list[tuple[str, re.Pattern[str], str, str | None]] = [
    ("PUT", re.compile(r"^/backup-jobs/?$"), "StartBackupJob", None),
    ("GET", re.compile(r"^/backup-jobs/(?P<id>[^/]+)$"), "DescribeBackupJob", "BackupJobId"),
    ("PUT", re.compile(r"^/copy-jobs/?$"), "StartCopyJob", None),
    ("GET", re.compile(r"^/copy-jobs/(?P<id>[^/]+)$"), "DescribeCopyJob", "CopyJobId"),
    ("PUT", re.compile(r"^/backup-vaults/(?P<id>[^/]+)$"), "CreateBackupVault", "BackupVaultName"),
]


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        try:
            for route_method, pattern, operation, id_member in ROUTES:
                match = pattern.match(path)
                if route_method == method and match:
                    params = json.loads(raw) if raw else {}
                    if id_member:
                        params[id_member] = match.group("id")
                    self._answer(200, self.server.emulator.call(operation, params))
                    return
            raise BackupApiError(404, "UnknownOperationException", f"No operation for {method} {path}")
        except BackupApiError as error:
            self._answer(error.status, {"Message": error.message, "Code": error.code}, error.code)

    def _answer(self, status: int, body: dict[str, Any], error_code: str | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error_code:
            self.send_header("x-amzn-ErrorType", error_code)
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: BackupEmulator) -> None:
        super().__init__(address, _Handler)
        self.emulator = emulator


@dataclass
class RunningBackupServer:
    """A started emulator: its endpoint URL and the state behind it."""

    endpoint_url: str
    emulator: BackupEmulator

    @property
    def state(self) -> BackupState:
        return self.emulator.state


@contextmanager
def backup_server(host: str = "127.0.0.1", port: int = 0) -> Iterator[RunningBackupServer]:
    """Run the emulator on a free loopback port for the duration of the block."""
    emulator = BackupEmulator()
    server = _Server((host, port), emulator)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield RunningBackupServer(f"http://{host}:{server.server_address[1]}", emulator)
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4567)
    parser.add_argument("--vault", action="append", default=[], help="vault to create at start")
    args = parser.parse_args()
    emulator = BackupEmulator()
    for name in args.vault:
        emulator.create_vault(name)
    server = _Server((args.host, args.port), emulator)
    print(f"AWS Backup emulator on http://{args.host}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
