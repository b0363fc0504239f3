"""Stacks built from aws-cdk-lib's own constructs (VPC, EFS, RDS, Aurora, EC2, S3, DynamoDB) deploy, update
and delete in the simulator, with waited jobs and final backups, every job counted in the emulator."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest
from aws_cdk import App, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_efs as efs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_backup_jobs import BackupJob
from cdk_backup_jobs.testing import ManualClock, JobTiming, read_assembly_template

pytestmark = pytest.mark.slow

Protected = tuple[str, Construct, str]  # (name, the construct a final backup protects, its ARN)


def vpc_and_efs(stack: Stack) -> list[Protected]:
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    file_system = efs.FileSystem(stack, "Files", vpc=vpc, removal_policy=RemovalPolicy.DESTROY)
    return [("Files", file_system, file_system.file_system_arn)]


def rds_instance_and_aurora(stack: Stack) -> list[Protected]:
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0,
                  subnet_configuration=[ec2.SubnetConfiguration(name="db", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    isolated = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    instance = rds.DatabaseInstance(
        stack, "Database", vpc=vpc, vpc_subnets=isolated, removal_policy=RemovalPolicy.DESTROY,
        engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_16))
    cluster = rds.DatabaseCluster(
        stack, "Aurora", vpc=vpc, vpc_subnets=isolated, removal_policy=RemovalPolicy.DESTROY,
        engine=rds.DatabaseClusterEngine.aurora_postgres(version=rds.AuroraPostgresEngineVersion.VER_16_4),
        writer=rds.ClusterInstance.provisioned("Writer"))
    CfnOutput(stack, "AuroraEndpoint", value=cluster.cluster_endpoint.socket_address)
    CfnOutput(stack, "AuroraSecret", value=cluster.secret.secret_arn if cluster.secret else "none")
    return [("Database", instance, instance.instance_arn), ("Aurora", cluster, cluster.cluster_arn)]


def ec2_instance(stack: Stack) -> list[Protected]:
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0,
                  subnet_configuration=[ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)])
    instance = ec2.Instance(stack, "Server", vpc=vpc, instance_type=ec2.InstanceType("t3.micro"),
                            machine_image=ec2.MachineImage.latest_amazon_linux2023())
    arn = stack.format_arn(service="ec2", resource="instance", resource_name=instance.instance_id)
    CfnOutput(stack, "ServerAddress", value=instance.instance_private_ip)
    return [("Server", instance, arn)]


def versioned_bucket(stack: Stack) -> list[Protected]:
    bucket = s3.Bucket(stack, "Bucket", versioned=True, removal_policy=RemovalPolicy.DESTROY)
    return [("Bucket", bucket, bucket.bucket_arn)]


def table_v2(stack: Stack) -> list[Protected]:
    table = dynamodb.TableV2(stack, "Table", partition_key=dynamodb.Attribute(
        name="pk", type=dynamodb.AttributeType.STRING), removal_policy=RemovalPolicy.DESTROY)
    return [("Table", table, table.table_arn)]


def synth(out: Path, name: str, build: Callable[[Stack], list[Protected]], *, tag: str = "v1") -> dict[str, Any]:
    """One stack: the resources, and for each a waited backup job and a final backup."""
    app = App(outdir=str(out))
    stack = Stack(app, name)
    vault = backup.BackupVault(stack, "Vault", removal_policy=RemovalPolicy.DESTROY)
    role = iam.Role(stack, "BackupRole", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"),
                    managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                        "service-role/AWSBackupServiceRolePolicyForBackup")])
    for protected_name, protected, arn in build(stack):
        job = BackupJob(stack, f"{protected_name}Snapshot", backup_vault=vault, resource_arn=arn, role=role,
                        wait_for_completion=True, timeout=Duration.hours(2))
        CfnOutput(stack, f"{protected_name}RecoveryPoint", value=job.recovery_point_arn)
        BackupJob.final_backup(stack, f"{protected_name}FinalBackup", resource=protected, resource_arn=arn,
                               backup_vault=vault, role=role)
    stack.tags.set_tag("release", tag)  # an update of every taggable resource, none of the jobs
    app.synth()
    return read_assembly_template(out, name)


STACKS = {"VpcEfs": (vpc_and_efs, 1), "Databases": (rds_instance_and_aurora, 2), "Instance": (ec2_instance, 1),
          "VersionedBucket": (versioned_bucket, 1), "TableV2": (table_v2, 1)}


@pytest.mark.parametrize("name", list(STACKS))
def test_real_stack_deploys_updates_and_deletes_with_its_jobs(name: str, tmp_path: Path, aws_backup: Any,
                                                              cfn_stack: Any) -> None:
    build, protected = STACKS[name]
    clock = ManualClock()
    aws_backup.emulator.clock = clock
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=40 * 60)
    first = synth(tmp_path / "v1", name, build)
    second = synth(tmp_path / "v2", name, build, tag="v2")
    types = {resource["Type"] for resource in first["Resources"].values()}

    with cfn_stack(tmp_path / "v1", stack_name=name, clock=clock) as stack:
        created = stack.deploy(first)
        assert created.status == "CREATE_COMPLETE", created.reason
        jobs_after_create = len(aws_backup.state.backup_jobs)
        created_points = sorted(job.recovery_point_arn for job in aws_backup.state.backup_jobs.values())
        points = {key: value for key, value in created.outputs.items() if key.endswith("RecoveryPoint")}
        updated = stack.update(second)
        jobs_after_update = len(aws_backup.state.backup_jobs)
        deleted = stack.delete()

    assert jobs_after_create == protected  # one waited job per resource; the final backups wait for the delete
    assert sorted(points.values()) == created_points
    assert updated.status == "UPDATE_COMPLETE", updated.reason
    assert jobs_after_update == protected  # tags changed, not the jobs: nothing runs again
    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    jobs = list(aws_backup.state.backup_jobs.values())
    assert len(jobs) == 2 * protected  # one final backup per protected resource
    assert all(job.state_at(clock())[0] == "COMPLETED" for job in jobs)
    resource_arns = {job.resource_arn for job in jobs}
    assert len(resource_arns) == protected and all(arn.startswith("arn:aws:") for arn in resource_arns)
    assert len(types) >= 4  # the real constructs' resources, not only ours
    if name == "Instance":  # the image an SSM parameter names, as CloudFormation resolves it
        [image] = [n for n, p in first["Parameters"].items() if p["Type"].endswith("<AWS::EC2::Image::Id>")]
        assert re.fullmatch(r"ami-[0-9a-f]{17}", stack.parameters[image])
    if name == "Databases":
        assert created.outputs["AuroraEndpoint"].endswith(":5432")
        assert created.outputs["AuroraSecret"].startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:")
