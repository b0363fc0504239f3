"""A stand-in for the boto3 module whose clients are built on first use.

crhelper imports boto3 at import time and builds three clients (lambda,
events, logs) in its constructor, which only its polling uses. boto3 costs a
cold start about 250 ms (it imports s3transfer); with this stand-in a request
that never polls never pays for it. The real boto3 is imported by the first
client call.
"""

from __future__ import annotations

import sys
import types
from contextlib import contextmanager
from typing import Any, Iterator


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
