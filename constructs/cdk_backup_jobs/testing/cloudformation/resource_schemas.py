"""CloudFormation's registry schemas, as cfn-lint ships them: which resource types exist, what their
``Ref`` is made of, and which ``Fn::GetAtt`` attributes each has.

cfn-lint bundles the registry schema of every resource type CloudFormation
publishes (``primaryIdentifier``, ``readOnlyProperties``, property types,
patterns and cfn-lint's own formats such as ``AWS::EC2::SecurityGroup.Id``),
and computes from them the attributes ``Fn::GetAtt`` accepts. Reading them
from cfn-lint, rather than writing tables, keeps the simulator in step with
CloudFormation as cfn-lint is updated. cfn-lint is a dependency of the
``testing`` extra only; the construct library never imports it, and this
module imports it on first use.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import Any, Mapping

from cdk_backup_jobs.testing.cloudformation.template import TemplateError, is_custom_resource
from cdk_backup_jobs.testing.shared.account import current_place

__all__ = ["AttributeShape", "ResourceSchema", "check_resource_types", "check_types_given", "known_type_count", "schema_of"]


@dataclass(frozen=True)
class AttributeShape:
    """One ``Fn::GetAtt`` attribute: its name (``Endpoint.Address``) and what its schema says of its value."""

    name: str
    json_type: str  # "string", "integer", "boolean", "number", "array" or "object"
    format: str | None  # cfn-lint's format, e.g. "AWS::EC2::VPC.Id"
    read_only: bool  # made by the service; otherwise it echoes the property the template set

    @property
    def leaf(self) -> str:
        """The last part of the name: ``Address`` of ``Endpoint.Address``."""
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class ResourceSchema:
    """What the simulator needs of one type's registry schema."""

    type_name: str
    primary_identifier: tuple[str, ...]  # attribute-style names: ("PublicIp", "AllocationId")
    attributes: Mapping[str, AttributeShape]

    def shape(self, name: str) -> AttributeShape:
        """The shape of a property or attribute, whether or not ``Fn::GetAtt`` can read it."""
        found = self.attributes.get(name)
        return found if found is not None else _shape_in(_raw_schema(self.type_name, _cfn_lint_region()), name)


def schema_of(resource_type: str) -> ResourceSchema:
    """The registry schema of ``resource_type``; a type CloudFormation does not know is a TemplateError."""
    return _schema_of(resource_type, _cfn_lint_region())


def check_resource_types(template: Mapping[str, Any]) -> None:
    """Refuse a template with types CloudFormation does not know, before anything starts, as CreateStack
    and UpdateStack do ("Template format error: Unrecognized resource types: [...]")."""
    resources = template.get("Resources") or {}
    check_types_given(resources)  # not "Unrecognized resource types: []"
    types = {str(resource["Type"]) for resource in resources.values()}
    region = _cfn_lint_region()
    unknown = sorted(t for t in types if not is_custom_resource({"Type": t}) and not _is_registry_type(t, region))
    if unknown:
        raise TemplateError(f"Template format error: Unrecognized resource types: [{', '.join(unknown)}]")


def check_types_given(resources: Mapping[str, Any]) -> None:
    """Refuse a resource without a Type, naming the first (by logical ID), as CloudFormation does."""
    untyped = sorted(lid for lid, r in resources.items()
                     if not isinstance(r, Mapping) or not isinstance(r.get("Type"), str) or not r["Type"])
    if untyped:
        raise TemplateError(f"Template format error: [/Resources/{untyped[0]}] "
                            "Every Resources object must contain a Type member.")


def known_type_count() -> int:
    """How many resource types the schemas describe (in the simulated Region)."""
    return len(_schema_manager().get_resource_types(_cfn_lint_region()))


@functools.lru_cache(maxsize=None)
def _schema_of(resource_type: str, region: str) -> ResourceSchema:
    raw = _raw_schema(resource_type, region)
    names = list(_schema_manager().get_resource_schema(region, resource_type).get_atts)
    read_only = {_name_of(pointer) for pointer in raw.get("readOnlyProperties", [])}
    attributes = {name: _shape_in(raw, name, name in read_only) for name in names if "*" not in name}
    identifier = tuple(_name_of(pointer) for pointer in raw.get("primaryIdentifier", []))
    return ResourceSchema(resource_type, identifier, attributes)


@functools.lru_cache(maxsize=None)
def _raw_schema(resource_type: str, region: str) -> dict[str, Any]:
    if resource_type.startswith("Custom::") or "::" not in resource_type:
        raise TemplateError(f"{resource_type} is a custom resource type, not a registry type")
    try:
        schema = _schema_manager().get_resource_schema(region, resource_type)
    except Exception as error:  # cfn-lint's ResourceNotFoundError, whose module is private
        raise TemplateError(
            f"Unrecognized resource type {resource_type}: CloudFormation's registry schemas "
            f"(as cfn-lint ships them) have no such type in {region}") from error
    raw: dict[str, Any] = schema.schema
    return raw


def _is_registry_type(resource_type: str, region: str) -> bool:
    try:
        _raw_schema(resource_type, region)
    except TemplateError:
        return False
    return True


def _schema_manager() -> Any:
    """cfn-lint's schema manager, imported on first use (cfn-lint ships no type hints)."""
    return importlib.import_module("cfnlint.schema").PROVIDER_SCHEMA_MANAGER


def _cfn_lint_region() -> str:
    """The Region of the stack being worked on: cfn-lint's schemas are per Region."""
    return current_place().region


def _name_of(pointer: str) -> str:
    """``/properties/Endpoint/Address`` -> ``Endpoint.Address``."""
    return ".".join(pointer.split("/")[2:])


def _shape_in(raw: Mapping[str, Any], name: str, read_only: bool = False) -> AttributeShape:
    """Follow ``name`` through the schema's properties (and ``$ref``s) to the shape of its value."""
    node: Mapping[str, Any] = {"properties": raw.get("properties", {})}
    for part in name.split("."):
        node = _dereferenced(raw, node)
        node = node.get("properties", {}).get(part, {}) if part != "*" else node.get("items", {})
    node = _dereferenced(raw, node)
    formats = [node.get("format")] + [option.get("format") for option in node.get("anyOf", [])]
    json_type = node.get("type", "object" if "properties" in node else "string")
    if isinstance(json_type, list):
        json_type = json_type[0]
    return AttributeShape(name, str(json_type), next((f for f in formats if f), None), read_only)


def _dereferenced(raw: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """A node with its local ``$ref`` (``#/definitions/X``) followed, as the registry schemas use them."""
    seen = 0
    while "$ref" in node and str(node["$ref"]).startswith("#/") and seen < 16:
        target: Any = raw
        for key in str(node["$ref"])[2:].split("/"):
            target = target.get(key, {}) if isinstance(target, Mapping) else {}
        node, seen = target, seen + 1
    return node
