"""A local AWS Backup endpoint: real HTTP, AWS's REST-JSON protocol, the emulator behind it.

Point boto3 at it with ``AWS_ENDPOINT_URL_BACKUP``; botocore raises the same
modeled exceptions it raises against AWS. Every operation of botocore's model
is routed: one the emulator does not answer is refused with HTTP 501
NotEmulatedException naming it, not mistaken for an unknown path. In tests
use ``backup_server()`` (a free port on 127.0.0.1); the command line is
``python -m cdk_backup_jobs.testing.backup_server``.
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator, TextIO

from cdk_backup_jobs.testing.backup.arns import vault_arn
from cdk_backup_jobs.testing.backup.backends import BackupBackends
from cdk_backup_jobs.testing.backup.emulator import BackupEmulator, BackupState
from cdk_backup_jobs.testing.backup.errors import BackupApiError
from cdk_backup_jobs.testing.backup.protocol import Route, build_routes, load_model, match, read_input, to_wire
from cdk_backup_jobs.testing.iam.model import AccountIam, access_key_of
from cdk_backup_jobs.testing.shared.account import Place
from cdk_backup_jobs.testing.shared.serving import serving


def required_permissions(operation: str, params: dict[str, Any], place: Place) -> list[tuple[str, str]]:
    """(action, resource) pairs a call needs. Service Authorization Reference, AWS Backup: StartBackupJob acts
    on the backupVault, StartCopyJob on the recoveryPoint, each with iam:PassRole as a dependent action;
    a call naming a vault acts on it; the job operations have no resource type ("*")."""
    if operation == "StartCopyJob":
        needed = [(f"backup:{operation}", str(params.get("RecoveryPointArn", "*")))]
    elif "BackupVaultName" in params:
        needed = [(f"backup:{operation}", vault_arn(str(params["BackupVaultName"]), place))]
    else:
        needed = [(f"backup:{operation}", "*")]
    if operation in ("StartBackupJob", "StartCopyJob") and params.get("IamRoleArn"):
        needed.append(("iam:PassRole", str(params["IamRoleArn"])))
    return needed


def authorize(iam: AccountIam, access_key: str | None, operation: str, params: dict[str, Any],
              place: Place) -> None:
    """Raise AWS's error for a call the caller's role does not allow, or whose job role AWS Backup cannot
    assume yet (InvalidParameterValueException "IAM Role ARN cannot be assumed by AWS Backup", the answer
    hashicorp/terraform-provider-aws#9297 retries while IAM spreads a new role)."""
    for action, resource in required_permissions(operation, params, place):
        denied = iam.denial(access_key, action, resource)
        if denied is not None:
            raise BackupApiError(403, "AccessDeniedException", denied)
    role = str(params.get("IamRoleArn") or "")
    if operation in ("StartBackupJob", "StartCopyJob") and role and iam.role_not_assumable(role):
        raise BackupApiError(400, "InvalidParameterValueException", f"IAM Role {role} cannot be assumed by AWS Backup")


class _Handler(BaseHTTPRequestHandler):
    server: "BackupHttpServer"
    disable_nagle_algorithm = True  # answers go out at once, not after a delayed ACK
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # requests are logged by _log, when asked
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header tells the emulator's time, so clients can keep deadlines in it.
        clock = getattr(self, "emulator", self.server.emulator).clock
        return super().date_time_string(clock() if timestamp is None else timestamp)

    def _dispatch(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        # The caller's account and Region: its key's, its signature's (``backends``).
        self.emulator = emulator = self.server.backends.of_request(self.headers.get("Authorization"))
        name = "-"
        try:
            route, uri_params = match(self.server.routes, method, path, query)
            name = route.operation.name
            if not emulator.emulates(name):  # refused before faults and input checks: its name is the news
                emulator.call(name, {})  # records the call and raises NotEmulatedException
            fault = emulator.next_fault(name)
            if fault is not None and fault.kind == "drop":
                emulator.state.calls.append((name, {"_fault": "drop"}))
                self._log(method, name, "dropped")
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.delay)
            if fault is not None and fault.kind == "error":
                emulator.state.calls.append((name, {"_fault": fault.code}))
                raise BackupApiError(fault.status, fault.code, fault.message)
            params = read_input(route, uri_params, query, body)
            if emulator.iam is not None:
                authorize(emulator.iam, access_key_of(self.headers.get("Authorization")), name, params, emulator.place)
            self._answer(method, name, 200, to_wire(emulator.call(name, params)))
        except BackupApiError as error:
            self._answer(method, name, error.status, {"message": error.message, "Code": error.code}, error.code)
        except Exception as error:  # an emulator bug: answer like AWS, and keep it for assertions
            emulator.state.internal_errors.append(f"{type(error).__name__}: {error}")
            self._answer(method, name, 500, {"message": "Internal failure"}, "InternalFailure")

    def _answer(self, method: str, operation: str, status: int, body: dict[str, Any],
                error_code: str | None = None) -> None:
        payload = json.dumps(body).encode()
        # Logged before the answer: a client that got it may stop the server at once, and the line is there.
        self._log(method, operation, str(status))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error_code:
            self.send_header("x-amzn-ErrorType", f"{error_code}:http://internal.amazon.com/coral/")
        self.end_headers()
        self.wfile.write(payload)

    def _log(self, method: str, operation: str, outcome: str) -> None:
        log = self.server.request_log
        if log is not None:
            print(f"{method} {self.path} {operation} {outcome}", file=log, flush=True)


class BackupHttpServer(ThreadingHTTPServer):
    """The HTTP server: every place's emulator (``emulator`` the default one's), the model's routes, and where
    requests are logged (None: nowhere)."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: BackupEmulator, routes: list[Route],
                 request_log: TextIO | None = None) -> None:
        super().__init__(address, _Handler)
        self.backends = BackupBackends(emulator)
        self.routes = routes
        self.request_log = request_log


    @property
    def emulator(self) -> BackupEmulator:
        return self.backends.default


@dataclass
class RunningBackupServer:
    """A started emulator: its endpoint URL, the default place's service behind it (``emulator``), and every
    place's (``backends``: an account's key signing for a Region reaches that account's AWS Backup there)."""

    endpoint_url: str
    emulator: BackupEmulator
    backends: BackupBackends

    @property
    def state(self) -> BackupState:
        return self.emulator.state


@functools.lru_cache(maxsize=1)
def routes() -> list[Route]:
    """A route for every operation of botocore's AWS Backup model, built once."""
    return build_routes(load_model())


@contextmanager
def backup_server(emulator: BackupEmulator | None = None, host: str = "127.0.0.1", port: int = 0,
                  request_log: TextIO | None = None) -> Iterator[RunningBackupServer]:
    """Serve an emulator on a loopback port (a free one by default) for the block.

    ``request_log`` (for example ``sys.stderr``) gets one line per request:
    method, path, operation and status.
    """
    emulator = emulator or BackupEmulator()
    server = BackupHttpServer((host, port), emulator, routes(), request_log)
    with serving(server) as bound:
        yield RunningBackupServer(f"http://{host}:{bound}", emulator, server.backends)
