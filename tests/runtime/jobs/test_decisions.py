"""The handler's decisions, without HTTP: answers already read go in, verdicts come out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cdk_backup_jobs_runtime.cloudformation.request import CustomResourceRequest
from cdk_backup_jobs_runtime.errors import BackupServiceError, JobDidNotComplete
from cdk_backup_jobs_runtime.jobs import decisions
from cdk_backup_jobs_runtime.jobs.job_spec import JobSpec
from cdk_backup_jobs_runtime.jobs.job_types import BACKUP_JOB, COPY_JOB

REPO = Path(__file__).resolve().parents[3]
AWS_NOW = "Mon, 30 Nov 2026 12:00:00 GMT"
AWS_NOW_EPOCH = 1796040000.0
ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
PROPERTIES = {"BackupVaultName": "vault", "ResourceArn": ARN,
              "IamRoleArn": "arn:aws:iam::123456789012:role/backup"}


def described(state: str, **more: Any) -> dict[str, Any]:
    return {"BackupJobId": "job-1", "State": state, **more,
            "ResponseMetadata": {"HTTPHeaders": {"date": AWS_NOW}}}


def deadline_in(seconds: float, **more: str) -> dict[str, str]:
    return {"BackupJobId": "job-1", decisions.WAIT_DEADLINE: f"{AWS_NOW_EPOCH + seconds:.3f}", **more}


def test_the_decisions_import_no_aws_sdk():
    code = ("import sys; sys.path.insert(0, 'lambda'); import cdk_backup_jobs_runtime.jobs.decisions; "
            "sys.exit(1 if 'botocore' in sys.modules or 'boto3' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=60).returncode == 0


def test_a_completed_job_answers_its_results_without_the_wait_bookkeeping():
    data = deadline_in(600, **{decisions.RESOURCE_ID: "final-backup-s-T"})
    outcome = decisions.judge_job(BACKUP_JOB, described("COMPLETED", BackupSizeInBytes=42), "job-1", data)

    assert outcome.physical_resource_id == "final-backup-s-T" and not outcome.waiting
    assert outcome.data["BackupSizeInBytes"] == "42"
    assert decisions.WAIT_DEADLINE not in outcome.data and decisions.RESOURCE_ID not in outcome.data


@pytest.mark.parametrize("state", ["CREATED", "PENDING", "RUNNING", "ABORTING"])
def test_an_unfinished_job_before_its_deadline_is_still_waited_for(state):
    outcome = decisions.judge_job(BACKUP_JOB, described(state), "job-1", deadline_in(1))
    assert outcome.waiting and outcome.progress["state"] == state


def test_a_job_still_waited_for_carries_its_deadline_beside_its_attributes_not_in_them():
    # The outcome's data becomes the resource's attributes (the response's Data); the watch that takes the
    # wait over reads the deadline, the resource's ID and the time of the verdict from the outcome itself.
    state = deadline_in(600, **{decisions.RESOURCE_ID: "final-backup-s-T"})
    judged = decisions.judge_job(BACKUP_JOB, described("RUNNING"), "job-1", state)
    unchecked = decisions.still_waiting_after(BackupServiceError("DescribeBackupJob failed", None), BACKUP_JOB,
                                              "job-1", state, now=AWS_NOW_EPOCH)

    for outcome in (judged, unchecked):
        assert outcome.waiting and outcome.data == {"BackupJobId": "job-1"}
        assert outcome.deadline == AWS_NOW_EPOCH + 600
        assert outcome.physical_resource_id == "final-backup-s-T"
    assert judged.checked_at == AWS_NOW_EPOCH and unchecked.checked_at is None


def test_the_deadline_is_judged_on_aws_clock_naming_state_and_percent():
    with pytest.raises(JobDidNotComplete, match="last state RUNNING, 97.5% done") as raised:
        decisions.judge_job(COPY_JOB, {**described("RUNNING", PercentDone="97.5"), "CopyJobId": "job-1"},
                            "job-1", deadline_in(0))
    assert raised.value.physical_resource_id == "job-1"


def test_a_failed_describe_waits_until_the_deadline_then_fails_naming_the_job():
    early = BackupServiceError("DescribeBackupJob failed: ThrottlingException", AWS_NOW_EPOCH)
    unchecked = decisions.still_waiting_after(early, BACKUP_JOB, "job-1", deadline_in(60), now=AWS_NOW_EPOCH + 3600)
    assert unchecked.waiting and not unchecked.checked  # the error's own time (AWS's answer) decides
    with pytest.raises(JobDidNotComplete, match="job-1: DescribeBackupJob failed"):
        decisions.still_waiting_after(early, BACKUP_JOB, "job-1", deadline_in(-1), now=AWS_NOW_EPOCH - 3600)


def test_a_describe_aws_did_not_answer_is_judged_at_the_time_of_what_woke_the_check(monkeypatch):
    """No answer, no AWS time: the deadline is judged at the waking event's time, not on the function's
    own clock, even one a year ahead (service_clock: skew can neither stretch nor cut a wait)."""
    monkeypatch.setattr("time.time", lambda: AWS_NOW_EPOCH + 365 * 86400)
    dropped = BackupServiceError("DescribeBackupJob failed: ConnectionClosedError: closed", transient=True)
    assert decisions.still_waiting_after(dropped, BACKUP_JOB, "job-1", deadline_in(60), now=AWS_NOW_EPOCH).waiting
    with pytest.raises(JobDidNotComplete, match="timed out|Timed out"):
        decisions.still_waiting_after(dropped, BACKUP_JOB, "job-1", deadline_in(60), now=AWS_NOW_EPOCH + 60)


def test_same_job_compares_api_members_run_token_and_final_backup():
    spec = JobSpec(params=dict(PROPERTIES), run_token="v1")
    assert decisions.same_job(BACKUP_JOB, {**PROPERTIES, "RunToken": "v1"}, spec)
    assert not decisions.same_job(BACKUP_JOB, {**PROPERTIES, "RunToken": "v2"}, spec)
    assert not decisions.same_job(BACKUP_JOB, {**PROPERTIES, "RunToken": "v1", "RunOnDelete": "true"}, spec)
    assert not decisions.same_job(BACKUP_JOB, {"BackupVaultName": "?"}, spec)  # unreadable old properties
    assert not decisions.same_job(BACKUP_JOB, None, spec)


FINAL = JobSpec(params=dict(PROPERTIES), run_on_delete=True, protected_logical_id="Table")


def test_an_update_starts_a_new_job_only_for_a_changed_job_never_for_a_final_backup():
    spec = JobSpec(params=dict(PROPERTIES), run_token="v1")
    old = {**PROPERTIES, "RunToken": "v1"}
    assert not decisions.new_job_on_update(BACKUP_JOB, old, spec, "job-1")
    assert decisions.new_job_on_update(BACKUP_JOB, {**PROPERTIES, "RunToken": "v2"}, spec, "job-1")
    assert decisions.new_job_on_update(BACKUP_JOB, old, spec, None)  # no job yet
    assert not decisions.new_job_on_update(BACKUP_JOB, {**PROPERTIES, "RunToken": "v2"}, FINAL, "job-1")
    assert not decisions.new_job_on_update(BACKUP_JOB, None, FINAL, None)


@pytest.mark.parametrize("status, resources, goes", [
    ("", None, True),  # status unknown: back up
    ("ROLLBACK_IN_PROGRESS", None, False),
    ("UPDATE_ROLLBACK_IN_PROGRESS", None, False),
    ("DELETE_IN_PROGRESS", {"Table": {"Type": "AWS::DynamoDB::Table"}}, True),
    ("DELETE_IN_PROGRESS", {"Table": {"DeletionPolicy": "Retain"}}, False),
    ("DELETE_IN_PROGRESS", {"Table": {"DeletionPolicy": "RetainExceptOnCreate"}}, False),
    ("DELETE_IN_PROGRESS", {"Table": {"DeletionPolicy": "Snapshot"}}, True),
    ("DELETE_IN_PROGRESS", None, True),  # template unreadable: back up
    ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", {"Table": {}}, False),
    ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", {"Other": {}}, True),
])
def test_whether_the_protected_resource_goes(status, resources, goes):
    assert decisions.template_needed(status, FINAL) == (status in ("DELETE_IN_PROGRESS",
                                                                   "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"))
    assert decisions.protected_resource_goes(status, FINAL, resources) is goes


@pytest.mark.parametrize("resources, goes", [
    ({"Table": {}}, False),                   # the new template: the final backup left, the table stays
    ({"Table": {}, "FinalBackup": {}}, True),  # it still holds the resource being removed: maybe the previous one
    ({"Other": {}, "FinalBackup": {}}, True),
])
def test_a_clean_up_that_may_read_the_previous_template_backs_up(resources, goes):
    # GetTemplate does not document which template it answers with during an update.
    assert decisions.protected_resource_goes("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", FINAL, resources,
                                             own_logical_id="FinalBackup") is goes


def test_without_a_protected_logical_id_the_template_is_not_read_and_the_backup_runs():
    spec = JobSpec(params=dict(PROPERTIES), run_on_delete=True)
    assert not decisions.template_needed("DELETE_IN_PROGRESS", spec)
    assert decisions.protected_resource_goes("DELETE_IN_PROGRESS", spec, None)


def test_the_previous_final_backup_is_read_as_deployed_not_validated():
    assert decisions.previous_final_backup_arn({"RunOnDelete": "TRUE", "ResourceArn": ARN,
                                                "StartWindowMinutes": "5"}) == ARN
    assert decisions.previous_final_backup_arn({"RunOnDelete": "false", "ResourceArn": ARN}) is None
    assert decisions.previous_final_backup_arn(None) is None


def test_a_final_backup_id_is_stable_per_stack_and_logical_id():
    request = CustomResourceRequest("Create", "Custom::BackupJob",
                                    "arn:aws:cloudformation:us-east-1:123456789012:stack/app/guid", "Final", "r1")
    assert decisions.final_backup_id(request) == "final-backup-app-Final"


def test_only_a_job_created_before_this_request_is_looked_at_again():
    from datetime import datetime, timezone

    def answer(created: float) -> dict[str, Any]:
        return {"CreationDate": datetime.fromtimestamp(created, timezone.utc),
                "ResponseMetadata": {"HTTPHeaders": {"date": AWS_NOW}}}

    assert not decisions.started_earlier(answer(AWS_NOW_EPOCH))  # a fresh job: no second call
    assert not decisions.started_earlier(answer(AWS_NOW_EPOCH - decisions.STARTED_EARLIER_SECONDS))
    assert decisions.started_earlier(answer(AWS_NOW_EPOCH - decisions.STARTED_EARLIER_SECONDS - 1))
    assert not decisions.started_earlier({"ResponseMetadata": {}})


@pytest.mark.parametrize("state, ended", [("FAILED", True), ("ABORTED", True), ("EXPIRED", True), ("PARTIAL", True),
                                          ("COMPLETED", False), ("RUNNING", False), ("ABORTING", False)])
def test_a_job_that_ended_unsuccessfully_is_replaced_on_a_retry(state, ended):
    assert decisions.ended_unsuccessfully({"State": state}) is ended


def test_a_retry_token_is_new_and_the_same_for_a_duplicate_of_the_retry():
    from cdk_backup_jobs_runtime.cloudformation.request import retry_token

    assert retry_token("token", "job-1") == retry_token("token", "job-1")
    assert retry_token("token", "job-1") not in ("token", retry_token("token", "job-2"))


def test_a_fresh_derived_tokens_job_is_not_described_a_handed_back_or_fixed_tokens_job_is():
    from datetime import datetime, timezone

    fresh = {"CreationDate": datetime.fromtimestamp(AWS_NOW_EPOCH, timezone.utc),
             "ResponseMetadata": {"HTTPHeaders": {"date": AWS_NOW}}}
    old = {**fresh, "CreationDate": datetime.fromtimestamp(AWS_NOW_EPOCH - 600, timezone.utc)}
    assert not decisions.identity_check_needed(fresh, fixed_token=False)
    assert decisions.identity_check_needed(old, fixed_token=False)
    assert decisions.identity_check_needed(fresh, fixed_token=True)
    assert decisions.uses_fixed_token(JobSpec({**PROPERTIES, "IdempotencyToken": "release-1"}))
    assert not decisions.uses_fixed_token(JobSpec(PROPERTIES))


def test_a_backup_job_is_the_one_asked_for_only_with_its_resource_vault_and_a_possible_creation_time():
    from datetime import datetime, timezone

    job = {"ResourceArn": ARN, "BackupVaultName": "vault",
           "CreationDate": datetime.fromtimestamp(AWS_NOW_EPOCH, timezone.utc)}
    assert decisions.not_asked_for(BACKUP_JOB, PROPERTIES, job) == []
    assert decisions.not_asked_for(BACKUP_JOB, PROPERTIES, job, not_before=AWS_NOW_EPOCH) == []
    assert decisions.not_asked_for(BACKUP_JOB, PROPERTIES, {**job, "ResourceArn": ARN + "-2"}) == [
        f"ResourceArn {ARN}-2, not {ARN}"]
    assert decisions.not_asked_for(BACKUP_JOB, PROPERTIES, {**job, "BackupVaultName": "other"}) == [
        "BackupVaultName other, not vault"]
    assert decisions.not_asked_for(BACKUP_JOB, PROPERTIES, job, not_before=AWS_NOW_EPOCH + 1) == [
        "created 2026-11-30T12:00:00+00:00, before its token could be used"]


def test_a_copy_job_is_the_one_asked_for_only_with_its_source_point_and_both_vaults():
    point = "arn:aws:backup:us-east-1:123456789012:recovery-point:p-1"
    destination = "arn:aws:backup:us-east-1:123456789012:backup-vault:copies"
    params = {"RecoveryPointArn": point, "SourceBackupVaultName": "vault", "DestinationBackupVaultArn": destination}
    job = {"SourceRecoveryPointArn": point, "DestinationBackupVaultArn": destination,
           "SourceBackupVaultArn": "arn:aws:backup:us-east-1:123456789012:backup-vault:vault"}
    assert decisions.not_asked_for(COPY_JOB, params, job) == []
    assert decisions.not_asked_for(COPY_JOB, params, {**job, "SourceRecoveryPointArn": point + "2"}) == [
        f"RecoveryPointArn {point}2, not {point}"]
    assert decisions.not_asked_for(COPY_JOB, params, {**job, "SourceBackupVaultArn": destination}) == [
        "SourceBackupVaultName copies, not vault"]
    assert decisions.not_asked_for(COPY_JOB, params, {**job, "DestinationBackupVaultArn": destination + "2"}) == [
        f"DestinationBackupVaultArn {destination}2, not {destination}"]


@pytest.mark.parametrize("code, refused", [("InvalidRequestException", True), ("ConflictException", True),
                                           ("IdempotentParameterMismatch", True),
                                           ("InvalidParameterValueException", False),
                                           ("ResourceNotFoundException", False), (None, False)])
def test_which_start_errors_may_be_a_refused_token(code, refused):
    assert decisions.token_refused(BackupServiceError("StartBackupJob failed", code=code)) is refused


def test_a_fresh_token_is_a_new_uuid_text_each_time():
    import uuid

    from cdk_backup_jobs_runtime.cloudformation.request import fresh_token

    tokens = {fresh_token() for _ in range(3)}
    assert len(tokens) == 3 and all(str(uuid.UUID(t)) == t for t in tokens)
