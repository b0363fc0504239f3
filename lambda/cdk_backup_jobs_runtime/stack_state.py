"""What the provider reads of its own stack in CloudFormation: its status and its template's resources.

An Update asks whether the stack is rolling back (it then starts no job); a
final backup asks whether the resource it protects is really going. Either
read may fail (no permission, throttled): the caller then decides as if it
knew nothing, which for a final backup means backing up. A read denied while
the provider's new policy is not in effect is tried again first
(``iam_propagation``): a rollback seconds after the policy was created must
still be seen as one.
"""

from __future__ import annotations

from typing import Any

from cdk_backup_jobs_runtime import iam_propagation
from cdk_backup_jobs_runtime.template_body import parsed_template
from cdk_backup_jobs_runtime.structured_log import StructuredLogger

log = StructuredLogger()


def stack_status(client: Any, stack_id: str) -> str:
    """The stack's status, or "" if it cannot be read."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = iam_propagation.retrying("DescribeStacks", lambda: client.describe_stacks(StackName=stack_id))
        return str(answer["Stacks"][0]["StackStatus"])
    except (BotoCoreError, ClientError, KeyError, IndexError) as error:
        log.warning("Could not read the stack's status", reason=str(error)[:200])
        return ""


def stack_resources(client: Any, stack_id: str) -> dict[str, Any] | None:
    """The Resources of the stack's current template, or None if they cannot be read.

    A template written in YAML comes back as YAML text (``template_body``
    reads both); one that cannot be read at all gives None.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        template = iam_propagation.retrying("GetTemplate", lambda: client.get_template(StackName=stack_id))["TemplateBody"]
        resources = parsed_template(template).get("Resources", {})
    except (BotoCoreError, ClientError, KeyError, ValueError, AttributeError, TypeError) as error:
        log.warning("Could not read the stack's state; backing up to be safe", reason=str(error)[:200])
        return None
    return resources if isinstance(resources, dict) else None
