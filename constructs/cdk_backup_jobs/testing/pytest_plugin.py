"""pytest fixtures for stacks of backup jobs; enable with
``pytest_plugins = ["cdk_backup_jobs.testing.pytest_plugin"]`` in a conftest.py.

- ``aws_backup``: a local AWS Backup; AWS_ENDPOINT_URL_BACKUP and dummy
  credentials are set for the test, so plain boto3 reaches it. A test during
  which an emulator failed inside (HTTP 500 InternalFailure, which botocore
  retries and a test may never see), the default account's or another
  account's or Region's behind the same endpoint, errors at teardown, naming
  the failure.
- ``cfn_responses``: the HTTPS response receiver; SSL_CERT_FILE trusts it.
- ``cfn_scheduler``: the EventBridge/Lambda endpoint for crhelper's polling.
- ``cfn_stack``: makes a CloudFormationSimulator wired to all three, whose
  backup vault resources become vaults in ``aws_backup``.
- ``aws_test_credentials``: the dummy credentials (environment variable ->
  value) that ``aws_backup`` sets for the test and ``cfn_stack`` gives every
  function. It is the one fixture meant to be overridden: define a fixture of
  the same name in your conftest.py, for example to sign with a distinctive
  fake secret that a log check can search for::

      @pytest.fixture
      def aws_test_credentials():
          return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "fake-secret-for-log-checks"}

  Only AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN are
  meant here; the Region stays the simulated account's (``shared.account.default_place()``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest

from cdk_backup_jobs.testing.backup.endpoint import RunningBackupServer, backup_server
from cdk_backup_jobs.testing.cloudformation.response_server import RunningResponseServer, response_server
from cdk_backup_jobs.testing.cloudformation.service_endpoints import RunningEventsServer, events_server
from cdk_backup_jobs.testing.cloudformation.simulator import CfnStackFactory, CloudFormationSimulator
from cdk_backup_jobs.testing.shared.account import default_place

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def dummy_environment() -> dict[str, str]:
    """The dummy credentials, and the Region the emulators stand in (read now), so ARNs and clients agree."""
    region = default_place().region
    return {**DUMMY_CREDENTIALS, "AWS_DEFAULT_REGION": region, "AWS_REGION": region}


OVERRIDABLE_FIXTURES = frozenset({"aws_test_credentials"})
"""This plugin's fixtures that a conftest.py may redefine; redefining any other shadows it."""


@pytest.fixture
def aws_test_credentials() -> Mapping[str, str]:
    """The dummy credentials every request and function signs with; override it to choose your own."""
    return dict(DUMMY_CREDENTIALS)


@pytest.fixture
def aws_backup(monkeypatch: pytest.MonkeyPatch,
               aws_test_credentials: Mapping[str, str]) -> Iterator[RunningBackupServer]:
    with backup_server() as server:
        for name, value in {**dummy_environment(), **aws_test_credentials}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_ENDPOINT_URL_BACKUP", server.endpoint_url)
        yield server
    # Every account's and Region's AWS Backup behind the endpoint, not only the default one's.
    errors = [error for place in server.backends.places() for error in server.backends[place].state.internal_errors]
    if errors:  # an emulator bug, not the test's: say so rather than let retries hide it
        pytest.fail(f"the local AWS Backup failed inside ({len(errors)} HTTP 500 InternalFailure): "
                    + "; ".join(errors), pytrace=False)


@pytest.fixture
def cfn_responses(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningResponseServer]:
    with response_server() as server:
        monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)
        yield server


@pytest.fixture
def cfn_scheduler() -> Iterator[RunningEventsServer]:
    with events_server() as server:
        yield server


@pytest.fixture
def cfn_stack(aws_backup: RunningBackupServer, cfn_responses: RunningResponseServer,
              cfn_scheduler: RunningEventsServer,
              aws_test_credentials: Mapping[str, str]) -> Iterator[CfnStackFactory]:
    made: list[CloudFormationSimulator] = []
    # The local AWS Backup publishes its jobs' state change events to the simulated default bus.
    aws_backup.emulator.event_sink = cfn_scheduler.publish
    # AWS Backup asks the account's IAM, which the simulated stacks fill with their roles and policies.
    aws_backup.emulator.iam = cfn_scheduler.state.iam

    def make(assets_dir: str | Path | None = None, **options: Any) -> CloudFormationSimulator:
        environment = {**dummy_environment(), **aws_test_credentials,
                       "AWS_ENDPOINT_URL_BACKUP": aws_backup.endpoint_url,
                       "SSL_CERT_FILE": cfn_responses.ca_file, **options.pop("environment", {})}
        options.setdefault("on_resource", aws_backup.emulator.on_stack_resource)
        options.setdefault("scheduler", cfn_scheduler)
        options.setdefault("event_sources", [aws_backup.emulator])
        simulator = CloudFormationSimulator(cfn_responses, assets_dir=assets_dir, environment=environment,
                                            **options)
        made.append(simulator)
        return simulator

    yield make
    for simulator in made:
        simulator.close()
