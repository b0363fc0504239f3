"""Structured JSON logs, one object per line, with per-request keys.

Only what the provider chooses to log is written: member names, job IDs,
vault names and ARNs. Whole events, presigned ResponseURLs and tag values are
never passed in, so they never reach CloudWatch.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

LOGGER_NAME = "cdk_backup_jobs"
_request_keys: dict[str, Any] = {}  # shared by every StructuredLogger: one request at a time


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON with the keys attached by StructuredLogger."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "level": record.levelname,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "service": LOGGER_NAME,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is now (Lambda's, or a test's capture)."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class StructuredLogger:
    """A small Powertools-style logger: ``log.info("message", key=value)``."""

    def __init__(self, name: str = LOGGER_NAME) -> None:
        self._logger = logging.getLogger(name)
        if not self._logger.handlers:
            handler = _StdoutHandler()
            handler.setFormatter(JsonFormatter())
            self._logger.addHandler(handler)
        # Our records go to our handler only: the root logger (which crhelper
        # reconfigures on every invocation) never sees them twice.
        self._logger.propagate = False
        level = logging.getLevelName(os.environ.get("LOG_LEVEL", "INFO").upper())
        self._logger.setLevel(level if isinstance(level, int) else logging.INFO)

    def set_keys(self, **keys: Any) -> None:
        """Replace the keys added to every line (one request's context)."""
        _request_keys.clear()
        _request_keys.update(keys)

    def info(self, message: str, **fields: Any) -> None:
        self._log(logging.INFO, message, fields)

    def warning(self, message: str, **fields: Any) -> None:
        self._log(logging.WARNING, message, fields)

    def error(self, message: str, exc_info: bool = False, **fields: Any) -> None:
        self._log(logging.ERROR, message, fields, exc_info)

    def _log(self, level: int, message: str, fields: dict[str, Any], exc_info: bool = False) -> None:
        self._logger.log(level, message, extra={"fields": {**_request_keys, **fields}}, exc_info=exc_info)
