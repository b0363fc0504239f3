"""The local AWS Backup from the command line: ``python -m cdk_backup_jobs.testing.backup_server``.

    python -m cdk_backup_jobs.testing.backup_server --port 4567 --vault my-vault [--verbose]

It prints the endpoint URL on stdout and serves until Ctrl-C (SIGINT) or
SIGTERM, after which it exits 0 without a traceback: stopping is its normal
end. An address it cannot listen on (a port in use) is one line on stderr and
exit status 1. ``--verbose`` logs each request to stderr (method, path,
operation, status); it is quiet by default.

The server itself is ``backup_http``; this module also re-exports its
``backup_server()`` and ``RunningBackupServer``. The package
``cdk_backup_jobs.testing`` does not import this module, so ``-m`` runs it
once, as ``__main__``, without runpy's warning about a module imported
before it ran.
"""

from __future__ import annotations

import argparse
import signal
import sys
import types
from contextlib import AbstractContextManager
from types import FrameType
from typing import Any

from cdk_backup_jobs.testing.backup_emulator import BackupEmulator
from cdk_backup_jobs.testing.backup_http import BackupHttpServer, RunningBackupServer, backup_server, routes
from cdk_backup_jobs.testing.backup_jobs import JobTiming

__all__ = ["EXIT_CANNOT_LISTEN", "EXIT_STOPPED", "RunningBackupServer", "Stopped", "backup_server", "main"]

EXIT_STOPPED = 0
EXIT_CANNOT_LISTEN = 1


class Stopped(BaseException):
    """SIGTERM, raised in the main thread to end serve_forever as Ctrl-C's KeyboardInterrupt does.

    A BaseException, as KeyboardInterrupt is: the signal can land while the
    main thread is starting a request's thread, inside socketserver's
    ``except Exception`` (which would log it and serve on).
    """


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stopped


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m cdk_backup_jobs.testing.backup_server",
        description="A local AWS Backup endpoint for tests (AWS_ENDPOINT_URL_BACKUP). Ctrl-C stops it (exit 0).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=4567, help="port to listen on, 0 for any free one "
                                                               "(default: %(default)s)")
    parser.add_argument("--vault", action="append", default=[], help="a vault to create at start (repeatable)")
    parser.add_argument("--job-seconds", type=float, default=0.0,
                        help="how long each job runs before it completes (default: %(default)s)")
    parser.add_argument("--verbose", action="store_true",
                        help="log each request to stderr: method, path, operation, status")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve until stopped; the exit status."""
    args = parse_args(argv)
    emulator = BackupEmulator(timing=JobTiming(done_after=args.job_seconds))
    for name in args.vault:
        emulator.create_vault(name)
    try:
        server = BackupHttpServer((args.host, args.port), emulator, routes(),
                                  request_log=sys.stderr if args.verbose else None)
    except OSError as error:
        print(f"backup_server: cannot listen on {args.host}:{args.port}: {error.strerror or error}",
              file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    signal.signal(signal.SIGTERM, _stop)
    try:
        print(f"AWS Backup emulator on http://{args.host}:{server.server_address[1]}", flush=True)
        server.serve_forever()
    except (KeyboardInterrupt, Stopped):
        pass
    finally:
        server.server_close()
    return EXIT_STOPPED


class _CallableModule(types.ModuleType):
    """This module, callable as the ``backup_server()`` it re-exports.

    Importing it after the package (the pytest plugin does) makes Python set
    the package's attribute of the same name to this module, in place of the
    function the package bound; so a user's ``from cdk_backup_jobs.testing
    import backup_server`` then gets this module, and calling it must serve.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> AbstractContextManager[RunningBackupServer]:
        return backup_server(*args, **kwargs)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C before serving began
        sys.exit(EXIT_STOPPED)
else:
    sys.modules[__name__].__class__ = _CallableModule
