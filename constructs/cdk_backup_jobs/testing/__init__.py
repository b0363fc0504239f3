"""Test tools for users and for us: a local AWS Backup and CloudFormation's side of a custom resource.

- ``backup_server()``: AWS Backup's REST-JSON API on a loopback port
  (``AWS_ENDPOINT_URL_BACKUP``), backed by ``BackupEmulator``.
- ``response_server()``: the HTTPS endpoint custom-resource responses are PUT to.
- ``CloudFormationSimulator``: deploys, updates and deletes a template, sending
  custom resources CloudFormation's requests and reading their responses.
- ``LambdaRuntime``: runs a function's code in reusable worker processes.
- ``events_server()``: the EventBridge and Lambda calls crhelper's polling makes.

Importing this package does not import aws-cdk-lib.
"""

from cdk_backup_jobs.testing.backup_emulator import (BackupEmulator, Fault, JobTiming, ManualClock,
                                                     ScriptedOutcome)
from cdk_backup_jobs.testing.backup_server import backup_server
from cdk_backup_jobs.testing.cfn_simulator import (CloudFormationSimulator, ResourceEvent,
                                                   StackOperation, read_assembly_template)
from cdk_backup_jobs.testing.cfn_template import TemplateError, load_template
from cdk_backup_jobs.testing.events_server import RunningEventsServer, events_server
from cdk_backup_jobs.testing.lambda_runtime import Invocation, LambdaRuntime
from cdk_backup_jobs.testing.response_server import response_server


__all__ = ["BackupEmulator", "CloudFormationSimulator", "Fault", "Invocation", "JobTiming",
           "LambdaRuntime", "ManualClock", "ResourceEvent", "RunningEventsServer", "ScriptedOutcome",
           "StackOperation", "TemplateError", "backup_server", "events_server", "load_template",
           "read_assembly_template", "response_server"]
