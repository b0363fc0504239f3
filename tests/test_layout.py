"""The repository layout that keeps `constructs` and `lambda` from shadowing anything."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_constructs_resolves_to_the_installed_package_not_the_source_root():
    spec = importlib.util.find_spec("constructs")
    assert spec is not None and spec.origin is not None
    assert Path(spec.origin).resolve().parent != (REPO / "constructs").resolve()
    assert "site-packages" in spec.origin


def test_source_roots_are_not_packages():
    assert not (REPO / "constructs" / "__init__.py").exists()
    assert not (REPO / "lambda" / "__init__.py").exists()


def test_the_library_ships_the_lambda_code_it_deploys():
    from cdk_backup_jobs.provider.asset import entry_module, runtime_package_dir

    assert runtime_package_dir() == (REPO / "lambda" / "cdk_backup_jobs_runtime").resolve()
    assert entry_module() == (REPO / "lambda" / "index.py").resolve()


def test_the_repository_tracks_no_symlink():
    # A link breaks on Windows checkouts and in some sdist tools, and gave a
    # module two import names.
    listed = subprocess.run(["git", "ls-files", "-s"], cwd=REPO, capture_output=True, text=True, check=True)
    links = [line.split("\t", 1)[1] for line in listed.stdout.splitlines() if line.startswith("120000 ")]
    assert links == []


# Imports the construct side and the handler side in one process, as the test
# suite and a user's tests do, then lists every loaded module whose file is in
# lambda/: each must be loaded once, under one name.
ONE_NAME_PER_MODULE = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import cdk_backup_jobs.jobs.properties, cdk_backup_jobs.props.validation
import cdk_backup_jobs.jobs.backup_job, cdk_backup_jobs.jobs.copy_job
import index
from cdk_backup_jobs_runtime.input import rules, shapes
lambda_dir = Path(sys.argv[1]).resolve()
loaded = [(name, str(Path(module.__file__).resolve().relative_to(lambda_dir)))
          for name, module in list(sys.modules.items())
          if getattr(module, "__file__", None) and Path(module.__file__).resolve().is_relative_to(lambda_dir)]
print(json.dumps({"loaded": loaded,
                  "same_rules": cdk_backup_jobs.jobs.properties.rules is rules,
                  "same_shapes": cdk_backup_jobs.jobs.backup_job.START_BACKUP_JOB is shapes.START_BACKUP_JOB}))
"""


def test_each_lambda_module_is_loaded_once_under_one_name():
    import json
    import sys

    result = subprocess.run([sys.executable, "-c", ONE_NAME_PER_MODULE, str(REPO / "lambda")],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout)
    files = [file for _, file in found["loaded"]]
    names = {name for name, _ in found["loaded"]}

    assert len(files) == len(set(files)), f"a module is loaded under two names: {sorted(found['loaded'])}"
    assert "cdk_backup_jobs_runtime/input/rules.py" in files and "index.py" in files
    assert names == {"index", "cdk_backup_jobs_runtime"} | {n for n in names if n.startswith("cdk_backup_jobs_runtime.")}
    assert found["same_rules"] and found["same_shapes"]


def test_the_rules_have_no_second_import_name():
    import importlib.util

    for name in ("backup_jobs_rules", "cdk_backup_jobs.provider_code", "cdk_backup_jobs.rules"):
        assert importlib.util.find_spec(name) is None, name


