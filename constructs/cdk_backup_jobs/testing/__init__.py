"""Test tools for users and for us: a local AWS Backup and CloudFormation's side of a custom resource.

- ``backup_server()``: AWS Backup's REST-JSON API on a loopback port
  (``AWS_ENDPOINT_URL_BACKUP``), backed by ``BackupEmulator``.
- ``response_server()``: the HTTPS endpoint custom-resource responses are PUT to.
- ``CloudFormationSimulator``: deploys, updates and deletes a template, sending
  custom resources CloudFormation's requests and reading their responses.
- ``LambdaRuntime``: runs a function's code in reusable worker processes.
- ``events_server()``: EventBridge's default bus (rules with event patterns
  and schedules, targets, input transformers, PutEvents), Lambda permissions,
  and CloudFormation's API for the simulated stack (DescribeStacks,
  GetTemplate, DescribeStackResource, ListStackResources, SignalResource).
- ``EventBus``: that bus in memory; ``VirtualTimeLoop``: the simulator's
  virtual time, which fires rules and job state change events as a
  ManualClock moves; ``InvocationLog``: every function invocation by cause.
- WaitConditionHandle and WaitCondition resources, signalled through the
  handle's presigned URL or (with a CreationPolicy) SignalResource
  (``WaitConditionResult``); the Backup emulator's job state change events.
- ``StackSetSimulator``: StackSets across a ``SimulatedOrganization`` in one
  process, each stack instance in its account and Region (every service keeps
  its state per account and Region, reached by the caller's key and its
  signature's Region), with ``OperationPreferences`` and auto-deployment;
  ``PeakMemory``: what this process and its Lambda workers held at most;
  ``Place`` (an account and a Region) and ``account_access_key``, the key a
  client signs with to reach an account's state.

Importing this package does not import aws-cdk-lib.
"""

from cdk_backup_jobs.testing.backup.emulator import BackupEmulator, Fault, JobTiming, ScriptedOutcome, TimingRule
from cdk_backup_jobs.testing.backup.endpoint import RunningBackupServer, backup_server
from cdk_backup_jobs.testing.cloudformation.cloud_assembly import StackNotInAssembly, provider_functions
from cdk_backup_jobs.testing.cloudformation.response_server import RunningResponseServer, response_server
from cdk_backup_jobs.testing.cloudformation.service_endpoints import RunningEventsServer, events_server
from cdk_backup_jobs.testing.cloudformation.simulator import (CfnStackFactory, CloudFormationSimulator, ResourceEvent,
                                                              StackOperation, read_assembly_template)
from cdk_backup_jobs.testing.cloudformation.stack_operations import (AlreadyExistsException, CloudFormationError,
                                                                     ValidationError)
from cdk_backup_jobs.testing.cloudformation.template import TemplateError, load_template
from cdk_backup_jobs.testing.cloudformation.wait_conditions import WaitConditionResult
from cdk_backup_jobs.testing.eventbridge.bus import Delivery, EventBus, EventsApiError
from cdk_backup_jobs.testing.lambda_service.runtime import Invocation, InvocationLog, InvocationRecord, LambdaRuntime
from cdk_backup_jobs.testing.shared.account import Place, account_access_key
from cdk_backup_jobs.testing.shared.virtual_time import ManualClock, VirtualTimeLoop
from cdk_backup_jobs.testing.stacksets.organization import SimulatedAccount, SimulatedOrganization
from cdk_backup_jobs.testing.stacksets.preferences import OperationPreferences
from cdk_backup_jobs.testing.stacksets.process_tree import PeakMemory
from cdk_backup_jobs.testing.stacksets.simulator import AutoDeployment, StackSet, StackSetSimulator
from cdk_backup_jobs.testing.stacksets.stack_instances import StackInstance, StackSetOperation

__all__ = ["AlreadyExistsException", "AutoDeployment", "BackupEmulator", "CfnStackFactory", "CloudFormationError",
           "CloudFormationSimulator", "Delivery", "EventBus", "EventsApiError", "Fault", "Invocation", "InvocationLog",
           "InvocationRecord", "JobTiming", "LambdaRuntime", "ManualClock", "OperationPreferences", "PeakMemory",
           "Place", "ResourceEvent", "RunningBackupServer", "RunningEventsServer", "RunningResponseServer",
           "ScriptedOutcome", "SimulatedAccount", "SimulatedOrganization", "StackInstance", "StackNotInAssembly",
           "StackOperation", "StackSet", "StackSetOperation", "StackSetSimulator", "TemplateError", "TimingRule",
           "ValidationError", "VirtualTimeLoop", "WaitConditionResult", "account_access_key", "backup_server",
           "events_server", "load_template", "provider_functions", "read_assembly_template", "response_server"]
