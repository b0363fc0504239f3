"""docs/layout.md describes the construct library and its testing tools by package: a row per package and per
module at the top, none for anything else."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def documented_rows(heading: str) -> set[str]:
    """The first cell of each row of the table under ``heading``: a module (``x.py``) or a package (``x/``)."""
    page = (REPO / "docs" / "layout.md").read_text()
    table = page.split(heading, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([^`]+(?:\.py|/))` \|", table, re.MULTILINE))


def test_the_layout_page_has_a_row_per_library_package_and_top_module():
    # The library is described by package (what each owns), like its testing tools: a row per package
    # (`jobs/`, and `testing/` with its own section) and per module at the top (the facade and the paths users type).
    library = REPO / "constructs" / "cdk_backup_jobs"
    packages = {f"{p.parent.name}/" for p in library.glob("*/__init__.py")}
    modules = {p.name for p in library.glob("*.py")}
    assert {"jobs/", "provider/", "testing/"} <= packages and "provider_artifacts.py" in modules
    assert documented_rows("## The construct library's packages") == packages | modules


def test_the_library_is_its_packages_and_no_deeper():
    # A module is at the top (a public path) or in a package one level down; a deeper level would be a
    # package the page misses.
    library = REPO / "constructs" / "cdk_backup_jobs"
    deeper = [p for p in library.glob("*/*/*.py") if "testing" not in p.relative_to(library).parts]
    assert list(library.glob("jobs/*.py")) and deeper == []


def test_the_layout_page_has_a_row_per_testing_package_and_top_module():
    # The testing tools are described by package (what each owns), not module by module: a row per
    # package (`backup/`) and per module at the top of testing/ (the public paths), none for anything else.
    testing = REPO / "constructs" / "cdk_backup_jobs" / "testing"
    packages = {f"{p.parent.name}/" for p in testing.glob("*/__init__.py")}
    modules = {p.name for p in testing.glob("*.py")}
    assert "cloudformation/" in packages and "pytest_plugin.py" in modules
    assert documented_rows("## The testing tools' packages") == packages | modules
