"""The local AWS Backup endpoint over real HTTP (``backup/endpoint.py``)."""

from __future__ import annotations

import io

import boto3

from cdk_backup_jobs.testing.backup import endpoint
from cdk_backup_jobs.testing.backup.endpoint import backup_server


def test_a_requests_log_line_is_written_before_its_answer_is_sent(monkeypatch):
    # The command line's --verbose log: a client that got its answer and stops the server at once
    # (Ctrl-C) must find the request's line there. Written after the answer, the line raced the stop
    # and was lost now and then (tests/testing/test_backup_server.py saw it under load).
    log = io.StringIO()
    logged_when_answering: list[str] = []
    end_headers = endpoint._Handler.end_headers

    def noting_the_log(handler: endpoint._Handler) -> None:
        logged_when_answering.append(log.getvalue())
        end_headers(handler)

    monkeypatch.setattr(endpoint._Handler, "end_headers", noting_the_log)
    with backup_server(request_log=log) as server:
        client = boto3.client("backup", endpoint_url=server.endpoint_url, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        client.list_backup_jobs(ByState="COMPLETED")

    assert logged_when_answering == ["GET /backup-jobs/?state=COMPLETED ListBackupJobs 200\n"]
