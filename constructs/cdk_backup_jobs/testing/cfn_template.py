"""CloudFormation templates as the service reads them: loading, dependencies, intrinsics.

Enough of CloudFormation's template language for stacks of custom resources:
Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::ImportValue, Fn::Select, Fn::Split,
Fn::Base64 and the pseudo parameters, with YAML short forms (!Ref, !Sub, ...).
Resources other than custom resources get deterministic fake physical IDs and
ARNs, so whatever a custom resource depends on resolves to a realistic value.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Callable, Mapping

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"


class TemplateError(Exception):
    """The template cannot be resolved the way CloudFormation would resolve it."""


def load_template(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A template from a dict, a JSON or YAML file, or JSON/YAML text."""
    if isinstance(source, Mapping):
        copied: dict[str, Any] = json.loads(json.dumps(source))
        return copied
    is_file = isinstance(source, Path) or ("\n" not in source and Path(source).is_file())
    text = Path(source).read_text() if is_file else str(source)
    try:
        loaded = json.loads(text)
    except ValueError:
        loaded = _load_yaml(text)
    if not isinstance(loaded, dict) or "Resources" not in loaded:
        raise TemplateError("A template needs a Resources section")
    return loaded


def _load_yaml(text: str) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def short_form(tag: str) -> Callable[[Any, Any], Any]:
        name = tag if tag == "Ref" else f"Fn::{tag}"

        def construct(loader: Any, node: Any) -> Any:
            if isinstance(node, yaml.ScalarNode):
                value: Any = loader.construct_scalar(node)
                if tag == "GetAtt":
                    value = value.split(".", 1)
            elif isinstance(node, yaml.SequenceNode):
                value = loader.construct_sequence(node, deep=True)
            else:
                value = loader.construct_mapping(node, deep=True)
            return {name: value}

        return construct

    for tag in ("Ref", "GetAtt", "Join", "Sub", "ImportValue", "Select", "Split", "Base64",
                "If", "Equals", "Not", "And", "Or", "FindInMap", "GetAZs", "Condition"):
        Loader.add_constructor(f"!{tag}", short_form(tag))
    return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass


def is_custom_resource(resource: Mapping[str, Any]) -> bool:
    kind = str(resource.get("Type", ""))
    return kind.startswith("Custom::") or kind == "AWS::CloudFormation::CustomResource"


def dependencies(resource: Mapping[str, Any], logical_ids: set[str]) -> set[str]:
    """The resources this one waits for: DependsOn, Ref, Fn::GetAtt and Fn::Sub references."""
    depends_on = resource.get("DependsOn", [])
    found = set([depends_on] if isinstance(depends_on, str) else depends_on)

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "Ref" and isinstance(item, str):
                    found.add(item)
                elif key == "Fn::GetAtt":
                    target = item.split(".", 1)[0] if isinstance(item, str) else item[0]
                    found.add(target)
                elif key == "Fn::Sub":
                    text = item if isinstance(item, str) else item[0]
                    found.update(m.split(".", 1)[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text))
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(resource.get("Properties", {}))
    return found & logical_ids


def creation_levels(resources: Mapping[str, Any]) -> list[list[str]]:
    """Resources in waves: each wave depends only on earlier waves (CloudFormation's order)."""
    logical_ids = set(resources)
    waiting = {lid: dependencies(resources[lid], logical_ids) for lid in resources}
    levels: list[list[str]] = []
    done: set[str] = set()
    while waiting:
        ready = sorted(lid for lid, deps in waiting.items() if deps <= done)
        if not ready:
            raise TemplateError(f"Circular dependency between resources: {sorted(waiting)}")
        levels.append(ready)
        done.update(ready)
        for lid in ready:
            del waiting[lid]
    return levels


class Resolver:
    """Resolves intrinsic functions against a stack's current state."""

    def __init__(self, stack_name: str, stack_id: str, parameters: Mapping[str, str],
                 exports: Mapping[str, str], physical_ids: Mapping[str, str],
                 attributes: Mapping[str, Mapping[str, Any]]) -> None:
        self.parameters = parameters
        self.exports = exports
        self.physical_ids = physical_ids
        self.attributes = attributes
        self.pseudo = {
            "AWS::Region": REGION, "AWS::AccountId": ACCOUNT_ID, "AWS::Partition": PARTITION,
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
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] in self.attributes:
                return str(self.get_att(name))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def import_value(self, argument: Any) -> Any:
        name = self.resolve(argument)
        if name not in self.exports:
            raise TemplateError(f"No export named {name} found")
        return self.exports[name]


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": lambda r, a: r.ref(a),
    "Fn::GetAtt": lambda r, a: r.get_att(a),
    "Fn::Join": lambda r, a: str(a[0]).join(str(v) for v in r.resolve(a[1])),
    "Fn::Sub": lambda r, a: r.sub(a),
    "Fn::ImportValue": lambda r, a: r.import_value(a),
    "Fn::Select": lambda r, a: r.resolve(a[1])[int(r.resolve(a[0]))],
    "Fn::Split": lambda r, a: str(r.resolve(a[1])).split(a[0]),
    "Fn::Base64": lambda r, a: base64.b64encode(str(r.resolve(a)).encode()).decode(),
    "Fn::GetAZs": lambda r, a: [f"{REGION}a", f"{REGION}b", f"{REGION}c"],
}


def cfn_strings(value: Any) -> Any:
    """Properties as a custom resource receives them: every scalar a string."""
    if isinstance(value, dict):
        return {k: cfn_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [cfn_strings(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def fake_resource(stack_name: str, logical_id: str, resource_type: str,
                  properties: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A deterministic physical ID and attributes for a resource we do not emulate."""
    suffix = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).hexdigest()[:12].upper()
    name = f"{stack_name}-{logical_id}-{suffix}"[:64]
    service = resource_type.split("::")[1].lower() if resource_type.count("::") == 2 else "resource"
    prefix = f"arn:{PARTITION}"
    if resource_type == "AWS::Backup::BackupVault":
        vault = str(properties.get("BackupVaultName") or f"{logical_id}{suffix}"[:50])
        arn = f"{prefix}:backup:{REGION}:{ACCOUNT_ID}:backup-vault:{vault}"
        return vault, {"BackupVaultName": vault, "BackupVaultArn": arn}
    if resource_type == "AWS::IAM::Role":
        role = str(properties.get("RoleName") or name)
        return role, {"Arn": f"{prefix}:iam::{ACCOUNT_ID}:role/{role}", "RoleId": f"AROA{suffix}"}
    if resource_type == "AWS::DynamoDB::Table":
        table = str(properties.get("TableName") or name)
        arn = f"{prefix}:dynamodb:{REGION}:{ACCOUNT_ID}:table/{table}"
        return table, {"Arn": arn, "StreamArn": f"{arn}/stream/2026-01-01T00:00:00.000"}
    if resource_type == "AWS::Lambda::Function":
        function = str(properties.get("FunctionName") or name)
        return function, {"Arn": f"{prefix}:lambda:{REGION}:{ACCOUNT_ID}:function:{function}"}
    if resource_type == "AWS::Logs::LogGroup":
        group = str(properties.get("LogGroupName") or f"/aws/{name}")
        return group, {"Arn": f"{prefix}:logs:{REGION}:{ACCOUNT_ID}:log-group:{group}:*"}
    arn = f"{prefix}:{service}:{REGION}:{ACCOUNT_ID}:{resource_type.split('::')[-1].lower()}/{name}"
    return name, {"Arn": arn}
