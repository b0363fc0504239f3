"""What the provider does when AWS Backup answers a repeated IdempotencyToken otherwise than assumed.

AWS documents only "Retrying a successful request with the same idempotency token results in a
success message with no action taken" (API_StartBackupJob.html, API_StartCopyJob.html): not which
job that answer names, nor what a token reused with other members does. The emulator's
``token_reuse`` plays each reading ("same-job", "new-job", "error"); docs/behaviour.md#idempotency
says what the provider does in each. The real handler, through crhelper, against the local AWS
Backup over HTTP.
"""

from __future__ import annotations

from typing import Any

from provider_events import COPY_VAULT, ROLE_ARN, VAULT, backup_properties, make_event

from cdk_backup_jobs.testing import JobTiming
from cdk_backup_jobs_runtime.cloudformation.request import CustomResourceRequest, derived_idempotency_token, retry_token

OTHER_TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/invoices"


def earlier_job(backup_api: Any, token: str, seconds_ago: float, **params: Any) -> Any:
    """A job AWS Backup started for ``token`` ``seconds_ago``: what a repeated token may hand back."""
    answer = backup_api.emulator.call("StartBackupJob", {**backup_properties_for_api(), "IdempotencyToken": token,
                                                         **params})
    job = backup_api.state.backup_jobs[answer["BackupJobId"]]
    job.created_at -= seconds_ago
    backup_api.state.tokens[("StartBackupJob", token)] = (job.job_id, job.created_at)
    return job


def backup_properties_for_api() -> dict[str, Any]:
    return {"BackupVaultName": VAULT, "ResourceArn": OTHER_TABLE, "IamRoleArn": ROLE_ARN}


def test_a_fixed_token_that_started_another_resources_job_fails_and_adopts_nothing(invoke, cfn, backup_api, capsys):
    other = earlier_job(backup_api, "release-1", seconds_ago=0)  # a job of this very deployment
    answer = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties(IdempotencyToken="release-1")))

    assert answer["Status"] == "FAILED"
    assert answer["PhysicalResourceId"] != other.job_id and "BackupJobId" not in answer.get("Data", {})
    assert answer["Reason"].startswith(f"IdempotencyToken 'release-1' already started backup job {other.job_id}, "
                                       f"not this resource's: give it another IdempotencyToken (ResourceArn {OTHER_TABLE}")
    # The reason is cut at 255 characters; the log has every difference.
    assert (f'"differences": ["ResourceArn {OTHER_TABLE}, not arn:aws:dynamodb:us-east-1:123456789012:table/orders"]'
            in capsys.readouterr().out)
    assert list(backup_api.state.backup_jobs) == [other.job_id]  # nothing else started


def test_a_fixed_token_that_started_this_resources_job_keeps_it(invoke, cfn, backup_api):
    first = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties(IdempotencyToken="release-1"),
                              logical_id="First"))
    again = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties(IdempotencyToken="release-1"),
                              logical_id="Second"))

    assert first["Status"] == again["Status"] == "SUCCESS"
    assert again["PhysicalResourceId"] == first["PhysicalResourceId"] and len(backup_api.state.backup_jobs) == 1
    assert len(backup_api.state.calls_of("DescribeBackupJob")) == 2  # each answer checked: a fixed token's job


def test_a_derived_token_handing_back_another_resources_job_starts_a_fresh_one(invoke, cfn, backup_api):
    event = make_event(cfn, "Create", "Custom::BackupJob", backup_properties())
    token = derived_idempotency_token(CustomResourceRequest.from_event(event))
    other = earlier_job(backup_api, token, seconds_ago=600)  # AWS answering the token with a stranger's job
    first = invoke(event)
    duplicate = invoke({**event, "ResponseURL": cfn.new_url()})

    assert first["Status"] == duplicate["Status"] == "SUCCESS", first.get("Reason")
    [fresh] = [j for j in backup_api.state.backup_jobs.values() if j is not other]
    assert first["PhysicalResourceId"] == duplicate["PhysicalResourceId"] == fresh.job_id != other.job_id
    assert fresh.params["ResourceArn"] == "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
    assert fresh.params["IdempotencyToken"] == retry_token(token, other.job_id)  # the duplicate found it again


