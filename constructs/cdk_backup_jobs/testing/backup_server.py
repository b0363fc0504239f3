"""The local AWS Backup from the command line: ``python -m cdk_backup_jobs.testing.backup_server``.

    python -m cdk_backup_jobs.testing.backup_server --port 4567 --vault my-vault [--verbose]

It prints the bare endpoint URL as its first line on stdout (bound to
0.0.0.0 or ::, the loopback address a client on this machine can use) and
serves until Ctrl-C (SIGINT) or SIGTERM, after which it exits 0 without a
traceback: stopping is its normal end. An address it cannot listen on (a port
in use) is one line on stderr and exit status 1. An option argparse refuses (a
port outside 0-65535, a vault name AWS would refuse, a negative
``--job-seconds``) is one line of usage and one of error, exit status 2.
``--verbose`` logs each request to stderr (method, path, operation, status);
it is quiet by default.

The server itself is ``backup.endpoint``; this module also re-exports its
``backup_server()`` and ``RunningBackupServer``. The package
``cdk_backup_jobs.testing`` does not import this module, so ``-m`` runs it
once, as ``__main__``, without runpy's warning about a module imported
before it ran.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import types
from contextlib import AbstractContextManager
from types import FrameType
from typing import Any

from cdk_backup_jobs.testing.backup.emulator import BackupEmulator
from cdk_backup_jobs.testing.backup.endpoint import BackupHttpServer, RunningBackupServer, backup_server, routes
from cdk_backup_jobs.testing.backup.jobs import JobTiming

__all__ = ["EXIT_CANNOT_LISTEN", "EXIT_STOPPED", "RunningBackupServer", "Stopped", "backup_server", "endpoint_url",
           "main"]

EXIT_STOPPED = 0
EXIT_CANNOT_LISTEN = 1
# BackupVaultName's pattern in botocore's model of AWS Backup (CreateBackupVault).
VAULT_NAME = re.compile(r"^[a-zA-Z0-9\-\_]{2,50}$")


class Stopped(BaseException):
    """SIGTERM, raised in the main thread to end serve_forever as Ctrl-C's KeyboardInterrupt does.

    A BaseException, as KeyboardInterrupt is: the signal can land while the
    main thread is starting a request's thread, inside socketserver's
    ``except Exception`` (which would log it and serve on).
    """


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stopped


def _port(text: str) -> int:
    """A TCP port, 0 for any free one: argparse's one-line error rather than bind's OverflowError."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, not {port}")
    return port


def _vault_name(text: str) -> str:
    """A name CreateBackupVault would take, so the server never holds a vault AWS could not."""
    if not VAULT_NAME.match(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a backup vault name ({VAULT_NAME.pattern})")
    return text


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not seconds >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"seconds must be 0 or more, not {text}")
    return seconds


def endpoint_url(host: str, port: int) -> str:
    """The URL a client on this machine uses: a wildcard address is reached through loopback."""
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m cdk_backup_jobs.testing.backup_server",
        description="A local AWS Backup endpoint for tests (AWS_ENDPOINT_URL_BACKUP). Ctrl-C stops it (exit 0).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=_port, default=4567, help="port to listen on, 0 for any free one "
                                                               "(default: %(default)s)")
    parser.add_argument("--vault", action="append", default=[], type=_vault_name,
                        help="a vault to create at start (repeatable; 2-50 letters, digits, - and _)")
    parser.add_argument("--job-seconds", type=_seconds, default=0.0,
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
        print(endpoint_url(args.host, server.server_address[1]), flush=True)
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
