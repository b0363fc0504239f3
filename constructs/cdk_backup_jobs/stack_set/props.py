"""The props of BackupJobsProviderStackSet checked, each problem naming its prop and value, tokens skipped.

Ranges and patterns are those of the API's StackSetOperationPreferences
(https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html,
botocore's model: FailureToleranceCount min 0, FailureTolerancePercentage
0-100, MaxConcurrentCount min 1, MaxConcurrentPercentage 1-100) and of
``AWS::CloudFormation::StackSet`` DeploymentTargets; a percentage that rounds
down to no account counts as one; a count or a percentage but not both.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, Sequence

from aws_cdk import CfnStackSet

from cdk_backup_jobs.props.validation import is_unresolved, type_name

OU_ID = re.compile(r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$")
"""An organizational unit's ID, or the organization root's (``r-...``)."""
REGION = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$")
"""An AWS Region's name: ``us-east-1``, ``us-gov-west-1``, ``ap-southeast-7``."""
BUCKET_PREFIX = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_NAME_MAX = 63
EXPORT_NAME = re.compile(r"^[A-Za-z0-9:-]+$")
STACK_SET_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,127}$")

DEFAULT_MAX_CONCURRENT_PERCENTAGE = 25
DEFAULT_FAILURE_TOLERANCE_PERCENTAGE = 10


class StackSetRegionConcurrency(str, Enum):
    """Whether a StackSet operation runs in all its Regions at once or one Region after another."""

    PARALLEL = "PARALLEL"
    SEQUENTIAL = "SEQUENTIAL"


class StackSetConcurrencyMode(str, Enum):
    """How failures lower the concurrency of a StackSet operation (CloudFormation's default: STRICT)."""

    STRICT_FAILURE_TOLERANCE = "STRICT_FAILURE_TOLERANCE"
    SOFT_FAILURE_TOLERANCE = "SOFT_FAILURE_TOLERANCE"


class StackSetCallAs(str, Enum):
    """Which account deploys the StackSet: the organization's management account, or a delegated administrator."""

    SELF = "SELF"
    DELEGATED_ADMIN = "DELEGATED_ADMIN"


def list_problems(prop: str, values: Any, pattern: re.Pattern[str] | None, what: str, *,
                  required: bool = True, tokens: bool = True) -> list[str]:
    """A list of strings, each (but tokens, unless ``tokens`` is False) matching ``pattern``, none twice."""
    if values is None and not required:
        return []
    if isinstance(values, str) or not isinstance(values, (list, tuple)) \
            or not all(isinstance(value, str) for value in values):
        return [f"{prop} must be a list of {what}s, got {type_name(values)}"]
    if not values:
        # An optional list left empty is refused too: None means all, and [] must not be read as all (failing open).
        return [f"{prop} must name at least one {what}" + ("" if required else " (leave it out for all)")
                + ", got []"]
    problems = []
    for value in values:
        if is_unresolved(value):
            if not tokens:
                problems.append(f"{prop} must be known at synth (the provider's template is synthesized on its "
                                f"own), got the token {value}")
            continue
        if pattern is not None and not pattern.match(value):
            problems.append(f"{prop} must hold {what}s ({pattern.pattern}), got {value!r}")
    duplicates = sorted({value for value in values if values.count(value) > 1})
    if duplicates:
        problems.append(f"{prop} must list each {what} once, got {', '.join(duplicates)} more than once")
    return problems


def bucket_prefix_problems(prefix: Any, regions: Sequence[str]) -> list[str]:
    """``asset_bucket_prefix``: known at synth, and ``{prefix}-{Region}`` a bucket name S3 allows."""
    if not isinstance(prefix, str):
        return [f"asset_bucket_prefix must be a string, got {type_name(prefix)}"]
    if is_unresolved(prefix):
        return [f"asset_bucket_prefix must be known at synth (it names the code's bucket in the provider's "
                f"template), got the token {prefix}"]
    if not BUCKET_PREFIX.match(prefix) or ".." in prefix or prefix.startswith(RESERVED_BUCKET_PREFIXES):
        return [f"asset_bucket_prefix must start an S3 bucket name (lowercase letters, digits, '.' and '-', "
                f"starting with a letter or digit), got {prefix!r}"]
    known = [region for region in regions if isinstance(region, str) and not is_unresolved(region)]
    longest = max(known, key=len, default="")
    if len(prefix) + 1 + len(longest) > BUCKET_NAME_MAX:
        return [f"asset_bucket_prefix must leave room for '-{longest}' in a bucket name of at most "
                f"{BUCKET_NAME_MAX} characters, got {prefix!r} ({len(prefix)} characters)"]
    return []


