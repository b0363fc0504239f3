"""BackupJobsProvider: one function and role per stack, on the newest Python runtime."""

from __future__ import annotations

import re

from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from cdk_backup_jobs import CopyJob
from cdk_backup_jobs.provider.provider import RUNTIME
from library.job_stacks import backup_job, job_role, new_stack


def test_all_jobs_in_a_stack_share_one_provider_function_and_role():
    stack = new_stack()
    role = job_role(stack)
    for index in range(3):
        backup_job(stack, f"Job{index}", role=role)
    CopyJob(stack, "Copy", recovery_point_arn="arn:aws:backup:us-east-1:123456789012:recovery-point:x",
            source_backup_vault="primary-vault",
            destination_backup_vault="arn:aws:backup:us-east-1:123456789012:backup-vault:dr", role=role)
    template = Template.from_stack(stack)

    template.resource_count_is("AWS::Lambda::Function", 1)
    template.resource_count_is("AWS::IAM::Role", 2)  # the job role and the provider's
    template.resource_count_is("Custom::BackupJob", 3)


def test_provider_uses_the_newest_python_runtime_with_a_log_retention():
    newest = max(
        (name for name in dir(lambda_.Runtime) if re.fullmatch(r"PYTHON_3_\d+", name)),
        key=lambda name: int(name.rsplit("_", 1)[1]),
    )
    stack = new_stack()
    backup_job(stack)
    template = Template.from_stack(stack)

    assert RUNTIME.name == getattr(lambda_.Runtime, newest).name
    template.has_resource_properties("AWS::Lambda::Function", {
        "Runtime": RUNTIME.name, "Handler": "index.handler",
        "LoggingConfig": {"LogGroup": Match.any_value()},
    })
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})
