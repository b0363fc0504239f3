"""An HTTPS endpoint that receives custom-resource responses, as S3's presigned URL would.

crhelper (and our bounded sender) always PUT over HTTPS, so the receiver
serves TLS with a certificate from a throw-away CA; point ``SSL_CERT_FILE`` at
``ca_file`` so the sender trusts it. Every PUT is recorded by its path (a
body that is not a JSON object as ``{INVALID_BODY: why}``), and the next
``fail_next`` PUTs can be answered with a 503, and the next ``slow_next``
held for ``slow_seconds`` before they are accepted.

It also serves the presigned URLs of WaitConditionHandles
(``new_wait_condition_url``), where signals are PUT. There, as the
CloudFormation User Guide requires ("The request method must be PUT and the
Content-Type header must be an empty string or omitted"), a PUT with a
Content-Type is refused as S3 refuses a request that does not match the
URL's signature: 403 SignatureDoesNotMatch (recorded in ``log.rejected``).
"""

from __future__ import annotations

import json
import ssl
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from urllib.parse import quote
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

from cdk_backup_jobs.testing.shared.serving import serving

# The key under which a body that is not a JSON object is recorded (S3 stores any
# body; CloudFormation then finds it invalid), so responses and sizes stay aligned.
INVALID_BODY = "x-simulator-invalid-body"
WAIT_CONDITION_PREFIX = "/cloudformation-waitcondition/"
SIGNATURE_DOES_NOT_MATCH = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request '
    b"signature we calculated does not match the signature you provided. Check your key and signing method."
    b"</Message></Error>")


@dataclass
class ResponseLog:
    """The responses received, by the path of the URL they were sent to."""

    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sizes: dict[str, list[int]] = field(default_factory=dict)
    arrivals: dict[str, list[float]] = field(default_factory=dict)  # time.monotonic() of each
    fail_next: int = 0
    slow_next: int = 0
    connections: int = 0  # TCP connections accepted: a sender that keeps its connection opens one
    slow_seconds: float = 0.0
    rejected: dict[str, list[str]] = field(default_factory=dict)  # wait-condition PUTs refused: their Content-Type
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    disable_nagle_algorithm = True  # answers go out at once, not after a delayed ACK
    protocol_version = "HTTP/1.1"  # connections stay open between PUTs, as S3's do

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)  # then it is closed, as S3 closes idle ones
        with self.server.log.lock:
            self.server.log.connections += 1

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        log = self.server.log
        with log.lock:
            slow = log.slow_next > 0
            log.slow_next -= 1 if slow else 0
        if slow:
            time.sleep(log.slow_seconds)
        content_type = self.headers.get("Content-Type")
        if self.path.startswith(WAIT_CONDITION_PREFIX) and content_type:
            with log.lock:
                log.rejected.setdefault(self.path, []).append(content_type)
            self.send_response(403)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(SIGNATURE_DOES_NOT_MATCH)))
            self.end_headers()
            self.wfile.write(SIGNATURE_DOES_NOT_MATCH)
            return
        with log.lock:
            if log.fail_next > 0:
                log.fail_next -= 1
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            log.sizes.setdefault(self.path, []).append(len(body))
            log.arrivals.setdefault(self.path, []).append(time.monotonic())
            log.responses.setdefault(self.path, []).append(parse_body(body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def parse_body(body: bytes) -> dict[str, Any]:
    """The response object; a body that is not one becomes ``{INVALID_BODY: why}``."""
    try:
        parsed = json.loads(body)
    except ValueError:  # also UnicodeDecodeError
        return {INVALID_BODY: "the body is not JSON"}
    if not isinstance(parsed, dict):
        return {INVALID_BODY: f"the body is a JSON {type(parsed).__name__}, not an object"}
    return parsed


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], log: ResponseLog, idle_timeout: float) -> None:
        super().__init__(address, _Handler)
        self.log = log
        self.idle_timeout = idle_timeout


@dataclass
class RunningResponseServer:
    """A started receiver: make URLs with ``new_url()``, read what arrived."""

    base_url: str
    ca_file: str
    log: ResponseLog

    def new_url(self) -> str:
        """A fresh presigned-style URL (its query string stands in for the signature)."""
        key = uuid.uuid4().hex
        return f"{self.base_url}/cfn-responses/{key}?X-Amz-Signature={uuid.uuid4().hex}"

    def new_wait_condition_url(self, stack_id: str, logical_id: str) -> str:
        """A WaitConditionHandle's presigned URL, laid out as CloudFormation's: the stack ID, then the handle."""
        return (f"{self.base_url}{WAIT_CONDITION_PREFIX}{quote(stack_id, safe='/')}/{logical_id}"
                f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=86399&X-Amz-SignedHeaders=host"
                f"&X-Amz-Signature={uuid.uuid4().hex}{uuid.uuid4().hex}")

    def rejected_for(self, url: str) -> list[str]:
        """The Content-Types of the PUTs to a wait-condition URL that were refused."""
        with self.log.lock:
            return list(self.log.rejected.get(url[len(self.base_url):], []))

    def responses_for(self, url: str) -> list[dict[str, Any]]:
        """The responses PUT to ``url``, in arrival order."""
        with self.log.lock:
            return list(self.log.responses.get(url[len(self.base_url):], []))

    def arrivals_for(self, url: str) -> list[float]:
        """When (time.monotonic()) each response to ``url`` arrived."""
        with self.log.lock:
            return list(self.log.arrivals.get(url[len(self.base_url):], []))

    def sizes_for(self, url: str) -> list[int]:
        """The byte sizes of the responses PUT to ``url``."""
        with self.log.lock:
            return list(self.log.sizes.get(url[len(self.base_url):], []))


@contextmanager
def response_server(host: str = "127.0.0.1", idle_timeout: float = 20.0) -> Iterator[RunningResponseServer]:
    """Serve HTTPS on a free loopback port with a certificate from a fresh CA.

    Like S3, it keeps a connection open between PUTs and closes one left idle
    for ``idle_timeout`` seconds.
    """
    import trustme

    authority = trustme.CA()
    certificate = authority.issue_cert(host, "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    log = ResponseLog()
    server = _Server((host, 0), log, idle_timeout)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server) as bound, tempfile.TemporaryDirectory() as folder:
        ca_file = Path(folder) / "ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        yield RunningResponseServer(f"https://{host}:{bound}", str(ca_file), log)
