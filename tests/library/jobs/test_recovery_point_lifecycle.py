"""JobLifecycle: the API's Lifecycle member, keep-forever on both fields together."""

from __future__ import annotations

import pytest
from aws_cdk import Duration
from aws_cdk.assertions import Template

from cdk_backup_jobs import KEEP_FOREVER, JobLifecycle, JobValidationError
from library.job_stacks import backup_job, job_role, new_stack


def test_keep_forever_goes_on_both_lifecycle_fields_together():
    stack = new_stack()
    backup_job(stack, "Both", lifecycle=JobLifecycle.keep_forever(), role=job_role(stack))
    Template.from_stack(stack).has_resource_properties("Custom::BackupJob", {
        "Lifecycle": {"MoveToColdStorageAfterDays": -1, "DeleteAfterDays": -1},
    })
    with pytest.raises(JobValidationError, match="may be -1 only together with the other member"):
        backup_job(stack, "One", role=job_role(stack, "Other"),
                   lifecycle=JobLifecycle(move_to_cold_storage_after=Duration.days(7), delete_after=KEEP_FOREVER))


def test_a_lifecycle_gives_the_api_member_and_reports_what_it_cannot_convert():
    from cdk_backup_jobs_runtime.input.violation_report import Violation

    problems: list[Violation] = []
    api = JobLifecycle(move_to_cold_storage_after=Duration.days(30), delete_after=Duration.hours(36),
                       opt_in_to_archive_for_supported_resources=False).to_api(problems)

    assert api == {"MoveToColdStorageAfterDays": 30, "OptInToArchiveForSupportedResources": False}
    assert problems == [Violation("Lifecycle.DeleteAfterDays", "must be a whole number of days, got 1 day 12 hours")]
