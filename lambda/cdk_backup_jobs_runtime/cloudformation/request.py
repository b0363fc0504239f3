"""A typed view of CloudFormation's custom-resource request, and what we derive from it."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

RequestType = Literal["Create", "Update", "Delete"]

# Properties that CloudFormation (or the CDK) adds for its own use; they are
# not members of the AWS Backup API.
CLOUDFORMATION_PROPERTIES = frozenset({"ServiceToken", "ServiceTimeout"})


@dataclass(frozen=True)
class CustomResourceRequest:
    """The parts of a custom-resource event that the handler uses."""

    request_type: RequestType
    resource_type: str
    stack_id: str
    logical_resource_id: str
    request_id: str
    physical_resource_id: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    old_properties: Mapping[str, Any] | None = None
    response_url: str = field(default="", repr=False)
    """Where the answer goes (presigned: kept out of reprs and logs); a watch that answers later needs it."""

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> "CustomResourceRequest":
        return cls(
            request_type=event["RequestType"],
            resource_type=str(event.get("ResourceType", "")),
            stack_id=str(event["StackId"]),
            logical_resource_id=str(event["LogicalResourceId"]),
            request_id=str(event["RequestId"]),
            response_url=str(event.get("ResponseURL", "")),
            physical_resource_id=event.get("PhysicalResourceId"),
            properties=api_properties(event.get("ResourceProperties")),
            old_properties=(
                api_properties(event["OldResourceProperties"])
                if "OldResourceProperties" in event
                else None
            ),
        )

    @property
    def region(self) -> str | None:
        """The stack's Region, from its ARN (arn:partition:cloudformation:REGION:ACCOUNT:stack/...)."""
        return self._arn_part(3)

    @property
    def account(self) -> str | None:
        """The stack's account, from its ARN."""
        return self._arn_part(4)

    def _arn_part(self, index: int) -> str | None:
        parts = self.stack_id.split(":")
        return parts[index] or None if len(parts) > 5 and parts[0] == "arn" else None

    @property
    def stack_name(self) -> str:
        """The stack name from the stack ARN (arn:...:stack/NAME/ID)."""
        parts = self.stack_id.split("/")
        return parts[1] if len(parts) > 2 else self.stack_id


def api_properties(properties: Any) -> dict[str, Any]:
    """The resource properties that are API members (CloudFormation's own removed)."""
    if not isinstance(properties, Mapping):
        return {}
    return {k: v for k, v in properties.items() if k not in CLOUDFORMATION_PROPERTIES}


def derived_idempotency_token(request: CustomResourceRequest) -> str:
    """A deterministic IdempotencyToken for one request.

    The same request delivered twice (same stack, logical ID and RequestId)
    yields the same token, so AWS Backup returns the job it already started;
    another resource, or a later Update, yields another token and so another
    job. Shaped like the UUID that the SDKs generate when no token is given.
    """
    return _uuid_text("\n".join((request.stack_id, request.logical_resource_id, request.request_id)))


def retry_token(token: str, ended_job_id: str) -> str:
    """The token of a fresh job that replaces the job a repeated request's token handed back: one
    that ended unsuccessfully, or one that is not the job asked for.

    Derived from both, so a duplicate delivery of the same retry finds the same fresh job.
    """
    return _uuid_text(f"{token}\nretry-after\n{ended_job_id}")


def fresh_token() -> str:
    """A random token, for a Start call whose derived token AWS Backup refused.

    Random, not derived: if AWS refuses every token it has seen, a derived one
    would be refused again at the next delivery, which must not fail.
    """
    return _uuid_text(os.urandom(16).hex())


def _uuid_text(seed: str) -> str:
    digits = hashlib.sha256(seed.encode()).hexdigest()[:32]
    # uuid.UUID's text form, written out: importing uuid costs a cold start ~8 ms (it imports platform).
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
