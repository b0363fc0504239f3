"""A local AWS Backup endpoint: real HTTP, AWS's REST-JSON protocol, the emulator behind it.

Point boto3 at it with ``AWS_ENDPOINT_URL_BACKUP``; botocore raises the same
modeled exceptions it raises against AWS. In tests use ``backup_server()``
(a free port on 127.0.0.1); standalone:
``python -m cdk_backup_jobs.testing.backup_server --port 4567 --vault my-vault``.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

from cdk_backup_jobs.testing.serving import serving
from cdk_backup_jobs.testing.backup_emulator import BackupEmulator, BackupState, JobTiming
from cdk_backup_jobs.testing.backup_protocol import (BackupApiError, Route, build_routes,
                                                     load_model, match, read_input, to_wire)

OPERATIONS = (
    "StartBackupJob", "DescribeBackupJob", "ListBackupJobs", "StopBackupJob",
    "StartCopyJob", "DescribeCopyJob", "ListCopyJobs",
    "CreateBackupVault", "DescribeBackupVault", "DescribeRecoveryPoint",
)


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
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

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header tells the emulator's time, so clients can keep deadlines in it.
        return super().date_time_string(self.server.emulator.clock() if timestamp is None else timestamp)

    def _dispatch(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        emulator = self.server.emulator
        try:
            route, uri_params = match(self.server.routes, method, path)
            name = route.operation.name
            fault = emulator.next_fault(name)
            if fault is not None and fault.kind == "drop":
                emulator.state.calls.append((name, {"_fault": "drop"}))
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.delay)
            if fault is not None and fault.kind == "error":
                emulator.state.calls.append((name, {"_fault": fault.code}))
                raise BackupApiError(fault.status, fault.code, fault.message)
            params = read_input(route, uri_params, query, body)
            self._answer(200, to_wire(emulator.call(name, params)))
        except BackupApiError as error:
            self._answer(error.status, {"message": error.message, "Code": error.code}, error.code)
        except Exception as error:  # an emulator bug: answer like AWS, and keep it for assertions
            emulator.state.internal_errors.append(f"{type(error).__name__}: {error}")
            self._answer(500, {"message": "Internal failure"}, "InternalFailure")

    def _answer(self, status: int, body: dict[str, Any], error_code: str | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error_code:
            self.send_header("x-amzn-ErrorType", f"{error_code}:http://internal.amazon.com/coral/")
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: BackupEmulator, routes: list[Route]) -> None:
        super().__init__(address, _Handler)
        self.emulator = emulator
        self.routes = routes


@dataclass
class RunningBackupServer:
    """A started emulator: its endpoint URL and the service behind it."""

    endpoint_url: str
    emulator: BackupEmulator

    @property
    def state(self) -> BackupState:
        return self.emulator.state


_ROUTES: list[Route] = []


def _routes() -> list[Route]:
    if not _ROUTES:
        _ROUTES.extend(build_routes(load_model(), OPERATIONS))
    return _ROUTES


@contextmanager
def backup_server(emulator: BackupEmulator | None = None, host: str = "127.0.0.1",
                  port: int = 0) -> Iterator[RunningBackupServer]:
    """Serve an emulator on a loopback port (a free one by default) for the block."""
    emulator = emulator or BackupEmulator()
    with serving(_Server((host, port), emulator, _routes())) as bound:
        yield RunningBackupServer(f"http://{host}:{bound}", emulator)


def main() -> None:
    parser = argparse.ArgumentParser(description="Local AWS Backup endpoint for tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4567)
    parser.add_argument("--vault", action="append", default=[], help="vault to create at start")
    parser.add_argument("--job-seconds", type=float, default=0.0,
                        help="how long each job runs before it completes")
    args = parser.parse_args()
    emulator = BackupEmulator(timing=JobTiming(done_after=args.job_seconds))
    for name in args.vault:
        emulator.create_vault(name)
    server = _Server((args.host, args.port), emulator, _routes())
    print(f"AWS Backup emulator on http://{args.host}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
