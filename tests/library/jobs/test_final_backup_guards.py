"""A final backup outlives its role's policy, its vault and the resource it protects; a database CDK snapshots
anyway is warned of."""

from __future__ import annotations

import pytest
from aws_cdk import RemovalPolicy, Stack, aws_backup as backup, aws_iam as iam
from aws_cdk.assertions import Match, Template

from cdk_backup_jobs import BackupJob, RunOn
from library.job_stacks import TABLE_ARN, backup_job, job_role, new_stack


def depends_on(stack: Stack, job: BackupJob) -> list[str]:
    resources = Template.from_stack(stack).to_json()["Resources"]
    return resources[stack.resolve(stack.get_logical_id(job.resource.node.default_child))].get("DependsOn", [])


def test_a_final_backup_outlives_its_roles_policy_and_its_vault():
    from aws_cdk import aws_dynamodb as dynamodb

    stack = new_stack()
    role = job_role(stack)
    vault = backup.BackupVault(stack, "Vault")
    table = dynamodb.Table(stack, "Table",
                           partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
    job = BackupJob.final_backup(stack, "Final", resource=table, resource_arn=table.table_arn,
                                 backup_vault=vault, role=role)
    table.grant_read_data(role)  # an inline grant, made after the job: the role's separate DefaultPolicy
    [policy_id] = Template.from_stack(stack).find_resources("AWS::IAM::Policy", {
        "Properties": {"Roles": [{"Ref": Match.string_like_regexp("^BackupRole")}]}})
    vault_id = stack.resolve(stack.get_logical_id(vault.node.default_child))

    assert policy_id.startswith("BackupRoleDefaultPolicy")
    # The policy by DependsOn; the role, the vault and the table by the references of the job's own
    # properties, which order them as well (a DependsOn on them too is what cfn-lint warns of, W3005).
    resource = Template.from_stack(stack).to_json()["Resources"][
        stack.resolve(stack.get_logical_id(job.resource.node.default_child))]
    role_id, table_id = (stack.resolve(stack.get_logical_id(c.node.default_child)) for c in (role, table))
    assert set(depends_on(stack, job)) & {policy_id, vault_id, role_id, table_id} == {policy_id}
    assert resource["Properties"]["BackupVaultName"] == {"Fn::GetAtt": [vault_id, "BackupVaultName"]}
    assert resource["Properties"]["IamRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert resource["Properties"]["ResourceArn"] == {"Fn::GetAtt": [table_id, "Arn"]}


def test_a_final_backup_depends_on_what_its_properties_do_not_reference():
    from aws_cdk import aws_dynamodb as dynamodb

    stack = new_stack()
    table = dynamodb.Table(stack, "Table",
                           partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
    # The table's ARN given as text: nothing references the table, so the order must be said.
    job = BackupJob.final_backup(stack, "Final", resource=table, backup_vault="primary-vault",
                                 resource_arn="arn:aws:dynamodb:us-east-1:123456789012:table/orders",
                                 role=job_role(stack))

    assert stack.resolve(stack.get_logical_id(table.node.default_child)) in depends_on(stack, job)


def test_a_final_backup_outlives_the_policy_of_an_imported_role_too():
    stack = new_stack()
    role = iam.Role.from_role_arn(stack, "Imported", "arn:aws:iam::123456789012:role/backup-role")
    role.add_to_principal_policy(iam.PolicyStatement(actions=["dynamodb:DescribeTable"], resources=[TABLE_ARN]))
    job = backup_job(stack, role=role, run_on=RunOn.delete())
    [policy_id] = Template.from_stack(stack).find_resources("AWS::IAM::Policy", {
        "Properties": {"Roles": ["backup-role"]}})

    assert policy_id in depends_on(stack, job)


def test_only_a_final_backup_depends_on_its_role_and_vault():
    stack = new_stack()
    vault = backup.BackupVault(stack, "Vault")
    job = backup_job(stack, backup_vault=vault)
    vault_id = stack.resolve(stack.get_logical_id(vault.node.default_child))

    assert vault_id not in depends_on(stack, job)
    assert not any(d.startswith("BackupRole") for d in depends_on(stack, job))


@pytest.mark.parametrize("removal_policy, warned", [(None, True), (RemovalPolicy.DESTROY, False)])
def test_a_final_backup_of_a_database_cdk_snapshots_anyway_is_warned_of(removal_policy, warned):
    from aws_cdk import aws_ec2 as ec2, aws_rds as rds
    from aws_cdk.assertions import Annotations, Match

    stack = new_stack()
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    database = rds.DatabaseInstance(stack, "Database", vpc=vpc,
                                    vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
                                    engine=rds.DatabaseInstanceEngine.postgres(
                                        version=rds.PostgresEngineVersion.VER_16),
                                    **({"removal_policy": removal_policy} if removal_policy else {}))
    BackupJob.final_backup(stack, "Final", resource=database, resource_arn=database.instance_arn,
                           backup_vault="primary-vault", role=job_role(stack))

    found = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("AWS::RDS::DBInstance is deleted with DeletionPolicy Snapshot"))
    assert len(found) == (1 if warned else 0)
