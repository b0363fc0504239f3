"""Which botocore release first knows every StartBackupJob/StartCopyJob member the provider sends?

Decides whether the Lambda asset must bundle boto3 (it must, if the Lambda
runtime's botocore predates a member). Bisects botocore releases from PyPI,
reading each wheel's AWS Backup model; run by hand:

    python bench/botocore_members.py
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MODEL = "botocore/data/backup/2018-11-15/service-2.json"
WANTED = {
    "StartBackupJobInput": {"Index", "LogicallyAirGappedBackupVaultArn", "BackupOptions", "Lifecycle"},
    "StartCopyJobInput": {"Lifecycle"},
    "Lifecycle": {"OptInToArchiveForSupportedResources"},
}


def versions() -> list[str]:
    out = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "botocore"],
                         capture_output=True, text=True, check=True).stdout
    listed = out.split("Available versions:", 1)[1].splitlines()[0]
    found = [v.strip() for v in listed.split(",") if v.strip()]
    return sorted(found, key=lambda v: tuple(int(p) for p in v.split(".")))


def has_members(version: str, folder: Path) -> bool:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "-d", str(folder), f"botocore=={version}"], check=True)
    wheel = next(folder.glob(f"botocore-{version}-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        raw = archive.read(MODEL + ".gz") if MODEL + ".gz" in names else archive.read(MODEL)
    wheel.unlink()
    model = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    return all(members <= set(model["shapes"].get(shape, {}).get("members", {}))
               for shape, members in WANTED.items())


def main() -> None:
    candidates = [v for v in versions() if v.startswith("1.")]
    low, high = 0, len(candidates) - 1
    with tempfile.TemporaryDirectory() as folder:
        while low < high:
            middle = (low + high) // 2
            ok = has_members(candidates[middle], Path(folder))
            print(f"botocore {candidates[middle]}: {'has' if ok else 'lacks'} the members", flush=True)
            if ok:
                high = middle
            else:
                low = middle + 1
    print(f"first botocore with every member the provider sends: {candidates[low]}")


if __name__ == "__main__":
    main()
