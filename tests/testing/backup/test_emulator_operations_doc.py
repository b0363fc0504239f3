"""docs/testing.md lists the operations the local AWS Backup answers: exactly those the emulator implements."""

from __future__ import annotations

import re
from pathlib import Path

from cdk_backup_jobs.testing.backup.emulator import OPERATIONS
from cdk_backup_jobs.testing.backup.protocol import load_model

PAGE = Path(__file__).resolve().parents[3] / "docs" / "testing.md"
HEADING = "### Operations it answers"


def documented_operations() -> list[str]:
    """The first column of the table under HEADING, in order."""
    lines = PAGE.read_text().split(HEADING, 1)[1].splitlines()
    header = lines.index("| operation | notes |")
    rows = []
    for line in lines[header + 2:]:
        if not line.startswith("|"):
            break
        found = re.match(r"^\| `(\w+)` \|", line)
        assert found, f"not an operation's row: {line}"
        rows.append(found.group(1))
    return rows


def test_the_testing_page_lists_every_emulated_operation_once():
    documented = documented_operations()
    assert len(documented) == len(set(documented))
    assert set(documented) == set(OPERATIONS)


def test_every_listed_operation_is_an_operation_of_aws_backup():
    assert set(documented_operations()) <= set(load_model().operation_names)
