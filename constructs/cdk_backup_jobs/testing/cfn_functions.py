"""The Lambda functions a simulated stack can invoke, known by ARN, and every invocation made of them.

A function is one of the template's (inline ``ZipFile`` code, or a cdk.out
``asset.<hash>`` folder) or one given to the simulator by ARN (``functions=``,
a ServiceToken of a provider outside the template). An EventBridge target
names its function by ARN; crhelper's targets build that ARN from the
function's name, which is found too. Lambda runs an asynchronous invocation
(CloudFormation's and EventBridge's both are) again after it raised or timed
out, up to ``retries`` times.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

from cdk_backup_jobs.testing.simulated_account import ACCOUNT_ID, REGION
from cdk_backup_jobs.testing.event_loop import InvocationLog, InvocationRecord
from cdk_backup_jobs.testing.eventbridge import Delivery
from cdk_backup_jobs.testing.lambda_runtime import Invocation, LambdaRuntime

DEFAULT_LAMBDA_TIMEOUT = 3.0
EXTRA_FUNCTION_TIMEOUT = 120.0


class Functions:
    """Runtimes by function ARN, started on demand, and the log of what ran."""

    def __init__(self, environment: Mapping[str, str], assets_dir: Path | None, extra: Mapping[str, str],
                 clock: Callable[[], float], retries: int) -> None:
        self.environment = dict(environment)
        self.assets_dir = assets_dir
        self.extra = dict(extra)
        self.clock = clock
        self.retries = retries
        self.runtimes: dict[str, LambdaRuntime] = {}
        self.log = InvocationLog()

    def start(self, logical_id: str, definition: Mapping[str, Any], arn: str, resolve: Callable[[Any], Any]) -> None:
        """Ready a Lambda function of the template: inline code, or a cdk.out asset."""
        if definition["Type"] != "AWS::Lambda::Function":
            return
        props = definition.get("Properties", {})
        code = props.get("Code", {})
        if "ZipFile" in code:  # inline code: Lambda saves it as index.py
            code_dir = Path(tempfile.mkdtemp(prefix="inline-function-"))
            (code_dir / "index.py").write_text(str(resolve(code["ZipFile"])))
        elif self.assets_dir is not None:
            code_dir = self.assets_dir / f"asset.{str(code.get('S3Key', '')).removesuffix('.zip')}"
        else:
            return
        if not code_dir.is_dir():
            return
        environment = {**self.environment, **props.get("Environment", {}).get("Variables", {}),
                       "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
        self.runtimes[arn] = LambdaRuntime(
            code_dir, props.get("Handler", "index.handler"), environment=environment,
            timeout_seconds=float(props.get("Timeout", DEFAULT_LAMBDA_TIMEOUT)), function_name=logical_id,
            function_arn=arn)

    def runtime_for(self, arn: str) -> LambdaRuntime | None:
        """The function with this ARN: one of the template's, a given one, or one whose name the ARN ends in."""
        if arn not in self.runtimes and arn in self.extra:
            environment = {**self.environment, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
            self.runtimes[arn] = LambdaRuntime(self.extra[arn], environment=environment,
                                               timeout_seconds=EXTRA_FUNCTION_TIMEOUT,
                                               function_name=arn.rsplit(":", 1)[-1], function_arn=arn)
        if arn in self.runtimes:
            return self.runtimes[arn]
        prefix = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:"
        name = arn[len(prefix):] if arn.startswith(prefix) else None
        for known, runtime in list(self.runtimes.items()):
            if name is not None and name in (runtime.function_name, known.rsplit(":", 1)[-1]):
                return runtime
        return None

    def invoke(self, arn: str, runtime: LambdaRuntime, payload: Any, cause: str, rule_name: str = "") -> Invocation:
        """One invocation, recorded under ``cause``."""
        at = self.clock()
        invocation = runtime.invoke(payload)
        self.log.add(InvocationRecord(at, arn, cause, payload, invocation, rule_name=rule_name))
        return invocation

    def deliver(self, delivery: Delivery) -> None:
        """Run an EventBridge target: its function gets the delivery's input, asynchronously (so retried)."""
        arn = delivery.arn
        runtime = self.runtime_for(arn)
        try:
            payload = delivery.payload()
        except ValueError:
            self.log.add(InvocationRecord(self.clock(), arn, delivery.cause, delivery.input,
                                          error="the target's input is not JSON", rule_name=delivery.rule_name))
            return
        if runtime is None:
            self.log.add(InvocationRecord(self.clock(), arn, delivery.cause, payload,
                                          error=f"no function {arn} in this simulation", rule_name=delivery.rule_name))
            return
        for _ in range(1 + self.retries):
            invocation = self.invoke(arn, runtime, payload, delivery.cause, delivery.rule_name)
            if not (invocation.error or invocation.timed_out):
                return

    @property
    def logs(self) -> str:
        return "".join(runtime.logs for runtime in self.runtimes.values())

    def close(self) -> None:
        for runtime in self.runtimes.values():
            runtime.close()
