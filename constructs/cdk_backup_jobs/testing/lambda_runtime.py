"""Runs a Lambda function's code the way Lambda does: in separate, reusable processes.

Each worker process is one container: it imports the handler once (a cold
start) and serves invocations until it is killed. An invocation that outlives
the function's timeout kills its worker, as Lambda does. Everything the
function writes to stdout and stderr is kept, for log assertions.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Mapping

WORKER = Path(__file__).with_name("lambda_worker.py")
INIT_TIMEOUT_SECONDS = 30.0


@dataclass
class Invocation:
    """What one invocation returned, raised, or that it timed out."""

    result: Any = None
    error: str | None = None
    timed_out: bool = False
    seconds: float = 0.0


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
        threading.Thread(target=runtime._collect_logs, args=(self.process,), daemon=True).start()
        ready = self.read(INIT_TIMEOUT_SECONDS)
        self.init_error = None if ready is None else ready.get("init_error")
        if ready is None:
            self.init_error = "the function did not initialise in time"

    def read(self, timeout: float) -> dict[str, Any] | None:
        readable, _, _ = select.select([self.results], [], [], max(timeout, 0.0))
        if not readable:
            return None
        line = self.results.readline()
        return json.loads(line) if line else {"error": "the worker exited"}

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
                 function_name: str = "function", function_arn: str | None = None) -> None:
        self.code_dir = str(code_dir)
        self.handler = handler
        self.timeout_seconds = timeout_seconds
        self.function_name = function_name
        self.function_arn = function_arn
        # The context's invoked_function_arn is read from AWS_LAMBDA_FUNCTION_ARN (see lambda_worker).
        arn = {"AWS_LAMBDA_FUNCTION_ARN": function_arn} if function_arn else {}
        self.environment = {**os.environ, **(environment or {}), **arn,
                            "AWS_LAMBDA_FUNCTION_NAME": function_name,
                            "PYTHONDONTWRITEBYTECODE": "1"}
        self.cold_starts = 0
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._log_lines: list[str] = []
        LambdaRuntime.created.append(self)

    def invoke(self, event: Mapping[str, Any]) -> Invocation:
        began = time.monotonic()
        worker = self._take_worker()
        if worker.init_error:
            worker.kill()
            return Invocation(error=worker.init_error, seconds=time.monotonic() - began)
        assert worker.process.stdin is not None
        worker.process.stdin.write(json.dumps({
            "event": event, "timeout_seconds": self.timeout_seconds, "request_id": str(uuid.uuid4()),
        }) + "\n")
        worker.process.stdin.flush()
        # A little grace beyond the timeout: the handler's own timer fires just before it.
        answer = worker.read(self.timeout_seconds + 0.5)
        seconds = time.monotonic() - began
        if answer is None:
            worker.kill()
            return Invocation(timed_out=True, seconds=seconds)
        with self._lock:
            self._idle.append(worker)
        return Invocation(result=answer.get("result"), error=answer.get("error"), seconds=seconds)

    @property
    def logs(self) -> str:
        """Everything the function wrote, all workers, in arrival order."""
        with self._lock:
            return "".join(self._log_lines)

    def close(self) -> None:
        with self._lock:
            workers, self._idle = self._idle, []
        for worker in workers:
            worker.kill()

    def __enter__(self) -> "LambdaRuntime":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def _take_worker(self) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            self.cold_starts += 1
        return _Worker(self)

    def _collect_logs(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self._lock:
                self._log_lines.append(line)
