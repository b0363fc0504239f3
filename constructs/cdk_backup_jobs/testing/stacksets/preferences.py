"""A StackSet operation's preferences, and the numbers CloudFormation derives from them.

As the CloudFormation API Reference documents StackSetOperationPreferences
(https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html)
and the User Guide its "StackSet operation options"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-concepts.html#stackset-ops-options):

- FailureToleranceCount or FailureTolerancePercentage (not both; default 0):
  the accounts per Region the operation can fail in before CloudFormation
  stops it in that Region; a percentage is of the Region's accounts, rounded
  down. "If the operation is stopped in a Region, CloudFormation doesn't
  attempt the operation in any subsequent Regions."
- MaxConcurrentCount or MaxConcurrentPercentage (not both; default 1): the
  accounts worked on at one time; a percentage rounds down, "except in cases
  where rounding down would result is zero", where it is 1.
- ConcurrencyMode STRICT_FAILURE_TOLERANCE (the default) "dynamically lowers
  the concurrency level to ensure the number of failed accounts never exceeds
  the value of FailureToleranceCount +1": at first the lower of the maximum
  and tolerance + 1, then "reduced proportionally by the number of failures",
  read here as tolerance + 1 - failures so far. SOFT_FAILURE_TOLERANCE
  "decouples FailureToleranceCount from the actual concurrency": always the
  maximum, and the operation still stops past the tolerance.
- RegionConcurrencyType SEQUENTIAL (the default: one Region at a time, in
  RegionOrder) or PARALLEL (every Region at once).
- "StackSetOperationPreferences don't apply to AutoDeployment, even if it's enabled."
"""

from __future__ import annotations

from dataclasses import dataclass, field

STRICT = "STRICT_FAILURE_TOLERANCE"
SOFT = "SOFT_FAILURE_TOLERANCE"
SEQUENTIAL = "SEQUENTIAL"
PARALLEL = "PARALLEL"


class InvalidOperationPreferences(ValueError):
    """Preferences CloudFormation refuses with a ValidationError: the message says which."""


@dataclass(frozen=True)
class OperationPreferences:
    """StackSetOperationPreferences, under their API names in snake case."""

    failure_tolerance_count: int | None = None
    failure_tolerance_percentage: int | None = None
    max_concurrent_count: int | None = None
    max_concurrent_percentage: int | None = None
    concurrency_mode: str = STRICT
    region_concurrency_type: str = SEQUENTIAL
    region_order: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        problems = []
        if self.failure_tolerance_count is not None and self.failure_tolerance_percentage is not None:
            problems.append("give FailureToleranceCount or FailureTolerancePercentage, not both")
        if self.max_concurrent_count is not None and self.max_concurrent_percentage is not None:
            problems.append("give MaxConcurrentCount or MaxConcurrentPercentage, not both")
        if (self.failure_tolerance_count or 0) < 0:
            problems.append("FailureToleranceCount must be at least 0")
        if not 0 <= (self.failure_tolerance_percentage or 0) <= 100:
            problems.append("FailureTolerancePercentage must be from 0 to 100")
        if self.max_concurrent_count is not None and self.max_concurrent_count < 1:
            problems.append("MaxConcurrentCount must be at least 1")
        if self.max_concurrent_percentage is not None and not 1 <= self.max_concurrent_percentage <= 100:
            problems.append("MaxConcurrentPercentage must be from 1 to 100")
        if self.concurrency_mode not in (STRICT, SOFT):
            problems.append(f"ConcurrencyMode must be {STRICT} or {SOFT}")
        if self.region_concurrency_type not in (SEQUENTIAL, PARALLEL):
            problems.append(f"RegionConcurrencyType must be {SEQUENTIAL} or {PARALLEL}")
        if len(set(self.region_order)) != len(self.region_order):
            problems.append("RegionOrder names a Region twice")
        if problems:
            raise InvalidOperationPreferences("; ".join(problems))

    def failure_tolerance(self, accounts: int) -> int:
        """How many of a Region's ``accounts`` may fail before the operation stops there."""
        if self.failure_tolerance_percentage is not None:
            return accounts * self.failure_tolerance_percentage // 100
        return self.failure_tolerance_count or 0

    def max_concurrent(self, accounts: int) -> int:
        """The most accounts of a Region worked on at one time, before the mode lowers it."""
        if self.max_concurrent_percentage is not None:
            return max(1, accounts * self.max_concurrent_percentage // 100)
        return self.max_concurrent_count or 1

    def concurrency(self, accounts: int, failures: int) -> int:
        """The accounts that may be in progress now, after ``failures`` of the Region's ``accounts`` failed."""
        if self.concurrency_mode == SOFT:
            return self.max_concurrent(accounts)
        return max(0, min(self.max_concurrent(accounts), self.failure_tolerance(accounts) + 1 - failures))

    def ordered_regions(self, regions: list[str]) -> list[str]:
        """The Regions in the order they are worked on: RegionOrder first, then the rest as given."""
        unknown = [region for region in self.region_order if region not in regions]
        if unknown:
            raise InvalidOperationPreferences(f"RegionOrder names Regions the operation does not deploy to: "
                                              f"{', '.join(unknown)}")
        return list(self.region_order) + [region for region in regions if region not in self.region_order]
