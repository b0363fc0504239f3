"""CloudFormation's intrinsic functions, resolved against a stack's current state.

Enough of CloudFormation's template language for stacks of custom resources:
Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::ImportValue, Fn::Select, Fn::Split,
Fn::Base64, Fn::GetAZs, Fn::FindInMap (Mappings), Fn::If and the condition
functions (Conditions, a resource's Condition) and the pseudo parameters. Any
other Fn:: raises TemplateError rather than reaching a provider unresolved.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Callable, Mapping

from cdk_backup_jobs.testing.cloudformation.template import PARTITION, TemplateError, cfn_strings
from cdk_backup_jobs.testing.shared.account import current_place

__all__ = ["Resolver", "TypedAttributes", "active_resources", "text_of"]


class TypedAttributes(dict[str, Any]):
    """An ordinary resource's attributes: one it lacks is not in its type's schema, rather than
    missing from a custom resource's response."""

    def __init__(self, resource_type: str, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.resource_type = resource_type


class Resolver:
    """Resolves intrinsic functions against a stack's current state."""

    def __init__(self, stack_name: str, stack_id: str, parameters: Mapping[str, Any],
                 exports: Mapping[str, str], physical_ids: Mapping[str, str],
                 attributes: Mapping[str, Mapping[str, Any]], *, conditions: Mapping[str, Any] | None = None,
                 mappings: Mapping[str, Any] | None = None) -> None:
        self.parameters = parameters
        self.exports = exports
        self.physical_ids = physical_ids
        self.attributes = attributes
        self.conditions = conditions or {}
        self.mappings = mappings or {}
        self._truths: dict[str, bool | None] = {}  # None while being evaluated: a cycle
        place = current_place()  # the stack's account and Region
        self.pseudo = {
            "AWS::Region": place.region, "AWS::AccountId": place.account_id, "AWS::Partition": PARTITION,
            "AWS::StackName": stack_name, "AWS::StackId": stack_id, "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self.resolve(item) for item in value) if v is not None]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(key, argument)] = value.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument)
            if key.startswith("Fn::"):  # passing it through would hand the provider a dict it never gets
                raise TemplateError(f"{key} is not supported by the CloudFormation simulator")
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not None}

    def ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical_ids:
            return self.physical_ids[name]
        raise TemplateError(f"Unresolved Ref {name}")

    def get_att(self, argument: Any) -> Any:
        logical, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
        attribute = self.resolve(attribute)
        values = self.attributes.get(logical)
        if values is None:
            raise TemplateError(f"Fn::GetAtt of {logical}, which does not exist (yet)")
        if attribute not in values and isinstance(values, TypedAttributes):
            raise TemplateError(
                f"Template error: resource {logical} ({values.resource_type}) does not support attribute "
                f"type {attribute} in Fn::GetAtt (its registry schema lists {', '.join(sorted(values)) or 'none'})")
        if attribute not in values:
            raise TemplateError(
                f"CustomResource attribute error: Vendor response doesn't contain {attribute} "
                f"key in object {logical}")
        return values[attribute]

    def sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {k: self.resolve(v) for k, v in variables.items()}

        def replace(found: re.Match[str]) -> str:
            name = found.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return text_of(variables[name])
            if "." in name and name.split(".", 1)[0] in self.attributes:
                return text_of(self.get_att(name))
            return text_of(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def import_value(self, argument: Any) -> Any:
        name = self.resolve(argument)
        if name not in self.exports:
            raise TemplateError(f"No export named {name} found")
        return self.exports[name]

    # --- conditions and mappings ------------------------------------------------

    def condition(self, name: Any) -> bool:
        """A named condition of the template's Conditions section, evaluated once."""
        if not isinstance(name, str) or name not in self.conditions:
            raise TemplateError(f"Unresolved Condition {name}")
        if name in self._truths:
            truth = self._truths[name]
            if truth is None:
                raise TemplateError(f"Circular dependency between conditions at {name}")
            return truth
        self._truths[name] = None
        truth = self._truths[name] = self.truth(self.conditions[name])
        return truth

    def truth(self, expression: Any) -> bool:
        """A condition function's value; ``{"Condition": name}`` names another condition."""
        if isinstance(expression, dict) and list(expression) == ["Condition"]:
            return self.condition(expression["Condition"])
        value = self.resolve(expression)
        if not isinstance(value, bool):
            raise TemplateError(f"{json.dumps(expression)} is not a condition")
        return value

    def if_(self, argument: Any) -> Any:
        name, if_true, if_false = _arguments("Fn::If", argument, 3)
        return self.resolve(if_true if self.condition(name) else if_false)

    def equals(self, argument: Any) -> bool:
        left, right = (self.resolve(v) for v in _arguments("Fn::Equals", argument, 2))
        return bool(_comparable(left) == _comparable(right))

    def logical(self, function: str, argument: Any) -> bool:
        """Fn::Not (one condition), Fn::And and Fn::Or (2 to 10 conditions)."""
        if function == "Fn::Not":
            return not self.truth(_arguments(function, argument, 1)[0])
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise TemplateError(f"{function} takes a list of 2 to 10 conditions")
        truths = [self.truth(item) for item in argument]
        return all(truths) if function == "Fn::And" else any(truths)

    def find_in_map(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise TemplateError("Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]")
        names = [text_of(self.resolve(v)) for v in argument[:3]]
        found: Any = self.mappings
        for key in names:
            if not isinstance(found, dict) or key not in found:
                if len(argument) == 4 and isinstance(argument[3], dict) and "DefaultValue" in argument[3]:
                    return self.resolve(argument[3]["DefaultValue"])
                raise TemplateError(f"Fn::FindInMap: no {'/'.join(names)} in Mappings")
            found = found[key]
        return found

    # --- lists and strings ------------------------------------------------------

    def join(self, argument: Any) -> str:
        delimiter, values = _arguments("Fn::Join", argument, 2)
        values = self.resolve(values)
        if not isinstance(values, list):
            raise TemplateError("Fn::Join needs a list of values")
        return text_of(self.resolve(delimiter)).join(text_of(v) for v in values)

    def select(self, argument: Any) -> Any:
        index, values = _arguments("Fn::Select", argument, 2)
        values = self.resolve(values)
        try:
            position = int(self.resolve(index))
        except (TypeError, ValueError):
            raise TemplateError(f"Fn::Select index {index!r} is not a number") from None
        if not isinstance(values, list) or not 0 <= position < len(values):
            raise TemplateError(f"Fn::Select index {position} is out of range")
        return values[position]

    def split(self, argument: Any) -> list[str]:
        delimiter, source = _arguments("Fn::Split", argument, 2)
        return text_of(self.resolve(source)).split(text_of(self.resolve(delimiter)))


def _arguments(function: str, argument: Any, count: int) -> list[Any]:
    if not isinstance(argument, list) or len(argument) != count:
        raise TemplateError(f"{function} takes a list of {count} values")
    return argument


def text_of(value: Any) -> str:
    """A value as CloudFormation writes it into a string: booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        raise TemplateError(f"{json.dumps(value)} is not a string")
    return str(value)


def _comparable(value: Any) -> Any:
    """Fn::Equals compares the strings CloudFormation sees: 5 equals "5", true equals "true"."""
    return cfn_strings(value)


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": lambda r, a: r.ref(a),
    "Fn::GetAtt": lambda r, a: r.get_att(a),
    "Fn::Join": lambda r, a: r.join(a),
    "Fn::Sub": lambda r, a: r.sub(a),
    "Fn::ImportValue": lambda r, a: r.import_value(a),
    "Fn::Select": lambda r, a: r.select(a),
    "Fn::Split": lambda r, a: r.split(a),
    "Fn::Base64": lambda r, a: base64.b64encode(text_of(r.resolve(a)).encode()).decode(),
    "Fn::GetAZs": lambda r, a: [f"{r.pseudo['AWS::Region']}{zone}" for zone in "abc"],
    "Fn::FindInMap": lambda r, a: r.find_in_map(a),
    "Fn::If": lambda r, a: r.if_(a),
    "Fn::Equals": lambda r, a: r.equals(a),
    "Fn::Not": lambda r, a: r.logical("Fn::Not", a),
    "Fn::And": lambda r, a: r.logical("Fn::And", a),
    "Fn::Or": lambda r, a: r.logical("Fn::Or", a),
}


def active_resources(template: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
    """The resources CloudFormation creates: those without a Condition or whose Condition holds."""
    resources: Mapping[str, Any] = template["Resources"]
    return {lid: r for lid, r in resources.items() if "Condition" not in r or resolver.condition(r["Condition"])}
