"""Stack instances' processes: each forked by a zygote (``fleet_zygote``) as its account, in its Region.

The account ID and Region go in the child's environment before it imports
the simulated services, which read them at import (``shared.account``);
the account's AWS Backup behaviour (faults, scripted job outcomes) goes in
its request. A child that crashes or outlives ``timeout_seconds`` is a failed
stack with the reason, never a lost instance; one that outlives it is ended
with its process group (the child leads one, which its Lambda workers join),
so no process of it is left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future
from dataclasses import asdict
from pathlib import Path
from typing import Any, Mapping

from cdk_backup_jobs.testing.shared.account import ACCOUNT_ID_VARIABLE, REGION_VARIABLE
from cdk_backup_jobs.testing.stacksets.organization import SimulatedAccount

ZYGOTE = Path(__file__).with_name("fleet_zygote.py")
PID_SECONDS = 30.0
"""How long the zygote may take to fork a child and say its pid, or to reap a killed one."""


class InstanceProcesses:
    """One zygote, started on first use; ``run`` deploys one instance in a child of it (thread-safe)."""

    def __init__(self) -> None:
        self._zygote: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._next_id = 0
        self._pids: dict[int, Future[int]] = {}
        self._exits: dict[int, Future[int]] = {}
        self._reports = Path(tempfile.mkdtemp(prefix="fleet-reports-"))

    def run(self, account: SimulatedAccount, region: str, request: Mapping[str, Any],
            timeout_seconds: float = 600.0) -> dict[str, Any]:
        """Deploy ``request``'s stack as ``account`` in ``region``: the instance's report."""
        environment = {ACCOUNT_ID_VARIABLE: account.account_id, REGION_VARIABLE: region,
                       "AWS_REGION": region, "AWS_DEFAULT_REGION": region}
        sent = {**request, "faults": [asdict(fault) for fault in account.backup_faults],
                "outcomes": [asdict(outcome) for outcome in account.job_outcomes]}
        with self._lock:
            zygote = self._started()
            job_id, self._next_id = self._next_id, self._next_id + 1
            pid: Future[int] = Future()
            ended: Future[int] = Future()
            self._pids[job_id], self._exits[job_id] = pid, ended
            path = self._reports / f"{job_id}.json"
            assert zygote.stdin is not None
            zygote.stdin.write(json.dumps({"id": job_id, "environment": environment, "request": sent,
                                           "report_path": str(path)}) + "\n")
            zygote.stdin.flush()
        try:
            status = ended.result(timeout=timeout_seconds)
        except TimeoutError:
            _kill_group(pid)
            try:
                ended.result(timeout=PID_SECONDS)  # reaped by the zygote
            except TimeoutError:
                pass
            return _failed(f"the instance's process did not finish within {timeout_seconds:g} seconds")
        if not path.is_file():
            return _failed(f"the instance's process exited with status {status} and no report")
        report: dict[str, Any] = json.loads(path.read_text())
        path.unlink()
        return report

    def close(self) -> None:
        with self._lock:
            zygote, self._zygote = self._zygote, None
        if zygote is not None:
            assert zygote.stdin is not None
            zygote.stdin.close()  # it waits for its children, then exits
            zygote.wait()
        shutil.rmtree(self._reports, ignore_errors=True)

    def _started(self) -> subprocess.Popen[str]:
        if self._zygote is None or self._zygote.poll() is not None:
            self._zygote = subprocess.Popen([sys.executable, str(ZYGOTE)], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, text=True,
                                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
            threading.Thread(target=self._read, args=(self._zygote,), daemon=True).start()
        return self._zygote

    def _read(self, zygote: subprocess.Popen[str]) -> None:
        assert zygote.stdout is not None
        for line in zygote.stdout:
            message = json.loads(line)
            if "pid" in message:
                self._pids.pop(message["id"]).set_result(message["pid"])
            else:
                self._exits.pop(message["id"]).set_result(message["exit"])
        for waiting in list(self._exits.values()):  # the zygote died: nothing more will end
            if not waiting.done():
                waiting.set_result(-1)


def _kill_group(pid: Future[int]) -> None:
    """SIGKILL the instance's process group: the instance and its Lambda workers."""
    try:
        os.killpg(pid.result(timeout=PID_SECONDS), signal.SIGKILL)
    except ProcessLookupError:
        pass  # it ended meanwhile; the group with it


def _failed(reason: str) -> dict[str, Any]:
    return {"status": "CREATE_FAILED", "reason": reason}
