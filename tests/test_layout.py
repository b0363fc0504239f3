"""The repository layout that keeps `constructs` and `lambda` from shadowing anything."""

from __future__ import annotations

import importlib.util
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
    import cdk_backup_jobs.provider_code as provider_code
    from cdk_backup_jobs.provider_asset import handler_source_dir

    assert handler_source_dir() == (REPO / "lambda").resolve()
    assert Path(next(iter(provider_code.__path__))).joinpath("index.py").exists()


def test_testing_tools_load_without_aws_cdk_lib():
    import subprocess
    import sys

    code = ("import sys, cdk_backup_jobs.testing; "
            "sys.exit(1 if any(m.startswith('aws_cdk') for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