def test_testing_tools_load_without_aws_cdk_lib():
    import subprocess
    import sys

    code = ("import sys, cdk_backup_jobs.testing; "
            "sys.exit(1 if any(m.startswith('aws_cdk') for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_the_layout_page_lists_every_runtime_package():
    import re

    page = (REPO / "docs" / "layout.md").read_text()
    table = page.split("## The provider's packages", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([^`]+)` \|", table, re.MULTILINE))
    runtime = REPO / "lambda" / "cdk_backup_jobs_runtime"
    packages = {f"{p.parent.relative_to(runtime).as_posix()}/" for p in runtime.glob("*/__init__.py")}
    assert {"jobs/", "watches/"} <= packages
    assert documented == packages | {"./", "../index.py"}


def test_the_runtime_is_its_packages():
    # A module beside the packages is shared by all of them; a deeper level would be a package the page misses.
    runtime = REPO / "lambda" / "cdk_backup_jobs_runtime"
    loose = {p.name for p in runtime.glob("*.py")}
    assert loose == {"__init__.py", "errors.py", "structured_log.py", "invocation.py"}
    assert not list(runtime.glob("*/*/*.py"))


TESTS = REPO / "tests"

MIRRORED = {
    # tests/<name>/<package>/ holds the tests of each package of this source folder.
    "runtime": REPO / "lambda" / "cdk_backup_jobs_runtime",
    "testing": REPO / "constructs" / "cdk_backup_jobs" / "testing",
    "library": REPO / "constructs" / "cdk_backup_jobs",
}
"""The source folders the tests mirror; a folder that is another entry's source is no package of this one's (the
library's ``testing/`` is mirrored by ``tests/testing/``, not ``tests/library/testing/``)."""

NOT_PACKAGES = {TESTS, TESTS / "reliability"}
"""The test folders on pyproject's pythonpath: their modules are imported by their plain names."""


def _packages_of(source: Path) -> set[str]:
    return {init.parent.name for init in source.glob("*/__init__.py") if init.parent not in MIRRORED.values()}


def _folders(parent: Path) -> set[str]:
    return {p.name for p in parent.iterdir() if p.is_dir() and p.name != "__pycache__"} if parent.is_dir() else set()


def test_every_package_of_the_mirrored_code_has_its_tests_folder_and_no_other():
    assert "jobs" in _packages_of(MIRRORED["runtime"]) and "testing" in _folders(TESTS)
    for name, source in MIRRORED.items():
        packages, folders = _packages_of(source), _folders(TESTS / name)
        assert folders == packages, f"tests/{name}/ against {source.relative_to(REPO)}"
        untested = [package for package in packages if not list((TESTS / name / package).glob("test_*.py"))]
        assert untested == [], f"tests/{name}/: folders without a test"


def test_every_folder_of_tests_is_a_package_but_those_on_the_pythonpath():
    # pytest's prepend mode imports a test of a package by its dotted name (runtime.jobs.test_decisions), so
    # two tests of one name in two packages never clash; outside packages, every name must be unique.
    folders = {test.parent for test in TESTS.rglob("test_*.py")}
    assert folders >= {TESTS / "runtime" / "jobs", TESTS / "scenarios"}

    def in_packages(folder: Path) -> bool:  # the folder and each one above it, up to tests/
        inside = folder.relative_to(TESTS)
        return all((TESTS / part / "__init__.py").exists() for part in [inside, *inside.parents][:-1])

    assert {folder for folder in folders - NOT_PACKAGES if not in_packages(folder)} == set()


def test_the_layout_page_has_a_row_for_each_folder_of_tests():
    import re

    page = (REPO / "docs" / "layout.md").read_text()
    table = page.split("## The tests' layout", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([^`]+)` \|", table, re.MULTILINE)
    assert len(documented) == len(set(documented))
    assert set(documented) == {"./"} | {f"{name}/" for name in _folders(TESTS)}
    assert set(MIRRORED) <= {name.rstrip("/") for name in documented}


def _paths_a_file_climbs_to(source: Path) -> list[Path]:
    """Every folder a test file names by climbing from itself (``parents[N]``, ``.parent.parent``)."""
    import re

    text = source.read_text(encoding="utf-8")
    here = source.resolve()
    climbed = [here.parents[int(n)] for n in re.findall(r"__file__\)\.resolve\(\)\.parents\[(\d+)\]", text)]
    climbed += [here.parents[len(chain) // len(".parent") - 1]
                for chain in re.findall(r"__file__\)\.resolve\(\)((?:\.parent)+)", text)]
    return climbed


BESIDE_CI_CLONE = ("/".join(("..", "shared")), "/".join(("shared", "reference")))
"""The folder beside CI's clone (and its reference subfolder), which a user's clone does not have; spelled
in parts so that this guard does not name it itself."""


def test_no_test_reads_anything_outside_the_repository():
    # A user's clone has nothing beside it (CI's happens to have a shared folder).
    sources = [*(REPO / "tests").rglob("*.py"), *(REPO / "bench").rglob("*.py")]
    outside = {f"{p.relative_to(REPO)} -> {target}" for p in sources for target in _paths_a_file_climbs_to(p)
               if not target.is_relative_to(REPO)}
    named = {str(p.relative_to(REPO)) for p in sources
             if any(name in p.read_text(encoding="utf-8") for name in BESIDE_CI_CLONE)}
    assert not outside and not named, sorted(outside | named)


TEST_PATH = re.compile(r"\btests/[A-Za-z0-9_/]+\.py\b")
WHERE_TEST_PATHS_ARE_NAMED = ("README.md", "docs", "bench", "constructs", "lambda", "tests", "examples", "pyproject.toml")
ILLUSTRATIONS = {"tests/test_my_stack.py"}  # a user's own test file, in the testing guide's examples


def stale_test_paths(root: Path) -> list[str]:
    """Every ``tests/....py`` named in the code, docs or tests that is no file: left behind by a move."""
    stale: list[str] = []
    for top in WHERE_TEST_PATHS_ARE_NAMED:
        place = root / top
        files = [place] if place.is_file() else sorted(p for p in place.rglob("*")
                                                         if p.suffix in {".py", ".md", ".toml", ".yaml", ".json"})
        for path in files:
            if "egg-info" in path.parts or "node_modules" in path.parts:
                continue
            for named in sorted(set(TEST_PATH.findall(path.read_text(errors="replace")))):
                if named not in ILLUSTRATIONS and not (root / named).is_file():
                    stale.append(f"{path.relative_to(root)}: {named}")
    return stale


def test_a_test_path_left_behind_by_a_move_is_found(tmp_path):
    (tmp_path / "tests" / "runtime").mkdir(parents=True)
    (tmp_path / "tests" / "runtime" / "test_index.py").write_text("")
    (tmp_path / "docs").mkdir()
    gone = "tests/" + "test_handler.py"  # written apart, so this file names no missing path itself
    (tmp_path / "docs" / "page.md").write_text(f"see tests/runtime/test_index.py and {gone}")
    assert stale_test_paths(tmp_path) == [f"docs/page.md: {gone}"]


def test_every_test_path_named_in_the_repository_exists():
    # The tests moved once to mirror the code (issue 24); a docstring or a docs page naming the old path
    # sends the next reader nowhere.
    assert stale_test_paths(REPO) == []
