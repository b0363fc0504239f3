"""How the List operations narrow and page their answers: By* filters, MaxResults and NextToken.

Every List operation of the emulator goes through these, so each filter the
model offers is either applied here or refused as not emulated, never
silently ignored.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from cdk_backup_jobs.testing.backup.errors import invalid, not_emulated

DEFAULT_PAGE_SIZE = 1000  # MaxResults' model maximum; AWS documents no default page size

# (parameter, member, lower bound?): "created after"/"completed after" keep a date equal to
# the bound, "before" keeps those earlier, so after=t and before=t' split time into [t, t').
DATE_FILTERS = (("ByCreatedAfter", "CreationDate", True), ("ByCreatedBefore", "CreationDate", False),
                ("ByCompleteAfter", "CompletionDate", True), ("ByCompleteBefore", "CompletionDate", False))


def by_members(items: list[dict[str, Any]], p: Mapping[str, Any], fields: Mapping[str, str]) -> list[dict[str, Any]]:
    """Keep the items whose ``fields[parameter]`` member equals each given parameter."""
    for parameter, member in fields.items():
        if parameter in p:
            items = [item for item in items if item.get(member) == p[parameter]]
    return items


def by_dates(items: list[dict[str, Any]], p: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The By{Created,Complete}{After,Before} filters; an item without the date (a job not yet
    complete) is left out by a filter on it."""
    for parameter, member, after in DATE_FILTERS:
        if parameter in p:
            bound = float(p[parameter])
            items = [item for item in items if item.get(member) is not None
                     and (item[member] >= bound if after else item[member] < bound)]
    return items


def page(items: list[dict[str, Any]], p: Mapping[str, Any], key: str) -> dict[str, Any]:
    """One page of ``items`` under ``key``, and a NextToken when more follow."""
    token = p.get("NextToken") or "0"
    if not re.fullmatch(r"[0-9]+", token):  # only tokens this emulator handed out are valid
        raise invalid(f"NextToken {token!r} is not valid")
    start = int(token)
    size = int(p.get("MaxResults") or DEFAULT_PAGE_SIZE)
    answer: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        answer["NextToken"] = str(start + size)
    return answer


def refuse_unemulated(operation: str, p: Mapping[str, Any], parameters: tuple[str, ...]) -> None:
    """A filter the emulator cannot apply is answered as not emulated, not ignored."""
    for name in parameters:
        if name in p:
            raise not_emulated(f"{operation}'s {name} filter")
