"""CloudFormation request shapes and values shared by the handler tests."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

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


FORBIDDEN_IN_LOGS = ("X-Amz-Signature", "/cfn-responses/", "secret-tag-value")
"""What no log line may hold: the presigned ResponseURL (path, signature) and the tests' tag values."""


def forbidden_in(text: str) -> list[str]:
    return [marker for marker in FORBIDDEN_IN_LOGS if marker in text]
