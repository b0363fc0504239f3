"""What the library's synth tests build on: a bare stack, a job role, a BackupJob with defaults, and the
provider's policy statements read from a template."""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Stack, aws_iam as iam
from aws_cdk.assertions import Match, Template

from cdk_backup_jobs import BackupJob

TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
DR_VAULT_ARN = "arn:aws:backup:us-east-1:123456789012:backup-vault:dr"


def new_stack() -> Stack:
    return Stack(App(), "TestStack")


def job_role(stack: Stack, name: str = "BackupRole") -> iam.IRole:
    return iam.Role(stack, name, assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))


def backup_job(stack: Stack, construct_id: str = "Job", **props: Any) -> BackupJob:
    defaults: dict[str, Any] = {"backup_vault": "primary-vault", "resource_arn": TABLE_ARN,
                                "role": props.pop("role", None) or job_role(stack)}
    return BackupJob(stack, construct_id, **{**defaults, **props})


def provider_policy(template: Template) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::Policy", {
        "Properties": {"PolicyName": Match.string_like_regexp("BackupJobsProviderPolicy")}
    })
    [policy] = policies.values()
    return policy["Properties"]["PolicyDocument"]["Statement"]


def statements_by_action(template: Template) -> dict[Any, dict[str, Any]]:
    return {s["Action"] if isinstance(s["Action"], str) else tuple(s["Action"]): s
            for s in provider_policy(template)}
