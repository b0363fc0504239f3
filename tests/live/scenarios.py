"""The seven scenarios, written once against ``Target``: what each deploys, what it checks through AWS's
APIs, and what it removes. Each returns nothing and raises ``ScenarioFailed`` naming what was wrong.

The recovery points the scenarios make land in the Base stack's two vaults, which belong to the run
alone; ``clean_up`` deletes every point there before the Base stack (and with it the vaults) goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from cdk_backup_jobs.example_templates import examples_dir

from live import apps
from live.apps import Base
from live.target import StackResult, Target, epoch

LONG_WAIT_VAULTS = ("long-wait-vault", "long-wait-copies")
"""The vaults examples/cloudformation/long-wait.yaml names, kept (Retain) when its stack is deleted."""
LONG_WAIT = examples_dir() / "cloudformation" / "long-wait.yaml"
EXPORT = "BackupJobsProviderServiceToken"
"""The export long-wait.yaml imports: the provider stack's default."""


class ScenarioFailed(AssertionError):
    """A scenario's check that did not hold, said in a line."""


def check(condition: object, message: str) -> None:
    if not condition:
        raise ScenarioFailed(message)


def succeeded(result: StackResult, what: str) -> StackResult:
    check(result.succeeded, f"{what}: {result.status} {result.reason}".strip())
    return result


@dataclass
class Run:
    """One run of the suite: its name prefix and the Base stack's outputs once deployed."""

    prefix: str
    base: Base | None = None
    stacks: list[str] = field(default_factory=list)
    """Every stack deployed, in order: ``clean_up`` destroys what is left, newest first."""

    def name(self, scenario: str) -> str:
        return f"{self.prefix}-{scenario}"

    @property
    def shared(self) -> Base:
        check(self.base is not None, "the Base stack was not deployed")
        assert self.base is not None
        return self.base


def deploy(target: Target, run: Run, stack_name: str, build: Callable[[object], None]) -> StackResult:
    if stack_name not in run.stacks:
        run.stacks.append(stack_name)
        target.ledger.add(f"stack {stack_name}")
    return target.deploy_app(stack_name, build)


def destroy(target: Target, run: Run, stack_name: str) -> StackResult:
    result = succeeded(target.destroy(stack_name), f"delete {stack_name}")
    if stack_name in run.stacks:
        run.stacks.remove(stack_name)
    target.ledger.remove(f"stack {stack_name}")
    return result


def set_up(target: Target, run: Run) -> None:
    """Deploy the Base stack the scenarios share."""
    name = run.name("Base")
    result = succeeded(deploy(target, run, name, apps.base(run.prefix)), f"create {name}")
    run.base = Base.from_outputs(result.outputs)


def a_job(target: Target, run: Run) -> None:
    """(1) A job: the stack answers once it started; Delete keeps the job and its recovery point."""
    name = run.name("Job")
    result = succeeded(deploy(target, run, name, apps.a_job(name, run.shared)), f"create {name}")
    job = target.backup.job(result.outputs["BackupJobId"])
    check(job["ResourceArn"] == run.shared.table_arn, f"the job backs up {job['ResourceArn']}")
    check(job["BackupVaultName"] == run.shared.vault, f"the job writes to {job['BackupVaultName']}")
    target.ledger.measure("a job: deploy start to job created", epoch(job["CreationDate"]) - result.started_at)
    ended = target.wait_for_job(job["BackupJobId"])
    check(ended["State"] == "COMPLETED", f"job {job['BackupJobId']} ended {ended['State']}")
    target.note_points([target.backup.job(job["BackupJobId"])])
    destroy(target, run, name)
    check(target.backup.job(job["BackupJobId"])["State"] == "COMPLETED", "the job is gone after Delete")


