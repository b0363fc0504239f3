"""The package as users get it: a wheel that works outside the repository and a stable asset (the docs: test_docs.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

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
    assert (path / "yaml" / "scanner.py").is_file() and (path / "yaml" / "LICENSE").is_file()
    # Sources only: no bytecode, and not PyYAML's C extension, built for this machine rather than Lambda's.
    assert not list(path.rglob("*.pyc")) and not list(path.rglob("*.so"))


def test_a_staged_folder_that_was_altered_is_never_used(tmp_path, monkeypatch):
    from cdk_backup_jobs.provider import asset as provider_asset

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
    assert (second / "index.py").read_bytes() == provider_asset.entry_module().read_bytes()


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
    """The project files copied to ``target``."""
    for name in project_files():
        source, copy = REPO / name, target / name
        copy.parent.mkdir(parents=True, exist_ok=True)
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
    for expected in ("cdk_backup_jobs/py.typed", "cdk_backup_jobs/testing/lambda_service/worker.py"):
        assert expected in names
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)
    # Only what package-data lists: the example test of docs/testing.md stays in the sdist.
    assert not [n for n in names if n.rsplit("/", 1)[-1].startswith("test_")]


def test_wheel_carries_every_module_of_the_testing_tools(wheel):
    # The testing tools are one package per simulated service: each subpackage must be listed in
    # pyproject's packages, or the wheel leaves it out and `import cdk_backup_jobs.testing` fails.
    constructs = REPO / "constructs"
    testing = constructs / "cdk_backup_jobs" / "testing"
    sources = {path.relative_to(constructs).as_posix() for path in testing.rglob("*.py") if "__pycache__" not in path.parts}
    assert "cdk_backup_jobs/testing/cloudformation/simulator.py" in sources
    assert sources <= set(zipfile.ZipFile(wheel).namelist())


def test_wheel_carries_exactly_the_lambda_modules(wheel):
    # Every .py of the runtime package goes into the Lambda asset (and its
    # hash): a stale module would ship and change the asset. The entry,
    # lambda/index.py, ships as data of the library, not as a top-level module.
    lambda_files = {name for name in project_files() if name.startswith("lambda/") and name.endswith(".py")}
    expected = {name.replace("lambda/index.py", "cdk_backup_jobs/lambda_entry/index.py").removeprefix("lambda/")
                for name in lambda_files}
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n for n in names if n.endswith(".py")
               and n.startswith(("cdk_backup_jobs_runtime/", "cdk_backup_jobs/lambda_entry/"))}
    assert "lambda/index.py" in lambda_files and "lambda/cdk_backup_jobs_runtime/input/rules.py" in lambda_files
    assert shipped == expected
    assert "index.py" not in names
    assert "cdk_backup_jobs_runtime/py.typed" in names  # users' mypy follows the library into it


def handler_modules() -> set[str]:
    """The runtime's files the handler imports: every import (function-local ones too) followed from
    lambda/index.py through the package, read with ast; a package's __init__ comes with each module in it."""
    import ast

    lambda_dir = REPO / "lambda"

    def file_of(module: str) -> Path | None:
        base = lambda_dir.joinpath(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    found: set[Path] = set()
    pending = [lambda_dir / "index.py"]
    while pending:
        source = pending.pop()
        if source in found:
            continue
        found.add(source)
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            for name in names:
                parts = name.split(".")
                for depth in range(1, len(parts) + 1):  # importing a.b.c runs a and a.b first
                    target = file_of(".".join(parts[:depth]))
                    if target is not None:
                        pending.append(target)
    return {path.relative_to(lambda_dir).as_posix() for path in found}


def test_the_lambda_asset_carries_only_the_modules_the_handler_imports():
    # The asset is the handler's code: a module it never imports (the library's prop table once was one)
    # only adds to the asset and changes its hash.
    from cdk_backup_jobs.provider.asset import RUNTIME_PACKAGE, asset_files

    shipped = {name for name in asset_files() if name == "index.py" or name.startswith(f"{RUNTIME_PACKAGE}/")}
    imported = handler_modules()
    assert {"index.py", f"{RUNTIME_PACKAGE}/input/rules.py", f"{RUNTIME_PACKAGE}/jobs/waits.py"} <= imported
    assert shipped == imported


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
    for source in (REPO / "constructs" / "cdk_backup_jobs" / "testing").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"cdk_backup_jobs"}
    distribution = {"botocore": "boto3", "yaml": "pyyaml", "cfnlint": "cfn-lint"}
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
                                          for extra in ("", "testing", "lint")):
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
    # that they satisfy the wheel's pins (its own and the testing and lint extras'):
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


