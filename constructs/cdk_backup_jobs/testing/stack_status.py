"""CloudFormation's stack errors (``AlreadyExistsException``, ``ValidationError``) and which operation a stack's
status allows: the public path the docs name; the simulator keeps them in ``cloudformation.stack_operations``."""

from cdk_backup_jobs.testing.cloudformation.stack_operations import (NOT_CREATED, UPDATABLE, AlreadyExistsException,
                                                                     CloudFormationError, ValidationError,
                                                                     check_create, check_delete, check_update, exists)

__all__ = ["NOT_CREATED", "UPDATABLE", "AlreadyExistsException", "CloudFormationError", "ValidationError",
           "check_create", "check_delete", "check_update", "exists"]
