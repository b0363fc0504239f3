"""The package as users get it: a wheel that works outside the repository, a stable asset, docs that match."""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

from cdk_backup_jobs.provider_code import backup_jobs_rules as rules
from cdk_backup_jobs.provider_code import backup_jobs_service as service

REPO = Path(__file__).resolve().parent.parent

def one_job_app(app_arguments: str, printed: str) -> str:
    """A script that synthesizes one BackupJob in App(app_arguments) and prints ``printed`` of its function."""
    return textwrap.dedent(f"""
        from aws_cdk import App, Stack, aws_iam as iam
        from cdk_backup_jobs import BackupJob
        app = App({app_arguments})
        stack = Stack(app, "S")
        role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))
        BackupJob(stack, "J", backup_vault="vault", role=role,
                  resource_arn="arn:aws:dynamodb:us-east-1:123456789012:table/t")
        template = app.synth().get_stack_by_name("S").template
        [fn] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
        print(fn{printed})
    """)


ASSET_HASH = one_job_app("", '["Properties"]["Code"]["S3Key"]')


def run_python(python: str, code: str, cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([python, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip()


def test_asset_hash_is_the_same_for_two_synths(tmp_path):
    first = run_python(sys.executable, ASSET_HASH, tmp_path)
    second = run_python(sys.executable, ASSET_HASH, tmp_path)
    assert first == second and first.endswith(".zip")


NO_STAGING = one_job_app(
    'outdir="out", context={"aws:cdk:disable-asset-staging": True, "aws:cdk:enable-asset-metadata": True}',
    '["Metadata"]["aws:asset:path"]')


def test_without_asset_staging_the_assembly_points_at_code_that_outlives_the_synth(tmp_path):
    # cdk synth --no-staging and the SAM CLI read the asset where the construct staged it.
    path = Path(run_python(sys.executable, NO_STAGING, tmp_path))

    assert path.is_absolute() and not path.is_relative_to(tmp_path / "out")
    assert (path / "index.py").is_file() and (path / "crhelper" / "resource_helper.py").is_file()
    assert not list(path.rglob("*.pyc"))


def test_a_staged_folder_that_was_altered_is_never_used(tmp_path, monkeypatch):
    from cdk_backup_jobs import provider_asset

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    provider_asset.provider_asset_dir.cache_clear()
    try:
        first = Path(provider_asset.provider_asset_dir())
        (first / "index.py").write_text("print('altered')\n")
        provider_asset.provider_asset_dir.cache_clear()
        second = Path(provider_asset.provider_asset_dir())
    finally:
        provider_asset.provider_asset_dir.cache_clear()

    assert first.is_relative_to(tmp_path) and second == first
    assert (second / "index.py").read_bytes() == (provider_asset.handler_source_dir() / "index.py").read_bytes()


def project_files() -> list[str]:
    """The working tree's files that git tracks or would track (not ignored), as repository paths.

    What a commit of the tree holds, edits not yet committed included, and
    nothing that building or testing leaves behind (build/, *.egg-info,
    bytecode), which a build in the repository itself would pick up.
    """
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode()
    return sorted({name for name in listed.split("\0") if name and os.path.lexists(REPO / name)})


def clean_copy(target: Path) -> Path:
    """The project files copied to ``target``; links stay links (provider_code links to lambda/)."""
    for name in project_files():
        source, copy = REPO / name, target / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            copy.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, copy)
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Without --sdist/--wheel, build makes the sdist and then the wheel from
    # the unpacked sdist, so the wheel holds only what a release's sdist does.
    source = clean_copy(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(source)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Building wheel from sdist" in result.stderr, result.stderr[-3000:]
    [built] = out.glob("*.whl")
    assert list(out.glob("*.tar.gz")), "no sdist"
    return built


def test_wheel_carries_the_lambda_code_and_type_marker(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("cdk_backup_jobs/py.typed", "cdk_backup_jobs/testing/lambda_worker.py"):
        assert expected in names
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)


def test_wheel_carries_exactly_the_lambda_modules(wheel):
    # Every .py in provider_code goes into the Lambda asset (and its hash):
    # a stale module would ship and change the asset.
    lambda_modules = {f"cdk_backup_jobs/provider_code/{Path(name).name}" for name in project_files()
                      if Path(name).parent == Path("lambda") and name.endswith(".py")}
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("cdk_backup_jobs/provider_code/")}
    assert "cdk_backup_jobs/provider_code/index.py" in lambda_modules
    assert shipped == lambda_modules


def wheel_requirements(wheel: Path) -> list[str]:
    """The wheel's Requires-Dist lines, extras' ones included (with their markers)."""
    archive = zipfile.ZipFile(wheel)
    [metadata] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    return [line.split(":", 1)[1].strip() for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")]


def test_the_testing_extra_brings_what_the_testing_module_imports(wheel):
    import ast

    testing_extra = {line.split()[0].split(">")[0].split(";")[0].lower()
                     for line in wheel_requirements(wheel) if 'extra == "testing"' in line}
    imported = set()
    for source in (REPO / "constructs" / "cdk_backup_jobs" / "testing").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"cdk_backup_jobs"}
    distribution = {"botocore": "boto3", "yaml": "pyyaml"}
    assert {distribution.get(name, name) for name in third_party} <= testing_extra


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The python of a fresh venv outside the repository with only our wheel installed.

    Its dependencies (aws-cdk-lib and friends) come from this environment's
    site-packages through a .pth file, so nothing is downloaded; a test checks
    that they satisfy the wheel's requirements.
    """
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True, timeout=300)
    site = run_python(python, "import sysconfig; print(sysconfig.get_path('purelib'))", env_dir)
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


UNMET_REQUIREMENTS = textwrap.dedent("""
    import json, sys
    from importlib import metadata
    from packaging.requirements import Requirement

    unmet = []
    for text in json.loads(sys.argv[1]):
        requirement = Requirement(text)
        if requirement.marker and not any(requirement.marker.evaluate({"extra": extra})
                                          for extra in ("", "testing")):
            continue
        try:
            found = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            found = None
        if found is None or not requirement.specifier.contains(found, prereleases=True):
            unmet.append(f"{text} (found {found})")
    print(json.dumps(unmet))
""")


def test_the_installed_wheels_requirements_are_what_it_runs_with(wheel, installed, tmp_path):
    # The venv borrows its dependencies rather than resolving them, so check
    # that they satisfy the wheel's pins (its own and the testing extra's):
    # a pin the tested versions break fails here.
    requirements = wheel_requirements(wheel)
    assert any(r.startswith("aws-cdk-lib") for r in requirements)

    unmet = json.loads(run_python(installed, UNMET_REQUIREMENTS, tmp_path, json.dumps(requirements)))

    assert unmet == []


def test_installed_wheel_synthesizes_an_external_app_with_the_repositorys_asset(installed, tmp_path):
    # Another machine: the wheel, not the repository, and another cache for
    # the staged asset. Its S3 key is the content hash, so it must match.
    app_dir = tmp_path / "external"
    app_dir.mkdir()
    (app_dir / "my_app.py").write_text(ASSET_HASH)
    other_cache = tmp_path / "other-cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(other_cache)}

    key = run_python(installed, "import runpy; runpy.run_path('my_app.py')", app_dir, env=env)
    location = run_python(installed, "import cdk_backup_jobs; print(cdk_backup_jobs.__file__)", app_dir)
    in_repository = run_python(sys.executable, ASSET_HASH, tmp_path)

    assert key.endswith(".zip") and key == in_repository
    assert str(REPO) not in location and str(Path(installed).parent.parent) in location
    assert list(other_cache.rglob("index.py")), "the asset was not staged in the given cache"


# --- docs match the code -----------------------------------------------------

def documented_params(cls: type) -> set[str]:
    return set(re.findall(r":param (\w+):", inspect.getdoc(cls) or ""))


def readme_table(first_header: str, after: str = "") -> tuple[list[str], list[list[str]]]:
    """The header cells and the rows' cells of the first README table, after the
    line ``after``, whose header starts with ``first_header``."""
    lines = (REPO / "README.md").read_text().splitlines()
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


def readme_props(section: str) -> set[str]:
    _, rows = readme_table("prop", after=f"### `{section}` props")
    return {name for row in rows for name in code_names(row[0])}


@pytest.mark.parametrize("class_name", ["BackupJob", "CopyJob"])
def test_every_prop_is_documented_in_its_docstring_and_the_readme(class_name):
    import cdk_backup_jobs

    cls = getattr(cdk_backup_jobs, class_name)
    props = {name for name, p in inspect.signature(cls.__init__).parameters.items()
             if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert props == documented_params(cls)
    assert props == readme_props(class_name)


def test_the_backup_job_table_names_each_props_api_members():
    from cdk_backup_jobs.backup_job import PROP_NAMES

    header, rows = readme_table("prop", after="### `BackupJob` props")
    column = header.index("API member")
    documented = {name: set(code_names(row[column])) for row in rows for name in code_names(row[0])}
    expected: dict[str, set[str]] = {}
    for member, prop in PROP_NAMES.items():
        if "." not in member:  # Lifecycle's members have their own table
            expected.setdefault(prop, set()).add(member)
    assert documented == expected


@pytest.mark.parametrize("resource_type", ["Custom::BackupJob", "Custom::CopyJob"])
def test_the_cloudformation_property_table_lists_every_property(resource_type):
    shape = {"Custom::BackupJob": rules.BACKUP_JOB_RESOURCE, "Custom::CopyJob": rules.COPY_JOB_RESOURCE}[resource_type]
    _, rows = readme_table(f"`{resource_type}` property")
    documented = [name for row in rows for name in code_names(row[0])]
    required = {name for row in rows if "(required)" in row[0] for name in code_names(row[0])}
    assert sorted(documented) == sorted(member.name for member in shape.members)
    assert required == {member.name for member in shape.members if member.required}


def test_the_get_att_table_lists_the_attributes_the_handler_returns():
    header, rows = readme_table("`Fn::GetAtt`")
    by_when = {row[0]: row for row in rows}
    started = {"Custom::BackupJob": service.backup_job_attributes({"BackupJobId": "j"}),
               "Custom::CopyJob": service.copy_job_attributes({"CopyJobId": "j"})}
    finished = {"Custom::BackupJob": service.finished_backup_job_attributes({"BackupJobId": "j"}),
                "Custom::CopyJob": service.finished_copy_job_attributes({"CopyJobId": "j"})}
    assert set(by_when) == {"always", "when waited"}
    for resource_type in ("Custom::BackupJob", "Custom::CopyJob"):
        column = header.index(f"`{resource_type}`")
        assert set(code_names(by_when["always"][column])) == set(started[resource_type])
        assert set(code_names(by_when["when waited"][column])) == set(finished[resource_type]) - set(started[resource_type])


def test_the_job_lifecycle_table_lists_every_field_with_its_api_member():
    import dataclasses

    from cdk_backup_jobs.lifecycle import PROP_NAMES, JobLifecycle

    _, rows = readme_table("field", after="### `JobLifecycle`")
    documented = {name: set(code_names(row[1])) for row in rows for name in code_names(row[0])}
    assert set(documented) == {field.name for field in dataclasses.fields(JobLifecycle)}
    assert documented == {prop.removeprefix("lifecycle."): {member.removeprefix("Lifecycle.")}
                          for member, prop in PROP_NAMES.items() if "." in member}
    assert set().union(*documented.values()) == {m.name for m in rules.LIFECYCLE.members if m.input_allowed}


def test_every_public_name_has_a_docstring():
    import cdk_backup_jobs

    for name in cdk_backup_jobs.__all__:
        value = getattr(cdk_backup_jobs, name)
        if inspect.isclass(value):
            assert inspect.getdoc(value), name
            for attribute, member in vars(value).items():
                if isinstance(member, property) and not attribute.startswith("_"):
                    assert member.__doc__, f"{name}.{attribute}"
