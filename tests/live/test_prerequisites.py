"""The live suite's prerequisite checks: pure functions of AWS's answers, and the calls that fetch them
(botocore's Stubber checks each request and answer against the service's model)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from live.prerequisites import (BOOTSTRAP_PARAMETER, Facts, bootstrap_problems, dynamodb_problems, gather,
                                problems, vault_problems)

READY = {"ResourceTypeOptInPreference": {"DynamoDB": True, "EFS": True},
         "ResourceTypeManagementPreference": {"DynamoDB": True, "EFS": True}}


@pytest.mark.parametrize("version, expected", [("21", []), ("6", []), ("5", ["version 5"]), (None, ["missing"])])
def test_the_cdk_bootstrap_must_be_there_and_recent(version, expected):
    found = bootstrap_problems(version, "eu-west-1")
    assert len(found) == len(expected)
    assert all(word in line and "cdk bootstrap" in line for word, line in zip(expected, found))


def test_dynamodb_needs_the_opt_in_and_advanced_features():
    assert dynamodb_problems(READY) == []
    off = {"ResourceTypeOptInPreference": {"DynamoDB": True}, "ResourceTypeManagementPreference": {"DynamoDB": False}}
    [advanced] = dynamodb_problems(off)
    assert "advanced features" in advanced
    assert len(dynamodb_problems({})) == 2


def test_a_vault_with_a_lock_or_minimum_retention_is_named(aws_backup):
    aws_backup.emulator.create_vault("plain")
    described = boto3.client("backup", region_name="us-east-1").describe_backup_vault(BackupVaultName="plain")
    assert vault_problems(described) == []  # a vault as AWS Backup (here the emulator) describes it
    locked = vault_problems({**described, "Locked": True, "MinRetentionDays": 7})
    assert len(locked) == 2 and all("plain" in line for line in locked)


def test_the_long_wait_templates_names_must_be_free():
    facts = Facts("21", READY, vault_names=["long-wait-vault", "mine"], export_names=["Other"],
                  free_vault_names=("long-wait-vault", "long-wait-copies"), free_export_names=("Other",))
    assert problems(facts, "us-east-1") == [
        "vault long-wait-vault exists already: the long-wait scenario creates it (and deletes it after)",
        "export Other exists already: the long-wait scenario deploys a provider stack exporting it"]


class FakeSession:
    def __init__(self, stubbed: dict[str, Any]) -> None:
        self.stubbed = stubbed

    def client(self, name: str) -> Any:
        return self.stubbed[name]


def test_gather_reads_the_four_answers_it_judges():
    clients = {name: boto3.client(name, region_name="us-east-1") for name in ("ssm", "backup", "cloudformation")}
    stubs = {name: Stubber(client) for name, client in clients.items()}
    stubs["ssm"].add_client_error("get_parameter", "ParameterNotFound", expected_params={"Name": BOOTSTRAP_PARAMETER})
    stubs["backup"].add_response("describe_region_settings", READY, {})
    stubs["backup"].add_response("list_backup_vaults", {"BackupVaultList": [{"BackupVaultName": "long-wait-vault"}]}, {})
    stubs["cloudformation"].add_response("list_exports", {"Exports": [{"Name": "BackupJobsProviderServiceToken",
                                                                       "Value": "arn"}]}, {})
    for stub in stubs.values():
        stub.activate()

    facts = gather(FakeSession(clients), free_vault_names=("long-wait-vault",),
                   free_export_names=("BackupJobsProviderServiceToken",))

    for stub in stubs.values():
        stub.assert_no_pending_responses()
    found = problems(facts, "us-east-1")
    assert len(found) == 3 and "bootstrap is missing" in found[0]