def test_a_fresh_token_handing_back_a_job_older_than_the_one_it_replaces_fails(invoke, cfn, backup_api):
    event = make_event(cfn, "Create", "Custom::BackupJob", backup_properties())
    token = derived_idempotency_token(CustomResourceRequest.from_event(event))
    other = earlier_job(backup_api, token, seconds_ago=600)
    older = earlier_job(backup_api, retry_token(token, other.job_id), seconds_ago=900,
                        ResourceArn="arn:aws:dynamodb:us-east-1:123456789012:table/orders")
    answer = invoke(event)

    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(f"StartBackupJob handed back backup job {older.job_id} in place of "
                                       f"{other.job_id}, not the one asked for either (created ")
    assert "before its token could be used" in answer["Reason"]
    assert len(backup_api.state.backup_jobs) == 2


def test_with_no_idempotency_a_duplicate_delivery_starts_a_second_job_each_answer_naming_its_own(
        invoke, cfn, backup_api):
    backup_api.emulator.token_reuse = "new-job"
    event = make_event(cfn, "Create", "Custom::BackupJob", backup_properties())
    first = invoke(event)
    duplicate = invoke({**event, "ResponseURL": cfn.new_url()})

    jobs = backup_api.state.backup_jobs
    assert first["Status"] == duplicate["Status"] == "SUCCESS"
    assert sorted([first["PhysicalResourceId"], duplicate["PhysicalResourceId"]]) == sorted(jobs)
    assert all(j.params["ResourceArn"] == backup_properties()["ResourceArn"] for j in jobs.values())
    assert backup_api.state.calls_of("DescribeBackupJob") == []  # fresh jobs from a derived token: not described
    assert backup_api.state.calls_of("ListBackupJobs") == []


def test_a_refused_token_is_tried_once_more_with_a_fresh_one(invoke, cfn, backup_api, capsys):
    backup_api.emulator.token_reuse = "error"
    event = make_event(cfn, "Create", "Custom::BackupJob", backup_properties())
    first = invoke(event)
    duplicates = [invoke({**event, "ResponseURL": cfn.new_url()}) for _ in range(2)]

    assert [a["Status"] for a in [first, *duplicates]] == ["SUCCESS"] * 3
    starts = backup_api.state.calls_of("StartBackupJob")
    assert len(starts) == 5 and len({s["IdempotencyToken"] for s in starts}) == 3
    assert len(backup_api.state.backup_jobs) == 3
    assert {a["PhysicalResourceId"] for a in [first, *duplicates]} == set(backup_api.state.backup_jobs)
    assert capsys.readouterr().out.count("StartBackupJob refused; trying once with a fresh token") == 2


def test_a_refused_fixed_token_fails_saying_so(invoke, cfn, backup_api):
    backup_api.emulator.token_reuse = "error"
    event = make_event(cfn, "Create", "Custom::BackupJob", backup_properties(IdempotencyToken="release-1"))
    first = invoke(event)
    again = invoke({**event, "ResponseURL": cfn.new_url()})

    assert first["Status"] == "SUCCESS" and again["Status"] == "FAILED"
    assert "InvalidRequestException" in again["Reason"]
    assert "the fixed IdempotencyToken may have been used by an earlier call" in again["Reason"]
    assert len(backup_api.state.calls_of("StartBackupJob")) == 2 and len(backup_api.state.backup_jobs) == 1


def test_a_copy_refused_for_its_input_fails_with_awss_error_after_one_more_try(invoke, cfn, backup_api):
    backup_api.emulator.timing = JobTiming(done_after=600)  # a table's recovery point: CREATING till then
    backup = invoke(make_event(cfn, "Create", "Custom::BackupJob", backup_properties()))
    copy = invoke(make_event(cfn, "Create", "Custom::CopyJob", {
        "RecoveryPointArn": backup["Data"]["RecoveryPointArn"], "SourceBackupVaultName": VAULT,
        "DestinationBackupVaultArn": backup_api.emulator.vault_arn(COPY_VAULT), "IamRoleArn": ROLE_ARN},
        logical_id="Copy"))

    assert copy["Status"] == "FAILED"
    assert "StartCopyJob failed: InvalidRequestException" in copy["Reason"]
    assert "is CREATING; only COMPLETED recovery points can be copied" in copy["Reason"]
    assert len(backup_api.state.calls_of("StartCopyJob")) == 2 and backup_api.state.copy_jobs == {}
