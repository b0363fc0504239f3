"""CloudFormation's strings, read back into the API model's types.

CloudFormation hands a custom resource every scalar as a string ("60",
"true"); the handler turns them into the types of ``shapes`` before the rules
check them. Unknown members and values that cannot be converted are
violations naming the member; nothing is silently dropped.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from cdk_backup_jobs_runtime.input.rules import unknown_member
from cdk_backup_jobs_runtime.input.shapes import Member
from cdk_backup_jobs_runtime.input.violation_report import InvalidJobInput, Violation, clip, never_unresolved, show

_INTEGER_TEXT = re.compile(r"^[+-]?\d{1,19}$")
_BOOLEAN_TEXT = {"true": True, "false": False}


def coerce(shape: Member, properties: Mapping[str, Any],
           is_unresolved: Callable[[Any], bool] = never_unresolved) -> dict[str, Any]:
    """Turn CloudFormation's string-typed properties into the API model's types.

    CloudFormation hands a custom resource every scalar as a string ("60",
    "true"). Unknown members and values that cannot be converted raise
    InvalidJobInput naming the member; nothing is silently dropped. A required
    member that is missing is named with them, so a misspelt one
    (``BackupVaultNme``) is reported together with the one it misses.
    ``is_unresolved`` values (a template's intrinsic functions, read by the
    cfn-lint rule) are kept as they are, for the rules to skip.
    """
    violations: list[Violation] = []
    result = _coerce_structure(shape, properties, "", violations, is_unresolved)
    if violations:
        raise InvalidJobInput(shape.name, violations)
    return result


def _coerce_structure(
    shape: Member, value: Any, prefix: str, violations: list[Violation], is_unresolved: Callable[[Any], bool]
) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        violations.append(Violation(prefix.rstrip(".") or shape.name, "must be an object"))
        return {}
    result: dict[str, Any] = {}
    for name, raw in value.items():
        member = shape.member(str(name))
        path = f"{prefix}{name}"
        if member is None:
            violations.append(unknown_member(shape, str(name), prefix))
            continue
        converted = raw if is_unresolved(raw) else _coerce_value(member, raw, path, violations, is_unresolved)
        if converted is not None:
            result[member.name] = converted
    if violations:
        violations.extend(Violation(f"{prefix}{member.name}", "is required") for member in shape.members
                          if member.required and member.name not in value)
    return result


def _coerce_value(member: Member, raw: Any, path: str, violations: list[Violation],
                  is_unresolved: Callable[[Any], bool]) -> Any:
    if member.kind == "structure":
        return _coerce_structure(member, raw, f"{path}.", violations, is_unresolved)
    if member.kind == "map":
        if not isinstance(raw, Mapping):
            violations.append(Violation(path, "must be a map of strings to strings"))
            return None
        entries = {}
        for key, item in raw.items():
            if is_unresolved(key) or is_unresolved(item):
                entries[key] = item
            elif not isinstance(item, (str, int, float)) or isinstance(item, bool):
                violations.append(Violation(path, f"value for key '{clip(str(key))}' must be a string"))
            else:
                entries[str(key)] = str(item)
        return entries
    if member.kind == "long":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and _INTEGER_TEXT.match(raw.strip()):
            return int(raw.strip())
        violations.append(Violation(path, f"must be a whole number, got {show(raw)}"))
        return None
    if member.kind == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _BOOLEAN_TEXT:
            return _BOOLEAN_TEXT[raw.strip().lower()]
        violations.append(Violation(path, f"must be true or false, got {show(raw)}"))
        return None
    if isinstance(raw, str):
        return raw
    violations.append(Violation(path, f"must be a string, got {type(raw).__name__}"))
    return None
