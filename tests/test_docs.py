"""The docs match the code: the reference tables in docs/ list what the constructs and the handler take
and return, the README stays a front page, and every relative link leads somewhere."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from cdk_backup_jobs.props import table as prop_table
from cdk_backup_jobs_runtime.input import shapes
from cdk_backup_jobs_runtime.jobs import job_types

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
    from cdk_backup_jobs.provider.rights import PROVIDER_PROP

    # The provider prop sets no member of the shape: the custom resource's own ServiceToken.
    assert documented == {row.prop: set(row.members) for row in table.rows} | {PROVIDER_PROP: {"ServiceToken"}}


@pytest.mark.parametrize("resource_type", ["Custom::BackupJob", "Custom::CopyJob"])
def test_the_cloudformation_property_table_lists_every_property(resource_type):
    # What each property does; their Required, Type, constraints, defaults and attributes are the
    # generated reference tables (tests/library/release/test_reference_tables.py).
    shape = {"Custom::BackupJob": shapes.BACKUP_JOB_RESOURCE, "Custom::CopyJob": shapes.COPY_JOB_RESOURCE}[resource_type]
    _, rows = doc_table("docs/cloudformation.md", f"`{resource_type}` property")
    documented = [name for row in rows for name in code_names(row[0])]
    assert sorted(documented) == sorted(member.name for member in shape.members if member.input_allowed)


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
    finished = {"BackupJob": job_types.finished_backup_job_attributes({"BackupJobId": "j"}),
                "CopyJob": job_types.finished_copy_job_attributes({"CopyJobId": "j"})}
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


# --- the pages' code blocks: each Python block is runnable as pasted, or says it is a fragment -------------------

MARK = re.compile(r"<!--\s*(runnable|fragment)\b(?::\s*([\w./-]+))?[^>]*-->")
"""What a code block's mark says, on the line before its fence: ``<!-- runnable -->`` (a complete test file or
program, pasted alone into an empty folder), ``<!-- runnable: project/path -->`` (one file of a project: every
block of the page naming that project is written at its path in one folder), or ``<!-- fragment: why -->``."""


@dataclass(frozen=True)
class CodeBlock:
    page: str
    line: int  # of the opening fence
    language: str
    code: str
    mark: str | None  # "runnable", "fragment", or None: unmarked
    target: str | None  # a runnable block's "project/path", if it named one


def code_blocks(page: Path) -> list[CodeBlock]:
    """Every fenced code block of ``page``, with the mark on the line before its fence, if any."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found, index = [], 0
    while index < len(lines):
        opening = re.match(r"^```(\w+)", lines[index])
        if not opening:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        mark = MARK.fullmatch(lines[index - 1].strip()) if index > 0 else None
        found.append(CodeBlock(str(page.relative_to(REPO)), index + 1, opening.group(1),
                               "\n".join(lines[index + 1:end]) + "\n", mark.group(1) if mark else None,
                               mark.group(2) if mark else None))
        index = end + 1
    return found


def python_blocks() -> list[CodeBlock]:
    return [block for page in pages() for block in code_blocks(page) if block.language == "python"]


def runnable_examples() -> dict[str, dict[str, str]]:
    """Each runnable example, by its ID: the files it is (path in an empty folder -> text)."""
    examples: dict[str, dict[str, str]] = {}
    for page in pages():
        for block in code_blocks(page):
            if block.mark != "runnable":
                continue
            if block.target:
                project, _, path = block.target.partition("/")
                examples.setdefault(f"{block.page}:{project}", {})[path] = block.code
            else:
                name = "test_example.py" if re.search(r"^def test_", block.code, re.M) else "example.py"
                examples[f"{block.page}:{block.line}"] = {name: block.code}
    return examples


def test_every_python_block_is_marked_runnable_or_fragment():
    # A block a reader pastes either runs as it is (and a test below runs it) or says it is a fragment.
    unmarked = [f"{block.page}:{block.line}" for block in python_blocks() if block.mark is None]
    assert unmarked == [], "mark each with <!-- runnable --> or <!-- fragment: why --> on the line before"


def test_the_runnable_examples_include_the_testing_pages():
    ids = set(runnable_examples())
    assert sum(example.startswith("docs/testing.md:") for example in ids) >= 6
    assert "docs/testing.md:my-project" in ids


def run_example(files: dict[str, str], folder: Path) -> subprocess.CompletedProcess[str]:
    """Write the example into an empty folder and run it as a user would: plain ``pytest`` for tests (with the
    one-line conftest.py docs/testing.md asks for, unless the example brings its own set-up), else ``python``."""
    for path, text in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    if not {"conftest.py", "pyproject.toml"} & set(files):
        (folder / "conftest.py").write_text('pytest_plugins = ["cdk_backup_jobs.testing.pytest_plugin"]\n')
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    tests = [path for path in files if re.search(r"(^|/)test_\w+\.py$", path)]
    scripts = Path(sysconfig.get_path("scripts"))
    command = [str(scripts / "pytest"), "-q", "-p", "no:cacheprovider"] if tests else \
        [sys.executable, *[path for path in files if path.endswith(".py")]]
    return subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(runnable_examples()))
def test_every_runnable_example_runs_as_pasted(tmp_path, example):
    files = runnable_examples()[example]
    result = run_example(files, tmp_path)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    if any(re.search(r"(^|/)test_\w+\.py$", path) for path in files):
        assert re.search(r"\d+ passed", result.stdout) and "skipped" not in result.stdout, result.stdout[-2000:]


@pytest.mark.slow
def test_the_quick_start_projects_pythonpath_is_what_lets_its_tests_import_the_app(tmp_path):
    # Plain pytest puts only tests/ on sys.path: without the pythonpath line, `from my_app import MyStack` fails.
    files = dict(runnable_examples()["docs/testing.md:my-project"])
    assert 'pythonpath = ["."]' in files["pyproject.toml"]
    files["pyproject.toml"] = files["pyproject.toml"].replace('pythonpath = ["."]', "")

    result = run_example(files, tmp_path)

    assert result.returncode != 0 and "No module named 'my_app'" in result.stdout


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
