"""Delivers a custom-resource response to CloudFormation: a PUT to the presigned ResponseURL.

Unlike crhelper's sender, which retries forever, this one is bounded by the
function's deadline and a number of attempts; it keeps its HTTPS connection
between responses, so a warm container's next response skips the TCP and TLS
set-up; and it never logs the URL, a presigned credential.
"""

from __future__ import annotations

import json
import os
import select
import ssl
import time
from http.client import HTTPException, HTTPSConnection
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cdk_backup_jobs_runtime.structured_log import StructuredLogger

log = StructuredLogger()

MAX_RESPONSE_BYTES = 4096  # CloudFormation rejects larger custom-resource responses
MAX_REASON_CHARACTERS = 255  # CloudFormation shows at most 256; crhelper's own cut keeps the tail and runs over
MAX_SEND_ATTEMPTS = 6


def deliver_response(
    response_url: str,
    body: dict[str, Any],
    ssl_verify: Any = None,
    *,
    deadline: float,
    max_attempts: int = MAX_SEND_ATTEMPTS,
) -> bool:
    """PUT the response to CloudFormation's presigned URL, bounded in time and tries.

    Returns True once the URL accepted it. A 4xx answer (an expired URL, say)
    is final; connection errors and 5xx are retried with backoff until the
    deadline (a time.monotonic() value) or max_attempts. The URL is never
    logged: it is a presigned credential.
    """
    payload = _payload(body)
    split = urlsplit(response_url)
    if split.scheme != "https" or not split.netloc:
        log.error("Event has no HTTPS ResponseURL; nobody to answer")
        return False
    path = urlunsplit(("", "", split.path, split.query, ""))
    context = _ssl_context(ssl_verify)
    for attempt in range(1, max_attempts + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            status = _put(split.netloc, path, payload, context, timeout=min(10.0, remaining))
        except (OSError, HTTPException) as error:  # ssl.SSLError is an OSError
            log.warning("Response not delivered, will retry", attempt=attempt,
                        error=type(error).__name__)
        else:
            if status < 300:
                log.info("Response delivered", status=body.get("Status"), attempt=attempt)
                return True
            if status < 500:
                log.error("Response refused by CloudFormation", http_status=status)
                return False
            log.warning("Response not accepted, will retry", attempt=attempt, http_status=status)
        time.sleep(max(0.0, min(0.25 * 2 ** (attempt - 1), 4.0, deadline - time.monotonic())))
    log.error("Response not delivered before the deadline", attempts=attempt)
    return False


def _put(netloc: str, path: str, payload: bytes, context: ssl.SSLContext, timeout: float) -> int:
    """One PUT, on the connection kept from the last response to this host if there is one.

    A kept connection that the host closed meanwhile (the container was frozen
    between invocations, say) is no failed attempt: the PUT goes again at once
    on a new connection. A timeout is a failed attempt: retrying at once could
    only double the wait.
    """
    key = (netloc, id(context))
    kept = _kept_connections.pop(key, None)
    if kept is not None and _still_open(kept):
        try:
            return _put_on(kept, key, path, payload, timeout)
        except CLOSED_BY_HOST:
            pass
    elif kept is not None:
        kept.close()
    return _put_on(HTTPSConnection(netloc, timeout=timeout, context=context), key, path, payload, timeout)


def _put_on(connection: HTTPSConnection, key: tuple[str, int], path: str, payload: bytes,
            timeout: float) -> int:
    """PUT on ``connection``; it is kept for the next response if the host keeps it open."""
    connection.timeout = timeout
    if connection.sock is not None:
        connection.sock.settimeout(timeout)
    try:
        connection.request("PUT", path, body=payload, headers={
            "content-type": "", "content-length": str(len(payload)),
        })
        response = connection.getresponse()
        response.read()
    except BaseException:
        connection.close()
        raise
    if response.will_close:
        connection.close()
    else:
        _kept_connections[key] = connection
    return response.status


def _still_open(connection: HTTPSConnection) -> bool:
    """An idle connection with something to read has been closed by the host (EOF or TLS close_notify)."""
    if connection.sock is None:
        return False
    readable, _, _ = select.select([connection.sock], [], [], 0)
    return not readable


_kept_connections: dict[tuple[str, int], HTTPSConnection] = {}
CLOSED_BY_HOST = (ConnectionError, ssl.SSLEOFError, ssl.SSLZeroReturnError)
"""How a PUT on a connection the host has just closed fails (a race the check above can lose)."""


def clip_reason(reason: str) -> str:
    if len(reason) <= MAX_REASON_CHARACTERS:
        return reason
    return reason[: MAX_REASON_CHARACTERS - 3] + "..."


def _payload(body: dict[str, Any]) -> bytes:
    """Serialize the response; one too large for CloudFormation becomes a FAILED one."""
    payload = json.dumps(body).encode()
    if len(payload) <= MAX_RESPONSE_BYTES:
        return payload
    trimmed = {**body, "Status": "FAILED", "Data": {},
               "Reason": f"Response of {len(payload)} bytes exceeds CloudFormation's {MAX_RESPONSE_BYTES}"}
    return json.dumps(trimmed).encode()


def _ssl_context(ssl_verify: Any) -> ssl.SSLContext:
    """The TLS context for the response, built once per trust setting (loading CAs costs ms)."""
    key = (repr(ssl_verify), os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    if key not in _ssl_contexts:
        _ssl_contexts[key] = _new_ssl_context(ssl_verify)
    return _ssl_contexts[key]


_ssl_contexts: dict[tuple[str, str | None, str | None], ssl.SSLContext] = {}


def _new_ssl_context(ssl_verify: Any) -> ssl.SSLContext:
    # Same meaning as crhelper's ssl_verify: a CA bundle path, False, or the
    # default trust store (which honours SSL_CERT_FILE).
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if isinstance(ssl_verify, str):
        context.load_verify_locations(cafile=ssl_verify)
    elif ssl_verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