def waited_copy(target: Target, run: Run) -> None:
    """(2) A waited job and its chained copy: the stack completes only once both COMPLETED."""
    name = run.name("WaitedCopy")
    result = succeeded(deploy(target, run, name, apps.waited_copy(name, run.shared)), f"create {name}")
    job = target.backup.job(result.outputs["BackupJobId"])
    copy = target.backup.copy_job(result.outputs["CopyJobId"])
    check(job["State"] == "COMPLETED", f"the stack went on with the backup {job['State']}")
    check(copy["State"] == "COMPLETED", f"the stack went on with the copy {copy['State']}")
    check(copy["SourceRecoveryPointArn"] == job["RecoveryPointArn"] == result.outputs["RecoveryPointArn"],
          "the copy is not of the waited backup's recovery point")
    check(copy["DestinationRecoveryPointArn"] == result.outputs["CopyRecoveryPointArn"],
          "the output names another recovery point than the copy made")
    target.note_points([job, {"RecoveryPointArn": copy["DestinationRecoveryPointArn"]}])
    target.ledger.measure("waited job: deploy start to job created", epoch(job["CreationDate"]) - result.started_at)
    done = sorted(result.wait_conditions_done.values())
    check(len(done) == 2, f"expected two WaitConditions completed, got {len(done)}")
    target.ledger.measure("waited job: job completed to its WaitCondition complete",
                          done[0] - epoch(job["CompletionDate"]))
    target.ledger.measure("chained copy: copy completed to its WaitCondition complete",
                          done[1] - epoch(copy["CompletionDate"]))
    destroy(target, run, name)


def rerun(target: Target, run: Run) -> None:
    """(3) A re-run on deployment: a new RunOn.change_of value starts one new job; the same value none."""
    name = run.name("Rerun")
    first = succeeded(deploy(target, run, name, apps.rerun(name, run.shared, "1")), f"create {name}")
    second = succeeded(deploy(target, run, name, apps.rerun(name, run.shared, "2")), f"update {name} to 2")
    third = succeeded(deploy(target, run, name, apps.rerun(name, run.shared, "2")), f"deploy {name} again")
    ids = [result.outputs["BackupJobId"] for result in (first, second, third)]
    check(ids[0] != ids[1], "a new RunOn value did not start a new job")
    check(ids[1] == ids[2], "deploying the same RunOn value again started a job")
    jobs = target.backup.jobs_of(run.shared.table_arn, first.started_at)
    mine = [job for job in jobs if job["BackupJobId"] in ids]
    check(len(mine) == 2, f"expected 2 jobs of this stack, AWS Backup lists {len(mine)}")
    for job_id in ids[:2]:
        target.wait_for_job(job_id)
        target.note_points([target.backup.job(job_id)])
    destroy(target, run, name)


def final_backup(target: Target, run: Run) -> None:
    """(4) A final backup on delete: deleting the stack backs its table up first, and waits for it."""
    name = run.name("FinalBackup")
    created = succeeded(deploy(target, run, name, apps.final_backup(name, run.shared)), f"create {name}")
    table_arn = created.outputs["TableArn"]
    check(target.backup.points_of(table_arn) == [], "a recovery point of the new table before its delete")
    destroy(target, run, name)
    points = target.backup.points_of(table_arn)
    check([point["Status"] for point in points] == ["COMPLETED"],
          f"expected one COMPLETED final backup, got {[point['Status'] for point in points]}")
    check(points[0]["BackupVaultName"] == run.shared.vault, "the final backup is in another vault")
    target.note_points(points)


def provider_move(target: Target, run: Run) -> None:
    """(5) A move to a shared provider and back: each move replaces the job resource (a new job), the
    update completes, and the stack's own provider goes while the jobs are on the shared one."""
    export = f"{run.prefix}-ServiceToken"
    provider_stack, name = run.name("Provider"), run.name("Moved")
    succeeded(deploy(target, run, provider_stack, apps.provider(provider_stack, export)), f"create {provider_stack}")
    own = succeeded(deploy(target, run, name, apps.moved(name, run.shared, None)), f"create {name}")
    check("AWS::Lambda::Function" in target.stack_resource_types(name), "the stack has no provider of its own")
    shared = succeeded(deploy(target, run, name, apps.moved(name, run.shared, export)), f"move {name} to shared")
    check("AWS::Lambda::Function" not in target.stack_resource_types(name),
          "the stack kept its own provider after the move")
    back = succeeded(deploy(target, run, name, apps.moved(name, run.shared, None)), f"move {name} back")
    ids = [result.outputs["BackupJobId"] for result in (own, shared, back)]
    check(len(set(ids)) == 3, f"each move starts the job again: got jobs {ids}")
    for job_id in ids:
        target.wait_for_job(job_id)
        target.note_points([target.backup.job(job_id)])
    destroy(target, run, name)
    destroy(target, run, provider_stack)


