"""This package's version and licence, as its metadata holds them: named by the provider's release artifacts.

Read without aws-cdk-lib (``python -m cdk_backup_jobs.provider_artifacts`` runs
where there is no Node.js). A source tree that is not installed has no
metadata; its ``pyproject.toml`` says the same version.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "cdk-backup-jobs"
PYPROJECT = Path(__file__).resolve().parent.parent.parent / "pyproject.toml"
"""A source checkout's project file (``constructs/cdk_backup_jobs`` is two folders below it)."""
VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*([a-z0-9.+-]*)$")


def package_version() -> str:
    """The installed distribution's version, else the source checkout's ``pyproject.toml`` one."""
    try:
        version = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        version = str(tomllib.loads(PYPROJECT.read_text())["project"]["version"])
    if not VERSION.match(version):  # it names files and S3 keys
        raise ValueError(f"{DISTRIBUTION} has no usable version: {version!r}")
    return version


def package_license() -> str:
    """The installed distribution's SPDX licence expression, else the source checkout's ``pyproject.toml`` one."""
    try:
        expressions = metadata.metadata(DISTRIBUTION).get_all("License-Expression") or []  # none before Metadata 2.4
        expression = expressions[0] if expressions else None
    except metadata.PackageNotFoundError:
        expression = None
    return str(expression or tomllib.loads(PYPROJECT.read_text())["project"]["license"])
