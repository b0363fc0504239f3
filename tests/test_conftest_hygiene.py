"""The suite's conftest.py files shadow none of pytest's fixtures and none of the plugin's.

A fixture redefined under the same name silently replaces the original for
every test below it: a test asking for ``capsys`` or ``cfn_stack`` would get
the suite's version, not the one pytest or cdk_backup_jobs.testing documents.
The suite reaches the same ends through the plugin's override point
(``aws_test_credentials``) and an autouse fixture instead.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cdk_backup_jobs.testing import pytest_plugin
from provider_events import FAKE_SECRET_ACCESS_KEY

TESTS = Path(__file__).resolve().parent
CONFTESTS = sorted(TESTS.rglob("conftest.py"))

_FIXTURE_LINE = re.compile(r"^([A-Za-z_]\w*)(?: \[\w+ scope\])? -- ")


def _is_fixture_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return (isinstance(target, ast.Attribute) and target.attr == "fixture") or (
        isinstance(target, ast.Name) and target.id == "fixture")


def fixtures_defined_in(path: Path) -> dict[str, int]:
    """Fixture name -> line, for every function in ``path`` decorated with pytest.fixture
    (its ``name=`` when given)."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            if not _is_fixture_decorator(decorator):
                continue
            name = node.name
            if isinstance(decorator, ast.Call):
                for keyword in decorator.keywords:
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        name = keyword.value.value
            found[name] = node.lineno
    return found


@pytest.fixture(scope="module")
def fixtures_not_ours(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every fixture pytest, its installed plugins, pytester and cdk_backup_jobs' plugin provide,
    as ``pytest --fixtures -v`` lists them in an empty project (no conftest.py of ours)."""
    empty = tmp_path_factory.mktemp("empty-project")
    (empty / "pytest.ini").write_text("[pytest]\n")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--fixtures", "-v", "-p", "pytester",
         "-p", pytest_plugin.__name__, "-c", str(empty / "pytest.ini"), str(empty)],
        cwd=empty, env=environment, capture_output=True, text=True, timeout=120)
    assert listed.returncode in (0, 5), listed.stdout + listed.stderr  # 5: no tests collected
    return {m.group(1) for line in listed.stdout.splitlines() if (m := _FIXTURE_LINE.match(line))}


def test_the_names_not_ours_hold_pytests_and_the_plugins(fixtures_not_ours):
    # Guards the listing itself: an empty set would let every conftest pass.
    assert {"capsys", "capfd", "capsysbinary", "capfdbinary", "caplog", "monkeypatch", "tmp_path",
            "pytestconfig", "pytester"} <= fixtures_not_ours
    assert {"aws_backup", "cfn_responses", "cfn_scheduler", "cfn_stack", "aws_test_credentials"} <= fixtures_not_ours


def test_the_parser_finds_the_suites_fixtures():
    assert {"backup_api", "cfn", "provider", "invoke", "aws_test_credentials"} <= set(
        fixtures_defined_in(TESTS / "conftest.py"))
    assert "record" in fixtures_defined_in(TESTS / "reliability" / "conftest.py")


@pytest.mark.parametrize("conftest", CONFTESTS, ids=lambda p: str(p.relative_to(TESTS)))
def test_no_conftest_redefines_a_fixture_of_pytest_or_of_the_plugin(conftest, fixtures_not_ours):
    defined = fixtures_defined_in(conftest)
    shadowing = {name: f"line {line}" for name, line in defined.items()
                 if name in fixtures_not_ours and name not in pytest_plugin.OVERRIDABLE_FIXTURES}
    assert shadowing == {}, f"{conftest.relative_to(TESTS)} redefines {sorted(shadowing)}: " \
                            "give it a name of its own (an autouse fixture, or the plugin's override point)"


def test_the_plugins_fixtures_sign_with_the_suites_fake_secret(aws_backup, cfn_stack):
    # The suite overrides only aws_test_credentials; the plugin's own aws_backup and cfn_stack
    # carry it to every request and every function, so the log scan can find it by value.
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == FAKE_SECRET_ACCESS_KEY
    with cfn_stack() as simulator:
        assert simulator.environment["AWS_SECRET_ACCESS_KEY"] == FAKE_SECRET_ACCESS_KEY
        assert simulator.environment["AWS_ACCESS_KEY_ID"] == "testing"


def test_capture_reads_are_kept_for_the_scan_with_pytests_own_capsys(capsys):
    # capsys is pytest's fixture itself; readouterr() is wrapped on the class for this test only
    # (tests/reliability/test_log_scan.py proves what it reads is scanned).
    assert "_scan_what_capture_fixtures_read" in pytest.CaptureFixture.readouterr.__qualname__
    print("a line the scan judges")
    assert capsys.readouterr().out == "a line the scan judges\n"
