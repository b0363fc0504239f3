"""CloudFormation request shapes and values shared by the handler tests."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from typing import Any, Mapping

VAULT = "primary-vault"
COPY_VAULT = "copy-vault"
ROLE_ARN = "arn:aws:iam::123456789012:role/backup-role"
TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/orders-stack/6d7a5e40-0000-11ef-9c4b-0a1b2c3d4e5f"


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that crhelper reads."""

    deadline: float
    function_name: str = "backup-jobs-provider"
    aws_request_id: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self.deadline - time.monotonic()) * 1000), 0)


def make_event(cfn: Any, request_type: str, resource_type: str, properties: dict[str, Any], *,
               logical_id: str = "TableBackup", request_id: str | None = None,
               physical_id: str | None = None,
               old_properties: dict[str, Any] | None = None) -> dict[str, Any]:
    """A custom-resource request exactly as CloudFormation sends it (string values)."""
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:backup-jobs-provider",
        "ResponseURL": cfn.new_url(),
        "StackId": STACK_ID,
        "RequestId": request_id or str(uuid.uuid4()),
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:backup-jobs-provider",
                               "ServiceTimeout": "300", **properties},
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        event["OldResourceProperties"] = {"ServiceToken": event["ServiceToken"], **old_properties}
    return event


def backup_properties(**overrides: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "BackupVaultName": VAULT,
        "ResourceArn": TABLE_ARN,
        "IamRoleArn": ROLE_ARN,
        "StartWindowMinutes": "60",
        "CompleteWindowMinutes": "240",
        "Lifecycle": {"MoveToColdStorageAfterDays": "30", "DeleteAfterDays": "120",
                      "OptInToArchiveForSupportedResources": "false"},
        "RecoveryPointTags": {"team": "payments-secret-tag-value"},
    }
    properties.update(overrides)
    return {k: v for k, v in properties.items() if v is not None}


FAKE_SECRET_ACCESS_KEY = "fake-secret-key-c7d41e0b9a-loopback-only"
"""The secret key every test signs with (tests/conftest.py sets it). It is distinctive so
the log scan can look for it: the usual "testing" is a word that logs hold for other reasons."""

FORBIDDEN_IN_LOGS = {
    "X-Amz-Signature": "the presigned ResponseURL's signature",
    "/cfn-responses/": "the presigned ResponseURL's path",
    "secret-tag-value": "a tag value the tests use",
    FAKE_SECRET_ACCESS_KEY: "the AWS secret access key",
}
"""What no log line may hold, each with the label a finding is reported by: a report must not
repeat a secret (the real session token, say) while saying it leaked."""

MIN_CREDENTIAL_LENGTH = 16
"""Shorter values from the environment are not scanned for: they would match ordinary words."""


def credential_markers(environment: Mapping[str, str]) -> dict[str, str]:
    """The secret access key and session token set in ``environment``, if any (real ones are 40
    characters and hundreds): a test must not log them either."""
    labels = {"AWS_SECRET_ACCESS_KEY": "the AWS secret access key", "AWS_SESSION_TOKEN": "the AWS session token"}
    return {value: label for name, label in labels.items()
            if len(value := environment.get(name, "")) >= MIN_CREDENTIAL_LENGTH}


def forbidden_in(text: str, environment: Mapping[str, str] | None = None) -> list[str]:
    """The labels of every forbidden value in ``text`` (the environment's credentials too, by default
    this process's)."""
    markers = {**FORBIDDEN_IN_LOGS, **credential_markers(os.environ if environment is None else environment)}
    return sorted({label for marker, label in markers.items() if marker in text})
