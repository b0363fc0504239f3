# test_vpc_efs_stack.py: a stack with a VPC and an EFS file system, tested offline.
# Needs `pip install cdk-backup-jobs[testing]` and, in conftest.py:
#     pytest_plugins = ["cdk_backup_jobs.testing.pytest_plugin"]
from aws_cdk import App, Duration, RemovalPolicy, Stack
from aws_cdk import aws_backup as backup
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_efs as efs
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk_backup_jobs import BackupJob
from cdk_backup_jobs.testing import JobTiming, ManualClock, read_assembly_template


class FileSystemStack(Stack):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        vpc = ec2.Vpc(self, "Vpc", max_azs=2, nat_gateways=1)
        files = efs.FileSystem(self, "Files", vpc=vpc, removal_policy=RemovalPolicy.DESTROY)
        vault = backup.BackupVault(self, "Vault", removal_policy=RemovalPolicy.DESTROY)
        role = iam.Role(self, "BackupRole", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"),
                        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                            "service-role/AWSBackupServiceRolePolicyForBackup")])
        # Before the stack goes on: a backup of the file system, waited for up to three hours.
        BackupJob(self, "BeforeMigration", backup_vault=vault, resource_arn=files.file_system_arn,
                  role=role, wait_for_completion=True, timeout=Duration.hours(3))
        # When the stack deletes the file system: one last backup first.
        BackupJob.final_backup(self, "FilesFinalBackup", resource=files, resource_arn=files.file_system_arn,
                               backup_vault=vault, role=role)


def test_the_file_system_is_backed_up_on_deploy_and_before_its_delete(tmp_path, cfn_stack, aws_backup):
    clock = ManualClock()  # virtual time: the waits below take no real time
    aws_backup.emulator.clock = clock
    aws_backup.emulator.timing = JobTiming(pending_after=60, running_after=120, done_after=30 * 60)
    app = App(outdir=str(tmp_path))
    FileSystemStack(app, "FileSystem")
    app.synth()

    with cfn_stack(tmp_path, stack_name="FileSystem", clock=clock) as stack:
        created = stack.deploy(read_assembly_template(tmp_path, "FileSystem"))
        assert created.status == "CREATE_COMPLETE", created.reason
        [job] = aws_backup.state.backup_jobs.values()  # the final backup waits for the delete
        assert job.resource_arn.startswith("arn:aws:elasticfilesystem:")
        deleted = stack.delete()

    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    assert len(aws_backup.state.backup_jobs) == 2  # and one final backup