def number_problems(prop: str, value: Any, minimum: int, maximum: int | None = None) -> list[str]:
    """A whole number from ``minimum`` to ``maximum`` (or more); None (unset) and tokens pass."""
    if value is None or is_unresolved(value):
        return []
    if isinstance(value, bool) or not isinstance(value, int):
        return [f"{prop} must be a whole number, got {type_name(value)}"]
    if value < minimum or (maximum is not None and value > maximum):
        allowed = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
        return [f"{prop} must be {allowed}, got {value}"]
    return []


def choice_problems(prop: str, value: Any, choices: type[Enum]) -> list[str]:
    """A member of ``choices`` (or its value)."""
    if is_unresolved(value) or any(value == member.value for member in choices):
        return []
    names = ", ".join(member.value for member in choices)
    return [f"{prop} must be one of {names}, got {value!r}"]


def region_order_problems(region_order: Any, regions: Any) -> list[str]:
    """``region_order``: None, or Regions of ``regions``, each once (tokens are not checked)."""
    if region_order is None:
        return []
    problems = list_problems("region_order", region_order, REGION, "Region name")
    if problems or not isinstance(regions, (list, tuple)):
        return problems
    others = [region for region in region_order if not is_unresolved(region) and region not in regions]
    return [f"region_order must name Regions of regions, got {', '.join(others)}"] if others else []


def operation_preferences(*, max_concurrent_percentage: int | None, max_concurrent_count: int | None,
                          failure_tolerance_percentage: int | None, failure_tolerance_count: int | None,
                          region_concurrency: StackSetRegionConcurrency | str,
                          concurrency_mode: StackSetConcurrencyMode | str | None,
                          region_order: Sequence[str] | None = None) -> tuple[list[str], Any]:
    """(problems, OperationPreferences): a count or a percentage of each, defaults for those unset."""
    problems = [
        *number_problems("max_concurrent_percentage", max_concurrent_percentage, 1, 100),
        *number_problems("max_concurrent_count", max_concurrent_count, 1),
        *number_problems("failure_tolerance_percentage", failure_tolerance_percentage, 0, 100),
        *number_problems("failure_tolerance_count", failure_tolerance_count, 0),
        *choice_problems("region_concurrency", region_concurrency, StackSetRegionConcurrency),
        *([] if concurrency_mode is None
          else choice_problems("concurrency_mode", concurrency_mode, StackSetConcurrencyMode)),
    ]
    for kind, percentage, count in (("max_concurrent", max_concurrent_percentage, max_concurrent_count),
                                    ("failure_tolerance", failure_tolerance_percentage, failure_tolerance_count)):
        if percentage is not None and count is not None:
            problems.append(f"{kind}_percentage and {kind}_count are exclusive, got both "
                            f"({percentage} and {count})")
    if max_concurrent_percentage is None and max_concurrent_count is None:
        max_concurrent_percentage = DEFAULT_MAX_CONCURRENT_PERCENTAGE
    if failure_tolerance_percentage is None and failure_tolerance_count is None:
        failure_tolerance_percentage = DEFAULT_FAILURE_TOLERANCE_PERCENTAGE
    if problems:
        return problems, None
    return [], CfnStackSet.OperationPreferencesProperty(
        max_concurrent_percentage=max_concurrent_percentage, max_concurrent_count=max_concurrent_count,
        failure_tolerance_percentage=failure_tolerance_percentage, failure_tolerance_count=failure_tolerance_count,
        region_concurrency_type=choice_value(region_concurrency), concurrency_mode=choice_value(concurrency_mode),
        region_order=list(region_order) if region_order is not None else None)


def choice_value(choice: Enum | str | None) -> str | None:
    """An enum member's value; a string (or None) as it is."""
    return choice.value if isinstance(choice, Enum) else choice
