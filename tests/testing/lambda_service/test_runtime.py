"""LambdaRuntime alone: a function's code in a worker process, with Lambda's error objects and its logs.

Moved whole from the simulator's tests (test_simulator_misuse, test_simulator_operations), which reach the
runtime through a stack.
"""

from __future__ import annotations

from cdk_backup_jobs.testing import LambdaRuntime


def test_a_handler_error_carries_lambdas_error_object_and_logs_its_traceback(tmp_path):
    (tmp_path / "index.py").write_text("def handler(event, context):\n    return 1 / event['n']\n")
    with LambdaRuntime(tmp_path) as runtime:
        failed = runtime.invoke({"n": 0})
        answered = runtime.invoke({"n": 2})

    assert failed.error == "ZeroDivisionError: division by zero"
    assert failed.error_object is not None
    assert (failed.error_object["errorType"], failed.error_object["errorMessage"]) == \
        ("ZeroDivisionError", "division by zero")
    assert any("return 1 / event['n']" in frame for frame in failed.error_object["stackTrace"])
    assert answered.result == 0.5 and runtime.cold_starts == 1  # a handler error keeps the container
    assert "[ERROR] ZeroDivisionError: division by zero\nTraceback (most recent call last):" in runtime.logs


def test_an_invocation_returns_with_everything_it_logged_in_the_logs(tmp_path):
    (tmp_path / "index.py").write_text("def handler(event, context):\n    print('whole line')\n"
                                       "    print('unfinished', end='')\n")
    with LambdaRuntime(tmp_path) as runtime:
        runtime.invoke({})
        assert runtime.logs == "whole line\nunfinished"  # read at once: no waiting for the log pipe


def test_a_handler_that_exits_is_a_runtime_exit_error_and_its_container_is_not_reused(tmp_path):
    (tmp_path / "index.py").write_text("import sys\n\ndef handler(event, context):\n"
                                       "    if event.get('exit'):\n        sys.exit(3)\n    return 'ok'\n")
    with LambdaRuntime(tmp_path) as runtime:
        exited = runtime.invoke({"exit": True})
        answered = runtime.invoke({})

    assert exited.error == "Runtime.ExitError: Runtime exited with error: exit status 3"
    assert answered.result == "ok" and runtime.cold_starts == 2


def test_a_handler_name_without_a_dot_is_a_malformed_handler_name(tmp_path):
    (tmp_path / "index.py").write_text("def handler(event, context):\n    return 1\n")
    with LambdaRuntime(tmp_path, "index") as runtime:
        failed = runtime.invoke({})

    assert failed.error == ("Runtime.MalformedHandlerName: Bad handler 'index': "
                            "not enough values to unpack (expected 2, got 1)")

