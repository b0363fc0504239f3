"""CloudFormation's side of custom resources: deploy, update and delete a stack offline.

The simulator walks a template in dependency order (each resource as soon as
what it depends on is done, independent ones in parallel), gives ordinary resources fake physical IDs, and sends each custom
resource the request CloudFormation would send, to the real provider code
running in a LambdaRuntime. It reads the response that the provider PUT over
HTTPS, applies CloudFormation's rules to it, and carries on as CloudFormation
does: outputs from Fn::GetAtt on the response Data, Delete of a replaced
physical ID after an update, rollback after a failure, no Delete for what a
DeletionPolicy or UpdateReplacePolicy of Retain keeps. It deletes one resource
at a time, each as soon as nothing left depends on it (ordinary resources
first, as they go at once in CloudFormation), and records the order
(``deletions``): a resource that a slow custom Delete needs is deleted first
unless a dependency keeps it.

WaitConditionHandles and WaitConditions run as CloudFormation runs them
(``wait_conditions``). Given a ``clock`` (a ManualClock), every wait runs in
virtual time (``shared.virtual_time``): the clock jumps to whatever is due next, the
EventBridge rules of the ``scheduler`` fire on their schedules and on the
events of ``event_sources`` (the Backup emulator's job state changes), and
their Lambda targets run, each invocation counted by cause
(``invocations``). The stack's resources are what the scheduler's
CloudFormation API (DescribeStackResource, ListStackResources) answers.

deploy() of a stack that exists and update() of one that cannot be updated
raise CloudFormation's errors (``stack_operations``) and start nothing.
"""

from __future__ import annotations

import contextvars
import functools
import threading
import time
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Protocol, Sequence

from cdk_backup_jobs.testing.cloudformation.cloud_assembly import read_assembly_template
from cdk_backup_jobs.testing.cloudformation.functions import Functions
from cdk_backup_jobs.testing.cloudformation.observations import StackObservations
from cdk_backup_jobs.testing.cloudformation.outputs import parameter_values, resolve_outputs
from cdk_backup_jobs.testing.cloudformation.requests import ResourceEvent
from cdk_backup_jobs.testing.cloudformation.resources import StackResources
from cdk_backup_jobs.testing.cloudformation.response_server import RunningResponseServer
from cdk_backup_jobs.testing.cloudformation.service_endpoints import RunningEventsServer
from cdk_backup_jobs.testing.cloudformation.stack import Provisioned, clock_of, stack_arn
from cdk_backup_jobs.testing.cloudformation.stack_operations import (StackOperation, ValidationError, check_create,
                                                                     check_delete, check_update)
from cdk_backup_jobs.testing.cloudformation.template import creation_levels, dependencies, load_template, yaml_body
from cdk_backup_jobs.testing.cloudformation.template_check import check_template
from cdk_backup_jobs.testing.cloudformation.wait_conditions import CANCELLED, WaitConditionResult
from cdk_backup_jobs.testing.shared.account import Place, current_place, in_place
from cdk_backup_jobs.testing.shared.virtual_time import EventSource, ManualClock, TimedActions, VirtualTimeLoop

DELETED_DURING_CREATE = "Stack creation cancelled: DeleteStack was called during CREATE_IN_PROGRESS"

__all__ = ["CfnStackFactory", "CloudFormationSimulator", "ResourceEvent", "StackOperation", "read_assembly_template"]


