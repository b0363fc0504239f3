"""What must never reach a log or a FAILED reason: URLs (a presigned ResponseURL is a credential).

Also keeps a failure the provider raised on purpose from being logged twice:
the provider logs it once, as a reason; crhelper would log it again with a
stack trace.
"""

from __future__ import annotations

import logging
import re

URL = re.compile(r"https?://[^\s'\"<>]+")


def redact(text: str) -> str:
    """URLs out: a presigned ResponseURL is a credential."""
    return URL.sub("<url>", text)


class RedactUrls(logging.Filter):
    """Redacts URLs from a logger's records, message and traceback alike."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class DropExpected(logging.Filter):
    """Drops records for the exceptions the provider raises on purpose (it logs those itself)."""

    def __init__(self, expected: tuple[type[Exception], ...]) -> None:
        super().__init__()
        self.expected = expected

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (self.expected and isinstance(error, self.expected))
