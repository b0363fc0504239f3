"""The response sender keeps its HTTPS connection between responses, and never trips over a stale one."""

from __future__ import annotations

import json
import time
from typing import Any, Iterator

import pytest

from cdk_backup_jobs.testing import response_server
from cdk_backup_jobs_runtime.cloudformation import response_sender
from cdk_backup_jobs_runtime.cloudformation.response_sender import deliver_response


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A receiver that closes connections idle for 0.3 s (S3 closes idle ones too)."""
    with response_server(idle_timeout=0.3) as server:
        monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)
        monkeypatch.setattr(response_sender, "_kept_connections", {})
        yield server


def send(server: Any, status: str = "SUCCESS") -> tuple[str, bool]:
    url = server.new_url()
    return url, deliver_response(url, {"Status": status, "PhysicalResourceId": "job"},
                                 deadline=time.monotonic() + 10)


def test_responses_to_one_host_share_one_connection(receiver):
    sent = [send(receiver) for _ in range(5)]

    assert all(delivered for _, delivered in sent)
    assert [len(receiver.responses_for(url)) for url, _ in sent] == [1] * 5
    assert receiver.log.connections == 1


def test_a_connection_the_host_closed_is_replaced_at_once_without_a_failed_attempt(receiver, capsys):
    send(receiver)
    time.sleep(0.6)  # the receiver closes the idle connection, as after a frozen container
    began = time.monotonic()
    url, delivered = send(receiver)
    took = time.monotonic() - began

    assert delivered
    assert receiver.responses_for(url) == [{"Status": "SUCCESS", "PhysicalResourceId": "job"}]
    assert receiver.log.connections == 2
    assert took < 0.25  # the first retry would have waited 0.25 s
    logs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [entry["message"] for entry in logs] == ["Response delivered", "Response delivered"]
    assert {entry["attempt"] for entry in logs} == {1}


def test_a_put_that_loses_the_race_with_the_hosts_close_goes_again_on_a_new_connection(receiver, monkeypatch):
    monkeypatch.setattr(response_sender, "_still_open", lambda connection: True)  # the check missed the close
    send(receiver)
    time.sleep(0.6)
    began = time.monotonic()
    url, delivered = send(receiver)

    assert delivered and len(receiver.responses_for(url)) == 1
    assert time.monotonic() - began < 0.25
    assert receiver.log.connections == 2
