"""The docs match the code: the reference tables in docs/ list what the constructs and the handler take
and return, the README stays a front page, and every relative link leads somewhere."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from cdk_backup_jobs_runtime import job_attributes
from cdk_backup_jobs_runtime import prop_table, shapes

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
README_MAX_LINES = 200


def documented_params(cls: type) -> set[str]:
    return set(re.findall(r":param (\w+):", inspect.getdoc(cls) or ""))


def doc_table(page: str, first_header: str, after: str = "") -> tuple[list[str], list[list[str]]]:
    """The header cells and the rows' cells of the first table of ``page`` (a path in the
    repository, such as ``docs/constructs.md``), after the line ``after``, whose header
    starts with ``first_header``."""
    lines = (REPO / page).read_text().splitlines()
    begin = lines.index(after) if after else 0
    start = next(i for i in range(begin, len(lines)) if lines[i].startswith(f"| {first_header} |"))
    header, rows = _cells(lines[start]), []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(_cells(line))
    return header, rows


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def code_names(cell: str) -> list[str]:
    """The `names` in a table cell, leaving out those in remarks (parentheses)."""
    while re.search(r"\([^()]*\)", cell):
        cell = re.sub(r"\([^()]*\)", "", cell)
    return re.findall(r"`(\w+)`", cell)


def documented_props(section: str) -> set[str]:
    _, rows = doc_table("docs/constructs.md", "prop", after=f"## `{section}` props")
    return {name for row in rows for name in code_names(row[0])}


@pytest.mark.parametrize("class_name", ["BackupJob", "CopyJob"])
def test_every_prop_is_documented_in_its_docstring_and_the_constructs_page(class_name):
    import cdk_backup_jobs

    cls = getattr(cdk_backup_jobs, class_name)
    props = {name for name, p in inspect.signature(cls.__init__).parameters.items()
             if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert props == documented_params(cls)
    assert props == documented_props(class_name)


@pytest.mark.parametrize("class_name, table", [("BackupJob", prop_table.BACKUP_JOB_PROPS),
                                               ("CopyJob", prop_table.COPY_JOB_PROPS)])
def test_each_constructs_table_names_each_props_api_members(class_name, table):
    header, rows = doc_table("docs/constructs.md", "prop", after=f"## `{class_name}` props")
    column = header.index("API member")
    documented = {name: set(code_names(row[column])) for row in rows for name in code_names(row[0])}
    from cdk_backup_jobs.provider_rights import PROVIDER_PROP

    # The provider prop sets no member of the shape: the custom resource's own ServiceToken.
    assert documented == {row.prop: set(row.members) for row in table.rows} | {PROVIDER_PROP: {"ServiceToken"}}


@pytest.mark.parametrize("resource_type", ["Custom::BackupJob", "Custom::CopyJob"])
def test_the_cloudformation_property_table_lists_every_property(resource_type):
    shape = {"Custom::BackupJob": shapes.BACKUP_JOB_RESOURCE, "Custom::CopyJob": shapes.COPY_JOB_RESOURCE}[resource_type]
    _, rows = doc_table("docs/cloudformation.md", f"`{resource_type}` property")
    documented = [name for row in rows for name in code_names(row[0])]
    required = {name for row in rows if "(required)" in row[0] for name in code_names(row[0])}
    assert sorted(documented) == sorted(member.name for member in shape.members)
    assert required == {member.name for member in shape.members if member.required}


def test_the_get_att_table_lists_the_attributes_the_handler_returns():
    header, rows = doc_table("docs/cloudformation.md", "`Fn::GetAtt`")
    by_when = {row[0]: row for row in rows}
    started = {"Custom::BackupJob": job_attributes.backup_job_attributes({"BackupJobId": "j"}),
               "Custom::CopyJob": job_attributes.copy_job_attributes({"CopyJobId": "j"})}
    finished = {"Custom::BackupJob": job_attributes.finished_backup_job_attributes({"BackupJobId": "j"}),
                "Custom::CopyJob": job_attributes.finished_copy_job_attributes({"CopyJobId": "j"})}
    assert set(by_when) == {"always", "when waited"}
    for resource_type in ("Custom::BackupJob", "Custom::CopyJob"):
        column = header.index(f"`{resource_type}`")
        assert set(code_names(by_when["always"][column])) == set(started[resource_type])
        assert set(code_names(by_when["when waited"][column])) == set(finished[resource_type]) - set(started[resource_type])


def test_the_job_lifecycle_table_lists_every_field_with_its_api_member():
    import dataclasses

    from cdk_backup_jobs import JobLifecycle

    _, rows = doc_table("docs/constructs.md", "field", after="## `JobLifecycle`")
    documented = {name: set(code_names(row[1])) for row in rows for name in code_names(row[0])}
    assert set(documented) == {field.name for field in dataclasses.fields(JobLifecycle)}
    assert documented == {row.prop: set(row.members) for row in prop_table.LIFECYCLE_PROPS.rows}
    assert set().union(*documented.values()) == {m.name for m in shapes.LIFECYCLE.members if m.input_allowed}


def test_the_attributes_table_lists_each_constructs_attributes_and_what_the_handler_returns():
    import cdk_backup_jobs

    header, rows = doc_table("docs/constructs.md", "construct", after="## Attributes")
    construct, attribute, get_att = (header.index(name) for name in ("construct", "attribute", "`Fn::GetAtt`"))
    finished = {"BackupJob": job_attributes.finished_backup_job_attributes({"BackupJobId": "j"}),
                "CopyJob": job_attributes.finished_copy_job_attributes({"CopyJobId": "j"})}
    for class_name in ("BackupJob", "CopyJob"):
        cls = getattr(cdk_backup_jobs, class_name)
        mine = [row for row in rows if code_names(row[construct]) == [class_name]]
        properties = {name for klass in cls.__mro__ if klass.__module__.startswith("cdk_backup_jobs")
                      for name, value in vars(klass).items()
                      if isinstance(value, property) and not name.startswith("_")}
        assert {name for row in mine for name in code_names(row[attribute])} == properties
        assert {name for row in mine for name in code_names(row[get_att])} == set(finished[class_name])


def test_every_public_name_has_a_docstring():
    import cdk_backup_jobs

    for name in cdk_backup_jobs.__all__:
        value = getattr(cdk_backup_jobs, name)
        if inspect.isclass(value):
            assert inspect.getdoc(value), name
            for attribute, member in vars(value).items():
                if isinstance(member, property) and not attribute.startswith("_"):
                    assert member.__doc__, f"{name}.{attribute}"


# --- the pages themselves -----------------------------------------------------

def test_the_readme_is_a_front_page():
    lines = (REPO / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move reference text into docs/"


def pages() -> list[Path]:
    return [REPO / "README.md", *sorted(DOCS.glob("*.md"))]


def links(page: Path) -> list[str]:
    """The targets of the page's Markdown links and images, leaving out code blocks and code spans."""
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)
    return re.findall(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", text)


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for the page's headings."""
    found = set()
    for line in re.sub(r"^```.*?^```", "", page.read_text(), flags=re.MULTILINE | re.DOTALL).splitlines():
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            found.add(re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-"))
    return found


def test_pages_have_relative_links():
    # The test below must have something to check.
    assert all(links(page) for page in pages() if page.name in ("README.md", "constructs.md"))


@pytest.mark.parametrize("page", pages(), ids=lambda page: str(page.relative_to(REPO)))
def test_every_relative_link_points_at_a_file_that_exists(page):
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        path, _, fragment = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(target)
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(f"{target} (no such heading)")
    assert broken == [], f"{page.relative_to(REPO)}: broken links {broken}"


@pytest.mark.slow
def test_the_testing_pages_long_wait_example_runs(tmp_path):
    # The example a user pastes must pass as written, with the plugin's fixtures.
    import subprocess
    import sys

    page = (REPO / "docs" / "testing.md").read_text()
    example = page.split("## Waits of hours, in virtual time", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "test_example.py").write_text(example)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "cdk_backup_jobs.testing.pytest_plugin",
                             "-p", "no:cacheprovider", str(tmp_path / "test_example.py")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "1 passed" in result.stdout


def test_every_test_the_aws_behaviour_ledger_names_exists():
    # Each row of docs/aws-behaviour.md names the test that stands for an AWS behaviour: a renamed or
    # deleted test must take its row with it.
    page = (DOCS / "aws-behaviour.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", page)
    assert len(named) >= 30
    missing = [f"{path}::{name}" for path, name in named
               if not re.search(rf"^def {name}\(", (REPO / path).read_text(encoding="utf-8"), re.M)]
    assert missing == []
    rows = [line for line in page.splitlines() if line.startswith("| ") and not line.startswith("| behaviour")]
    assert all(re.search(r"documented|assumed", row.split(" | ")[2]) for row in rows), "a row without its status"
    assert all("`tests/" in row.split(" | ")[3] for row in rows), "a row without its test"
