"""An AWS Organization to deploy StackSets to: accounts in organizational units, and what each account-Region holds.

Each account can be given how its AWS Backup misbehaves (``backup_faults``,
``job_outcomes``: for example an account whose table's key policy denies
AWS Backup), so a test can fail one account of a fleet. What a stack of one
StackSet leaves in an account and Region for stacks of another (exports, and
Lambda functions they can invoke, such as the provider's ServiceToken) is
kept per account-Region (``AccountRegion``), as CloudFormation keeps exports
per account and Region. Adding an account to an OU tells the listeners
(StackSets with auto-deployment), which deploy to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from cdk_backup_jobs.testing.backup.jobs import ScriptedOutcome
from cdk_backup_jobs.testing.backup.state import Fault

FIRST_ACCOUNT = 100_000_000_000


@dataclass(frozen=True)
class SimulatedAccount:
    """A member account: its ID and how its AWS Backup behaves (in every Region)."""

    account_id: str
    backup_faults: tuple[Fault, ...] = ()
    job_outcomes: tuple[ScriptedOutcome, ...] = ()


@dataclass
class AccountRegion:
    """What an account's stacks in one Region leave for its other stacks there."""

    exports: dict[str, str] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)
    """Lambda function ARN -> its code folder."""
    exporters: dict[str, str] = field(default_factory=dict)
    """Export name -> the name of the stack that exports it here (an export name is unique per account-Region)."""


class SimulatedOrganization:
    """Organizational units of accounts; ``add_account`` is an account joining an OU."""

    def __init__(self, units: Mapping[str, Iterable[str | SimulatedAccount]] | None = None) -> None:
        self.units: dict[str, list[SimulatedAccount]] = {}
        self.places: dict[tuple[str, str], AccountRegion] = {}
        self.listeners: list[Callable[[str, SimulatedAccount], None]] = []
        for unit, accounts in (units or {}).items():
            self.units[unit] = []
            for account in accounts:
                self._join(unit, account)

    @classmethod
    def of_sizes(cls, sizes: Mapping[str, int], first: int = FIRST_ACCOUNT) -> "SimulatedOrganization":
        """OUs of so many accounts each, with consecutive 12-digit IDs from ``first``."""
        units: dict[str, list[str | SimulatedAccount]] = {}
        for unit, size in sizes.items():
            units[unit] = [f"{first + n:012d}" for n in range(size)]
            first += size
        return cls(units)

    def accounts_in(self, unit: str) -> list[SimulatedAccount]:
        if unit not in self.units:
            raise KeyError(f"no organizational unit {unit!r}; the organization has {sorted(self.units)}")
        return list(self.units[unit])

    def account(self, account_id: str) -> SimulatedAccount:
        return next(a for accounts in self.units.values() for a in accounts if a.account_id == account_id)

    def replace(self, account: SimulatedAccount) -> None:
        """Give an account new behaviour (faults, outcomes), in whichever OU it is."""
        for accounts in self.units.values():
            for n, known in enumerate(accounts):
                if known.account_id == account.account_id:
                    accounts[n] = account
                    return
        raise KeyError(f"no account {account.account_id} in the organization")

    def add_account(self, unit: str, account: str | SimulatedAccount) -> SimulatedAccount:
        """An account joins ``unit``: every StackSet auto-deploying to it deploys now."""
        joined = self._join(unit, account)
        for listener in list(self.listeners):
            listener(unit, joined)
        return joined

    def place(self, account_id: str, region: str) -> AccountRegion:
        """What the account holds in the Region (created empty on first use)."""
        return self.places.setdefault((account_id, region), AccountRegion())

    def _join(self, unit: str, account: str | SimulatedAccount) -> SimulatedAccount:
        joined = account if isinstance(account, SimulatedAccount) else SimulatedAccount(account)
        if any(a.account_id == joined.account_id for accounts in self.units.values() for a in accounts):
            raise ValueError(f"account {joined.account_id} is already in the organization")
        self.units.setdefault(unit, []).append(joined)
        return joined
