"""crhelper, configured for a production provider: the only module that touches its internals.

The provider is built on crhelper's CfnResource (its decorators, its request
handling), but several of its defaults are wrong for us. Public settings
handle what they can (``log_level``, ``boto_level``, ``sleep_on_delete``);
the rest needs its private hooks, each overridden here
with its reason, against the crhelper version ``CRHELPER_VERSION`` (a test
fails when the installed crhelper is another):

- it logs every event, presigned ResponseURL included, at DEBUG: its loggers
  are held at WARNING, its records redacted, and the provider writes its own
  structured logs;
- it sleeps 120 s before answering a Delete: ``sleep_on_delete=0``;
- it imports boto3 and builds lambda, events and logs clients at import,
  which only polling uses: it is handed a boto3 stand-in whose clients are
  built on first use (``LazyBoto3``), so a request that never polls never
  pays for boto3;
- its response sender retries forever: ``_send`` hands it ours
  (``response_sender``), bounded by the function's deadline;
- its timeout timer can send a second response while the first is still
  being retried: one invocation sends at most one response (``_send``);
- a response sent before the handler returned (the timer, a crash) carries an
  empty PhysicalResourceId, which CloudFormation rejects: it gets the event's
  ID, or a generated one on Create (``_send``);
- it waits for a long task by polling once a minute on a schedule rule of its
  own, whose target holds the whole event, every property included: a
  request that must wait has armed the provider's own watch already (an
  event-driven rule with a slow fallback check, and only what an answer
  needs: ``jobs.waits``), and crhelper merely holds its answer back
  (``_poll_enabled``: only when the handler says so; ``_setup_polling``
  creates nothing);
- its error logs and reasons could quote a URL: URLs are redacted from both.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import types
from contextlib import contextmanager
from typing import Any, Iterator

from cdk_backup_jobs_runtime.cloudformation.log_redaction import DropExpected, RedactUrls, redact
from cdk_backup_jobs_runtime.cloudformation.response_sender import clip_reason, deliver_response
from cdk_backup_jobs_runtime.structured_log import StructuredLogger

# crhelper's boto3 stand-in. crhelper imports boto3 at import time and builds three clients (lambda,
# events, logs) in its constructor, which only its polling uses. boto3 costs a cold start about 250 ms (it
# imports s3transfer); with this stand-in a request that never polls never pays for it. The real boto3 is
# imported by the first client call.


class LazyClient:
    """Stands in for a boto3 client and builds the real one on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._args, self._kwargs, self._client = args, kwargs, None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client(*self._args, **self._kwargs)
        return getattr(self._client, name)


class LazyBoto3(types.ModuleType):
    """The boto3 module as far as crhelper uses it: ``boto3.client(...)``, built lazily."""

    client = LazyClient


LAZY_BOTO3 = LazyBoto3("boto3")


@contextmanager
def standing_in_for_boto3() -> Iterator[LazyBoto3]:
    """While the block runs, ``import boto3`` (not yet imported) gets the stand-in.

    Only the modules imported inside the block see it: afterwards
    ``sys.modules`` is as before, so any other ``import boto3`` gets the real one.
    """
    if "boto3" in sys.modules:
        yield LAZY_BOTO3
        return
    sys.modules["boto3"] = LAZY_BOTO3
    try:
        yield LAZY_BOTO3
    finally:
        if sys.modules.get("boto3") is LAZY_BOTO3:
            del sys.modules["boto3"]


with standing_in_for_boto3():
    from crhelper import resource_helper
    from crhelper.resource_helper import CfnResource

# crhelper reads boto3 from its module only to build its clients. If crhelper
# was imported before this module (the construct library reads its files at
# synth, say), it holds the real boto3: hand it the stand-in all the same.
resource_helper.boto3 = LAZY_BOTO3  # type: ignore[attr-defined]

CRHELPER_VERSION = "2.0.12"
"""The crhelper release whose private hooks this module overrides (pinned in pyproject.toml)."""
OVERRIDDEN_HOOKS = ("_poll_enabled", "_send", "_setup_polling")
"""crhelper's private methods this module overrides; a test checks crhelper still has each."""

log = StructuredLogger()

SEND_MARGIN_SECONDS = 0.25  # stop retrying this long before the function's deadline
DEFAULT_SEND_BUDGET_SECONDS = 30.0


class ProviderResource(CfnResource):
    """crhelper's CfnResource without its unsafe defaults (see the module docstring)."""

    def __init__(self, expected_errors: tuple[type[Exception], ...] = ()) -> None:
        super().__init__(
            json_logging=False,
            log_level="WARNING",
            boto_level="WARNING",
            sleep_on_delete=0,
        )
        self._response_lock = threading.Lock()
        self._response_claimed = False
        self.poll_this_request = False
        logging.getLogger("crhelper").setLevel(logging.WARNING)
        # A failure we raised on purpose is logged once, by us, as a reason;
        # crhelper would log it again with a stack trace.
        logging.getLogger("crhelper.resource_helper").addFilter(DropExpected(expected_errors))
        for name in ("crhelper.resource_helper", "crhelper.utils"):
            logging.getLogger(name).addFilter(RedactUrls())

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        with self._response_lock:
            self._response_claimed = False
        self.poll_this_request = False
        super().__call__(event, context)

    def _poll_enabled(self) -> bool:
        # crhelper's own test for "answer later": only when the handler says so
        # (a job still running); its scheduled polls never happen here.
        return self.poll_this_request

    def _setup_polling(self) -> None:
        # Where crhelper would create its once-a-minute polling rule: the
        # request's action has armed the provider's watch already, which
        # answers it; nothing to create.
        return None

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

    def _send_budget_seconds(self) -> float:
        context = getattr(self, "_context", None)
        if context is None or not hasattr(context, "get_remaining_time_in_millis"):
            return DEFAULT_SEND_BUDGET_SECONDS
        remaining = float(context.get_remaining_time_in_millis()) / 1000.0
        return max(remaining - SEND_MARGIN_SECONDS, 0.5)
