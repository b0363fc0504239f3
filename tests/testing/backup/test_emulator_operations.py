"""The local AWS Backup's vault, job-list and recovery-point operations, through boto3 over HTTP.

Each filter is tested on data where ignoring it would list more; the answers'
member names are checked against botocore's own model on the wire; an
operation of the model the emulator does not answer is refused by name.
Rules come from the AWS Backup API reference pages named beside them.
"""

from __future__ import annotations

import datetime
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.model import ListShape, MapShape, Shape, StructureShape

from cdk_backup_jobs.testing import BackupEmulator, JobTiming, ManualClock
from cdk_backup_jobs.testing.backup.emulator import OPERATIONS
from cdk_backup_jobs.testing.backup.protocol import build_routes, load_model, match

from local_backup import ROLE, TABLE, VOLUME, backup_client

INSTANCE = "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"
ELSEWHERE = "arn:aws:backup:eu-west-1:210987654321:backup-vault:offsite"
START = 1_764_000_000.0  # 2025-11-24T16:00:00Z
DAY = 86400


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def client(server: Any, attempts: int = 1, **config: Any) -> Any:
    return backup_client(server.endpoint_url, attempts, **config)


@pytest.fixture
def api(server: Any) -> Any:
    return client(server)


def at(offset: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(START + offset, datetime.timezone.utc)


def backup(api: Any, resource: str, vault: str = "primary") -> dict[str, Any]:
    return dict(api.start_backup_job(BackupVaultName=vault, ResourceArn=resource, IamRoleArn=ROLE))


def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call()
    return dict(raised.value.response)


# --- ListBackupJobs ---------------------------------------------------------------


@pytest.fixture
def backup_jobs(api: Any, clock: ManualClock) -> dict[str, str]:
    """volume (EBS, primary) at 0, COMPLETED at 420; table (DynamoDB, copies) at 1000, RUNNING;
    instance (EC2, primary) at 1250, PENDING; the clock at 1330."""
    volume = backup(api, VOLUME)["BackupJobId"]
    clock.advance(1000)
    table = backup(api, TABLE, "copies")["BackupJobId"]
    clock.advance(250)
    instance = backup(api, INSTANCE)["BackupJobId"]
    clock.advance(80)
    return {"volume": volume, "table": table, "instance": instance}


@pytest.mark.parametrize("filters, expected", [
    ({}, {"volume", "table", "instance"}),
    ({"ByState": "COMPLETED"}, {"volume"}),
    ({"ByState": "RUNNING"}, {"table"}),
    ({"ByState": "PENDING"}, {"instance"}),
    ({"ByResourceArn": VOLUME}, {"volume"}),
    ({"ByResourceType": "EBS"}, {"volume"}),
    ({"ByResourceType": "EC2"}, {"instance"}),
    ({"ByBackupVaultName": "copies"}, {"table"}),
    ({"ByBackupVaultName": "primary"}, {"volume", "instance"}),
    ({"ByCreatedAfter": at(1000)}, {"table", "instance"}),  # a job created at the bound is after it
    ({"ByCreatedBefore": at(1000)}, {"volume"}),
    ({"ByCreatedAfter": at(500), "ByCreatedBefore": at(1100)}, {"table"}),
    ({"ByCompleteAfter": at(0)}, {"volume"}),  # the others have not completed
    ({"ByCompleteBefore": at(400)}, set()),
    ({"ByParentJobId": "3F1C2A6B-0000-4000-8000-000000000000"}, set()),  # on-demand jobs have no parent
    ({"ByAccountId": "210987654321"}, set()),
    ({"ByAccountId": "123456789012"}, {"volume", "table", "instance"}),
])
def test_list_backup_jobs_applies_each_filter(api, backup_jobs, filters, expected):
    names = {job_id: name for name, job_id in backup_jobs.items()}
    listed = api.list_backup_jobs(**filters)["BackupJobs"]
    assert {names[job["BackupJobId"]] for job in listed} == expected
    assert len(listed) == len(expected)


def test_list_backup_jobs_lists_the_last_30_days(api, clock):
    # "Returns a list of existing backup jobs ... for the last 30 days" (ListBackupJobs).
    old = backup(api, VOLUME)["BackupJobId"]
    clock.advance(30 * DAY + 1)
    new = backup(api, VOLUME)["BackupJobId"]

    assert [job["BackupJobId"] for job in api.list_backup_jobs()["BackupJobs"]] == [new]
    assert api.describe_backup_job(BackupJobId=old)["State"] == "COMPLETED"


def test_list_backup_jobs_pages_with_the_sdk_paginator(api, clock):
    started = []
    for _ in range(5):
        started.append(backup(api, VOLUME)["BackupJobId"])
        clock.advance(1)
    pages = list(api.get_paginator("list_backup_jobs").paginate(PaginationConfig={"PageSize": 2}))

    assert [len(page["BackupJobs"]) for page in pages] == [2, 2, 1]
    assert [job["BackupJobId"] for page in pages for job in page["BackupJobs"]] == started


# --- ListCopyJobs -----------------------------------------------------------------


@pytest.fixture
def copy_jobs(api: Any, emulator: BackupEmulator, clock: ManualClock) -> dict[str, str]:
    """local: the table's point into copies at 1000, COMPLETED at 1420; offsite: the volume's point
    into another account's vault at 1500, RUNNING; the clock at 1700."""
    table = backup(api, TABLE)
    volume = backup(api, VOLUME)["BackupJobId"]
    clock.advance(1000)
    volume_point = api.describe_backup_job(BackupJobId=volume)["RecoveryPointArn"]
    local = api.start_copy_job(RecoveryPointArn=table["RecoveryPointArn"], SourceBackupVaultName="primary",
                               DestinationBackupVaultArn=emulator.vault_arn("copies"), IamRoleArn=ROLE)
    clock.advance(500)
    offsite = api.start_copy_job(RecoveryPointArn=volume_point, SourceBackupVaultName="primary",
                                 DestinationBackupVaultArn=ELSEWHERE, IamRoleArn=ROLE)
    clock.advance(200)
    return {"local": local["CopyJobId"], "offsite": offsite["CopyJobId"], "table_point": table["RecoveryPointArn"]}


@pytest.mark.parametrize("filters, expected", [
    ({}, {"local", "offsite"}),
    ({"ByState": "COMPLETED"}, {"local"}),
    ({"ByState": "RUNNING"}, {"offsite"}),
    ({"ByResourceArn": TABLE}, {"local"}),
    ({"ByResourceType": "EBS"}, {"offsite"}),
    ({"ByDestinationVaultArn": ELSEWHERE}, {"offsite"}),
    ({"BySourceRecoveryPointArn": "table_point"}, {"local"}),
    ({"ByCreatedAfter": at(1200)}, {"offsite"}),
    ({"ByCreatedBefore": at(1200)}, {"local"}),
    ({"ByCompleteAfter": at(0)}, {"local"}),
    ({"ByCompleteBefore": at(1420)}, set()),  # completed at 1420: not before it
    ({"ByParentJobId": "3F1C2A6B-0000-4000-8000-000000000000"}, set()),
    ({"ByAccountId": "210987654321"}, set()),
])
def test_list_copy_jobs_applies_each_filter(api, copy_jobs, filters, expected):
    filters = {name: copy_jobs.get(value, value) if isinstance(value, str) else value
               for name, value in filters.items()}
    names = {job_id: name for name, job_id in copy_jobs.items()}
    listed = api.list_copy_jobs(**filters)["CopyJobs"]
    assert {names[job["CopyJobId"]] for job in listed} == expected
    assert len(listed) == len(expected)


@pytest.mark.parametrize("operation", ["list_backup_jobs", "list_copy_jobs"])
def test_the_message_category_filter_is_refused_as_not_emulated_not_ignored(api, operation):
    answer = error_of(lambda: getattr(api, operation)(ByMessageCategory="SUCCESS"))
    assert answer["Error"]["Code"] == "NotEmulatedException"
    assert "ByMessageCategory filter is not emulated by cdk_backup_jobs.testing" in answer["Error"]["Message"]


# --- vaults -----------------------------------------------------------------------


def test_list_backup_vaults_lists_every_vault_with_its_recovery_points(api, emulator, clock):
    backup(api, TABLE)  # DynamoDB: its point exists (CREATING) from the start
    clock.advance(1)
    api.create_backup_vault(BackupVaultName="later", CreatorRequestId="req-1")
    vaults = api.list_backup_vaults()["BackupVaultList"]

    assert [v["BackupVaultName"] for v in vaults] == ["primary", "copies", "later"]
    assert [v["NumberOfRecoveryPoints"] for v in vaults] == [1, 0, 0]
    assert vaults[2]["BackupVaultArn"] == emulator.vault_arn("later") and vaults[2]["CreatorRequestId"] == "req-1"
    assert {(v["VaultType"], v["VaultState"], v["Locked"]) for v in vaults} == {("BACKUP_VAULT", "AVAILABLE", False)}
    assert vaults[2]["CreationDate"] == at(1)


def test_list_backup_vaults_filters_by_vault_type_and_sharing(api):
    assert len(api.list_backup_vaults(ByVaultType="BACKUP_VAULT")["BackupVaultList"]) == 2
    assert api.list_backup_vaults(ByVaultType="LOGICALLY_AIR_GAPPED_BACKUP_VAULT")["BackupVaultList"] == []
    assert api.list_backup_vaults(ByShared=True)["BackupVaultList"] == []  # no account shares a vault here
    assert len(api.list_backup_vaults(ByShared=False)["BackupVaultList"]) == 2


def test_list_backup_vaults_pages(api, clock):
    for index in range(3):
        clock.advance(1)
        api.create_backup_vault(BackupVaultName=f"vault-{index}")
    first = api.list_backup_vaults(MaxResults=2)
    second = api.list_backup_vaults(MaxResults=2, NextToken=first["NextToken"])
    third = api.list_backup_vaults(MaxResults=2, NextToken=second["NextToken"])

    names = [v["BackupVaultName"] for page in (first, second, third) for v in page["BackupVaultList"]]
    assert names == ["primary", "copies", "vault-0", "vault-1", "vault-2"]
    assert "NextToken" not in third


def test_describe_backup_vault_counts_its_points_and_knows_only_this_accounts_vaults(api, clock):
    backup(api, VOLUME)
    assert api.describe_backup_vault(BackupVaultName="primary")["NumberOfRecoveryPoints"] == 0  # EBS: not yet
    clock.advance(1000)
    vault = api.describe_backup_vault(BackupVaultName="primary", BackupVaultAccountId="123456789012")

    assert (vault["NumberOfRecoveryPoints"], vault["VaultType"], vault["Locked"]) == (1, "BACKUP_VAULT", False)
    for request in ({"BackupVaultName": "missing"}, {"BackupVaultName": "primary", "BackupVaultAccountId": "210987654321"}):
        assert error_of(lambda: api.describe_backup_vault(**request))["Error"]["Code"] == "ResourceNotFoundException"


def test_delete_backup_vault_deletes_only_an_empty_vault(api, clock):
    backup(api, TABLE, vault="copies")  # a DynamoDB point exists from the start
    refused = error_of(lambda: api.delete_backup_vault(BackupVaultName="copies"))
    api.delete_backup_vault(BackupVaultName="primary")

    assert refused["Error"]["Code"] == "InvalidRequestException"
    assert refused["Error"]["Message"] == "Backup vault cannot be deleted because it contains recovery points."
    assert [v["BackupVaultName"] for v in api.list_backup_vaults()["BackupVaultList"]] == ["copies"]
    assert error_of(lambda: api.delete_backup_vault(BackupVaultName="primary"))["Error"]["Code"] == \
        "ResourceNotFoundException"


def test_delete_recovery_point_removes_a_finished_point_and_refuses_one_being_made(api, clock):
    job = backup(api, TABLE)
    point = job["RecoveryPointArn"]
    creating = error_of(lambda: api.delete_recovery_point(BackupVaultName="primary", RecoveryPointArn=point))
    clock.advance(1000)
    api.delete_recovery_point(BackupVaultName="primary", RecoveryPointArn=point)

    assert creating["Error"]["Code"] == "InvalidResourceStateException"
    assert api.list_recovery_points_by_backup_vault(BackupVaultName="primary")["RecoveryPoints"] == []
    assert api.list_recovery_points_by_resource(ResourceArn=TABLE)["RecoveryPoints"] == []
    assert error_of(lambda: api.describe_recovery_point(BackupVaultName="primary", RecoveryPointArn=point)
                    )["Error"]["Code"] == "ResourceNotFoundException"
    assert api.describe_backup_job(BackupJobId=job["BackupJobId"])["State"] == "COMPLETED"  # the job stays
    api.delete_backup_vault(BackupVaultName="primary")  # empty now


# --- recovery points --------------------------------------------------------------


@pytest.fixture
def points(api: Any, emulator: BackupEmulator, clock: ManualClock) -> dict[str, str]:
    """In primary: volume (EBS), table and instance points from 0, COMPLETED; table_again (CREATING)
    from 1000. In copies: the table point's copy (an instant job), COMPLETED. The clock at 1100."""
    jobs = {name: backup(api, resource)["BackupJobId"]
            for name, resource in (("volume", VOLUME), ("table", TABLE), ("instance", INSTANCE))}
    clock.advance(1000)
    found = {name: api.describe_backup_job(BackupJobId=job_id)["RecoveryPointArn"] for name, job_id in jobs.items()}
    found["table_again"] = backup(api, TABLE)["RecoveryPointArn"]
    emulator.timing = JobTiming()
    copy = api.start_copy_job(RecoveryPointArn=found["table"], SourceBackupVaultName="primary",
                              DestinationBackupVaultArn=emulator.vault_arn("copies"), IamRoleArn=ROLE)
    clock.advance(100)
    found["copy"] = api.describe_copy_job(CopyJobId=copy["CopyJobId"])["CopyJob"]["DestinationRecoveryPointArn"]
    return found


@pytest.mark.parametrize("filters, expected", [
    ({}, {"volume", "table", "instance", "table_again"}),
    ({"ByResourceArn": TABLE}, {"table", "table_again"}),
    ({"ByResourceType": "EBS"}, {"volume"}),
    ({"ByResourceType": "EC2"}, {"instance"}),
    ({"ByCreatedAfter": at(500)}, {"table_again"}),
    ({"ByCreatedBefore": at(500)}, {"volume", "table", "instance"}),
    ({"ByBackupPlanId": "8F81F553-3A74-4A3F-B93D-3A3DCFB2C7A4"}, set()),  # on-demand points belong to no plan
    ({"ByParentRecoveryPointArn": "arn:aws:backup:us-east-1:123456789012:recovery-point:parent"}, set()),
])
def test_list_recovery_points_by_backup_vault_applies_each_filter(api, points, filters, expected):
    names = {arn: name for name, arn in points.items()}
    listed = api.list_recovery_points_by_backup_vault(BackupVaultName="primary", **filters)["RecoveryPoints"]
    assert {names[point["RecoveryPointArn"]] for point in listed} == expected
    assert len(listed) == len(expected)


def test_recovery_points_in_a_vault_say_what_made_them(api, points, emulator):
    [copied] = api.list_recovery_points_by_backup_vault(BackupVaultName="copies")["RecoveryPoints"]
    listed = {p["RecoveryPointArn"]: p for p in
              api.list_recovery_points_by_backup_vault(BackupVaultName="primary")["RecoveryPoints"]}

    assert copied["RecoveryPointArn"] == points["copy"] and copied["ResourceArn"] == TABLE
    assert copied["SourceBackupVaultArn"] == emulator.vault_arn("primary")
    assert copied["BackupVaultArn"] == emulator.vault_arn("copies") and copied["Status"] == "COMPLETED"
    assert listed[points["table_again"]]["Status"] == "CREATING"
    assert (listed[points["volume"]]["ResourceType"], listed[points["volume"]]["IamRoleArn"]) == ("EBS", ROLE)
    assert listed[points["volume"]]["CreationDate"] == at(0) and listed[points["volume"]]["CompletionDate"] == at(420)


def test_list_recovery_points_by_backup_vault_pages_and_needs_a_vault_here(api, points):
    pages = list(api.get_paginator("list_recovery_points_by_backup_vault").paginate(
        BackupVaultName="primary", PaginationConfig={"PageSize": 3}))

    assert [len(page["RecoveryPoints"]) for page in pages] == [3, 1]
    for request in ({"BackupVaultName": "missing"}, {"BackupVaultName": "primary", "BackupVaultAccountId": "210987654321"}):
        code = error_of(lambda: api.list_recovery_points_by_backup_vault(**request))["Error"]["Code"]
        assert code == "ResourceNotFoundException"


def test_list_recovery_points_by_resource_lists_its_points_in_every_vault(api, points, emulator):
    listed = api.list_recovery_points_by_resource(ResourceArn=TABLE)["RecoveryPoints"]

    by_arn = {point["RecoveryPointArn"]: point for point in listed}
    assert set(by_arn) == {points["table"], points["table_again"], points["copy"]}
    assert by_arn[points["copy"]]["BackupVaultName"] == "copies"
    assert by_arn[points["table"]]["BackupSizeBytes"] == emulator.timing.size_in_bytes  # this shape's name for it
    assert "ResourceArn" not in by_arn[points["table"]]  # not a member of RecoveryPointByResource
    assert api.list_recovery_points_by_resource(ResourceArn=VOLUME, ManagedByAWSBackupOnly=True)[
        "RecoveryPoints"][0]["RecoveryPointArn"] == points["volume"]
    assert api.list_recovery_points_by_resource(
        ResourceArn="arn:aws:dynamodb:us-east-1:123456789012:table/never-backed-up")["RecoveryPoints"] == []
    first = api.list_recovery_points_by_resource(ResourceArn=TABLE, MaxResults=2)
    rest = api.list_recovery_points_by_resource(ResourceArn=TABLE, MaxResults=2, NextToken=first["NextToken"])
    assert len(first["RecoveryPoints"]) == 2 and len(rest["RecoveryPoints"]) == 1 and "NextToken" not in rest


def test_describe_recovery_point_finds_a_point_only_in_its_vault(api, points):
    point = api.describe_recovery_point(BackupVaultName="primary", RecoveryPointArn=points["instance"])
    assert (point["ResourceArn"], point["ResourceType"], point["Status"]) == (INSTANCE, "EC2", "COMPLETED")

    for vault, arn in (("copies", points["instance"]), ("primary", points["instance"] + "0"), ("missing", points["instance"])):
        code = error_of(lambda: api.describe_recovery_point(BackupVaultName=vault, RecoveryPointArn=arn))["Error"]["Code"]
        assert code == "ResourceNotFoundException"


# --- bad input, answers' shapes, and what is not emulated -------------------------


@pytest.mark.parametrize("operation, params", [
    ("list_backup_jobs", {"ByState": "DONE"}),
    ("list_backup_jobs", {"ByBackupVaultName": "bad name!"}),
    ("list_backup_jobs", {"ByAccountId": "12345"}),
    ("list_backup_jobs", {"MaxResults": 0}),
    ("list_backup_jobs", {"MaxResults": 1001}),
    ("list_copy_jobs", {"ByState": "PENDING"}),  # CopyJobState has no PENDING
    ("list_copy_jobs", {"ByResourceType": "not a type"}),
    ("list_backup_vaults", {"ByVaultType": "COLD"}),
    ("list_recovery_points_by_backup_vault", {"BackupVaultName": "primary", "ByResourceType": "no spaces!"}),
    ("list_recovery_points_by_backup_vault", {"BackupVaultName": "primary", "NextToken": "abc"}),
    ("list_recovery_points_by_resource", {"ResourceArn": "not-an-arn"}),
])
def test_bad_filters_are_invalid_parameter_values(server, emulator, operation, params):
    api = client(server, parameter_validation=False)  # so the request reaches the server as sent
    assert error_of(lambda: getattr(api, operation)(**params))["Error"]["Code"] == "InvalidParameterValueException"
    assert emulator.state.internal_errors == []


@pytest.mark.parametrize("path", ["/backup-jobs/?createdAfter=yesterday", "/copy-jobs/?completeBefore=soon",
                                  "/backup-vaults/?shared=maybe", "/backup-jobs/?maxResults=ten"])
def test_query_values_not_of_their_members_type_are_invalid_parameter_values(server, emulator, path):
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{server.endpoint_url}{path}")
    assert raised.value.code == 400
    assert raised.value.headers["x-amzn-ErrorType"].startswith("InvalidParameterValueException")
    assert emulator.state.internal_errors == []


def unmodeled_members(shape: Shape, value: Any, path: str = "") -> list[str]:
    """The members of ``value`` (an answer's JSON) that ``shape`` does not have, by path."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return [found for name, item in value.items()
                for found in ([f"{path}{name}"] if name not in shape.members
                              else unmodeled_members(shape.members[name], item, f"{path}{name}."))]
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [found for item in value for found in unmodeled_members(shape.member, item, f"{path}[].")]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return [found for item in value.values() for found in unmodeled_members(shape.value, item, f"{path}*.")]
    return []


def test_every_emulated_answer_uses_only_the_models_member_names(server, emulator, clock):
    api = client(server)
    answers: dict[str, Any] = {}

    def keep(http_response: Any, model: Any, **_: Any) -> None:
        answers[model.name] = (model.output_shape, json.loads(http_response.content or b"{}"))

    api.meta.events.register("after-call.backup.*", keep)
    volume = backup(api, VOLUME)
    table = backup(api, TABLE, "copies")
    clock.advance(1000)
    point = api.describe_backup_job(BackupJobId=volume["BackupJobId"])["RecoveryPointArn"]
    copy = api.start_copy_job(RecoveryPointArn=point, SourceBackupVaultName="primary", IamRoleArn=ROLE,
                              DestinationBackupVaultArn=emulator.vault_arn("copies"))
    api.describe_copy_job(CopyJobId=copy["CopyJobId"])
    api.stop_backup_job(BackupJobId=backup(api, VOLUME)["BackupJobId"])
    api.create_backup_vault(BackupVaultName="another")
    for call in (api.list_backup_jobs, api.list_copy_jobs, api.list_backup_vaults):
        call()
    api.describe_backup_vault(BackupVaultName="primary")
    api.describe_recovery_point(BackupVaultName="copies", RecoveryPointArn=table["RecoveryPointArn"])
    api.list_recovery_points_by_backup_vault(BackupVaultName="primary")
    api.list_recovery_points_by_resource(ResourceArn=TABLE)
    api.delete_recovery_point(BackupVaultName="primary", RecoveryPointArn=point)
    api.delete_backup_vault(BackupVaultName="another")

    assert set(answers) == set(OPERATIONS)
    assert {name: unmodeled_members(shape, body) for name, (shape, body) in answers.items()
            if unmodeled_members(shape, body)} == {}
    no_output = {"StopBackupJob", "DeleteRecoveryPoint", "DeleteBackupVault"}  # the model gives them none
    assert all(body for name, (_, body) in answers.items() if name not in no_output)


def test_an_operation_the_emulator_lacks_is_refused_by_name_once_not_retried(server, emulator):
    api = client(server, attempts=3)
    answer = error_of(lambda: api.start_restore_job(
        RecoveryPointArn="arn:aws:backup:us-east-1:123456789012:recovery-point:1", IamRoleArn=ROLE, Metadata={}))

    assert answer["Error"]["Code"] == "NotEmulatedException"
    assert answer["Error"]["Message"] == "StartRestoreJob is not emulated by cdk_backup_jobs.testing"
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert answer["ResponseMetadata"]["RetryAttempts"] == 0
    assert emulator.state.calls_of("StartRestoreJob") == [{"_not_emulated": True}]


def sample_path(uri: str) -> tuple[str, str]:
    """A request path and query for a model requestUri: each label filled in."""
    template, _, query = uri.partition("?")
    path = template.replace("+}", "}")
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + "label-value" + path[end + 1:]
    return path, query


def test_every_operation_of_the_model_is_routed_to_itself():
    model = load_model()
    routes = build_routes(model)
    routed = {}
    for name in model.operation_names:
        http = model.operation_model(name).http
        path, query = sample_path(http["requestUri"])
        routed[name] = match(routes, http["method"], path, query)[0].operation.name
    assert routed == {name: name for name in model.operation_names}


def test_every_operation_not_emulated_answers_501_naming_it(server, emulator):
    model = load_model()
    lacking = sorted(set(model.operation_names) - set(OPERATIONS))
    answers = {}
    for name in lacking:
        http = model.operation_model(name).http
        path, query = sample_path(http["requestUri"])
        request = urllib.request.Request(f"{server.endpoint_url}{path}?{query}", method=http["method"],
                                         data=b"{}" if http["method"] in ("PUT", "POST") else None)
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request)
        answers[name] = (raised.value.code, json.loads(raised.value.read())["message"])

    assert len(lacking) > 90  # the model has over a hundred operations; the emulator answers a few
    assert answers == {name: (501, f"{name} is not emulated by cdk_backup_jobs.testing") for name in lacking}
