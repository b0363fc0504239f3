"""Rewriting one section of a report page (docs/performance.md) in place, for the bench scripts that can
run alone (``--write``): the rest of the page, from the full run, stays as it is."""

from __future__ import annotations

from pathlib import Path


def write_section(page: Path, heading: str, lines: list[str], *, insert_before: str | None = None) -> None:
    """Put ``lines`` (starting with ``heading``) into ``page``: in place of the section under ``heading``
    (up to the next ``## ``), else before the heading ``insert_before``, else at the end."""
    text = page.read_text()
    if heading in text:
        head, _, rest = text.partition(heading)
        tail = rest[rest.index("\n## ") + 1:] if "\n## " in rest else ""
    elif insert_before is not None:
        head, _, rest = text.partition(insert_before)
        tail = insert_before + rest
    else:
        head, tail = text, ""
    section = "\n".join(lines).rstrip("\n") + "\n"
    page.write_text(head.rstrip("\n") + "\n\n" + section + ("\n" + tail if tail else ""))
