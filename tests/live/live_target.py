"""``LiveTarget``: the scenarios against a real AWS account, with the caller's credentials and Region.

CDK apps go through the repository's own CDK CLI (``node_modules/.bin/cdk deploy`` and ``cdk destroy``
of the assembly the scenario synthesized); the plain template through CloudFormation's API (CreateStack
with a service role, DeleteStack), waited for with boto3's waiters. Results are read back with
DescribeStacks and DescribeStackEvents: the status, the first failure's reason, the outputs, and when
each WaitCondition completed.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any, Mapping

from botocore.exceptions import ClientError, WaiterError

from live.target import BackupApi, Ledger, StackResult, Target, epoch

REPO = Path(__file__).resolve().parents[2]
CDK = REPO / "node_modules" / ".bin" / "cdk"
WAIT = {"Delay": 30, "MaxAttempts": 2 * 60 * 13}
"""Up to 13 hours: a wait of 12 hours, and the stack's work around it."""
CANCELLED = "Resource creation cancelled"


class LiveTarget(Target):
    def __init__(self, session: Any, *, cdk: Path = CDK, log: Any = print) -> None:
        self.session = session
        self.region = session.region_name
        self.account = session.client("sts").get_caller_identity()["Account"]
        self.cloudformation = session.client("cloudformation")
        self.backup = BackupApi(session.client("backup"))
        self.ledger = Ledger()
        self.cdk = cdk
        self.log = log
        self.assemblies: dict[str, Path] = {}

    def _cdk(self, *args: str) -> int:
        env = {**os.environ, "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        self.log(f"$ cdk {' '.join(args)}")
        return subprocess.run([str(self.cdk), *args], env=env, cwd=REPO, check=False).returncode

    def deploy_assembly(self, assembly: Path, stack_name: str) -> StackResult:
        started_at = self.now()
        self.assemblies[stack_name] = assembly
        self._cdk("deploy", "--app", str(assembly), stack_name, "--require-approval", "never",
                  "--progress", "events")
        return self._result(stack_name, started_at)

    def deploy_template(self, template: Path, stack_name: str, parameters: Mapping[str, str],
                        role_arn: str | None) -> StackResult:
        started_at = self.now()
        self.cloudformation.create_stack(
            StackName=stack_name, TemplateBody=Path(template).read_text(), Capabilities=["CAPABILITY_IAM"],
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            **({"RoleARN": role_arn} if role_arn else {}))
        try:
            self.cloudformation.get_waiter("stack_create_complete").wait(StackName=stack_name, WaiterConfig=WAIT)
        except WaiterError:
            pass  # the result says how it ended
        return self._result(stack_name, started_at)

    def destroy(self, stack_name: str) -> StackResult:
        started_at = self.now()
        assembly = self.assemblies.pop(stack_name, None)
        if assembly is not None:
            self._cdk("destroy", "--app", str(assembly), stack_name, "--force")
        else:
            self.cloudformation.delete_stack(StackName=stack_name)
            try:
                self.cloudformation.get_waiter("stack_delete_complete").wait(StackName=stack_name, WaiterConfig=WAIT)
            except WaiterError:
                pass
        if self._stack(stack_name) is None:
            return StackResult("DELETE_COMPLETE", started_at=started_at)
        return self._result(stack_name, started_at)

    def stack_resource_types(self, stack_name: str) -> list[str]:
        pages = self.cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        return sorted({row["ResourceType"] for page in pages for row in page["StackResourceSummaries"]})

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    # --- reading a stack back ------------------------------------------------------------------

    def _stack(self, stack_name: str) -> dict[str, Any] | None:
        try:
            return dict(self.cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0])
        except ClientError as error:
            if "does not exist" in str(error):
                return None
            raise

    def _result(self, stack_name: str, started_at: float) -> StackResult:
        stack = self._stack(stack_name)
        if stack is None:
            return StackResult("DOES_NOT_EXIST", f"stack {stack_name} was not created", started_at=started_at)
        pages = self.cloudformation.get_paginator("describe_stack_events").paginate(StackName=stack_name)
        events = [e for page in pages for e in page["StackEvents"] if epoch(e["Timestamp"]) >= started_at - 1]
        events.sort(key=lambda e: epoch(e["Timestamp"]))
        failures = [e for e in events if e["ResourceStatus"].endswith("_FAILED")
                    and CANCELLED not in e.get("ResourceStatusReason", "")]
        reason = (f"{failures[0]['LogicalResourceId']}: {failures[0].get('ResourceStatusReason', '')}"
                  if failures else stack.get("StackStatusReason", ""))
        waits = {e["LogicalResourceId"]: epoch(e["Timestamp"]) for e in events
                 if e["ResourceType"] == "AWS::CloudFormation::WaitCondition" and e["ResourceStatus"] == "CREATE_COMPLETE"}
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        return StackResult(stack["StackStatus"], reason, outputs, started_at, waits)
