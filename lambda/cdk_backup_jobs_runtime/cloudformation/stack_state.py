"""What the provider reads of its own stack in CloudFormation: its status and its template's resources.

An Update asks whether the stack is rolling back (it then starts no job); a
final backup asks whether the resource it protects is really going. Either
read may fail (no permission, throttled): the caller then decides as if it
knew nothing, which for a final backup means backing up. A read denied while
the provider's new policy is not in effect is tried again first
(``iam_propagation``): a rollback seconds after the policy was created must
still be seen as one.

The template as GetTemplate answers it: JSON, or YAML with CloudFormation's short forms.

GetTemplate answers with the template as it was given ("CloudFormation
returns the same template that was used when the stack was created":
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetTemplate.html).
botocore turns a JSON body into a dict; a YAML body stays text, which
PyYAML reads (bundled in the asset as its pure-Python sources: the Lambda
runtime has no YAML library). Each short form (``!Ref Vault``,
``!GetAtt Role.Arn``, ``!Sub ...``) becomes its full form (``{"Ref":
"Vault"}``...), as the Template Reference's intrinsic function pages give
both ("Fn::GetAtt": the short form's ``logicalNameOfResource.attributeName``):
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html.

Written apart from the testing tools' own template loader on purpose: the
simulator is an independent stand-in for CloudFormation.
"""

from __future__ import annotations

import json
from typing import Any

from cdk_backup_jobs_runtime.aws import iam_propagation
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

    A template written in YAML comes back as YAML text (``parsed_template``
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


SHORT_FORMS = ("Ref", "Condition", "GetAtt", "Base64", "Cidr", "FindInMap", "GetAZs", "ImportValue", "Join",
               "Length", "Select", "Split", "Sub", "ToJsonString", "Transform", "And", "Equals", "If", "Not", "Or")
"""The functions a YAML template may write as ``!Name`` (``Ref`` and ``Condition`` keep their names)."""


def parsed_template(body: Any) -> dict[str, Any]:
    """The template GetTemplate's ``TemplateBody`` holds, as a dict; ``ValueError`` if it is neither."""
    if isinstance(body, dict):
        return body
    if not isinstance(body, str):
        raise ValueError(f"a TemplateBody is a document or text, got {type(body).__name__}")
    try:
        loaded = json.loads(body)
    except ValueError:
        loaded = _yaml(body)
    if not isinstance(loaded, dict):
        raise ValueError("the TemplateBody is not a template (no mapping at its top)")
    return loaded


def _yaml(text: str) -> Any:
    import yaml  # only for a YAML template: it costs the import on no other invocation

    class Loader(yaml.SafeLoader):
        """YAML 1.1 as PyYAML's safe loader reads it, with CloudFormation's short forms."""

    def full_form(name: str) -> Any:
        key = name if name in ("Ref", "Condition") else f"Fn::{name}"

        def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
            value: Any
            if isinstance(node, yaml.ScalarNode):
                value = loader.construct_scalar(node)
                if name == "GetAtt":
                    value = str(value).split(".", 1)
            elif isinstance(node, yaml.SequenceNode):
                value = loader.construct_sequence(node, deep=True)
            else:
                value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
            return {key: value}

        return construct

    for name in SHORT_FORMS:
        Loader.add_constructor(f"!{name}", full_form(name))
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise ValueError(f"the TemplateBody is neither JSON nor YAML: {str(error)[:200]}") from None
