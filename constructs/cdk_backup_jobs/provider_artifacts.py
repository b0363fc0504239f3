"""The provider as release artifacts, for plain CloudFormation: its template and its code zip.

``python -m cdk_backup_jobs.provider_artifacts --out DIR`` writes

- ``backup-jobs-provider.template.yaml``: ``BackupJobsProviderStack`` synthesized
  with its code, export name and narrowing lists as parameters
  (``release.template`` makes it; it ships in the wheel as package data);
- ``backup-jobs-provider-<version>.zip``: the Lambda code, the very files the
  CDK stages as the provider's asset (``provider.asset``), zipped the same way
  on every machine: sorted, fixed timestamps and permissions;
- ``backup-jobs-provider.sam.yaml`` and ``backup-jobs-provider-README.md``: the
  same template as an AWS SAM application for the Serverless Application
  Repository (``release.sam_application``), its ``CodeUri`` the zip, and its README.

It imports neither aws-cdk-lib nor jsii, so it runs where there is no Node.js:
the package's ``__init__`` imports its names lazily, and this module, like
``provider.asset``, needs only the standard library, the runtime package and
crhelper's installed files.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import NamedTuple

from cdk_backup_jobs.provider.asset import package_version, asset_files

TEMPLATE_NAME = "backup-jobs-provider.template.yaml"
SAM_TEMPLATE_NAME = "backup-jobs-provider.sam.yaml"
SAM_README_NAME = "backup-jobs-provider-README.md"
"""The SAM application's README (its metadata's ``ReadmeUrl``, a local file ``sam package`` uploads)."""
RELEASE_DIR = Path(__file__).resolve().parent / "release" / "provider_release"
"""Where the package holds the generated template (package data)."""
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
"""The earliest time a zip entry can hold: every entry gets it, so the bytes depend on the files alone."""
FILE_MODE = 0o100644
"""A regular file, readable by all: Lambda needs others to read the code (it runs as another user)."""


def zip_name(version: str | None = None) -> str:
    """``backup-jobs-provider-<version>.zip``: the release template's default ``CodeKey``."""
    return f"backup-jobs-provider-{version or package_version()}.zip"


def provider_zip() -> bytes:
    """The provider's code as a zip: ``index.py`` at its root, beside ``cdk_backup_jobs_runtime`` and crhelper."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in sorted(asset_files().items()):
            entry = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            entry.external_attr = FILE_MODE << 16
            entry.create_system = 3  # Unix, so that the mode is read as one
            archive.writestr(entry, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue()


def packaged_template() -> bytes:
    """The generated template, as the package holds it."""
    return (RELEASE_DIR / TEMPLATE_NAME).read_bytes()


class Artifacts(NamedTuple):
    """The files ``write_artifacts`` wrote."""

    template: Path
    code: Path
    sam_template: Path
    sam_readme: Path


def write_artifacts(out: Path) -> Artifacts:
    """The artifacts written into ``out`` (created if need be): the generated files as the package holds
    them, and the code zip beside them."""
    code = provider_zip()  # first: a zip that cannot be built (a bundled package missing) leaves no files behind
    out.mkdir(parents=True, exist_ok=True)
    written = Artifacts(template=out / TEMPLATE_NAME, code=out / zip_name(), sam_template=out / SAM_TEMPLATE_NAME,
                        sam_readme=out / SAM_README_NAME)
    for name in (TEMPLATE_NAME, SAM_TEMPLATE_NAME, SAM_README_NAME):
        (out / name).write_bytes((RELEASE_DIR / name).read_bytes())
    written.code.write_bytes(code)
    return written


def main(argv: list[str] | None = None) -> None:
    """Write both artifacts and print their paths, one a line."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m cdk_backup_jobs.provider_artifacts",
        description="Write the provider's CloudFormation template and its Lambda code zip, for deploying it "
                    "with the AWS CLI alone, and the same as an AWS SAM application for the Serverless Application "
                    "Repository (docs/cloudformation.md).")
    parser.add_argument("--out", required=True, type=Path, help="the folder to write them into")
    arguments = parser.parse_args(argv)
    try:
        written = write_artifacts(arguments.out)
    except (ModuleNotFoundError, RuntimeError) as error:  # a package the zip bundles is missing or another version
        parser.exit(1, f"{parser.prog}: error: {error}\n")
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
