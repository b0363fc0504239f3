"""StackSets across a simulated AWS Organization, in one process: each stack instance in its account and Region.

``StackSetSimulator(organization)`` makes service-managed StackSets
(``create_stack_set``) and runs their operations: ``create_stack_instances``
to organizational units and Regions, with OperationPreferences
(``scheduler``), and auto-deployment to an account that joins a
target OU (``add_account``), which ignores the preferences as AWS documents
("StackSetOperationPreferences don't apply to AutoDeployment"; RegionOrder
"isn't followed if AutoDeployment is enabled"), runs every Region at once,
and waits for the StackSets named in its ``depends_on``
(https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_AutoDeployment.html).
A CreateStackInstances of a StackSet with AutoDeployment enabled does not
follow its RegionOrder either, and says so in the operation's ``notes``.

Each instance is a stack deployed in its account and Region (``fleet``),
whose functions (the provider's code from cdk.out) really run, in Lambda
workers with that account's credentials and Region, against that account's
AWS Backup in that Region, behind endpoints every account shares. Exports and
functions an instance's stack leaves are kept for the account-Region's later
stacks (``SimulatedOrganization.place``): a job StackSet's
``!ImportValue BackupJobsProviderServiceToken`` finds the provider that the
provider StackSet deployed in that account and Region.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Mapping

from cdk_backup_jobs.testing.cloudformation.template import template_path
from cdk_backup_jobs.testing.stacksets.fleet import FleetServices
from cdk_backup_jobs.testing.stacksets.organization import SimulatedAccount, SimulatedOrganization
from cdk_backup_jobs.testing.stacksets.preferences import OperationPreferences
from cdk_backup_jobs.testing.stacksets.scheduler import OperationScheduler
from cdk_backup_jobs.testing.stacksets.stack_instances import SUCCEEDED, StackInstance, StackSetOperation


@dataclass(frozen=True)
class AutoDeployment:
    """A StackSet's AutoDeployment: ``depends_on`` names StackSets whose auto-deployment goes first.

    (An account leaving an OU is not simulated, so neither is RetainStacksOnAccountRemoval.)
    """

    enabled: bool = False
    depends_on: tuple[str, ...] = ()


class StackSet:
    """A service-managed StackSet: one template, its instances by (account, Region), its operations."""

    def __init__(self, name: str, template: str | Path | Mapping[str, Any], *,
                 parameters: Mapping[str, str] | None = None, assets_dir: str | Path | None = None,
                 s3_objects: Mapping[tuple[str, str], str | Path] | None = None,
                 auto_deployment: AutoDeployment = AutoDeployment()) -> None:
        self.name = name
        if isinstance(template, (str, Path)):  # a missing file is refused now, not later in each account
            path = template_path(template)
            self.template: str | dict[str, Any] = str(path.resolve()) if path is not None else str(template)
        else:
            self.template = dict(template)
        self.parameters = dict(parameters or {})
        self.assets_dir = str(assets_dir) if assets_dir else None
        self.s3_objects = [[bucket, key, str(Path(path).resolve())] for (bucket, key), path in (s3_objects or {}).items()]
        """Code in S3 that every instance's functions may name: (bucket, key, zip or folder)."""
        self.auto_deployment = auto_deployment
        self.targets: dict[str, list[str]] = {}
        """Organizational unit -> the Regions its accounts get instances in."""
        self.instances: dict[tuple[str, str], StackInstance] = {}
        self.operations: list[StackSetOperation] = []

    def instance(self, account: str, region: str) -> StackInstance:
        return self.instances[(account, region)]