# --- what the description's links lead to (issue 14, item 6) -------------------

def page_link_targets() -> set[str]:
    """The repository files that README.md and docs/*.md link to (relative links, anchors dropped)."""
    import re

    from test_docs import links, pages

    targets = set()
    for page in pages():
        for target in links(page):
            path = target.partition("#")[0]
            if path and not re.match(r"[a-z][a-z0-9+.-]*:", path):
                targets.add((page.parent / path).resolve().relative_to(REPO).as_posix())
    return targets


@pytest.fixture(scope="module")
def sdist_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The files of an sdist built from a clean copy, as paths inside the project."""
    import tarfile

    source = clean_copy(tmp_path_factory.mktemp("sdist-source"))
    out = tmp_path_factory.mktemp("sdist")
    result = subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(out), str(source)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    [built] = out.glob("*.tar.gz")
    with tarfile.open(built) as archive:
        return {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}


EXAMPLES = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "examples").rglob("*.yaml"))


def test_the_sdist_carries_the_examples_and_every_file_the_pages_link_to(sdist_names):
    assert "examples/cloudformation/backup-job.yaml" in EXAMPLES
    assert set(EXAMPLES) <= sdist_names
    linked = page_link_targets()
    assert {"app.py", "docs/constructs.md", "examples/cloudformation/long-wait.yaml"} <= linked
    assert linked - sdist_names == set()


LINT_BY_MODULE_NAME = textwrap.dedent("""
    import sys
    from cfnlint.runner import main
    import cdk_backup_jobs.cfn_lint_rules as rules
    print(rules.__file__)
    sys.argv = ["cfn-lint", sys.argv[1], "--append-rules", "cdk_backup_jobs.cfn_lint_rules", "--format", "parseable"]
    main()
""")


def test_the_installed_wheels_cfn_lint_rule_is_loaded_by_its_module_name(installed, tmp_path):
    # cfn-lint's --append-rules imports a module path it is given: the installed package's, outside the repository.
    broken = tmp_path / "broken.yaml"
    broken.write_text(textwrap.dedent("""\
        Resources:
          Result:
            Type: Custom::BackupJobResult
            Properties:
              ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:provider
              BackupJobld: job-1
    """))
    result = subprocess.run([installed, "-c", LINT_BY_MODULE_NAME, str(broken)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    location, *found = result.stdout.splitlines()

    assert result.returncode == 2, result.stdout + result.stderr  # cfn-lint's bit for an error found
    assert str(REPO) not in location and str(Path(installed).parent.parent) in location
    assert f"{broken}:6:7:6:18:E9501:Custom::BackupJobResult property BackupJobld is not a Custom::BackupJobResult " \
           "member (did you mean BackupJobId?)" in found


def test_the_wheel_carries_the_example_templates_as_package_data(wheel):
    archive = zipfile.ZipFile(wheel)
    for example in EXAMPLES:
        packaged = f"cdk_backup_jobs/{example}"
        assert archive.read(packaged) == (REPO / example).read_bytes(), packaged


def test_the_readmes_command_for_the_examples_lists_them_from_the_installed_package(installed, tmp_path):
    # PyPI cannot follow the README's relative links: the README names a command that finds the
    # templates in the installed package instead. Run it as written, outside the repository.
    import re

    readme = (REPO / "README.md").read_text()
    [command] = set(re.findall(r"`python -m (cdk_backup_jobs[\w.]*)`", readme))
    listed = run_python(installed, f"import runpy; runpy.run_module({command!r}, run_name='__main__')", tmp_path)
    paths = [Path(line) for line in listed.splitlines()]

    assert sorted(path.name for path in paths) == sorted(Path(example).name for example in EXAMPLES)
    for path in paths:
        assert path.is_file() and not path.is_relative_to(REPO)
        assert path.read_bytes() == (REPO / "examples" / "cloudformation" / path.name).read_bytes()


def test_the_examples_command_answers_help_with_its_usage(tmp_path):
    # `--help` printed the templates' paths, as if it were no option at all.
    import subprocess
    import sys

    helped = subprocess.run([sys.executable, "-m", "cdk_backup_jobs.example_templates", "--help"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    refused = subprocess.run([sys.executable, "-m", "cdk_backup_jobs.example_templates", "--bogus"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)

    assert helped.returncode == 0 and helped.stdout.startswith("usage: python -m cdk_backup_jobs.example_templates")
    assert ".yaml" not in helped.stdout
    assert refused.returncode == 2 and "unrecognized arguments: --bogus" in refused.stderr


# --- the provider's release artifacts from the wheel alone (issue 23, items 2 and 5) -------------------

@pytest.fixture(scope="module")
def wheel_only(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The python of a fresh venv holding our wheel (``--no-deps``) and the installed files of crhelper and
    PyYAML (which the asset bundles), nothing else: no aws-cdk-lib, constructs, jsii or Node.js (copied, not
    downloaded)."""
    from importlib import metadata

    env_dir = tmp_path_factory.mktemp("wheel-only")
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True, timeout=300)
    bundled = tmp_path_factory.mktemp("bundled-only")
    for name in ("crhelper", "PyYAML"):  # what the asset bundles, and so what the zip is made of
        distribution = metadata.distribution(name)
        for file in distribution.files or []:
            source = Path(str(distribution.locate_file(file)))
            if source.is_file() and "__pycache__" not in file.parts and not str(file).startswith(".."):
                (bundled / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, bundled / file)
    site = run_python(python, "import sysconfig; print(sysconfig.get_path('purelib'))", env_dir)
    (Path(site) / "bundled-only.pth").write_text(f"{bundled}\n")
    return python


