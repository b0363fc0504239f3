"""The provider's Lambda code: our handler modules plus crhelper, staged without Docker.

crhelper is not in the Lambda runtime, so it is copied from the installed
package; boto3 is the runtime's own. Only ``.py`` sources (and crhelper's
licence) are copied, never bytecode caches, so the asset hash depends on the
code alone and is the same for two synths with the same versions.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

import crhelper

import cdk_backup_jobs.provider_code as provider_code


def handler_source_dir() -> Path:
    """The Lambda asset root (``lambda/`` in the repository)."""
    return Path(next(iter(provider_code.__path__))).resolve()


@functools.lru_cache(maxsize=1)
def provider_asset_dir() -> str:
    """A staged copy of the Lambda code, built once per process."""
    staging = Path(tempfile.mkdtemp(prefix="cdk-backup-jobs-provider-"))
    atexit.register(shutil.rmtree, staging, ignore_errors=True)
    for source in sorted(handler_source_dir().glob("*.py")):
        shutil.copyfile(source, staging / source.name)
    crhelper_dir = staging / "crhelper"
    crhelper_dir.mkdir()
    for source in sorted(Path(next(iter(crhelper.__path__))).glob("*.py")):
        shutil.copyfile(source, crhelper_dir / source.name)
    licence = _crhelper_licence()
    if licence is not None:
        (crhelper_dir / "LICENSE").write_text(licence)
    return str(staging)


def _crhelper_licence() -> str | None:
    files = metadata.files("crhelper") or []
    for file in files:
        if file.name.upper().startswith("LICENSE"):
            return file.read_text()
    return None
