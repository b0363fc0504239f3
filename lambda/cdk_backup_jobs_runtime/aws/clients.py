"""The provider's AWS clients: botocore, with bounded retries and timeouts, built on first use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

ClientFactory = Callable[[], Any]


@dataclass(frozen=True)
class Clients:
    """The AWS clients a request or a watch may need, each built on first use (a factory), and the
    function's own ARN (the target of a watch's rule). The invocation's time left is ``invocation``'s."""

    backup: ClientFactory
    stack: ClientFactory | None = None
    events: ClientFactory | None = None
    function_arn: str = ""

# Throttling and 5xx are retried by botocore itself before the handler sees
# them. Retrying Start* is safe because every call carries an IdempotencyToken.
RETRY_CONFIG = {"mode": "standard", "total_max_attempts": 6}
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 20


_session: Any = None


def _botocore_session() -> Any:
    """One botocore session per container.

    Clients come from botocore itself, not boto3: ``import boto3`` also imports
    s3transfer, about 250 ms of a cold start that a provider calling AWS Backup
    never uses. botocore resolves credentials, region, retries and
    ``AWS_ENDPOINT_URL_BACKUP`` exactly as boto3 does (boto3 delegates to it).
    """
    global _session
    if _session is None:
        import botocore.session  # imported here so that a Delete, which calls nothing, never pays for it

        _session = botocore.session.get_session()
    return _session


def _client(service: str) -> Any:
    from botocore.config import Config

    config = Config(
        retries=RETRY_CONFIG,  # type: ignore[arg-type]
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
    )
    return _botocore_session().create_client(service, config=config)


def create_backup_client() -> Any:
    """A Backup client that honours the SDK's endpoint settings (AWS_ENDPOINT_URL_BACKUP)."""
    return _client("backup")


def create_cloudformation_client() -> Any:
    """A CloudFormation client, for ``stack_state`` (a rollback, a final backup and a signal read their stack)."""
    return _client("cloudformation")


def create_events_client() -> Any:
    """An EventBridge client, for ``watches.eventbridge`` (the rule that watches a waited job)."""
    return _client("events")