def test_the_wheel_alone_writes_the_release_artifacts_without_aws_cdk_jsii_or_node_and_they_deploy(
        wheel_only, tmp_path, cfn_stack, aws_backup):
    from cdk_backup_jobs.provider_artifacts import (RELEASE_DIR, SAM_README_NAME, SAM_TEMPLATE_NAME, TEMPLATE_NAME,
                                                    provider_zip)
    from library.test_provider_artifacts import deploy_release_then_example

    out = tmp_path / "dist"
    env = {"PATH": str(Path(wheel_only).parent), "HOME": str(tmp_path), "LANG": "C.UTF-8"}  # no node on PATH
    written = subprocess.run([wheel_only, "-X", "importtime", "-m", "cdk_backup_jobs.provider_artifacts",
                              "--out", str(out)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert written.returncode == 0, written.stderr[-3000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in written.stderr.splitlines()
                if line.startswith("import time:")}
    findable = run_python(wheel_only, "import importlib.util as u; print([u.find_spec(m) is not None "
                                      "for m in ('aws_cdk', 'jsii', 'constructs', 'cdk_backup_jobs', 'crhelper')])",
                          tmp_path, env=env)

    assert findable == "[False, False, False, True, True]"  # the venv has none of the CDK's libraries
    # -m runs the module itself as __main__: what it imports is listed.
    assert {"cdk_backup_jobs", "cdk_backup_jobs.provider.asset", "cdk_backup_jobs_runtime"} <= imported
    assert not {name for name in imported if name.split(".")[0] in ("aws_cdk", "jsii", "constructs", "yaml")}
    assert written.stdout.split() == [str(out / name) for name in (
        TEMPLATE_NAME, "backup-jobs-provider-0.1.0.zip", SAM_TEMPLATE_NAME, SAM_README_NAME)]
    for name in (TEMPLATE_NAME, SAM_TEMPLATE_NAME, SAM_README_NAME):
        assert (out / name).read_bytes() == (RELEASE_DIR / name).read_bytes()
    assert (out / "backup-jobs-provider-0.1.0.zip").read_bytes() == provider_zip()  # the same bytes as here

    run = deploy_release_then_example(out, cfn_stack, aws_backup)  # the simulator runs here, on those files

    assert run["created"].status == "CREATE_COMPLETE", run["created"].reason
    assert run["started"] == 1 and len(aws_backup.state.backup_jobs) == 1
    assert run["deleted"].status == "DELETE_COMPLETE", run["deleted"].reason
