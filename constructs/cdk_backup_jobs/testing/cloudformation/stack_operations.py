"""Stack operations: what one returns, which one a stack's status allows, and the error CloudFormation's API gives
for one it does not.

Each of deploy(), update() and delete() ends in one ``StackOperation``.

A stack exists from its CreateStack until its delete completes, whatever
happened in between. So CreateStack of a name in use fails with
``AlreadyExistsException`` ("The resource with the name requested already
exists", CloudFormation API Reference, CreateStack, Errors:
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html;
the message it carries is "Stack [NAME] already exists"), and that includes a
stack left in ROLLBACK_COMPLETE by a failed create: in that state "only a delete
operation can be performed" (CloudFormation User Guide, stack status codes).
UpdateStack of a stack that does not exist, or of one in a state that allows no
update, fails with a ``ValidationError``.

The simulator raises these before it starts anything, as the API refuses the
call: no resource is touched and no function is invoked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from cdk_backup_jobs.testing.cloudformation.requests import ResourceEvent
from cdk_backup_jobs.testing.cloudformation.wait_conditions import WaitConditionResult

NOT_CREATED = None
"""The status of a stack that was never created (DescribeStacks: does not exist)."""

UPDATABLE = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE",
                       "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"})
"""The stable states UpdateStack accepts (the last known stable states of RollbackStack's documentation)."""


@dataclass
class StackOperation:
    """The result of deploy(), update() or delete()."""

    status: str
    outputs: dict[str, Any] = field(default_factory=dict)
    events: list[ResourceEvent] = field(default_factory=list)
    reason: str = ""
    wait_conditions: list[WaitConditionResult] = field(default_factory=list)

    def events_for(self, logical_id: str) -> list[ResourceEvent]:
        return [e for e in self.events if e.logical_id == logical_id]


class CloudFormationError(Exception):
    """A stack operation that CloudFormation's API refuses; ``code`` is its error code."""

    code = "CloudFormationError"


class AlreadyExistsException(CloudFormationError):
    """CreateStack of a stack that exists: update it, or delete it first."""

    code = "AlreadyExistsException"


class ValidationError(CloudFormationError):
    """UpdateStack of a stack that does not exist, or whose status allows no update."""

    code = "ValidationError"


def exists(status: str | None) -> bool:
    return status is not NOT_CREATED and status != "DELETE_COMPLETE"


def check_create(stack_name: str, status: str | None) -> None:
    """Raise AlreadyExistsException, as CreateStack does, if the stack exists."""
    if not exists(status):
        return
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED"):
        fix = "its create failed and was rolled back: call delete() first, then deploy() again"
    elif status in UPDATABLE:
        fix = "to change it, call update() with the new template (or delete() it first)"
    else:
        fix = "call delete() first, then deploy() again"
    raise AlreadyExistsException(f"Stack [{stack_name}] already exists (status {status}); {fix}")


def check_update(stack_name: str, stack_id: str, status: str | None) -> None:
    """Raise ValidationError, as UpdateStack does, unless the stack exists in a state that can be updated."""
    if not exists(status):
        raise ValidationError(f"Stack [{stack_name}] does not exist; call deploy() to create it")
    if status not in UPDATABLE:
        raise ValidationError(f"Stack:{stack_id} is in {status} state and can not be updated."
                              + (" Call delete(), then deploy()." if status != "DELETE_FAILED"
                                 else " Call delete() again."))


def check_delete(stack_id: str, status: str | None, retain_resources: Sequence[str], resources: set[str]) -> None:
    """Raise ValidationError, as DeleteStack does, for RetainResources given to a stack not in DELETE_FAILED, or
    naming a resource the stack no longer has.

    RetainResources: "For stacks in the DELETE_FAILED state, a list of resource logical IDs that are
    associated with the resources you want to retain" (DeleteStack, CloudFormation API Reference:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeleteStack.html); users found
    that it is refused in any other state (rebuy-de/aws-nuke#244). A resource already deleted is refused
    with "The specified resources to retain must be in a valid state. Do not specify resources that are in
    the DELETE_COMPLETE state." (rebuy-de/aws-nuke#270). AWS documents neither message: do not rely on
    their text.
    """
    if isinstance(retain_resources, str):
        raise TypeError("retain_resources is a list of logical IDs, not one string")
    retained = list(retain_resources)
    if not retained:
        return
    if status != "DELETE_FAILED":
        raise ValidationError(f"Invalid operation on stack [{stack_id}]: RetainResources can be given only when "
                              f"the stack is in the DELETE_FAILED state; it is in {status}")
    gone = [logical_id for logical_id in retained if logical_id not in resources]
    if gone:
        raise ValidationError("The specified resources to retain must be in a valid state. Do not specify "
                              f"resources that are in the DELETE_COMPLETE state. ({', '.join(gone)})")
