"""Accounts and Regions as values: where a simulated service's state lives, and whose a request is.

Every simulated service keeps its state per ``Place`` (an account ID and a
Region), as moto keeps each service's back end per account and Region in one
process. A request's place comes from its signature, as AWS reads it: the
account from the caller's access key, the Region from the SigV4 credential
scope (``Credential=AKID/DATE/REGION/SERVICE/aws4_request``, "Authentication
methods", IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/aws-signing-authentication-methods.html).
An access key names its account when it was issued for one here
(``register_access_key``: a simulated function's role session, or an
account's own key, ``account_access_key``); any other key (a test's dummy
credentials) is the default account, in the default Region, whatever Region
it signs for. So does moto: "By default, Moto processes all requests in a
default account: 123456789012. The exact credentials provided are usually
ignored", and requests signed with credentials that STS issued for another
account are that account's (moto's "Multi-Account support",
http://docs.getmoto.org/en/latest/docs/multi_account.html).

The default place is AWS's documentation examples' account in us-east-1, or
``CDK_BACKUP_JOBS_ACCOUNT_ID`` / ``CDK_BACKUP_JOBS_REGION`` when set: read
when a service is built (``default_place``), never at import.

Code that works for one stack (the CloudFormation simulator's resources,
intrinsics and fake ARNs) reads the place of the stack it works for with
``current_place``, which the simulator sets for its operations (``in_place``).
"""

from __future__ import annotations

import contextvars
import hashlib
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

ACCOUNT_ID_VARIABLE = "CDK_BACKUP_JOBS_ACCOUNT_ID"
REGION_VARIABLE = "CDK_BACKUP_JOBS_REGION"
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
# The credential scope of a SigV4 Authorization header: access key ID, date, Region, service.
CREDENTIAL_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/[^/,\s]+/aws4_request")


@dataclass(frozen=True)
class Place:
    """An account and a Region: the key of every simulated service's state."""

    account_id: str
    region: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{12}", self.account_id):
            raise ValueError(f"{self.account_id!r} is not an AWS account ID (12 digits)")
        if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", self.region):
            raise ValueError(f"{self.region!r} is not an AWS Region name such as eu-west-1")


def default_place() -> Place:
    """The default account and Region, read from the environment now (``CDK_BACKUP_JOBS_*``)."""
    return Place(os.environ.get(ACCOUNT_ID_VARIABLE) or DEFAULT_ACCOUNT_ID,
                 os.environ.get(REGION_VARIABLE) or DEFAULT_REGION)


_current: contextvars.ContextVar[Place | None] = contextvars.ContextVar("simulated_place", default=None)


def current_place() -> Place:
    """The place the code running now works for (``in_place``), else the default one."""
    return _current.get() or default_place()


@contextmanager
def in_place(place: Place) -> Iterator[Place]:
    """Work for ``place`` in this thread (and what it runs with ``contextvars.copy_context``) for the block."""
    token = _current.set(place)
    try:
        yield place
    finally:
        _current.reset(token)


class AccessKeys:
    """Which account each access key issued here belongs to (thread-safe)."""

    def __init__(self) -> None:
        self._accounts: dict[str, str] = {}
        self._lock = threading.Lock()

    def register(self, access_key: str, account_id: str) -> str:
        with self._lock:
            self._accounts[access_key] = account_id
        return access_key

    def account_of(self, access_key: str | None) -> str | None:
        with self._lock:
            return self._accounts.get(access_key or "")


ACCESS_KEYS = AccessKeys()
"""The process's issued keys, as AWS's own: a key names one account wherever it is used."""


def register_access_key(access_key: str, account_id: str) -> str:
    """``access_key`` signs for ``account_id`` from now on; returns the key."""
    return ACCESS_KEYS.register(access_key, account_id)


def account_access_key(account_id: str) -> str:
    """A long-term access key of ``account_id`` (AKIA...), registered: what a caller of that account signs with."""
    key = "AKIA" + hashlib.sha256(f"account:{account_id}".encode()).hexdigest()[:16].upper()
    return register_access_key(key, account_id)


def place_of_request(authorization: str | None, default: Place) -> Place:
    """Whose a request is: its key's account in its credential scope's Region, or ``default`` for a key not
    issued here (or an unsigned request)."""
    found = CREDENTIAL_SCOPE.search(authorization or "")
    account = ACCESS_KEYS.account_of(found.group(1)) if found else None
    if found is None or account is None:
        return default
    return Place(account, found.group(2))
