"""Input checked against botocore's model shapes: required members, types, enums, patterns, lengths, ranges.

The first violation is the error AWS answers: MissingParameterValueException
for a required member left out, InvalidParameterValueException for the rest.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape

from cdk_backup_jobs.testing.backup_errors import invalid, missing


def validate(shape: Shape, value: Any, path: str) -> None:
    """Check a value against a model shape; raise the error AWS would answer."""
    label = path or shape.name
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            raise invalid(f"{label} must be an object")
        for required in shape.required_members:
            if value.get(required) is None:
                raise missing(f"Missing required parameter {_join(path, required)}")
        for name, item in value.items():
            if name not in shape.members:
                raise invalid(f"Unknown parameter {_join(path, name)}")
            validate(shape.members[name], item, _join(path, name))
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            raise invalid(f"{label} must be a map")
        for key, item in value.items():
            validate(shape.key, key, f"{label} key")
            validate(shape.value, item, f"{label}.{key}")
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            raise invalid(f"{label} must be a list")
        for index, item in enumerate(value):
            validate(shape.member, item, f"{label}[{index}]")
    elif isinstance(shape, StringShape):
        _check_string(shape, value, label)
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise invalid(f"{label} must be a whole number")
        _check_range(shape, value, label)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise invalid(f"{label} must be a boolean")
    elif kind == "timestamp":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise invalid(f"{label} must be a timestamp")


def _check_string(shape: StringShape, value: Any, label: str) -> None:
    if not isinstance(value, str):
        raise invalid(f"{label} must be a string")
    if shape.enum and value not in shape.enum:
        raise invalid(f"{label} must be one of {', '.join(shape.enum)}")
    pattern = shape.metadata.get("pattern")
    if pattern and not re.search(pattern, value):
        raise invalid(f"{label} does not match {pattern}")
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if (low is not None and len(value) < low) or (high is not None and len(value) > high):
        raise invalid(f"{label} length must be between {low} and {high}")


def _check_range(shape: Shape, value: int, label: str) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        raise invalid(f"{label} must be between {low} and {high}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
