"""docs/layout.md lists every module of the construct library (constructs/cdk_backup_jobs)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_layout_page_lists_every_library_module():
    page = (REPO / "docs" / "layout.md").read_text()
    table = page.split("## The construct library's modules", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([^`]+\.py)` \|", table, re.MULTILINE))
    library = REPO / "constructs" / "cdk_backup_jobs"
    modules = {p.name for p in library.glob("*.py") if p.name != "__init__.py"}
    assert "backup_job.py" in modules and "example_templates.py" in modules
    assert documented == modules


def test_the_layout_page_lists_every_testing_module():
    page = (REPO / "docs" / "layout.md").read_text()
    table = page.split("## The testing tools' modules", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([^`]+\.py)` \|", table, re.MULTILINE))
    testing = REPO / "constructs" / "cdk_backup_jobs" / "testing"
    modules = {p.name for p in testing.glob("*.py") if p.name != "__init__.py"}
    assert "cfn_simulator.py" in modules and "resource_schemas.py" in modules
    assert documented == modules
