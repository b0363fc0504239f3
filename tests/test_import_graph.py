"""No import cycle among the library's modules: each module's imports, read from its source (ast).

Every import counts, also one inside a function or under ``TYPE_CHECKING``:
a cycle that runs only later, or only for the type checker, still ties the
modules together (copy_job once imported backup_job inside ``__init__``
because backup_job imported copy_job).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROOT = REPO / "constructs"
PACKAGE = "cdk_backup_jobs"


RUNTIME_ROOT = REPO / "lambda"
RUNTIME = "cdk_backup_jobs_runtime"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    return {module_name(path, root): path for path in sorted((root / package).rglob("*.py"))}


def imported(tree: ast.AST, known: set[str]) -> set[str]:
    """The package's modules that ``tree`` imports (``from a import b`` is module ``a.b`` when there is one)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module
                         for alias in node.names)
    return {name for name in names if name in known}


def import_graph(root: Path = ROOT, package: str = PACKAGE) -> dict[str, set[str]]:
    found = modules(root, package)
    known = set(found)
    return {name: imported(ast.parse(path.read_text()), known) - {name} for name, path in found.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each module that is on one (depth-first; each cycle is reported once)."""
    found: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        path = path + [module]
        for target in sorted(graph[module]):
            if state.get(target) == "open":  # on the path: back to it is a cycle
                found.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path)
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    return found


def test_the_graph_sees_the_packages_imports():
    graph = import_graph()
    assert "cdk_backup_jobs.jobs.job_resource" in graph["cdk_backup_jobs.jobs.copy_job"]
    assert "cdk_backup_jobs.jobs.copy_job" in graph["cdk_backup_jobs.jobs.backup_job"]  # BackupJob.copy_to
    assert "cdk_backup_jobs.jobs.recovery_point_lifecycle" in graph[PACKAGE]  # TYPE_CHECKING re-exports


def test_a_cycle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def in_testing(module: str) -> bool:
    """Whether ``module`` is one of the testing tools (cdk_backup_jobs.testing), not the library itself."""
    return module == f"{PACKAGE}.testing" or module.startswith(f"{PACKAGE}.testing.")


def test_no_import_cycle_among_the_librarys_modules():
    assert [cycle for cycle in cycles(import_graph()) if not all(map(in_testing, cycle))] == []


def test_no_import_cycle_among_the_testing_tools():
    assert [cycle for cycle in cycles(import_graph()) if all(map(in_testing, cycle))] == []


TESTING = f"{PACKAGE}.testing"
SERVICE_DEPENDENCIES = {
    "shared": set(),
    "iam": {"shared"},
    "eventbridge": {"shared"},
    "lambda_service": {"shared"},
    "backup": {"shared", "eventbridge", "iam"},  # job events on the bus; its endpoint asks IAM
    "cloudformation": {"shared", "eventbridge", "iam", "lambda_service"},
    "stacksets": {"shared", "backup", "cloudformation"},  # the shared endpoints; an instance is a stack in its place
}
"""Which packages of the testing tools each one may import: ``shared`` and the services it stands on."""


def package_of(module: str) -> str | None:
    """The testing tools' subpackage ``module`` is in; None for the facade and the modules at its top."""
    parts = module.split(".")
    is_package = (ROOT / Path(*parts) / "__init__.py").exists()
    return parts[2] if len(parts) > 3 or (len(parts) == 3 and is_package) else None


def undeclared_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) pairs of the testing tools that cross packages other than as declared: a package
    importing one it does not stand on, or the facade or a top module (the facade imports them all)."""
    found = []
    for module, targets in graph.items():
        here = package_of(module) if in_testing(module) else None
        if here is None:
            continue
        for target in sorted(targets):
            if not in_testing(target):
                continue
            there = package_of(target)
            if there != here and there not in SERVICE_DEPENDENCIES.get(here, set()):
                found.append((module, target))
    return found


def test_every_testing_package_declares_what_it_may_import():
    packages = {path.parent.name for path in (ROOT / PACKAGE / "testing").glob("*/__init__.py")}
    assert packages == set(SERVICE_DEPENDENCIES)


def test_a_package_importing_one_above_it_is_found():
    graph = {f"{TESTING}.eventbridge.bus": {f"{TESTING}.cloudformation.simulator", f"{TESTING}.shared.account"},
             f"{TESTING}.backup.emulator": {f"{TESTING}.stack_status", f"{TESTING}.backup.jobs"}}
    assert undeclared_imports(graph) == [(f"{TESTING}.eventbridge.bus", f"{TESTING}.cloudformation.simulator"),
                                         (f"{TESTING}.backup.emulator", f"{TESTING}.stack_status")]


def test_the_testing_packages_import_only_what_they_stand_on():
    graph = import_graph()
    assert f"{TESTING}.shared.virtual_time" in graph[f"{TESTING}.cloudformation.simulator"]
    assert undeclared_imports(graph) == []


def test_no_import_cycle_among_the_runtimes_modules():
    graph = import_graph(RUNTIME_ROOT, RUNTIME)
    assert f"{RUNTIME}.jobs.waits" in graph[f"{RUNTIME}.jobs.job_starts"]
    assert cycles(graph) == []


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The imports between a root package's subpackages (its top-level modules count as one, ``.``)."""
    def subpackage(module: str) -> str:
        parts = module.split(".")
        is_package = any(other.startswith(f"{module}.") for other in graph)
        return parts[1] if len(parts) > 2 or (len(parts) == 2 and is_package) else "."

    packages: dict[str, set[str]] = {}
    for module, targets in graph.items():
        here = subpackage(module)
        packages.setdefault(here, set()).update(subpackage(target) for target in targets)
    return {name: targets - {name} for name, targets in packages.items()}


