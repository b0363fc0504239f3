"""docs/layout.md lists every module of the construct library, and its testing tools by package."""

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


def test_the_layout_page_has_a_row_per_testing_package_and_top_module():
    # The testing tools are described by package (what each owns), not module by module: a row per
    # package (`backup/`) and per module at the top of testing/ (the public paths), none for anything else.
    page = (REPO / "docs" / "layout.md").read_text()
    table = page.split("## The testing tools' packages", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([^`]+(?:\.py|/))` \|", table, re.MULTILINE))
    testing = REPO / "constructs" / "cdk_backup_jobs" / "testing"
    packages = {f"{p.parent.name}/" for p in testing.glob("*/__init__.py")}
    modules = {p.name for p in testing.glob("*.py")}
    assert "cloudformation/" in packages and "pytest_plugin.py" in modules
    assert documented == packages | modules

