"""The errors the local AWS Backup answers, each with AWS's HTTP status and error code.

Operations raise these; the HTTP server writes them as AWS's REST-JSON errors
(an ``x-amzn-ErrorType`` header and a JSON message), which botocore reads into
the same modeled exceptions it raises against AWS.
"""

from __future__ import annotations


class BackupApiError(Exception):
    """An error answered in AWS's format: HTTP status, error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def invalid(message: str) -> BackupApiError:
    return BackupApiError(400, "InvalidParameterValueException", message)


def missing(message: str) -> BackupApiError:
    return BackupApiError(400, "MissingParameterValueException", message)


def not_found(message: str) -> BackupApiError:
    return BackupApiError(400, "ResourceNotFoundException", message)


def invalid_request(message: str) -> BackupApiError:
    return BackupApiError(400, "InvalidRequestException", message)


def already_exists(message: str) -> BackupApiError:
    return BackupApiError(400, "AlreadyExistsException", message)


NOT_EMULATED = "NotEmulatedException"


def not_emulated(what: str) -> BackupApiError:
    """An operation (or a filter) AWS has and the emulator does not: 501 Not Implemented, which
    botocore neither retries nor mistakes for a modeled error, with a message naming it."""
    return BackupApiError(501, NOT_EMULATED, f"{what} is not emulated by cdk_backup_jobs.testing")
