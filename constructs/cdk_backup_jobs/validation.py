"""Synth-time validation: the provider's own rules, reported in the construct's prop names."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from aws_cdk import Duration, Token
from constructs import Node

from cdk_backup_jobs_runtime import rules, shapes


class JobValidationError(ValueError):
    """A BackupJob or CopyJob prop breaks an AWS Backup rule; lists every problem at once."""


def is_unresolved(value: Any) -> bool:
    """True for a CloudFormation token, which the handler checks once it is resolved.

    NaN and infinities (or lists holding them) are never tokens, and must not
    reach jsii: its kernel reads them as invalid JSON and exits, failing every
    later construct call.
    """
    if isinstance(value, Mapping) or _holds_non_finite(value):
        return False
    return bool(Token.is_unresolved(value))


def _holds_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return any(_holds_non_finite(item) for item in value)
    return False


def check_job_input(
    construct_path: str,
    shape: shapes.Member,
    params: Mapping[str, Any],
    prop_names: Mapping[str, str],
    problems: list[rules.Violation] | None = None,
) -> None:
    """Raise JobValidationError if ``params`` break any rule of ``shape``.

    ``problems`` are those found while converting props (a Duration that is
    not whole). ``prop_names`` maps the API member (``Lifecycle.DeleteAfterDays``) to the
    construct prop (``lifecycle.delete_after``) so the message names what the
    user wrote.
    """
    violations = [*(problems or []), *rules.validate(shape, params, is_unresolved)]
    if not violations:
        return
    lines = [f"  - {_prop_for(v.path, prop_names)} ({v.path}) {v.message}" for v in violations]
    raise JobValidationError(
        f"Invalid props for {construct_path} ({shape.name}):\n" + "\n".join(lines)
    )


@dataclass(frozen=True)
class PropType:
    """A construct prop whose Python type is checked before the construct uses it.

    The rules check what becomes a resource property, but some props never
    reach them as they were given: a role is read for its ARN, a lifecycle
    converted, a flag reduced to its truth value. A wrong type there would fail
    with an AttributeError that names no prop, or (a flag) pass silently.
    """

    prop: str
    value: Any
    accepts: Callable[[Any], bool]
    expected: str
    required: bool = False


def check_prop_types(construct_path: str, props: Sequence[PropType]) -> None:
    """Raise JobValidationError naming every prop of the wrong type, all at once.

    None is "not given": right for an optional prop, wrong for a required one.
    """
    wrong = [p for p in props if not _has_expected_type(p)]
    if not wrong:
        return
    lines = [f"  - {p.prop} must be {p.expected}, got {_type_name(p.value)}" for p in wrong]
    raise JobValidationError(f"Invalid props for {construct_path}:\n" + "\n".join(lines))


def _has_expected_type(prop: PropType) -> bool:
    if prop.value is None:
        return not prop.required
    return prop.accepts(prop.value)


def _type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def is_role(value: Any) -> bool:
    """An IRole (a construct or an imported role: a jsii proxy, so known by its string ARN)."""
    return isinstance(getattr(value, "role_arn", None), str)


def is_flag(value: Any) -> bool:
    """True or False only: a truthy number or dict is a mistake, not a yes."""
    return isinstance(value, bool)


def is_mapping(value: Any) -> bool:
    """A mapping (its keys and values are then checked by the rules)."""
    return isinstance(value, Mapping)


def is_construct(value: Any) -> bool:
    """A construct (anything with a construct tree node)."""
    return isinstance(getattr(value, "node", None), Node)


def instance_of(*types: type) -> Callable[[Any], bool]:
    """A check for plain Python classes (JobLifecycle, RunOn, BackupJob)."""
    return lambda value: isinstance(value, types)


def _prop_for(path: str, prop_names: Mapping[str, str]) -> str:
    if path in prop_names:
        return prop_names[path]
    head = path.split(".", 1)[0]
    return prop_names.get(head, path)


def whole_units(duration: Duration, unit: str, member: str, problems: list[rules.Violation]) -> Any:
    """A Duration as a whole number of minutes or days (a token passes through).

    A value that is not whole is added to ``problems`` under the API member's
    path and None is returned, so it is reported with every other problem.
    """
    if not isinstance(duration, Duration):
        problems.append(rules.Violation(member, f"must be a Duration, got {type(duration).__name__}"))
        return None
    try:
        return duration.to_minutes() if unit == "minutes" else duration.to_days()
    except Exception:  # jsii raises a plain Error for a value that is not whole
        problems.append(rules.Violation(
            member, f"must be a whole number of {unit}, got {duration.to_human_string()}"
        ))
        return None
