"""A stack's parameters and outputs, as CloudFormation reads them.

Parameters without a value take their Default (none: TemplateError);
Outputs whose Condition holds are resolved once the resources are in place,
and an output's Export name becomes an export other stacks can import. An
output that cannot be resolved fails the operation, which rolls back.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Mapping

from cdk_backup_jobs.testing.cloudformation.intrinsics import Resolver
from cdk_backup_jobs.testing.cloudformation.template import TemplateError


def parameter_values(template: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The given parameters, and the template's Default for each of the others: each operation reads the
    Default of its own template (a changed Default takes effect on update). A Systems Manager parameter's
    value stands in for the parameter it names (an AMI ID for ``MachineImage.latest_amazon_linux2023()``);
    a list parameter's value is its list (``list_value``)."""
    values = dict(given)
    for name, spec in (template.get("Parameters") or {}).items():
        parameter_type = str(spec.get("Type", ""))
        if name not in given:
            if "Default" not in spec:
                raise TemplateError(f"Parameters: [{name}] must have values")
            values[name] = _ssm_value(parameter_type, spec["Default"])
        values[name] = list_value(parameter_type, values[name])
        _check_pattern(name, parameter_type, spec.get("AllowedPattern"), values[name])
    return values


def _check_pattern(name: str, parameter_type: str, pattern: Any, value: Any) -> None:
    """A parameter's ``AllowedPattern``: "When applied on a parameter of type String, the pattern must match
    the entire parameter value provided. When applied to a parameter of type CommaDelimitedList, the pattern
    must match each value in the list" (Parameters reference:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html).
    CloudFormation refuses the operation with "Parameter 'NAME' must match pattern PATTERN"
    (aws/aws-connected-device-framework#183)."""
    if not isinstance(pattern, str) or parameter_type not in ("String", "CommaDelimitedList"):
        return
    members = value if isinstance(value, list) else [value]
    if not all(re.fullmatch(pattern, str(member)) for member in members):
        raise TemplateError(f"Parameter '{name}' must match pattern {pattern}")


def list_value(parameter_type: str, value: Any) -> Any:
    """A ``CommaDelimitedList`` or ``List<...>`` parameter's value as its ``Ref`` gives it: a list of strings,
    "one more than the total number of commas" and "each member string is space trimmed", so "" is ``[""]``
    (Parameters reference, parameter types:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html;
    an empty list parameter is ``[""]``: https://github.com/aws-cloudformation/cfn-language-discussion/issues/102).
    A value given as a list is taken as that list; other types keep their value."""
    if parameter_type != "CommaDelimitedList" and not parameter_type.startswith("List<"):
        return value
    if isinstance(value, (list, tuple)):
        return [str(member) for member in value]
    return [member.strip() for member in str(value).split(",")]


def _ssm_value(parameter_type: str, default: Any) -> Any:
    """CloudFormation reads an ``AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>`` parameter's value from
    Parameter Store; offline, an image ID made from its name (other SSM types keep the name given)."""
    if parameter_type == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>":
        return f"ami-{hashlib.sha256(str(default).encode()).hexdigest()[:17]}"
    return default


def resolve_outputs(template: Mapping[str, Any], resolver: Resolver,
                    exports: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """(The outputs resolved so far, the error that stopped them or None); exports are recorded."""
    outputs: dict[str, Any] = {}
    for name, output in template.get("Outputs", {}).items():
        try:
            if "Condition" in output and not resolver.condition(output["Condition"]):
                continue
            outputs[name] = resolver.resolve(output["Value"])
        except TemplateError as error:
            return outputs, f"Output {name}: {error}"
        export = output.get("Export", {}).get("Name")
        if export:
            exports[resolver.resolve(export)] = outputs[name]
    return outputs, None
