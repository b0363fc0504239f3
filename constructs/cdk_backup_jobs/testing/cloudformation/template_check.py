"""The checks CreateStack and UpdateStack make of a template before they change anything.

CloudFormation validates a template when the call is made: a template it
cannot read is refused with a ``ValidationError`` ("Template format error:
..."), and the stack keeps its status, its template and its resources. The
simulator makes the same checks before an operation starts, so a bad
template never leaves a stack half-way (``*_IN_PROGRESS``).

- The Resources section is required and "must declare at least one resource"
  (User Guide, Working with CloudFormation templates:
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-guide.html).
- "Each resource must have a Type attribute" (User Guide, Resources syntax:
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resources-section-structure.html),
  one CloudFormation knows (``resource_schemas.check_resource_types``).
- The resources' dependencies have no cycle ("Circular dependency between resources").
- Every parameter has a value: given, or its Default ("Parameters: [X] must have values").

Nested stacks (``AWS::CloudFormation::Stack``, a CDK ``NestedStack``) are not
simulated: such a template is refused here, naming the resource, rather than
failing later on the nested stack's ``Outputs.X`` attributes. Deploy the nested
template as a simulated stack of its own.
"""

from __future__ import annotations

from typing import Any, Mapping

from cdk_backup_jobs.testing.cloudformation.resource_schemas import check_resource_types, check_types_given
from cdk_backup_jobs.testing.cloudformation.stack_operations import ValidationError
from cdk_backup_jobs.testing.cloudformation.template import TemplateError, creation_levels

__all__ = ["NESTED_STACK", "TemplateValidationError", "check_template"]

NESTED_STACK = "AWS::CloudFormation::Stack"


class TemplateValidationError(ValidationError, TemplateError):
    """CreateStack's or UpdateStack's ValidationError for a template it refuses (also a TemplateError)."""


def check_template(template: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    """Raise TemplateValidationError for a template CloudFormation would refuse; ``given``: the parameters passed."""
    resources = template.get("Resources")
    if not isinstance(resources, Mapping) or not resources:
        raise TemplateValidationError("Template format error: At least one Resources member must be defined.")
    try:
        check_types_given(resources)
    except TemplateError as error:
        raise TemplateValidationError(str(error)) from error
    nested = sorted(lid for lid, resource in resources.items() if resource["Type"] == NESTED_STACK)
    if nested:
        raise TemplateError(
            f"{', '.join(nested)}: nested stacks ({NESTED_STACK}) are not simulated by the CloudFormation "
            "simulator; deploy the nested template (a CDK NestedStack's is cdk.out/<id>.nested.template.json) "
            "as a simulated stack of its own, with the parameters the parent passes it")
    try:
        check_resource_types(template)
        creation_levels(resources)
    except TemplateError as error:
        message = str(error)
        raise TemplateValidationError(message if message.startswith("Template format error")
                                      else f"Template format error: {message}") from error
    missing = [name for name, spec in (template.get("Parameters") or {}).items()
               if name not in given and not (isinstance(spec, Mapping) and "Default" in spec)]
    if missing:
        raise TemplateValidationError(f"Parameters: [{', '.join(missing)}] must have values")
