"""crhelper, configured for a production provider, in one place.

crhelper's defaults are wrong for us, so this module changes exactly these:
- it logs every event, presigned ResponseURL included, at DEBUG: its loggers
  are held at WARNING and the provider writes its own structured logs;
- it sleeps 120 s before answering a Delete: the sleep is 0;
- it imports boto3 and builds lambda, events and logs clients at import,
  which only polling uses: boto3 is imported, and each client built, on
  first use instead (a Delete never pays for them);
- its response sender retries forever: ours stops at the function's deadline
  and at a fixed number of attempts, and still PUTs over HTTPS;
- it opens a new HTTPS connection for every response: ours keeps it open, so
  a warm container's next response (or poll) skips the TCP and TLS set-up;
- its timeout timer can send a second response while the first is still
  being retried: one invocation sends at most one response;
- a response sent before the handler returned (the timer, a crash) carries an
  empty PhysicalResourceId, which CloudFormation rejects: it gets the event's
  ID, or a generated one on Create;
- once a poll function is registered it polls for every request: it polls
  only when the handler sets ``poll_this_request`` (a job still running);
- it puts the whole event, every property included, into the polling rule's
  target: the target gets only what a poll needs (EventBridge caps it at
  8192 characters, and tag values have no place there);
- a second, overlapping poll finds the rule already removed and would then
  answer FAILED over a SUCCESS: an already removed rule is not an error;
- its error logs and reasons could quote a URL: URLs are redacted from both.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import select
import ssl
import sys
import threading
import time
import types
from contextlib import contextmanager
from http.client import HTTPException, HTTPSConnection
from typing import Any, Iterator
from urllib.parse import urlsplit, urlunsplit


class _ImportOnFirstUse(types.ModuleType):
    """Stands in for a module in sys.modules until one of its attributes is used."""

    def __getattr__(self, attribute: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attribute)


if "boto3" not in sys.modules:
    sys.modules["boto3"] = _ImportOnFirstUse("boto3")  # crhelper imports it; we need it only to call AWS

from crhelper import resource_helper  # noqa: E402
from crhelper.resource_helper import CfnResource  # noqa: E402

from backup_jobs_logging import StructuredLogger

log = StructuredLogger()

MAX_RESPONSE_BYTES = 4096  # CloudFormation rejects larger custom-resource responses
MAX_REASON_CHARACTERS = 255  # CloudFormation shows at most 256; crhelper's own cut keeps the tail and runs over
URL = re.compile(r"https?://[^\s'\"<>]+")
# What a scheduled poll needs of the original event; the properties stay out.
POLL_EVENT_KEYS = ("RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId", "ResourceType",
                   "PhysicalResourceId", "ServiceToken", "CrHelperData", "CrHelperPoll", "CrHelperRule",
                   "CrHelperPermission")
MAX_SEND_ATTEMPTS = 6
SEND_MARGIN_SECONDS = 0.25  # stop retrying this long before the function's deadline
DEFAULT_SEND_BUDGET_SECONDS = 30.0


class ProviderResource(CfnResource):
    """crhelper's CfnResource without its unsafe defaults (see the module docstring)."""

    def __init__(
        self, expected_errors: tuple[type[Exception], ...] = (), polling_interval: int = 2
    ) -> None:
        with _lazy_crhelper_clients():
            super().__init__(
                json_logging=False,
                log_level="WARNING",
                boto_level="WARNING",
                polling_interval=polling_interval,
                sleep_on_delete=0,
            )
        self._response_lock = threading.Lock()
        self._response_claimed = False
        self.poll_this_request = False
        logging.getLogger("crhelper").setLevel(logging.WARNING)
        # A failure we raised on purpose is logged once, by us, as a reason;
        # crhelper would log it again with a stack trace.
        logging.getLogger("crhelper.resource_helper").addFilter(_DropExpected(expected_errors))
        for name in ("crhelper.resource_helper", "crhelper.utils"):
            logging.getLogger(name).addFilter(_RedactUrls())

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        with self._response_lock:
            self._response_claimed = False
        self.poll_this_request = False
        super().__call__(event, context)

    def _poll_enabled(self) -> bool:
        # crhelper polls every request once a poll function is registered; we
        # poll only for a job that is still running (the handler says so), and
        # keep polling for the scheduled checks that follow.
        return self.poll_this_request or "CrHelperPoll" in getattr(self, "_event", {})

    # crhelper's stubs omit its private hooks, which this class exists to override.
    def _send(
        self, status: str | None = None, reason: str = "", send_response: Any = None
    ) -> None:
        # crhelper passes its own unbounded sender as send_response: ignored.
        # Cut reasons here, keeping their start (which names the problem).
        self.Reason = clip_reason(redact(str(self.Reason)))
        if not self.PhysicalResourceId:
            self.PhysicalResourceId = self._fallback_physical_id()
        reason = clip_reason(redact(str(reason)))
        with self._response_lock:
            if self._response_claimed:
                log.warning("Response already sent for this invocation; not sending another",
                            status=status or self.Status)
                return
            self._response_claimed = True
        deadline = time.monotonic() + self._send_budget_seconds()

        def bounded_sender(url: str, body: dict[str, Any], ssl_verify: Any) -> None:
            deliver_response(url, body, ssl_verify, deadline=deadline)

        super()._send(status, reason, send_response=bounded_sender)  # type: ignore[misc]

    def _fallback_physical_id(self) -> str:
        """The ID for a response sent before the handler returned one (its timer, a crash).

        crhelper sends an empty ID then, which CloudFormation rejects as
        invalid, dropping the reason; an Update or Delete keeps the resource's
        ID, a Create gets a generated one (as crhelper's own answers do).
        """
        event = getattr(self, "_event", None) or {}
        if event.get("PhysicalResourceId"):
            return str(event["PhysicalResourceId"])
        try:
            return str(self.generate_physical_id(event))
        except (KeyError, IndexError, TypeError):
            return str(event.get("LogicalResourceId") or "backup-job")

    def _put_targets(self, func_name: str) -> None:
        """crhelper's rule target, with only the keys a poll reads."""
        event = getattr(self, "_event")
        rule_arn = event["CrHelperRule"]
        partition, region, account = rule_arn.split(":")[1], rule_arn.split(":")[3], rule_arn.split(":")[4]
        poll_event = {key: event[key] for key in POLL_EVENT_KEYS if key in event}
        getattr(self, "_events_client").put_targets(
            Rule=rule_arn.split("/")[1],
            Targets=[{"Id": "1", "Arn": f"arn:{partition}:lambda:{region}:{account}:function:{func_name}",
                      "Input": json.dumps(poll_event)}],
        )

    def _remove_polling(self) -> None:
        """crhelper's clean-up, where a rule another poll already removed is not a failure."""
        from botocore.exceptions import ClientError

        try:
            super()._remove_polling()  # type: ignore[misc]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            log.warning("Polling rule already removed by an overlapping poll")

    def _send_budget_seconds(self) -> float:
        context = getattr(self, "_context", None)
        if context is None or not hasattr(context, "get_remaining_time_in_millis"):
            return DEFAULT_SEND_BUDGET_SECONDS
        remaining = float(context.get_remaining_time_in_millis()) / 1000.0
        return max(remaining - SEND_MARGIN_SECONDS, 0.5)


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


def redact(text: str) -> str:
    """URLs out: a presigned ResponseURL is a credential."""
    return URL.sub("<url>", text)


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


class _DropExpected(logging.Filter):
    """Drops crhelper's records for the exceptions the provider raises on purpose."""

    def __init__(self, expected: tuple[type[Exception], ...]) -> None:
        super().__init__()
        self.expected = expected

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (self.expected and isinstance(error, self.expected))


class _RedactUrls(logging.Filter):
    """Redacts URLs from crhelper's records, message and traceback alike."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class _LazyClient:
    """Stands in for a boto3 client and builds the real one on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._args, self._kwargs, self._client = args, kwargs, None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client(*self._args, **self._kwargs)
        return getattr(self._client, name)


class _LazyBoto3:
    client = _LazyClient


@contextmanager
def _lazy_crhelper_clients() -> Iterator[None]:
    """While crhelper initialises, hand it lazy clients instead of real ones."""
    real_boto3 = getattr(resource_helper, "boto3")
    setattr(resource_helper, "boto3", _LazyBoto3)
    try:
        yield
    finally:
        setattr(resource_helper, "boto3", real_boto3)
