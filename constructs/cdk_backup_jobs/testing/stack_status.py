"""Which operation a stack's status allows, and the error CloudFormation's API gives for one it does not.

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

NOT_CREATED = None
"""The status of a stack that was never created (DescribeStacks: does not exist)."""

UPDATABLE = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE",
                       "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"})
"""The stable states UpdateStack accepts (the last known stable states of RollbackStack's documentation)."""


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
