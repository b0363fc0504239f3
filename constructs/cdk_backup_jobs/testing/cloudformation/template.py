"""CloudFormation templates as the service reads them: loading (JSON, or YAML with its short forms such as
``!Ref``), custom resources told apart, dependencies and the order of creation, properties as strings.

Intrinsic functions are resolved by ``intrinsics``; the attributes of
ordinary resources come from ``fake_resources``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Mapping

PARTITION = "aws"


class TemplateError(Exception):
    """The template cannot be resolved the way CloudFormation would resolve it."""


TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")
"""A one-line string ending in one of these names a template file, never template text."""


def template_path(source: str | Path) -> Path | None:
    """The file ``source`` names, or None when it is template text.

    A ``Path``, a one-line string naming a file, or a one-line string ending in
    ``TEMPLATE_SUFFIXES`` is a path; a path with no file behind it raises
    FileNotFoundError naming it and the working directory it was looked for in,
    rather than being read as YAML text (which fails later, for want of Resources).
    """
    if isinstance(source, str) and ("\n" in source or not source.strip()):
        return None
    path = Path(source)
    if path.is_file():
        return path
    if isinstance(source, Path) or source.strip().lower().endswith(TEMPLATE_SUFFIXES):
        raise FileNotFoundError(f"No template file {str(source)!r}: nothing at {path.resolve()} "
                                f"(relative paths are read from the working directory, {Path.cwd()})")
    return None


def load_template(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A template from a dict, a JSON or YAML file (``template_path``), or JSON/YAML text."""
    if isinstance(source, Mapping):
        copied: dict[str, Any] = json.loads(json.dumps(source))
        return copied
    path = template_path(source)
    text = path.read_text() if path is not None else str(source)
    try:
        loaded = json.loads(text)
    except ValueError:
        loaded = _load_yaml(text)
    if not isinstance(loaded, dict) or "Resources" not in loaded:
        raise TemplateError("A template needs a Resources section")
    return loaded


def yaml_body(source: str | Path | Mapping[str, Any]) -> str | None:
    """A YAML template's text as given (None for a dict or JSON): GetTemplate answers with it.

    "CloudFormation returns the same template that was used when the stack was created"
    (CloudFormation API Reference, GetTemplate:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetTemplate.html): a YAML
    template comes back as YAML text, which a reader of it must parse as such.
    """
    if isinstance(source, Mapping):
        return None
    path = template_path(source)
    text = path.read_text() if path is not None else str(source)
    try:
        json.loads(text)
    except ValueError:
        return text
    return None


def _load_yaml(text: str) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def short_form(tag: str) -> Callable[[Any, Any], Any]:
        name = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"

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
                "If", "Equals", "Not", "And", "Or", "FindInMap", "GetAZs", "Condition", "Cidr", "Length",
                "ToJsonString", "Transform"):
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
