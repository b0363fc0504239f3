"""Type hints are checked, not decorative: mypy --strict over both source roots, and over a user's app."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "constructs" / "cdk_backup_jobs"


def mypy(cwd: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    # The runtime package is found on lambda/, as in a wheel (mypy cannot follow
    # an editable install's import hook).
    env = {**os.environ, "MYPYPATH": str(REPO / "lambda")}
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", *targets],
                          cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.slow
def test_lambda_code_passes_mypy_strict():
    # The Lambda asset root is checked as the runtime sees it: the entry and the runtime package.
    result = mypy(REPO / "lambda", "index.py", "cdk_backup_jobs_runtime")
    assert result.returncode == 0, result.stdout


USER_APP = textwrap.dedent("""
    from aws_cdk import App, Stack, aws_iam as iam
    import cdk_backup_jobs
    from cdk_backup_jobs import BackupJob, JobLifecycle, RunOn

    app = App()
    stack = Stack(app, "S")
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    job = BackupJob(stack, "J", backup_vault="vault", role=role, run_on=RunOn.create(),
                    lifecycle=JobLifecycle.keep_forever(),
                    resource_arn="arn:aws:dynamodb:us-east-1:123456789012:table/t")
    job_id: str = job.backup_job_id
    reveal_type(BackupJob)
    reveal_type(cdk_backup_jobs.CopyJob)
""")

MISSPELLED_IMPORT = "from cdk_backup_jobs import BackupJobs\n"
MISSPELLED_FINAL_BACKUP_PROP = textwrap.dedent("""
    from aws_cdk import App, Stack, aws_iam as iam
    from cdk_backup_jobs import BackupJob, JobLifecycle

    stack = Stack(App(), "S")
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
    BackupJob.final_backup(stack, "F", resource=role, resource_arn="arn:aws:dynamodb:us-east-1:1:table/t",
                           backup_vault="vault", role=role, lifecyle=JobLifecycle.keep_forever())
""")
USER_APPS = {"my_app.py": USER_APP, "misspelled_app.py": MISSPELLED_IMPORT,
             "final_backup_typo.py": MISSPELLED_FINAL_BACKUP_PROP}


@pytest.fixture(scope="module")
def library_and_apps(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, list[str]], str]:
    """One mypy --strict run (aws-cdk-lib's types take minutes to read) over the
    library and two apps in a folder of their own, as a user's project imports it.

    Returns the error lines per file name and mypy's whole output.
    """
    apps = tmp_path_factory.mktemp("user_project")
    for name, source in USER_APPS.items():
        (apps / name).write_text(source)
    files = [str(p.relative_to(REPO / "constructs")) for p in sorted(PACKAGE.rglob("*.py"))]
    result = mypy(REPO / "constructs", *files, *(str(apps / name) for name in USER_APPS))
    errors: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        found = re.match(r"^(.+?):\d+: error:", line)
        if found:
            errors.setdefault(Path(found.group(1)).name, []).append(line)
    return errors, result.stdout


@pytest.mark.slow
def test_construct_library_passes_mypy_strict(library_and_apps):
    errors, _ = library_and_apps
    library_errors = [line for name, lines in errors.items() if name not in USER_APPS for line in lines]
    assert not library_errors, "\n".join(library_errors)


@pytest.mark.slow
def test_a_users_app_imports_the_public_names_under_mypy_strict(library_and_apps):
    # mypy --strict reads only explicit re-exports from a package's __init__.
    errors, output = library_and_apps
    assert "my_app.py" not in errors, output
    # The names are the real classes, not Any from a module __getattr__.
    assert 'Revealed type is "def (scope: constructs.Construct' in output
    assert "-> cdk_backup_jobs.jobs.backup_job.BackupJob" in output
    assert "-> cdk_backup_jobs.jobs.copy_job.CopyJob" in output


@pytest.mark.slow
def test_a_misspelled_public_name_is_a_type_error(library_and_apps):
    errors, output = library_and_apps
    [error] = errors.get("misspelled_app.py", [None])
    assert error and 'has no attribute "BackupJobs"' in error, output


def type_checking_imports() -> dict[str, str]:
    """The names ``cdk_backup_jobs/__init__.py`` re-exports to type checkers, with their modules."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    [block] = [node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"]
    exported = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module, ast.unparse(node)
        for alias in node.names:
            assert alias.asname == alias.name, f"{alias.name} is not re-exported explicitly"
            exported[alias.name] = node.module
    return exported


def test_the_lazy_exports_and_the_type_checkers_view_agree():
    # Two lists name the public API: the lazy-import table (__all__ is read
    # from it) and the TYPE_CHECKING re-exports. A name missing from one works
    # at runtime but not under mypy, or the other way round.
    import cdk_backup_jobs

    assert cdk_backup_jobs.__all__ == sorted(cdk_backup_jobs._EXPORTS)
    assert type_checking_imports() == cdk_backup_jobs._EXPORTS


@pytest.mark.slow
def test_a_misspelled_final_backup_prop_is_a_type_error(library_and_apps):
    errors, output = library_and_apps
    [error] = errors.get("final_backup_typo.py", [None])
    assert error and 'Unexpected keyword argument "lifecyle" for "final_backup" of "BackupJob"' in error, output
