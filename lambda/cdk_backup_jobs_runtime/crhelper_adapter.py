"""crhelper, configured for a production provider: the only module that touches its internals.

The provider is built on crhelper's CfnResource (its decorators, its
polling), but several of its defaults are wrong for us. Public settings
handle what they can (``log_level``, ``boto_level``, ``sleep_on_delete``,
``polling_interval``); the rest needs its private hooks, each overridden here
with its reason, against the crhelper version ``CRHELPER_VERSION`` (a test
fails when the installed crhelper is another):

- it logs every event, presigned ResponseURL included, at DEBUG: its loggers
  are held at WARNING, its records redacted, and the provider writes its own
  structured logs;
- it sleeps 120 s before answering a Delete: ``sleep_on_delete=0``;
- it imports boto3 and builds lambda, events and logs clients at import,
  which only polling uses: it is handed a boto3 stand-in whose clients are
  built on first use (``lazy_boto3``), so a request that never polls never
  pays for boto3;
- its response sender retries forever: ``_send`` hands it ours
  (``response_sender``), bounded by the function's deadline;
- its timeout timer can send a second response while the first is still
  being retried: one invocation sends at most one response (``_send``);
- a response sent before the handler returned (the timer, a crash) carries an
  empty PhysicalResourceId, which CloudFormation rejects: it gets the event's
  ID, or a generated one on Create (``_send``);
- once a poll function is registered it polls for every request: it polls
  only when the handler sets ``poll_this_request`` (``_poll_enabled``);
- it puts the whole event, every property included, into the polling rule's
  target: the target gets only what a poll needs (``_put_targets``;
  EventBridge caps it at 8192 characters, and tag values have no place there);
- a second, overlapping poll finds the rule already removed and would then
  answer FAILED over a SUCCESS: an already removed rule is not an error
  (``_remove_polling``);
- its error logs and reasons could quote a URL: URLs are redacted from both.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from cdk_backup_jobs_runtime import lazy_boto3
from cdk_backup_jobs_runtime.log_redaction import DropExpected, RedactUrls, redact
from cdk_backup_jobs_runtime.response_sender import clip_reason, deliver_response
from cdk_backup_jobs_runtime.structured_log import StructuredLogger

with lazy_boto3.standing_in_for_boto3():
    from crhelper import resource_helper
    from crhelper.resource_helper import CfnResource

# crhelper reads boto3 from its module only to build its clients. If crhelper
# was imported before this module (the construct library reads its files at
# synth, say), it holds the real boto3: hand it the stand-in all the same.
resource_helper.boto3 = lazy_boto3.LAZY_BOTO3  # type: ignore[attr-defined]

CRHELPER_VERSION = "2.0.12"
"""The crhelper release whose private hooks this module overrides (pinned in pyproject.toml)."""
OVERRIDDEN_HOOKS = ("_poll_enabled", "_send", "_put_targets", "_remove_polling")
"""crhelper's private methods this module overrides; a test checks crhelper still has each."""

log = StructuredLogger()

# What a scheduled poll needs of the original event; the properties stay out.
POLL_EVENT_KEYS = ("RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId", "ResourceType",
                   "PhysicalResourceId", "ServiceToken", "CrHelperData", "CrHelperPoll", "CrHelperRule",
                   "CrHelperPermission")
SEND_MARGIN_SECONDS = 0.25  # stop retrying this long before the function's deadline
DEFAULT_SEND_BUDGET_SECONDS = 30.0


class ProviderResource(CfnResource):
    """crhelper's CfnResource without its unsafe defaults (see the module docstring)."""

    def __init__(
        self, expected_errors: tuple[type[Exception], ...] = (), polling_interval: int = 2
    ) -> None:
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
        logging.getLogger("crhelper.resource_helper").addFilter(DropExpected(expected_errors))
        for name in ("crhelper.resource_helper", "crhelper.utils"):
            logging.getLogger(name).addFilter(RedactUrls())

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
