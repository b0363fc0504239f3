"""The oracles' libraries are this project's test tools: in the dev extra only."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ORACLES = {"moto", "parliament"}


def names(requirements: list[str]) -> set[str]:
    return {r.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip().lower() for r in requirements}


def test_the_oracles_are_dev_dependencies_only():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

    assert ORACLES <= names(project["optional-dependencies"]["dev"])
    assert not ORACLES & names(project["dependencies"])
    assert not ORACLES & names(project["optional-dependencies"]["testing"])


def test_neither_the_library_nor_the_lambda_asset_imports_them():
    sources = [*(REPO / "constructs").rglob("*.py"), *(REPO / "lambda").rglob("*.py")]
    imported = set()
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])

    assert len(sources) > 50 and not ORACLES & imported