def test_a_cycle_between_two_packages_is_found_though_no_module_cycle_is():
    graph = {f"{RUNTIME}.jobs.waits": {f"{RUNTIME}.watches.signals"},
             f"{RUNTIME}.watches.signals": set(),
             f"{RUNTIME}.watches.eventbridge": {f"{RUNTIME}.jobs.decisions"},
             f"{RUNTIME}.jobs.decisions": set()}
    assert cycles(graph) == []
    assert cycles(package_graph(graph)) == [["jobs", "watches", "jobs"]]


def test_the_runtimes_packages_import_each_other_one_way():
    # jobs may use watches (the mechanism: rule, events, signal); watches import no job code.
    packages = package_graph(import_graph(RUNTIME_ROOT, RUNTIME))
    assert "watches" in packages["jobs"]
    assert cycles(packages) == []


LIBRARY_DEPENDENCIES = {
    ".": {"jobs", "props", "provider", "stack_set"},  # the facade's re-exports; provider_artifacts reads the asset
    "props": set(),
    "provider": {"props"},
    "jobs": {"props", "provider"},
    "stack_set": {"props", "provider"},
    "release": {".", "provider", "stack_set"},  # provider_artifacts: the release files' names, the code zip's
}
"""Which packages of the construct library (``.``: the modules at its top) each one may import."""


def test_every_library_package_declares_what_it_may_import():
    packages = {path.parent.name for path in (ROOT / PACKAGE).glob("*/__init__.py")} - {"testing"}
    assert packages | {"."} == set(LIBRARY_DEPENDENCIES)


def test_the_librarys_packages_import_only_what_they_stand_on_and_each_other_one_way():
    library = {module: {target for target in targets if not in_testing(target)}
               for module, targets in import_graph().items() if not in_testing(module)}
    packages = package_graph(library)
    assert "provider" in packages["jobs"] and "." in packages["release"]
    assert cycles(packages) == []
    assert {name: targets - LIBRARY_DEPENDENCIES[name] for name, targets in packages.items()
            if targets - LIBRARY_DEPENDENCIES[name]} == {}
