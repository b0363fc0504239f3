"""One warm Lambda container: run as a script, it imports a handler from a code folder and
serves invocations read from stdin, one JSON line each, answering on another file descriptor.

Stdout and stderr stay the function's own log streams. Started by LambdaRuntime; it
imports nothing from cdk_backup_jobs, so the code folder's modules (its crhelper
copy, say) are the ones that run, as in Lambda.
"""

import importlib
import json
import os
import sys
import time
import traceback


class Context:
    """The parts of Lambda's context object that handlers read."""

    def __init__(self, deadline: float, function_name: str, request_id: str) -> None:
        self._deadline = deadline
        self.function_name = function_name
        self.aws_request_id = request_id
        self.invoked_function_arn = os.environ.get("AWS_LAMBDA_FUNCTION_ARN", "")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


def main() -> None:
    code_dir, handler_name, result_fd = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sys.path.insert(0, code_dir)
    module_name, function_name = handler_name.rsplit(".", 1)
    results = os.fdopen(result_fd, "w", buffering=1)
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception:
        results.write(json.dumps({"init_error": traceback.format_exc()}) + "\n")
        return
    results.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        deadline = time.monotonic() + request["timeout_seconds"]
        context = Context(deadline, os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "function"),
                          request["request_id"])
        try:
            value = handler(request["event"], context)
            results.write(json.dumps({"result": value}, default=str) + "\n")
        except Exception:
            results.write(json.dumps({"error": traceback.format_exc()}) + "\n")
        sys.stdout.flush()
        sys.stderr.flush()


if __name__ == "__main__":
    main()
