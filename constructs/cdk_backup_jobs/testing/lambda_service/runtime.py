"""Runs a Lambda function's code the way Lambda does: in separate, reusable processes.

Each worker process is one container: it imports the handler once (a cold
start) and serves invocations until it is killed. An invocation that outlives
the function's timeout kills its worker, as Lambda does. Everything the
function writes to stdout and stderr is kept, for log assertions.

A failed invocation carries Lambda's error object (``error_object``:
``errorMessage``, ``errorType``, ``stackTrace``), and ``error`` sums it up as
``<errorType>: <errorMessage>``, the line Lambda logs with ``[ERROR]``. A worker
whose process exited mid-invocation (``sys.exit`` in a handler) is not reused.
Before each answer the worker writes a mark line (``LOG_MARK``, kept out of the
logs) after everything it logged, so an invocation returns with its logs in.

Every function invocation of a simulator is recorded (``InvocationLog``) with
its cause: "cloudformation" (a request), "event" or "schedule" (a rule's
target).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Mapping

CAUSES = ("cloudformation", "event", "schedule")  # why a function was invoked (``InvocationRecord.cause``)
WORKER = Path(__file__).with_name("worker.py")
INIT_TIMEOUT_SECONDS = 30.0
LOG_MARK = "\x00lambda-worker-answers\n"  # the worker writes it to stdout before each answer
LOG_SETTLE_SECONDS = 5.0


@dataclass
class Invocation:
    """What one invocation returned, raised, or that it timed out."""

    result: Any = None
    error: str | None = None
    """``<errorType>: <errorMessage>`` of an invocation that failed."""
    timed_out: bool = False
    seconds: float = 0.0
    error_object: dict[str, Any] | None = None
    """Lambda's error object for a failed invocation: errorMessage, errorType, stackTrace."""

    @classmethod
    def failed(cls, error: dict[str, Any], seconds: float) -> "Invocation":
        return cls(error=f"{error.get('errorType')}: {error.get('errorMessage')}", seconds=seconds,
                   error_object=error)


class _Worker:
    def __init__(self, runtime: "LambdaRuntime") -> None:
        read_fd, write_fd = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), runtime.code_dir, runtime.handler, str(write_fd)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(write_fd,), env=runtime.environment, text=True,
        )
        os.close(write_fd)
        self.results = os.fdopen(read_fd, "r")
        self.marks, self.answers, self.logs_ended = 0, 0, False
        self.logged = threading.Condition()
        threading.Thread(target=self._collect_logs, args=(runtime,), daemon=True).start()
        ready = self.read(INIT_TIMEOUT_SECONDS)
        self.init_error: dict[str, Any] | None = None if ready is None else ready.get("init_error")
        if ready is None:
            self.init_error = {"errorType": "InitTimeout", "stackTrace": [], "errorMessage":
                               f"the handler was not loaded within the simulator's {INIT_TIMEOUT_SECONDS:g} seconds"}
        elif "exited" in ready:
            self.init_error = ready["exited"]

    def read(self, timeout: float) -> dict[str, Any] | None:
        readable, _, _ = select.select([self.results], [], [], max(timeout, 0.0))
        if not readable:
            return None
        line = self.results.readline()
        if line:
            self.answers += 1
            with self.logged:  # what the function logged before this answer is in the logs
                self.logged.wait_for(lambda: self.marks >= self.answers or self.logs_ended, LOG_SETTLE_SECONDS)
            loaded: dict[str, Any] = json.loads(line)
            return loaded
        try:  # no answer: the process is ending (sys.exit, os._exit, a crash)
            status = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            status = None
        return {"exited": {"errorType": "Runtime.ExitError", "stackTrace": [],
                           "errorMessage": f"Runtime exited with error: exit status {status}"}}

    def _collect_logs(self, runtime: "LambdaRuntime") -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.endswith(LOG_MARK):  # after a last line the function left unfinished, if any
                if line != LOG_MARK:
                    runtime._log(line[:-len(LOG_MARK)])
                with self.logged:
                    self.marks += 1
                    self.logged.notify_all()
                continue
            runtime._log(line)
        with self.logged:
            self.logs_ended = True
            self.logged.notify_all()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.results.close()


