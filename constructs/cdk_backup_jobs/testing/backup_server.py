"""The local AWS Backup from the command line, and the names users import from here.

``python -m cdk_backup_jobs.testing.backup_server --port 4567 --vault my-vault``.
The server itself is ``backup_http``; ``backup_server()`` and
``RunningBackupServer`` are re-exported from it.
"""

from __future__ import annotations

import argparse

from cdk_backup_jobs.testing.backup_emulator import BackupEmulator
from cdk_backup_jobs.testing.backup_http import BackupHttpServer, RunningBackupServer, backup_server, routes
from cdk_backup_jobs.testing.backup_jobs import JobTiming

__all__ = ["RunningBackupServer", "backup_server", "main"]


def main() -> None:
    parser = argparse.ArgumentParser(description="Local AWS Backup endpoint for tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4567)
    parser.add_argument("--vault", action="append", default=[], help="vault to create at start")
    parser.add_argument("--job-seconds", type=float, default=0.0,
                        help="how long each job runs before it completes")
    args = parser.parse_args()
    emulator = BackupEmulator(timing=JobTiming(done_after=args.job_seconds))
    for name in args.vault:
        emulator.create_vault(name)
    server = BackupHttpServer((args.host, args.port), emulator, routes())
    print(f"AWS Backup emulator on http://{args.host}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
