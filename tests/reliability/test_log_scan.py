"""The suite-wide log scan (tests/conftest.py) really fails a test that leaks.

Each case runs a small test file under a copy of tests/conftest.py in a fresh
pytest (pytester, in a subprocess: an in-process run would log into this
test's own capture, which the scan would then rightly fail). The inner tests
assert nothing, so every failure is the hook's; the same file without the
conftest passes whole.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parents[1]
SESSION_TOKEN = "FwoGZXIvYXdzEFAKE-session-token-0123456789abcdef"

LEAKY_TESTS = '''
import logging
import os

from provider_events import FAKE_SECRET_ACCESS_KEY

# Built from parts so that no line of this file, shown in a report, is itself a leak.
URL = "https://127.0.0.1:8443/" + "cfn-responses/stack/request?" + "X-Amz-" + "Signature=0f3c"
TAG = "payments-" + "secret-tag-value"


def test_logs_the_presigned_url():
    logging.getLogger("backup_jobs").warning("answering %s", URL)


def test_prints_a_tag_value():
    print({"RecoveryPointTags": {"team": TAG}})


def test_reads_the_url_back_through_capsys(capsys):
    print(URL)
    assert URL in capsys.readouterr().out  # consumed: it never reaches the report's sections


def test_reads_the_tag_back_through_capfd(capfd):
    os.write(1, TAG.encode())
    assert TAG in capfd.readouterr().out


def test_logs_the_secret_access_key():
    logging.getLogger("botocore").warning("credentials: %s", FAKE_SECRET_ACCESS_KEY)


def test_logs_the_session_token():
    logging.getLogger("botocore").warning("token: %s", os.environ["AWS_SESSION_TOKEN"])


def test_logs_nothing_secret(capsys):
    logging.getLogger("backup_jobs").warning("Request received")
    print("Create answered SUCCESS")
    capsys.readouterr()
'''

EXPECTED = {
    "test_logs_the_presigned_url": ["the presigned ResponseURL's path", "the presigned ResponseURL's signature"],
    "test_prints_a_tag_value": ["a tag value the tests use"],
    "test_reads_the_url_back_through_capsys": ["the presigned ResponseURL's path",
                                               "the presigned ResponseURL's signature"],
    "test_reads_the_tag_back_through_capfd": ["a tag value the tests use"],
    "test_logs_the_secret_access_key": ["the AWS secret access key"],
    "test_logs_the_session_token": ["the AWS session token"],
    "test_logs_nothing_secret": None,
}
"""Each inner test and the labels the hook must fail it with (None: it passes)."""


def run_leaky_tests(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                    *options: str) -> dict[str, list[str] | None]:
    """Run LEAKY_TESTS in a subprocess; each test's labels from the short summary, None if it passed.

    ``--tb=no`` and ``-rfEp`` keep the inner output to one line per test: the
    reason, never the captured output, so nothing leaked reaches this test's
    own capture. Errors (a second report of one leak, in teardown) would
    show as ERROR lines and are counted as such.
    """
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("COLUMNS", "1000")  # summary lines in full
    pytester.makepyfile(test_leaks=LEAKY_TESTS)
    result = pytester.runpytest_subprocess("-q", "--tb=no", "-rfEp", "-p", "no:cacheprovider", *options,
                                           timeout=300)
    outcomes: dict[str, list[str] | None] = {}
    for line in result.outlines:
        found = re.match(r"^(PASSED|FAILED|ERROR) test_leaks\.py::(\w+)(?: - forbidden in logs: \[(.*)\])?$", line)
        if found:
            status, name, labels = found.groups()
            if status == "ERROR":
                name = f"{name} (error)"
            outcomes[name] = None if status == "PASSED" else ast.literal_eval(f"[{labels or ''}]")
    return outcomes


def test_a_leak_fails_the_test_that_made_it(pytester, monkeypatch, record):
    pytester.makeconftest((TESTS / "conftest.py").read_text())
    outcomes = run_leaky_tests(pytester, monkeypatch)
    record("Security", "log scan: a test that logs, prints or reads back the presigned URL, a tag value,"
           " the secret key or the session token fails (pytester)", cases=len(EXPECTED),
           failures=sum(outcomes.get(name, "missing") != labels for name, labels in EXPECTED.items()))
    assert outcomes == EXPECTED


def test_without_the_scan_the_same_tests_pass(pytester, monkeypatch):
    # The failures above are the hook's: the inner tests themselves assert nothing that fails.
    outcomes = run_leaky_tests(pytester, monkeypatch, "--noconftest")
    assert outcomes == {name: None for name in EXPECTED}