def long_wait_template(target: Target, run: Run) -> None:
    """(6) examples/cloudformation/long-wait.yaml, plain CloudFormation with a service role, on the
    provider its template imports (BackupJobsProviderServiceToken), backing up the Base table."""
    provider_stack, roles, name = run.name("SharedProvider"), run.name("ServiceRole"), run.name("LongWait")
    succeeded(deploy(target, run, provider_stack, apps.provider(provider_stack, EXPORT)), f"create {provider_stack}")
    role = succeeded(deploy(target, run, roles, apps.service_role(roles, f"{run.prefix}-deployer")),
                     f"create {roles}")
    run.stacks.append(name)
    target.ledger.add(f"stack {name}")
    for vault in LONG_WAIT_VAULTS:
        target.ledger.add(f"vault {vault}")
    result = succeeded(target.deploy_template(LONG_WAIT, name,
                                              {"FileSystemArn": run.shared.table_arn}, role.outputs["RoleArn"]),
                       f"create {name}")
    job = target.backup.job(result.outputs["BackupJobId"])
    check(job["State"] == "COMPLETED" and job["RecoveryPointArn"] == result.outputs["RecoveryPointArn"],
          f"the template went on with its backup {job['State']}")
    check(job["ResourceArn"] == run.shared.table_arn, "the template backed up another resource")
    copies = target.backup.points_in(LONG_WAIT_VAULTS[1])
    check([point["RecoveryPointArn"] for point in copies] == [result.outputs["CopyRecoveryPointArn"]],
          "the copy vault holds other points than the template's copy")
    target.note_points([job, *copies])
    target.ledger.measure("long wait: deploy start to job created", epoch(job["CreationDate"]) - result.started_at)
    destroy(target, run, name)
    for vault in LONG_WAIT_VAULTS:  # kept by the template's DeletionPolicy: Retain
        target.remove_points(vault)
        target.backup.delete_vault(vault)
        target.ledger.remove(f"vault {vault}")
    destroy(target, run, roles)
    destroy(target, run, provider_stack)


def failure(target: Target, run: Run) -> None:
    """(7) A role AWS Backup cannot assume: the stack fails with a reason saying so, rolls back, and
    leaves nothing behind once deleted (no stack, no job still running, no recovery point)."""
    name = run.name("Failure")
    result = deploy(target, run, name, apps.failing(name, run.shared))
    check(result.status == "ROLLBACK_COMPLETE", f"expected ROLLBACK_COMPLETE, got {result.status}")
    refused = "cannot be assumed by AWS Backup" in result.reason
    ended_failed = "ended FAILED" in result.reason  # had AWS Backup started the job, then failed it
    check(refused or ended_failed, f"the reason does not say why: {result.reason!r}")
    destroy(target, run, name)
    jobs = target.backup.jobs_of(run.shared.table_arn, result.started_at)
    check(all(job["State"] in ("FAILED", "ABORTED") for job in jobs if name in job.get("IamRoleArn", "")),
          "a job of the failed stack still runs or completed")
    made = [point for point in target.backup.points_of(run.shared.table_arn) if name in point.get("IamRoleArn", "")]
    check(made == [], f"the failed stack left recovery points: {made}")


def clean_up(target: Target, run: Run) -> None:
    """Destroy what is left, newest first, then empty the run's vaults and delete the Base stack."""
    base = run.name("Base")
    for stack in [s for s in reversed(run.stacks) if s != base]:
        destroy(target, run, stack)
    if run.base is not None:
        for vault in (run.base.vault, run.base.copies):
            target.remove_points(vault)
    if base in run.stacks:
        destroy(target, run, base)


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[Target, Run], None]
    backups: int
    """Recovery points it makes (backups and copies), for the cost estimate."""
    deployments: int
    """Stack operations it makes (creates, updates, deletes), for the cost estimate."""


SCENARIOS = (
    Scenario("job", a_job, backups=1, deployments=2),
    Scenario("waited-copy", waited_copy, backups=2, deployments=2),
    Scenario("rerun", rerun, backups=2, deployments=4),
    Scenario("final-backup", final_backup, backups=1, deployments=2),
    Scenario("provider-move", provider_move, backups=3, deployments=6),
    Scenario("long-wait-template", long_wait_template, backups=2, deployments=6),
    Scenario("failure", failure, backups=0, deployments=2),
)
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}