class LambdaRuntime:
    """A function: code folder, handler, environment, timeout; invoke() runs it."""

    created: ClassVar[list["LambdaRuntime"]] = []
    """Every runtime of this process, so a test session can scan all function logs."""

    def __init__(self, code_dir: str | Path, handler: str = "index.handler", *,
                 environment: Mapping[str, str] | None = None, timeout_seconds: float = 3.0,
                 function_name: str = "function", function_arn: str | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.code_dir = str(code_dir)
        self.handler = handler
        self.timeout_seconds = timeout_seconds
        self.function_name = function_name
        self.function_arn = function_arn
        self.clock = clock
        """The simulation's clock, which the function's ``time.time()`` follows (None: the machine's)."""
        # The context's invoked_function_arn is read from AWS_LAMBDA_FUNCTION_ARN (see worker).
        arn = {"AWS_LAMBDA_FUNCTION_ARN": function_arn} if function_arn else {}
        self.environment = {**os.environ, **(environment or {}), **arn,
                            "AWS_LAMBDA_FUNCTION_NAME": function_name,
                            "PYTHONDONTWRITEBYTECODE": "1"}
        self.cold_starts = 0
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._closed = False
        self._lock = threading.Lock()
        self._log_lines: list[str] = []
        LambdaRuntime.created.append(self)

    def invoke(self, event: Mapping[str, Any]) -> Invocation:
        began = time.monotonic()
        worker = self._take_worker()
        if worker is None:
            closed = {"errorType": "Runtime.Closed", "errorMessage": "the function's runtime was closed"}
            return Invocation.failed(closed, 0.0)
        if worker.init_error:
            worker.kill()
            return Invocation.failed(worker.init_error, time.monotonic() - began)
        assert worker.process.stdin is not None
        worker.process.stdin.write(json.dumps({
            "event": event, "timeout_seconds": self.timeout_seconds, "request_id": str(uuid.uuid4()),
            "clock": self.clock() if self.clock is not None else None,
        }) + "\n")
        worker.process.stdin.flush()
        # A little grace beyond the timeout: the handler's own timer fires just before it.
        answer = worker.read(self.timeout_seconds + 0.5)
        seconds = time.monotonic() - began
        if answer is None:
            worker.kill()
            return Invocation(timed_out=True, seconds=seconds)
        if "exited" in answer:
            worker.kill()
            return Invocation.failed(answer["exited"], seconds)
        with self._lock:
            self._idle.append(worker)
        if answer.get("error") is not None:
            return Invocation.failed(answer["error"], seconds)
        return Invocation(result=answer.get("result"), seconds=seconds)

    @property
    def logs(self) -> str:
        """Everything the function wrote, all workers, in arrival order."""
        with self._lock:
            return "".join(self._log_lines)

    def close(self) -> None:
        """End every worker, busy ones too (an invocation still running fails), and start no more: nothing
        of the function outlives its runtime."""
        with self._lock:
            workers, self._idle, self._all, self._closed = self._all, [], [], True
        for worker in workers:
            worker.kill()

    def __enter__(self) -> "LambdaRuntime":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def _take_worker(self) -> _Worker | None:
        with self._lock:
            if self._closed:
                return None
            if self._idle:
                return self._idle.pop()
            self.cold_starts += 1
        worker = _Worker(self)
        with self._lock:
            self._all = [w for w in self._all if w.process.poll() is None] + [worker]
            closed = self._closed
        if closed:  # closed while it started
            worker.kill()
            return None
        return worker

    def _log(self, line: str) -> None:
        with self._lock:
            self._log_lines.append(line)


@dataclass
class InvocationRecord:
    at: float  # the virtual time it ran at
    function_arn: str
    cause: str  # "cloudformation", "event" or "schedule"
    payload: Any
    invocation: Invocation | None = None
    error: str | None = None  # why it could not run (no such function, input not JSON)
    rule_name: str = ""


@dataclass
class InvocationLog:
    """Every function invocation of a simulator, with its cause, for counts such as invocations per hour."""

    records: list[InvocationRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: InvocationRecord) -> None:
        with self.lock:
            self.records.append(record)

    def counts(self) -> dict[str, dict[str, int]]:
        """Function ARN -> cause -> invocations (failed deliveries, which ran nothing, left out)."""
        found: dict[str, Counter[str]] = {}
        for record in self.snapshot():
            if record.error is None:
                found.setdefault(record.function_arn, Counter())[record.cause] += 1
        return {arn: {cause: counter[cause] for cause in CAUSES} for arn, counter in found.items()}

    def count(self, function_arn: str | None = None, cause: str | None = None, since: float | None = None) -> int:
        return sum(1 for r in self.snapshot() if r.error is None and function_arn in (None, r.function_arn)
                   and cause in (None, r.cause) and (since is None or r.at >= since))

    def failures(self) -> list[InvocationRecord]:
        """Deliveries that reached no function (an unknown ARN, an input that is not JSON)."""
        return [r for r in self.snapshot() if r.error is not None]

    def snapshot(self) -> list[InvocationRecord]:
        with self.lock:
            return list(self.records)
