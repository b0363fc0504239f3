"""Template footprint and synth time: BackupJob versus aws-cdk-lib's AwsCustomResource, in one run.

For each N, a stack of N backup jobs is built both ways (alternating, so
machine noise hits both alike) and synthesized; the script records resources,
template bytes and IAM policy size, and the median synth wall time.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from typing import Callable

from aws_cdk import App, ArnFormat, Stack, aws_iam as iam
from aws_cdk import custom_resources as cr

from cdk_backup_jobs import BackupJob

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders-{index}"


@dataclass
class Footprint:
    tool: str
    jobs: int
    resources: int
    template_bytes: int
    policy_bytes: int
    synth_seconds: float


def job_role(stack: Stack) -> iam.IRole:
    """The role the jobs pass to AWS Backup, made in the stack."""
    return iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"))


def ours(stack: Stack, jobs: int) -> None:
    role = job_role(stack)
    for index in range(jobs):
        BackupJob(stack, f"Job{index}", backup_vault="primary-vault", role=role,
                  resource_arn=TABLE.format(index=index))


def aws_custom_resource(stack: Stack, jobs: int) -> None:
    aws_custom_resource_jobs(stack, jobs, job_role(stack))


def aws_custom_resource_jobs(stack: Stack, jobs: int, role: iam.IRole) -> None:
    """``jobs`` StartBackupJob calls as AwsCustomResources, as a user would configure them, with ``role``."""
    vault = stack.format_arn(service="backup", resource="backup-vault", resource_name="primary-vault",
                             arn_format=ArnFormat.COLON_RESOURCE_NAME)
    for index in range(jobs):
        call = cr.AwsSdkCall(
            service="Backup", action="startBackupJob",
            parameters={"BackupVaultName": "primary-vault", "ResourceArn": TABLE.format(index=index),
                        "IamRoleArn": role.role_arn, "IdempotencyToken": f"job-{index}"},
            physical_resource_id=cr.PhysicalResourceId.from_response("BackupJobId"),
        )
        job = cr.AwsCustomResource(
            stack, f"Job{index}", on_create=call, install_latest_aws_sdk=False,
            policy=cr.AwsCustomResourcePolicy.from_statements([
                iam.PolicyStatement(actions=["backup:StartBackupJob"], resources=[vault]),
                iam.PolicyStatement(actions=["iam:PassRole"], resources=[role.role_arn]),
            ]),
        )
        job.get_response_field("BackupJobId")


BUILDERS: dict[str, Callable[[Stack, int], None]] = {
    "cdk-backup-jobs": ours,
    "AwsCustomResource": aws_custom_resource,
}


def measure_once(tool: str, jobs: int) -> tuple[dict[str, object], float]:
    began = time.perf_counter()
    app = App()
    stack = Stack(app, "Bench")
    BUILDERS[tool](stack, jobs)
    template: dict[str, object] = app.synth().get_stack_by_name("Bench").template
    return template, time.perf_counter() - began


def measure(sizes: list[int], repeats: int) -> list[Footprint]:
    results = []
    for jobs in sizes:
        times: dict[str, list[float]] = {tool: [] for tool in BUILDERS}
        templates: dict[str, dict[str, object]] = {}
        for _ in range(repeats):
            for tool in BUILDERS:  # alternate the two tools within each repeat
                templates[tool], seconds = measure_once(tool, jobs)
                times[tool].append(seconds)
        for tool, template in templates.items():
            resources = template["Resources"]
            assert isinstance(resources, dict)
            policies = [r for r in resources.values() if r["Type"] == "AWS::IAM::Policy"]
            results.append(Footprint(
                tool, jobs, len(resources), len(json.dumps(template)),
                sum(len(json.dumps(p["Properties"]["PolicyDocument"])) for p in policies),
                statistics.median(times[tool]),
            ))
    return results
