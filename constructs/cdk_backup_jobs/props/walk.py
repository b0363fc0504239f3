"""Resource properties from construct props: a walk over the runtime's prop table, one conversion a row.

``cdk_backup_jobs.props.table`` says which prop sets which member by
which conversion; the conversions themselves (Python objects to member
values) are the library's (``jobs.properties``). The walk applies them, so a
prop's type is checked by the conversion that reads it, and remembers which
prop set which member, so a rule violation found later names the prop the
user wrote. Every problem is kept for one report (``validation``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from aws_cdk import Duration, Stack

from cdk_backup_jobs.props.table import PropRow, PropTable
from cdk_backup_jobs.props.validation import REFUSED, Problem, type_name
from cdk_backup_jobs_runtime.input.violation_report import Violation


@dataclass(frozen=True)
class Conversion:
    """How a prop becomes its member's value.

    A value that ``accepts`` refuses is reported as ``must be <expected>, got
    <its type>``. ``convert`` returns the member's value (None: left out), or
    ``site.refuse(...)``; with ``sets_members`` it returns a mapping of member
    to value instead (a prop that sets several members).
    """

    expected: str
    accepts: Callable[[Any], bool]
    convert: Callable[[Any, "Site"], Any]
    sets_members: bool = False


def as_given(value: Any, _: "Site") -> Any:
    """The conversion of a prop that is its member's value already."""
    return value


@dataclass
class PropWalk:
    """One construct's props, walked table row by table row; its problems, and who set each member."""

    conversions: Mapping[str, Conversion]
    stack: Stack | None = None
    """The stack the job's resource goes in: a conversion that names another resource checks it is there."""
    problems: list[Problem] = field(default_factory=list)
    set_by: dict[str, str] = field(default_factory=dict)
    """member path (``Lifecycle.DeleteAfterDays``) -> the prop that set it (``lifecycle.delete_after``)."""
    refused: set[str] = field(default_factory=set)

    def walk(self, table: PropTable, props: Mapping[str, Any], prefix: tuple[str, str] = ("", "")) -> dict[str, Any]:
        """The members ``props`` set, by ``table``; ``prefix`` (prop, member) places a nested structure.

        A refused prop leaves REFUSED in its members, which the rules skip.
        """
        members: dict[str, Any] = {}
        for row in table.rows:
            value = props.get(row.prop)
            if value is None:
                continue
            site = Site(self, row, prefix)
            clash = [self.set_by[site.path(m)] for m in row.members if m in members]
            if clash:
                others = [p for m in row.members for p in table.props_of(m) if p != row.prop]
                site.refuse(f"must be given alone: give either {row.prop}, or {_and(others)}, "
                            f"got {_and([row.prop, *clash])}")
            converted = site.convert(value)
            produced = converted if isinstance(converted, Mapping) and site.conversion.sets_members else {
                member: converted for member in row.members}
            for member, member_value in produced.items():
                if member_value is not None and member not in members:  # the first prop keeps a clashing member
                    members[member] = member_value
                    self.set_by[site.path(member)] = site.prop
        return members

    def report(self, violations: Iterable[Violation], table: PropTable) -> None:
        """Add rule violations as problems of the props that set their members (a refused prop
        is not reported again)."""
        for violation in violations:
            head = violation.path.split(".", 1)[0]
            setters = table.props_of(head)
            prop = (self.set_by.get(violation.path) or self.set_by.get(head)
                    or next(iter(setters), violation.path))
            if prop in self.refused:
                continue
            if violation.message == "is required" and len(setters) > 1:
                # A member another prop can set too (RecoveryPointArn: recovery_point_arn, or source):
                # name the alternative.
                violation = Violation(violation.path, f"is required: give {' or '.join(setters)}")
            self.problems.append(Problem.of_violation(prop, violation))


@dataclass(frozen=True)
class Site:
    """One row of the walk: what a conversion reports its problems to, and nests a structure with."""

    walk: PropWalk
    row: PropRow
    prefix: tuple[str, str]

    @property
    def prop(self) -> str:
        return f"{self.prefix[0]}{self.row.prop}"

    @property
    def conversion(self) -> Conversion:
        return self.walk.conversions[self.row.conversion]

    def path(self, member: str) -> str:
        return f"{self.prefix[1]}{member}"

    def convert(self, value: Any) -> Any:
        if not self.conversion.accepts(value):
            return self.refuse(f"must be {self.conversion.expected}, got {type_name(value)}")
        return self.conversion.convert(value, self)

    def refuse(self, message: str) -> Any:
        """Report this prop as wrong; its members hold REFUSED."""
        members = ", ".join(self.path(m) for m in self.row.members)
        self.walk.problems.append(Problem(self.prop, members, message))
        self.walk.refused.add(self.prop)
        return REFUSED

    def nested(self, table: PropTable, props: Mapping[str, Any]) -> dict[str, Any]:
        """A structure member (Lifecycle) from its own table, reported under this prop and member."""
        return self.walk.walk(table, props, (f"{self.prop}.", self.path(f"{self.row.members[0]}.")))


def whole_units(duration: Duration, unit: str, site: Site) -> Any:
    """A Duration as a whole number of minutes or days (a token passes through); else refused."""
    try:
        return duration.to_minutes() if unit == "minutes" else duration.to_days()
    except Exception:  # jsii raises a plain Error for a value that is not whole
        return site.refuse(f"must be a whole number of {unit}, got {duration.to_human_string()}")


def _and(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c`` (each name once)."""
    unique = list(dict.fromkeys(names))
    return " and ".join(unique) if len(unique) < 3 else f"{', '.join(unique[:-1])} and {unique[-1]}"
