"""Forks one process per simulated stack instance, from a process that has already imported the heavy libraries.

Run as a script (``python fleet_zygote.py``), never imported, and it imports
none of ``cdk_backup_jobs.testing``: a child sets its account and Region in
its environment first and only then imports the simulator, whose modules
read them at import (``shared.account``). What it preloads (cfn-lint and
its schemas' dependencies, botocore, the TLS libraries) is most of a fresh
process's start-up, about 0.7 s of CPU an instance saved across a fleet.

Protocol, one JSON line each way: in, ``{"id", "environment", "request",
"report_path"}``; out, ``{"id", "pid"}`` once forked and ``{"id", "exit"}``
once it ended. The child writes its report (``fleet_worker.deploy``) to
``report_path`` and leaves with ``os._exit``. One thread forks and reaps
(select on stdin, then waitpid), so no lock is held by another thread at a fork.
End of input: it waits for its children, then exits.
"""

import importlib
import json
import os
import select
import sys
import traceback
from typing import Any

PRELOAD = ("botocore.session", "botocore.client", "boto3", "cfnlint", "cfnlint.schema", "trustme", "yaml",
           "crhelper", "urllib3", "cryptography.x509")
POLL_SECONDS = 0.02


def preload() -> None:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # not installed: the child imports what it needs itself


def child(job: dict[str, Any]) -> None:
    """In the forked process: become the account, deploy, write the report, leave.

    It leads a process group of its own, which its Lambda workers join: a
    timed-out instance is ended with its whole group (``os.killpg``), leaving
    no worker behind.
    """
    os.setpgid(0, 0)
    os.environ.update(job["environment"])
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the zygote's stdout carries only its protocol
    try:
        from cdk_backup_jobs.testing.stacksets.fleet_worker import deploy

        def send(report: dict[str, Any]) -> None:
            with open(job["report_path"], "w") as out:
                json.dump(report, out)
            os._exit(0)

        deploy(job["request"], on_report=send)
    except BaseException:
        with open(job["report_path"], "w") as out:
            json.dump({"status": "CREATE_FAILED", "reason": traceback.format_exc()[-1500:]}, out)
    os._exit(1)


def say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> None:
    preload()
    stdin, pending, ended = sys.stdin.fileno(), b"", False
    children: dict[int, int] = {}
    while not ended or children:
        if not ended and select.select([stdin], [], [], POLL_SECONDS)[0]:
            data = os.read(stdin, 1 << 16)
            ended = not data
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                job = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    child(job)
                try:  # here too, so the group exists before its pid is told (whichever runs first)
                    os.setpgid(pid, pid)
                except OSError:
                    pass  # the child did it, or has ended already
                children[pid] = job["id"]
                say({"id": job["id"], "pid": pid})
        elif ended:
            select.select([], [], [], POLL_SECONDS)
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            say({"id": children.pop(pid), "exit": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)  # this folder's modules are the simulator's, imported by their package name only
    main()