class StackSetSimulator:
    """StackSets of one organization, in this process.

    :param max_processes: the most stack instances deploying at once, across every operation, each with its
        functions' Lambda workers: a bound for this machine, which changes no outcome. Default: twice the CPUs,
        at most 8.
    :param timeout_seconds: an instance still deploying after this long fails with the reason.
    """

    def __init__(self, organization: SimulatedOrganization, *, max_processes: int | None = None,
                 timeout_seconds: float = 600.0) -> None:
        self.organization = organization
        self.max_processes = max_processes or min(8, 2 * (os.cpu_count() or 1))
        self.timeout_seconds = timeout_seconds
        self.stack_sets: dict[str, StackSet] = {}
        self.auto_deployments: list[StackSetOperation] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.max_processes)
        """One bound for every operation at once (auto-deployments of several StackSets run together)."""
        self._services = FleetServices()
        self._code_root = Path(tempfile.mkdtemp(prefix="stack-set-code-"))
        organization.listeners.append(self._auto_deploy)

    def create_stack_set(self, name: str, template: str | Path | Mapping[str, Any], **options: Any) -> StackSet:
        """A new StackSet (``parameters=``, ``assets_dir=`` the cdk.out folder, ``s3_objects=`` code named by S3
        location as ``CloudFormationSimulator`` takes it, ``auto_deployment=``); no instances yet."""
        if name in self.stack_sets:
            raise ValueError(f"NameAlreadyExistsException: StackSet {name} already exists")
        if options.get("s3_objects"):
            options["s3_objects"] = {place: self._unpacked(Path(path)) for place, path in options["s3_objects"].items()}
        self.stack_sets[name] = StackSet(name, template, **options)
        return self.stack_sets[name]

    def create_stack_instances(self, stack_set: StackSet, organizational_units: Iterable[str], regions: Iterable[str],
                               preferences: OperationPreferences | None = None) -> StackSetOperation:
        """CreateStackInstances: every account of the OUs, in every Region, as the preferences order it."""
        units, wanted = list(organizational_units), list(regions)
        preferences = preferences or OperationPreferences()
        preferences.ordered_regions(wanted)  # a RegionOrder naming another Region is refused before anything runs
        notes = []
        if stack_set.auto_deployment.enabled and preferences.region_order:
            # "RegionOrder isn't followed if AutoDeployment is enabled."
            # (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html)
            notes.append(f"RegionOrder ({', '.join(preferences.region_order)}) was not followed: StackSet "
                         f"{stack_set.name} has AutoDeployment enabled; Regions went in the order given "
                         f"({', '.join(wanted)}).")
            preferences = replace(preferences, region_order=())
        instances = [StackInstance(stack_set.name, account.account_id, region, unit)
                     for unit in units for account in self.organization.accounts_in(unit) for region in wanted]
        existing = [f"{i.account} {i.region}" for i in instances if i.key in stack_set.instances]
        if existing:
            raise ValueError(f"StackSet {stack_set.name} already has instances in {', '.join(existing)}; "
                             "only their creation is simulated")
        for unit in units:
            stack_set.targets.setdefault(unit, [])
            stack_set.targets[unit] += [r for r in wanted if r not in stack_set.targets[unit]]
        return self._run(stack_set, StackSetOperation(str(uuid.uuid4()), stack_set.name, "CREATE", preferences,
                                                      instances, notes=notes))

    def add_account(self, unit: str, account: str | SimulatedAccount) -> list[StackSetOperation]:
        """An account joins ``unit``: the auto-deployments that ran for it."""
        before = len(self.auto_deployments)
        self.organization.add_account(unit, account)
        return self.auto_deployments[before:]

    def endpoints(self) -> dict[str, str]:
        """The URLs every account's functions call (starting them if need be): ``backup`` (AWS Backup),
        ``events`` (EventBridge, Lambda and CloudFormation). A client reaches an account's state there by
        signing with its key (``shared.account.account_access_key``) for a Region."""
        return self._services.endpoints()

    def close(self) -> None:
        """Stop the shared endpoints (each instance's functions have ended with it)."""
        self._services.close()
        shutil.rmtree(self._code_root, ignore_errors=True)
        if self._auto_deploy in self.organization.listeners:
            self.organization.listeners.remove(self._auto_deploy)

    def __enter__(self) -> "StackSetSimulator":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    # --- internals ---------------------------------------------------------------

    def _unpacked(self, source: Path) -> Path:
        """Code in S3 as its functions run it: a folder as it is, a zip unpacked once, for as long as the
        simulator lives (the account-Region's later stacks invoke the function, whose code Lambda keeps)."""
        if source.is_dir():
            return source.resolve()
        code_dir = Path(tempfile.mkdtemp(prefix="s3-object-", dir=self._code_root))
        with zipfile.ZipFile(source) as archive:
            archive.extractall(code_dir)
        return code_dir

    def _run(self, stack_set: StackSet, operation: StackSetOperation) -> StackSetOperation:
        for instance in operation.instances:
            stack_set.instances[instance.key] = instance
        stack_set.operations.append(operation)
        OperationScheduler(operation, lambda instance: self._deploy(stack_set, instance), self.max_processes).run()
        operation.finish()
        return operation

    def _deploy(self, stack_set: StackSet, instance: StackInstance) -> None:
        """One instance, in its account and Region; what its stack leaves is kept for the account-Region's later
        stacks."""
        with self._lock:
            place = self.organization.place(instance.account, instance.region)
            request = {"stack_name": f"StackSet-{stack_set.name}-{uuid.uuid4()}", "template": stack_set.template,
                       "parameters": stack_set.parameters, "assets_dir": stack_set.assets_dir,
                       "s3_objects": stack_set.s3_objects,
                       "exports": dict(place.exports), "functions": dict(place.functions)}
        with self._slots:
            report = self._services.run(self.organization.account(instance.account), instance.region, request,
                                        self.timeout_seconds)
        with self._lock:
            clash = _export_clash(place.exporters, report)
            if clash:
                report = {**report, "status": "ROLLBACK_COMPLETE", "reason": clash, "outputs": {}}
            if instance.apply_report(report):
                place.exports.update(report.get("exports", {}))
                place.functions.update(report.get("functions", {}))
                place.exporters.update((name, str(request["stack_name"])) for name in report.get("exports", {}))

    def _auto_deploy(self, unit: str, account: SimulatedAccount) -> None:
        """Each StackSet auto-deploying to ``unit`` deploys to the new account, after those it depends on."""
        waiting = [s for s in self.stack_sets.values() if s.auto_deployment.enabled and unit in s.targets]
        while waiting:
            names = {s.name for s in waiting}
            # Those that wait for none still waiting go together; a cycle (which AWS refuses) all at once.
            wave = [s for s in waiting if not set(s.auto_deployment.depends_on) & names] or waiting
            runs = [threading.Thread(target=self._auto_deploy_one, args=(s, unit, account)) for s in wave]
            for run in runs:
                run.start()
            for run in runs:
                run.join()
            waiting = [s for s in waiting if s not in wave]

    def _auto_deploy_one(self, stack_set: StackSet, unit: str, account: SimulatedAccount) -> None:
        instances = [StackInstance(stack_set.name, account.account_id, region, unit)
                     for region in stack_set.targets[unit]]
        operation = StackSetOperation(str(uuid.uuid4()), stack_set.name, "CREATE", None, instances)
        for instance in instances:
            unmet = [name for name in stack_set.auto_deployment.depends_on
                     if self.stack_sets[name].instances.get(instance.key) is None
                     or self.stack_sets[name].instances[instance.key].detailed_status != SUCCEEDED]
            if unmet:
                instance.cancel(f"Not attempted: its auto-deployment depends on {', '.join(unmet)}, "
                                f"whose instance in {instance.account} {instance.region} did not succeed.")
        operation.instances = [i for i in instances if not i.status_reason]
        self._run(stack_set, operation)
        operation.instances = instances
        for instance in instances:
            stack_set.instances[instance.key] = instance
        operation.finish()
        with self._lock:
            self.auto_deployments.append(operation)


def _export_clash(exporters: Mapping[str, str], report: Mapping[str, Any]) -> str:
    """CloudFormation's failure of a stack whose export another stack of the account-Region already has
    ("Export names must be unique within a Region",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html); "" if none."""
    taken = [name for name in report.get("exports", {}) if name in exporters]
    return "; ".join(f"Export with name {name} is already exported by stack {exporters[name]}" for name in taken)

