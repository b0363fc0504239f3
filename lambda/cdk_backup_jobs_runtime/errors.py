"""The provider's failures: one base error, one subclass per kind, each message a FAILED reason a user can act on."""

from __future__ import annotations


class ProviderError(Exception):
    """A request the provider cannot carry out; the message becomes the FAILED reason."""

    physical_resource_id: str | None = None


class UnsupportedResourceType(ProviderError):
    """The event names a resource type this provider does not handle."""


class InvalidProperties(ProviderError):
    """The resource properties break the rules; no job was started."""


class BackupServiceError(ProviderError):
    """AWS Backup refused or could not answer the call.

    ``service_time`` is when, on AWS's clock, if AWS answered; None if it did
    not (a dropped connection): the function's own clock is no measure of a
    deadline. ``transient``: throttled, a server error or no answer, worth
    another try once botocore's own attempts ran out. ``code``: AWS's error
    code, when AWS answered one.
    """

    def __init__(self, message: str, service_time: float | None = None, transient: bool = False,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.service_time = service_time
        self.transient = transient
        self.code = code


class JobNotAskedFor(ProviderError):
    """AWS Backup answered a Start call with a job that is not the one the call asked for
    (another resource or vault, or created too early); it is never adopted."""


class JobDidNotComplete(ProviderError):
    """A waited job ended other than COMPLETED, or outlasted its wait; the physical ID is the job.

    ``summary`` says how, without the job's ID (``ended FAILED: <message>``,
    ``timed out: RUNNING, 42.0% done``), for where space is short: a
    WaitCondition FAILURE signal's 64-character UniqueId.
    """

    def __init__(self, message: str, job_id: str, summary: str = "", unfinished: bool = False) -> None:
        super().__init__(message)
        self.physical_resource_id = job_id
        self.summary = summary or message
        self.unfinished = unfinished
        """The job may still complete: the wait ran out, not the job."""