def _in_own_place(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run an operation in the stack's account and Region (``self.place``): what it makes is named there."""
    @functools.wraps(method)
    def run(self: "CloudFormationSimulator", *args: Any, **kwargs: Any) -> Any:
        with in_place(self.place):
            return method(self, *args, **kwargs)
    return run


class CloudFormationSimulator(StackResources, StackObservations):
    """One stack, deployed offline.

    :param responses: the HTTPS receiver for responses (``response_server()``).
    :param assets_dir: a cdk.out folder: Lambda functions in the template run
        their ``asset.<hash>`` code.
    :param functions: ServiceToken ARN -> code folder, for functions that are
        not in the template (a hand-written template using a published provider).
    :param s3_objects: (bucket, key) -> a zip file or a folder: the code of the template's functions
        whose ``Code`` is ``S3Bucket`` and ``S3Key`` (a hand-written template, the provider's release
        template), as the resolved values name it; a zip is unpacked, as Lambda unpacks it.
    :param environment: extra environment for every function (endpoints, CA file).
    :param duplicate: logical IDs whose every request is delivered twice ("*": all).
    :param on_resource: called for each ordinary resource created, e.g. to
        create a backup vault in the emulator.
    :param scheduler: an ``events_server()``: functions reach it for EventBridge,
        Lambda permissions and the stack's CloudFormation API; the simulator
        fires its rules while it waits.
    :param on_tick: called with the seconds of each move of virtual time.
        ``on_tick=clock.advance`` (a ManualClock's) makes that clock the
        stack's, as ``clock=clock`` does. Another callable is told each move.
        With neither a clock nor a ManualClock's advance, a custom resource's
        wait fires only crhelper's polling rules (its target re-sends this
        request), each standing for its interval, told to ``on_tick``.
    :param clock: a ManualClock: every wait (a custom resource's response, a
        WaitCondition's signals) runs in virtual time on it, through the
        scheduler's rules and the ``event_sources``. Without one the simulator
        keeps a ManualClock of its own, starting at the real time. Either way
        the scheduler's bus runs on it (its schedules, events' times, Date).
    :param event_sources: what makes events as time passes, e.g. the
        ``BackupEmulator`` (whose ``event_sink`` should be the scheduler's
        ``publish``): the loop moves the clock to each one's next event.
    :param stub_types: custom resource types the simulator answers SUCCESS itself, running nothing, e.g.
        aws-cdk-lib's Node.js-backed ``Custom::S3AutoDeleteObjects`` or ``Custom::VpcRestrictDefaultSG``.
    :param template_during_update: what GetTemplate answers while an update is in progress and in its
        clean-up: ``"new"`` (the template being deployed) or ``"previous"`` (the one before it). The
        GetTemplate reference does not say which (CloudFormation API Reference, GetTemplate:
        https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetTemplate.html), so a
        provider must work with either; test both.
    :param role_arn: the service role the operations run with (``--role-arn``); None: the caller's
        credentials.
    :param caller_session_seconds: how long the caller's session lasts, from the start of each operation
        without ``role_arn``: a resource started later fails with ExpiredToken and the stack rolls back, as
        CloudFormation cannot renew a caller's session (``resources.EXPIRED_TOKEN``). None: no limit.
    :param lambda_retries: CloudFormation and EventBridge invoke a function
        asynchronously, so Lambda runs it again after an invocation that raised
        or timed out, up to this many times (Lambda's default: 2).
    :param place: the account and Region the stack is in: its ARNs, pseudo parameters, its functions'
        ``AWS_REGION``. Default: the scheduler's (``RunningEventsServer.for_place``), else the current one
        (``shared.account.current_place``: the default account and Region unless a caller set another).
    """

    def __init__(self, responses: RunningResponseServer, *, stack_name: str = "Stack",
                 assets_dir: str | Path | None = None, functions: Mapping[str, str | Path] | None = None,
                 environment: Mapping[str, str] | None = None, exports: Mapping[str, str] | None = None,
                 parameters: Mapping[str, str] | None = None, duplicate: set[str] | None = None,
                 on_resource: Callable[[str, str, Mapping[str, Any]], None] | None = None,
                 scheduler: RunningEventsServer | None = None,
                 on_tick: Callable[[float], None] | None = None,
                 max_parallel: int = 10, lambda_retries: int = 2, clock: ManualClock | None = None,
                 event_sources: Sequence[EventSource] = (), stub_types: Sequence[str] = (),
                 template_during_update: Literal["new", "previous"] = "new", role_arn: str | None = None,
                 caller_session_seconds: float | None = None,
                 s3_objects: Mapping[tuple[str, str], str | Path] | None = None, place: Place | None = None) -> None:
        self.place = place or (scheduler.state.place if scheduler is not None else current_place())
        self.responses = responses
        self.stack_name = stack_name
        self.stack_id = stack_arn(stack_name, self.place)
        self.assets_dir = Path(assets_dir) if assets_dir else None
        self.environment = {**(scheduler.environment if scheduler else {}), **(environment or {})}
        self.scheduler = scheduler
        self.on_tick = on_tick
        self.exports = dict(exports or {})
        self.given_parameters = dict(parameters or {})
        """The parameters passed; the others take their Default in the template of each operation."""
        self.parameters: dict[str, Any] = dict(self.given_parameters)
        """The values in effect: the given ones and the current template's defaults."""
        self.duplicate = duplicate or set()
        self.on_resource = on_resource
        self.max_parallel = max_parallel
        self.lambda_retries = lambda_retries
        self.stub_types = frozenset(stub_types)
        clock = clock if clock is not None else clock_of(on_tick)
        self.event_driven = clock is not None
        """Custom-resource waits run in virtual time (a clock was given), not crhelper-interval polling."""
        self.clock: ManualClock = clock if clock is not None else ManualClock(time.time())
        if scheduler is not None:
            scheduler.clock = self.clock  # its rules fire on the stack's (virtual) time
        self.template: dict[str, Any] = {"Resources": {}}
        if template_during_update not in ("new", "previous"):
            raise ValueError(f"template_during_update must be 'new' or 'previous', got {template_during_update!r}")
        self.template_during_update = template_during_update
        self.role_arn = role_arn
        self.caller_session_seconds = caller_session_seconds
        self.caller_session_expires_at: float | None = None
        self._template_before_update: dict[str, Any] | None = None
        self.template_body: str | None = None
        """The template's YAML text as given (None for JSON or a dict): what GetTemplate answers then."""
        self._template_body_before_update: str | None = None
        self.resources: dict[str, Provisioned] = {}
        self.wait_conditions: list[WaitConditionResult] = []
        """Every WaitCondition's wait so far, in the order they ended."""
        self.deletions: list[str] = []
        """Logical IDs in the order their resources were deleted, over every operation so far.

        Resources are deleted one at a time, so each listed Delete completed
        before the next one began. A custom resource is listed once its Delete
        succeeded (a replaced one's old physical resource too); an ordinary
        resource when it is removed; a retained one never.
        """
        self.iam = scheduler.state.iam if scheduler is not None else None
        """The account's IAM (``iam.model``): the scheduler's, shared by every stack using it; None without one."""
        self.functions = Functions(self.environment, self.assets_dir,
                                   {arn: str(path) for arn, path in (functions or {}).items()},
                                   self.clock, lambda_retries, self.iam,
                                   {where: Path(path) for where, path in (s3_objects or {}).items()}, self.place)
        self.timeline = TimedActions(self.clock)
        """The actions set with ``at()`` and ``delete_at()``; ``timeline.done`` lists those that ran."""
        self.loop = VirtualTimeLoop(self.clock, self._advance, scheduler.bus if scheduler else None,
                                    [*event_sources, self.timeline], self.functions.deliver)
        self._delete_requested = False
        self._resource_status: dict[str, str] = {}
        self.status: str | None = None
        """The stack's status, as DescribeStacks gives it; None until it is first created."""
        self.cancelled = threading.Event()
        """Set once a resource of the operation failed: waits still running end as cancelled."""

    # --- the three operations -------------------------------------------------

    @_in_own_place
    def deploy(self, template: str | Path | Mapping[str, Any]) -> StackOperation:
        """Create the stack; on a failure roll back what was created.

        Raises AlreadyExistsException if the stack exists (any status but
        DELETE_COMPLETE), and ValidationError (a TemplateError too) for a template
        CloudFormation rejects (``template_check``): the stack stays uncreated.
        """
        check_create(self.stack_name, self.status)
        loaded = load_template(template)
        check_template(loaded, self.given_parameters)
        previous = self.status
        if previous == "DELETE_COMPLETE":  # created again: a new stack, with a new ID
            self.stack_id = stack_arn(self.stack_name, self.place)
        with self._as_before_if_it_raises(previous, {"Resources": {}}):
            self.template, self.template_body = loaded, yaml_body(template)
            return self._create_stack()

    def _begin_operation(self) -> None:
        """A new operation: a new caller session, unless it runs with a service role; IAM's changes of the
        operations before it in effect."""
        limited = self.role_arn is None and self.caller_session_seconds is not None
        self.caller_session_expires_at = self.clock() + float(self.caller_session_seconds or 0) if limited else None
        if self.iam is not None:
            self.iam.operation_started()

    def _create_stack(self) -> StackOperation:
        self._forget_gone()
        self._begin_operation()
        events: list[ResourceEvent] = []
        created: list[str] = []
        waits_before = len(self.wait_conditions)
        self._status("CREATE_IN_PROGRESS")
        self._delete_requested = False
        failure = self._walk(self.template, events, lambda lid: self._create(lid, events, created))
        failure = failure or self._output_failure()
        if self._delete_requested:  # DeleteStack during the create: cancelled, rolled back, then deleted
            failure = f"{DELETED_DURING_CREATE}{f' ({failure})' if failure else ''}"
        if failure:
            self._status("ROLLBACK_IN_PROGRESS")
            rollback_failure = self._delete_all(list(reversed(created)), events, self.template,
                                                on_create_rollback=True)
            status = "ROLLBACK_FAILED" if rollback_failure else "ROLLBACK_COMPLETE"
            self._status(status)
            if self._delete_requested and not rollback_failure:
                deleted = self._delete_stack(events, retain=())
                return StackOperation(deleted.status, {}, events, f"{failure}; {deleted.reason or deleted.status}",
                                      self.wait_conditions[waits_before:])
            return StackOperation(status, {}, events, failure, self.wait_conditions[waits_before:])
        return self._finish("CREATE_COMPLETE", events, waits_before)

    @_in_own_place
    def update(self, template: str | Path | Mapping[str, Any]) -> StackOperation:
        """Update to a new template; replaced and removed resources are deleted afterwards.

        Raises ValidationError if the stack does not exist, its status allows no
        update, or CloudFormation rejects the template: the stack stays as it was.
        """
        check_update(self.stack_name, self.stack_id, self.status)
        old_template, new_template = self.template, load_template(template)
        check_template(new_template, self.given_parameters)
        with self._as_before_if_it_raises(self.status, old_template):
            self.template = new_template
            self._template_before_update, self._template_body_before_update = old_template, self.template_body
            self.template_body = yaml_body(template)
            try:
                return self._update_stack(old_template, new_template)
            finally:
                self._template_before_update = self._template_body_before_update = None

    def _update_stack(self, old_template: dict[str, Any], new_template: dict[str, Any]) -> StackOperation:
        self._forget_gone()
        self._begin_operation()
        waits_before = len(self.wait_conditions)
        self._status("UPDATE_IN_PROGRESS")
        events: list[ResourceEvent] = []
        created: list[str] = []
        updated: list[tuple[str, Provisioned]] = []
        replaced: list[tuple[str, Provisioned]] = []

        def step(logical_id: str) -> str | None:
            if logical_id not in self.resources:
                return self._create(logical_id, events, created)
            return self._update(logical_id, events, updated, replaced)

        failure = self._walk(new_template, events, step) or self._output_failure()
        if failure:
            self.template, self.parameters = old_template, parameter_values(old_template, self.given_parameters)
            self._status("UPDATE_ROLLBACK_IN_PROGRESS")
            self._roll_back_update(events, created, updated, new_template)
            self._status("UPDATE_ROLLBACK_COMPLETE")
            return StackOperation("UPDATE_ROLLBACK_COMPLETE", {}, events, failure,
                                  self.wait_conditions[waits_before:])
        self._status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        for logical_id, old in replaced:
            if self._policy(new_template, logical_id, "UpdateReplacePolicy") != "Retain":
                self._send_delete(logical_id, old, events)
        removed = [lid for lid in self._reverse_order(old_template) if lid not in self._active(new_template)]
        self._delete_all(removed, events, old_template)
        return self._finish("UPDATE_COMPLETE", events, waits_before)

    @_in_own_place
    def delete(self, retain_resources: Sequence[str] = ()) -> StackOperation:
        """Delete every resource, dependants first.

        ``retain_resources`` (DeleteStack's RetainResources) are logical IDs left standing: only for a stack
        in DELETE_FAILED, as CloudFormation allows, and only resources it still has (``check_delete``
        raises ValidationError otherwise, and nothing is deleted).
        """
        check_delete(self.stack_id, self.status, retain_resources, set(self.resources))
        return self._delete_stack([], retain=tuple(retain_resources))

    def _delete_stack(self, events: list[ResourceEvent], retain: Sequence[str]) -> StackOperation:
        self._begin_operation()
        with self._as_before_if_it_raises(self.status, self.template):
            self._status("DELETE_IN_PROGRESS")
            failure = self._delete_all(self._reverse_order(self.template), events, self.template, retain=retain)
        if failure:
            self._status("DELETE_FAILED")
            return StackOperation("DELETE_FAILED", {}, events, failure)
        self.template, self.template_body = {"Resources": {}}, None
        self._status("DELETE_COMPLETE")
        return StackOperation("DELETE_COMPLETE", {}, events)

    # --- acting at set moments of virtual time ----------------------------------

    def at(self, moment: float, action: Callable[[], Any]) -> None:
        """Run ``action`` (no arguments) when virtual time reaches ``moment`` (the clock's epoch seconds), while
        the stack waits: stop a job at hour 3 (``lambda: emulator.call("StopBackupJob", ...)``), open a fault.
        The loop moves the clock to that moment as to any event; an action that raises ends the operation
        running it with that error, the stack left as before it."""
        self.timeline.add(moment, action)

    def delete_at(self, moment: float) -> None:
        """Call DeleteStack at ``moment`` of virtual time, during a create still waiting: the create is
        cancelled (its waits end "Resource creation cancelled"), rolled back, then the stack deleted, and
        ``deploy()`` returns DELETE_COMPLETE. At that moment the stack must be CREATE_IN_PROGRESS: in another
        operation DeleteStack is refused (ValidationError); between operations call ``delete()`` instead."""
        self.at(moment, self._delete_during_create)

    def _delete_during_create(self) -> None:
        """DeleteStack, from the loop: a create in progress is cancelled (``_create_stack`` rolls back, then
        deletes). "ROLLBACK_IN_PROGRESS: Ongoing removal of one or more stacks after a failed stack creation
        or after an explicitly canceled stack creation. Any resources that were created during the create
        stack operation are deleted." (CloudFormation User Guide, stack status codes:
        https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes)."""
        if self.status == "CREATE_IN_PROGRESS":
            self._delete_requested = True
            self.cancelled.set()  # what still waits ends as "Resource creation cancelled"
            return
        if self.status is not None and self.status.endswith("_IN_PROGRESS"):
            # "ValidationError: Stack cannot be deleted while in status UPDATE_IN_PROGRESS", as reported in
            # aws/aws-toolkit-azure-devops#317.
            raise ValidationError(f"Stack cannot be deleted while in status {self.status}")
        raise ValueError(f"delete_at() found stack {self.stack_name} in {self.status}, not CREATE_IN_PROGRESS: "
                         "between operations call delete()")

    # --- time passing -----------------------------------------------------------

    @_in_own_place
    def wait(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass between operations, running every rule and event due."""
        self.loop.run_until(self.clock() + seconds)

    def close(self) -> None:
        self.functions.close()

    def __enter__(self) -> "CloudFormationSimulator":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    # --- internals -------------------------------------------------------------

    def _advance(self, seconds: float) -> None:
        """Move virtual time: by the clock (and tell on_tick), or by on_tick if it is the clock's advance."""
        if self.on_tick is not None and self.on_tick == self.clock.advance:
            self.on_tick(seconds)
            return
        self.clock.advance(seconds)
        if self.on_tick is not None:
            self.on_tick(seconds)

    def _status(self, status: str) -> None:
        """Record the stack's status, and tell the scheduler's CloudFormation API what DescribeStacks says now."""
        self.status = status
        if self.scheduler is not None:
            self.scheduler.set_stack(self.stack_id, self.stack_name, status, self.template,
                                     resources=self.stack_resources, template_read=self._template_read(status))

    def _template_read(self, status: str) -> dict[str, Any] | str:
        """What GetTemplate answers in ``status`` (``template_during_update``): the template as given, a YAML
        one as its text."""
        updating = status in ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        if updating and self.template_during_update == "previous" and self._template_before_update is not None:
            return self._template_body_before_update or self._template_before_update
        return self.template_body or self.template

    def _walk(self, template: Mapping[str, Any], events: list[ResourceEvent],
              step: Callable[[str], str | None]) -> str | None:
        """Run ``step`` over the resources, each as soon as the ones it depends on are done; the first
        failure starts nothing more.

        "CloudFormation creates, updates, and deletes resources in parallel to the extent possible. It
        automatically determines which resources in a template can be parallelized and which have
        dependencies that require other operations to finish first" (CloudFormation Template Reference,
        DependsOn attribute: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-dependson.html).
        So a resource does not wait for an unrelated one, a WaitCondition without DependsOn waiting its
        Timeout say, only for its own dependencies. At most ``max_parallel`` run at once.
        """
        self.parameters = parameter_values(template, self.given_parameters)
        resources = self._active(template)
        order = [lid for level in creation_levels(resources) for lid in level]  # raises on a cycle
        needs = {lid: dependencies(resources[lid], set(resources)) for lid in order}
        lock = threading.Condition()
        done: set[str] = set()
        started: set[str] = set()
        failures: list[str] = []
        errors: list[BaseException] = []
        running = 0

        def start_ready() -> None:  # with the lock held, by a thread still counted busy: no time passes first
            nonlocal running
            for logical_id in order:
                if failures or errors or running >= self.max_parallel:
                    return
                if logical_id not in started and needs[logical_id] <= done:
                    started.add(logical_id)
                    running += 1
                    self.loop.reserve(1)
                    # In the stack's place too (``shared.account.in_place``): a thread starts with no context.
                    threading.Thread(target=contextvars.copy_context().run, args=(working, logical_id),
                                     daemon=True).start()

        def working(logical_id: str) -> None:
            nonlocal running
            with self.loop.working():  # virtual time waits for it, unless it waits itself
                failure: str | None = None
                try:
                    failure = step(logical_id)
                except BaseException as error:  # raised again by the walk, as ThreadPoolExecutor.map did
                    errors.append(error)
                if failure or errors:
                    self.cancelled.set()  # what still waits is cancelled, as CloudFormation does
                with lock:
                    running -= 1
                    if failure:
                        failures.append(failure)
                    elif not errors:
                        done.add(logical_id)
                    start_ready()
                    lock.notify_all()

        self.cancelled.clear()
        with lock:
            start_ready()
            while running:
                lock.wait()
        if errors:
            raise errors[0]
        if failures:
            return next((f for f in failures if not f.endswith(CANCELLED)), failures[0])
        return None

    def _output_failure(self) -> str | None:
        """Why an output cannot be resolved now that the resources are in place: such an operation fails
        and rolls back, as CloudFormation's does, rather than complete without the output."""
        return resolve_outputs(self.template, self._resolver(), {})[1]

    def _finish(self, status: str, events: list[ResourceEvent], waits_before: int) -> StackOperation:
        self._status(status)
        outputs, _ = resolve_outputs(self.template, self._resolver(), self.exports)  # checked: no failure
        return StackOperation(status, outputs, events, wait_conditions=self.wait_conditions[waits_before:])



class CfnStackFactory(Protocol):
    """What the ``cfn_stack`` fixture gives: ``cfn_stack(assets_dir, **options)`` makes a simulator wired to the
    other fixtures; ``options`` are ``CloudFormationSimulator``'s keyword arguments."""

    def __call__(self, assets_dir: str | Path | None = None, **options: Any) -> CloudFormationSimulator: ...
