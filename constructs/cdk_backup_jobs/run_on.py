"""When a job runs: once when the resource is created, on every deployment, or when a value changes."""

from __future__ import annotations

import uuid


class RunOn:
    """The job's trigger. A new run is a new job (a new physical ID); earlier
    recovery points are kept. The choice travels as the ``RunToken`` property:
    a change of it is a change of the resource, and so a new job.
    """

    def __init__(self, run_token: str | None, description: str, on_delete: bool = False) -> None:
        self.run_token = run_token
        self.description = description
        self.on_delete = on_delete

    @classmethod
    def create(cls) -> "RunOn":
        """Once, when the stack creates the resource (and again only if its job's properties change)."""
        return cls(None, "create")

    @classmethod
    def every_deployment(cls) -> "RunOn":
        """On every deployment: a new value is synthesized each time, like aws-cdk-lib's Trigger.

        The template therefore differs on every synth (``cdk diff`` always
        shows this resource as changed).
        """
        return cls(str(uuid.uuid4()), "every deployment")

    @classmethod
    def change_of(cls, value: str) -> "RunOn":
        """Whenever ``value`` changes, for example an application version (a token is fine)."""
        return cls(value, "change of a value")

    @classmethod
    def delete(cls) -> "RunOn":
        """A final backup: nothing on create or update; the job runs, waited, when the stack
        deletes the resource together with the resource it protects. BackupJob only (a CopyJob
        refuses it). Prefer ``BackupJob.final_backup``, which also orders the deletions."""
        return cls(None, "delete", on_delete=True)

    def __repr__(self) -> str:
        return f"RunOn({self.description})"
