"""Synth-time validation: the provider's own rules, reported in the construct's prop names."""

from __future__ import annotations

from typing import Any, Mapping

from aws_cdk import Duration, Token

from cdk_backup_jobs.provider_code import backup_jobs_rules as rules


class JobValidationError(ValueError):
    """A BackupJob or CopyJob prop breaks an AWS Backup rule; lists every problem at once."""


def is_unresolved(value: Any) -> bool:
    """True for a CloudFormation token, which the handler checks once it is resolved."""
    if isinstance(value, Mapping):
        return False
    return bool(Token.is_unresolved(value))


def check_job_input(
    construct_path: str,
    shape: rules.Member,
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
