"""One endpoint per service, every account and Region: a request's account is its key's, its Region its
signature's; a key not issued here is the default account in the default Region."""

from __future__ import annotations

import boto3

from cdk_backup_jobs.testing import backup_server, events_server
from cdk_backup_jobs.testing.shared.account import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Place, account_access_key

MEMBER = "210987654321"


def backup_client(endpoint: str, region: str, key: str):
    return boto3.client("backup", endpoint_url=endpoint, region_name=region, aws_access_key_id=key,
                        aws_secret_access_key="testing")


def test_a_vault_lives_in_the_account_and_region_of_the_signature(monkeypatch):
    monkeypatch.delenv("CDK_BACKUP_JOBS_ACCOUNT_ID", raising=False)
    monkeypatch.delenv("CDK_BACKUP_JOBS_REGION", raising=False)
    member = account_access_key(MEMBER)
    with backup_server() as server:
        created = backup_client(server.endpoint_url, "eu-west-1", member).create_backup_vault(BackupVaultName="vault")
        assert created["BackupVaultArn"] == f"arn:aws:backup:eu-west-1:{MEMBER}:backup-vault:vault"
        # The same account in another Region, and the default account, have no such vault.
        for region, key in (("us-east-1", member), ("eu-west-1", "testing")):
            names = [v["BackupVaultName"] for v in backup_client(server.endpoint_url, region, key)
                     .list_backup_vaults()["BackupVaultList"]]
            assert names == []
        assert server.backends[Place(MEMBER, "eu-west-1")].state.vaults.keys() == {"vault"}
        assert server.emulator.place == Place(DEFAULT_ACCOUNT_ID, DEFAULT_REGION)
        assert server.emulator.state.vaults == {}


def test_a_dummy_key_is_the_default_account_whatever_region_it_signs_for():
    with backup_server() as server:
        created = backup_client(server.endpoint_url, "ap-southeast-2", "testing").create_backup_vault(
            BackupVaultName="here")
        assert created["BackupVaultArn"] == f"arn:aws:backup:{DEFAULT_REGION}:{DEFAULT_ACCOUNT_ID}:backup-vault:here"
        assert server.emulator.state.vaults.keys() == {"here"}


def test_each_account_and_region_has_its_own_default_bus():
    member = account_access_key(MEMBER)
    with events_server() as server:
        for region in ("us-east-1", "eu-west-1"):
            events = boto3.client("events", endpoint_url=server.endpoint_url, region_name=region,
                                  aws_access_key_id=member, aws_secret_access_key="testing")
            arn = events.put_rule(Name="watch", ScheduleExpression="rate(5 minutes)")["RuleArn"]
            assert arn == f"arn:aws:events:{region}:{MEMBER}:rule/watch"
        assert server.state.rules == {}  # the default account's bus has none of them
        assert server.for_place(Place(MEMBER, "eu-west-1")).bus.rules.keys() == {"watch"}
