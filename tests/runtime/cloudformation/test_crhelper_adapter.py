"""The crhelper adapter: written against one crhelper release, and the only place its internals are touched."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
RUNTIME = REPO / "lambda" / "cdk_backup_jobs_runtime"


def test_the_installed_crhelper_is_the_release_the_overrides_were_written_against():
    from cdk_backup_jobs_runtime.cloudformation.crhelper_adapter import CRHELPER_VERSION

    pin = re.search(r'"crhelper==([^"]+)"', (REPO / "pyproject.toml").read_text())
    assert pin is not None
    assert metadata.version("crhelper") == CRHELPER_VERSION == pin.group(1)


def test_every_overridden_hook_is_one_crhelper_has():
    from crhelper.resource_helper import CfnResource

    from cdk_backup_jobs_runtime.cloudformation.crhelper_adapter import OVERRIDDEN_HOOKS, ProviderResource

    for hook in OVERRIDDEN_HOOKS:
        assert callable(getattr(CfnResource, hook, None)), f"crhelper has no {hook} any more"
        assert hook in vars(ProviderResource), f"{hook} is listed but not overridden"
    private_overrides = {name for name in vars(ProviderResource)
                         if name.startswith("_") and not name.startswith("__") and hasattr(CfnResource, name)}
    assert private_overrides == set(OVERRIDDEN_HOOKS)


def test_only_the_adapter_imports_crhelper():
    importers = sorted(path.name for path in [*RUNTIME.rglob("*.py"), REPO / "lambda" / "index.py"]
                       if re.search(r"^\s*(from|import) crhelper", path.read_text(), re.MULTILINE))
    assert importers == ["crhelper_adapter.py"]


BOTO3_AFTER_IMPORT = """
import sys
sys.path.insert(0, sys.argv[1])
import index
lazy = sys.modules.get("boto3")
import boto3
print(lazy is None, hasattr(boto3, "session"), "botocore" in sys.modules)
"""


def test_boto3_is_left_alone_for_everyone_but_crhelper():
    # The stand-in serves crhelper's import only: after the handler loaded,
    # sys.modules has no boto3 yet, and an import gets the real one.
    result = subprocess.run([sys.executable, "-c", BOTO3_AFTER_IMPORT, str(REPO / "lambda")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["True", "True", "True"]
