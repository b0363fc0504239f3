"""The provider's Lambda code: our handler modules plus crhelper and PyYAML, staged without Docker.

The asset mirrors ``lambda/``: ``index.py`` (the entry, ``index.handler``)
and the ``cdk_backup_jobs_runtime`` package, which the library imports too
(its rules) under that same one name. crhelper and PyYAML (which reads a
YAML template GetTemplate returns) are not in the Lambda runtime, so they
are copied from the installed packages; boto3 is the runtime's own. Only
``.py`` sources (and each one's licence) are copied, never bytecode caches
nor PyYAML's C extension (built for this machine, not Lambda's: PyYAML falls
back to its pure-Python parser without it), so the asset hash depends on the
code alone and is the same for two synths with the same versions, from a
source checkout or from the wheel.

The code's version is this package's (``package_version``), as its metadata
holds it: it names the release artifacts and the provider stack's function.
All of this is read without aws-cdk-lib (``python -m
cdk_backup_jobs.provider_artifacts`` runs where there is no Node.js). A source
tree that is not installed has no metadata; its ``pyproject.toml`` says the
same version.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import re
import shutil
import tempfile
import tomllib
from importlib import metadata
from pathlib import Path

import cdk_backup_jobs_runtime
from cdk_backup_jobs_runtime.cloudformation.crhelper_adapter import CRHELPER_VERSION

PACKAGE_DIR = Path(__file__).resolve().parent.parent
"""The ``cdk_backup_jobs`` package's folder (this module is in its ``provider`` subpackage)."""
DISTRIBUTION = "cdk-backup-jobs"
PYPROJECT = PACKAGE_DIR.parent.parent / "pyproject.toml"
"""A source checkout's project file (``constructs/cdk_backup_jobs`` is two folders below it)."""
VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*([a-z0-9.+-]*)$")
RUNTIME_PACKAGE = cdk_backup_jobs_runtime.__name__
ENTRY_MODULE = "index.py"
BUNDLED = {"crhelper": "crhelper", "yaml": "PyYAML"}
"""The packages the asset carries beside ours (import name: distribution), none of them in Lambda's runtime."""
BUNDLED_VERSIONS = {"crhelper": (re.compile(re.escape(CRHELPER_VERSION) + "$"), f"=={CRHELPER_VERSION}"),
                    "PyYAML": (re.compile(r"6\."), ">=6,<7")}
"""The versions the asset may bundle: crhelper's the adapter is written against (it wraps private hooks), and
PyYAML 6 (its pure-Python parser): another installed version fails the asset instead of shipping in it."""


def runtime_package_dir() -> Path:
    """The folder of the ``cdk_backup_jobs_runtime`` package (``lambda/cdk_backup_jobs_runtime``)."""
    return Path(next(iter(cdk_backup_jobs_runtime.__path__))).resolve()


def entry_module() -> Path:
    """``lambda/index.py``, the Lambda entry.

    A wheel ships it as ``cdk_backup_jobs/lambda_entry/index.py`` (it belongs
    to no package, and a top-level ``index`` module in site-packages would
    shadow users' own); a source checkout has it beside the runtime package.
    """
    packaged = PACKAGE_DIR / "lambda_entry" / ENTRY_MODULE
    return packaged if packaged.is_file() else runtime_package_dir().parent / ENTRY_MODULE


@functools.lru_cache(maxsize=1)
def provider_asset_dir() -> str:
    """The staged Lambda code, in a folder named after its content that outlives the process.

    CDK copies the folder into cdk.out; with asset staging off (``cdk synth
    --no-staging``, the SAM CLI's local runs) the assembly points at it
    instead, so it must still exist after the synth. Two synths of the same
    code share one folder in the user's cache; another version gets its own.
    A folder found there is used only if it holds exactly this code; one that
    cannot be replaced is left alone, and a private copy serves instead.
    """
    files = asset_files()
    digest = hashlib.sha256()
    for name, content in sorted(files.items()):
        digest.update(name.encode() + b"\0" + content + b"\0")
    try:
        cache = _cache_dir()
        cache.mkdir(parents=True, exist_ok=True)
        target = cache / f"provider-{digest.hexdigest()[:16]}"
        if _holds(target, files):
            return str(target)
        staging = _staged(files, cache)
    except OSError:  # no writable cache (a read-only home, say)
        return str(_staged(files, Path(tempfile.gettempdir())))
    shutil.rmtree(target, ignore_errors=True)  # an incomplete or altered copy
    try:
        staging.rename(target)
    except OSError:  # another synth staged it first, or it could not be removed
        pass
    if _holds(target, files):
        shutil.rmtree(staging, ignore_errors=True)
        return str(target)
    return str(staging)


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cdk-backup-jobs"


def _staged(files: dict[str, bytes], parent: Path) -> Path:
    """The files written into a new private folder under ``parent``."""
    staging = Path(tempfile.mkdtemp(prefix="provider-staging-", dir=parent))
    for name, content in files.items():
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_bytes(content)
    return staging


def asset_files() -> dict[str, bytes]:
    """Relative path -> content: the entry, the runtime package, and each bundled package's sources and licence."""
    files = {ENTRY_MODULE: entry_module().read_bytes()}
    package_dir = runtime_package_dir()
    for source in sorted(package_dir.rglob("*.py")):  # its subpackages too, one per concern
        if "__pycache__" not in source.parts:
            files[f"{RUNTIME_PACKAGE}/{source.relative_to(package_dir).as_posix()}"] = source.read_bytes()
    for package, distribution in BUNDLED.items():
        _check_version(distribution)
        for source in _installed_dir(package).glob("*.py"):
            files[f"{package}/{source.name}"] = source.read_bytes()
        licence = _licence(distribution)
        if licence is not None:
            files[f"{package}/LICENSE"] = licence.encode()
    return files


def _check_version(distribution: str) -> None:
    """Refuse to bundle a version of ``distribution`` other than the one the provider is tested with."""
    pattern, wanted = BUNDLED_VERSIONS[distribution]
    installed = metadata.version(distribution)
    if not pattern.match(installed):
        raise RuntimeError(f"{distribution} {installed} is installed, but the provider's Lambda asset bundles "
                           f"{distribution}{wanted} only: pip install '{distribution}{wanted}'")


def _installed_dir(package: str) -> Path:
    """A package's installed folder, found without importing it (crhelper's import pulls in boto3)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{package} is not installed; the provider's Lambda asset bundles it")
    return Path(next(iter(spec.submodule_search_locations)))


def _holds(folder: Path, files: dict[str, bytes]) -> bool:
    if not folder.is_dir():
        return False
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    return present == set(files) and all((folder / name).read_bytes() == content
                                         for name, content in files.items())


def _licence(distribution: str) -> str | None:
    files = metadata.files(distribution) or []
    for file in files:
        if file.name.upper().startswith("LICENSE"):
            return file.read_text()
    return None


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
