"""One warm Lambda container: run as a script, it imports a handler from a code folder and
serves invocations read from stdin, one JSON line each, answering on another file descriptor.

Stdout and stderr stay the function's own log streams. Started by LambdaRuntime; it
imports nothing from cdk_backup_jobs, and its own folder is taken off ``sys.path``, so
the code folder's modules (its crhelper copy, say) are the ones that run, as in Lambda.

An error is answered in the shape Lambda gives an unhandled one
(``errorMessage``, ``errorType``, ``stackTrace``) and logged as Lambda's Python
runtime logs it (``[ERROR] <errorType>: <errorMessage>`` and the traceback). A
handler that cannot be loaded gets the runtime's own error types:
``Runtime.ImportModuleError``, ``Runtime.UserCodeSyntaxError``,
``Runtime.HandlerNotFound``.

The function's clock is the simulation's: each invocation may carry the
simulated time (``clock``, epoch seconds), and from then on ``time.time()``
(``time_ns``, and ``gmtime``, ``localtime``, ``strftime`` without a time)
reads it, moving on in real time while the invocation runs, so a handler
computes its schedules and deadlines on the stack's virtual time, not on the
machine's date. ``time.monotonic`` (the context's remaining time, timeouts,
backoff sleeps) stays real. CPython's ``datetime.now()`` does not go through
``time.time`` and keeps the machine's date: botocore signs requests with it
(SigV4's X-Amz-Date), which no simulated service checks.
"""

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from typing import Any, Callable, Dict, List, Optional, TextIO


class Context:
    """The parts of Lambda's context object that handlers read."""

    def __init__(self, deadline: float, function_name: str, request_id: str) -> None:
        self._deadline = deadline
        self.function_name = function_name
        self.aws_request_id = request_id
        self.invoked_function_arn = os.environ.get("AWS_LAMBDA_FUNCTION_ARN", "")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.function_version = "$LATEST"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = LOG_STREAM

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


_real_time = time.time
_real_gmtime = time.gmtime
_real_localtime = time.localtime
_real_strftime = time.strftime
_clock_offset = 0.0
"""Seconds the simulated clock is ahead of the machine's (behind, if negative), set per invocation."""


def simulated_time() -> float:
    """``time.time()`` inside the function: the simulation's clock."""
    return _real_time() + _clock_offset


def follow_clock(now: Optional[float]) -> None:
    """Set the function's clock to the simulation's ``now`` (None: the machine's own)."""
    global _clock_offset
    _clock_offset = 0.0 if now is None else float(now) - _real_time()


def install_clock() -> None:
    """Make ``time`` read the simulated clock; done before the handler's modules are imported, so a
    ``from time import time`` among them gets it too."""
    time.time = simulated_time
    time.time_ns = lambda: int(simulated_time() * 1_000_000_000)
    time.gmtime = lambda secs=None: _real_gmtime(simulated_time() if secs is None else secs)
    time.localtime = lambda secs=None: _real_localtime(simulated_time() if secs is None else secs)
    time.strftime = lambda fmt, t=None: _real_strftime(fmt, _real_localtime(simulated_time()) if t is None else t)


# One log stream per container, named as Lambda names them (date/[version]id).
LOG_STREAM = time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime()) + uuid.uuid4().hex
LOG_MARK = "\x00lambda-worker-answers\n"  # LambdaRuntime's: all logged so far is in the pipe


def answer(results: TextIO, message: Dict[str, Any]) -> None:
    """Send the runtime an answer, after a mark that follows everything logged before it."""
    for stream in (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__):
        if stream is not None:
            stream.flush()
    os.write(1, LOG_MARK.encode())  # the log pipe itself, even if the function replaced sys.stdout
    results.write(json.dumps(message, default=str) + "\n")


def error_object(error_type: str, message: str, trace: List[str]) -> Dict[str, Any]:
    """An unhandled error as Lambda reports it to the invoker."""
    return {"errorMessage": message, "errorType": error_type, "stackTrace": trace}


def raised(error: BaseException, error_type: Optional[str] = None, message: Optional[str] = None) -> Dict[str, Any]:
    """The error object of an exception: its class name and text, unless the runtime names it."""
    frames = traceback.format_list(traceback.extract_tb(error.__traceback__))
    return error_object(error_type or type(error).__name__, str(error) if message is None else message, frames)


def log_error(error: Dict[str, Any]) -> None:
    """What Lambda's Python runtime writes to the function's log for an unhandled error."""
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}", "Traceback (most recent call last):"]
    sys.stderr.write("\n".join(lines + [frame.rstrip("\n") for frame in error["stackTrace"]]) + "\n")
    sys.stderr.flush()


def load_handler(handler_name: str) -> Callable[..., Any]:
    """Import the handler's module and find the handler, failing as Lambda's runtime fails."""
    try:  # Lambda's runtime: "Bad handler 'index': not enough values to unpack (expected 2, got 1)"
        module_name, function_name = handler_name.rsplit(".", 1)
    except ValueError as error:
        raise LoadError(error_object("Runtime.MalformedHandlerName", f"Bad handler '{handler_name}': {error}",
                                     [])) from error
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise LoadError(raised(error, "Runtime.ImportModuleError",
                               f"Unable to import module '{module_name}': {error}")) from error
    except SyntaxError as error:
        raise LoadError(raised(error, "Runtime.UserCodeSyntaxError",
                               f"Syntax error in module '{module_name}': {error}")) from error
    except Exception as error:  # raised by the module's own top-level code
        raise LoadError(raised(error)) from error
    handler = getattr(module, function_name, None)
    if handler is None:
        raise LoadError(error_object("Runtime.HandlerNotFound",
                                     f"Handler '{function_name}' missing on module '{module_name}'", []))
    return handler  # type: ignore[no-any-return]


class LoadError(Exception):
    """The handler could not be loaded; ``error`` is Lambda's error object for it."""

    def __init__(self, error: Dict[str, Any]) -> None:
        super().__init__(error["errorMessage"])
        self.error = error


def serve(handler: Callable[..., Any], results: TextIO) -> None:
    """Answer each invocation read from stdin: its result, or Lambda's error object."""
    for line in sys.stdin:
        request = json.loads(line)
        follow_clock(request.get("clock"))
        deadline = time.monotonic() + request["timeout_seconds"]
        context = Context(deadline, os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "function"),
                          request["request_id"])
        try:
            value = handler(request["event"], context)
            message: Dict[str, Any] = {"result": value}
        except Exception as error:
            message = {"error": raised(error)}
            log_error(message["error"])
        answer(results, message)


def main() -> None:
    code_dir, handler_name, result_fd = sys.argv[1], sys.argv[2], int(sys.argv[3])
    own_dir = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [code_dir] + [p for p in sys.path if p and os.path.abspath(p) != own_dir]
    results = os.fdopen(result_fd, "w", buffering=1)
    install_clock()
    try:
        handler = load_handler(handler_name)
    except LoadError as failed:
        log_error(failed.error)
        answer(results, {"init_error": failed.error})
        return
    answer(results, {"ready": True})
    serve(handler, results)


if __name__ == "__main__":
    main()
