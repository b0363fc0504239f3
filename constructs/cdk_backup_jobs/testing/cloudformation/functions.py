"""The Lambda functions a simulated stack can invoke, known by ARN, and every invocation made of them.

A function is one of the template's (inline ``ZipFile`` code, a cdk.out
``asset.<hash>`` folder, or an S3 object given to the simulator as a zip or a
folder: ``s3_objects={(bucket, key): path}``) or one given to the simulator by
ARN (``functions=``, a ServiceToken of a provider outside the template). An EventBridge target
names its function by ARN; every function's clock is the simulation's
(``clock``: its ``time.time()`` reads the stack's virtual time). crhelper's targets build that ARN from the
function's name, which is found too. Lambda runs an asynchronous invocation
(CloudFormation's and EventBridge's both are) again after it raised or timed
out, up to ``retries`` times.

Inline Python code gets the ``cfnresponse`` module, as Lambda gives it
(``inline_cfnresponse``). A function of the template that cannot run (its
asset not found, no ``assets_dir``, not Python) is remembered with the reason,
so a request to it fails naming what to pass (``explain_unknown``).
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable, Mapping

from cdk_backup_jobs.testing.eventbridge.bus import Delivery
from cdk_backup_jobs.testing.iam.model import AccountIam
from cdk_backup_jobs.testing.lambda_service.runtime import Invocation, InvocationLog, InvocationRecord, LambdaRuntime
from cdk_backup_jobs.testing.shared.account import Place, default_place

DEFAULT_LAMBDA_TIMEOUT = 3.0
EXTRA_FUNCTION_TIMEOUT = 120.0
CFNRESPONSE = Path(__file__).with_name("inline_cfnresponse.py")
NOT_PYTHON = "the simulator runs Python functions only"
HOW_TO_PASS = ("pass assets_dir=<the cdk.out folder> for functions in the template, "
               "or functions={service_token: code_dir} for a published provider")


class Functions:
    """Runtimes by function ARN, started on demand, and the log of what ran."""

    def __init__(self, environment: Mapping[str, str], assets_dir: Path | None, extra: Mapping[str, str],
                 clock: Callable[[], float], retries: int, iam: AccountIam | None = None,
                 s3_objects: Mapping[tuple[str, str], Path] | None = None, place: Place | None = None) -> None:
        self.place = place or default_place()
        """The stack's account and Region: its functions' ARNs and Lambda's AWS_REGION."""
        self.environment = dict(environment)
        self.iam = iam
        self.assets_dir = assets_dir
        self.s3_objects = dict(s3_objects or {})
        """The S3 objects a function's ``Code`` (``S3Bucket``, ``S3Key``) may name: a zip or a folder."""
        self.extra = dict(extra)
        self.clock = clock
        self.retries = retries
        self.runtimes: dict[str, LambdaRuntime] = {}
        self.unavailable: dict[str, tuple[str, str]] = {}
        """Functions of the template that cannot run: ARN -> (logical ID, why)."""
        self.log = InvocationLog()
        self.inline_dirs: list[Path] = []
        """The folders inline (ZipFile) code and zips of ``s3_objects`` were written to, removed on close()."""

    def start(self, logical_id: str, resource_type: str, properties: Mapping[str, Any], arn: str) -> None:
        """Ready a Lambda function of the template (inline code, or a cdk.out asset) from its resolved
        properties: its Environment, Handler and Timeout may be Refs or Fn::GetAtts of other resources."""
        if resource_type != "AWS::Lambda::Function":
            return
        code_dir = self._code_dir(properties)
        if isinstance(code_dir, str):
            self.unavailable[arn] = (logical_id, code_dir)
            return
        self.unavailable.pop(arn, None)
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        environment = self._environment({str(k): _env_value(v) for k, v in variables.items()})
        if self.iam is not None:  # its calls are its role's (Lambda gives each role session a key of its own)
            environment["AWS_ACCESS_KEY_ID"] = self.iam.register_function(arn, str(properties.get("Role", "")))
        self.runtimes[arn] = LambdaRuntime(
            code_dir, str(properties.get("Handler", "index.handler")), environment=environment,
            timeout_seconds=float(properties.get("Timeout", DEFAULT_LAMBDA_TIMEOUT)), function_name=logical_id,
            function_arn=arn, clock=self.clock)

    def restart(self, logical_id: str, resource_type: str, properties: Mapping[str, Any], old_arn: str,
                arn: str) -> None:
        """An updated function: Lambda runs the new code and configuration from the next invocation on,
        so the old runtime (its warm workers hold the old code and environment) is closed."""
        old = self.runtimes.pop(old_arn, None)
        if old is not None:
            old.close()
        self.unavailable.pop(old_arn, None)
        self.start(logical_id, resource_type, properties, arn)

    def _environment(self, variables: Mapping[str, str]) -> dict[str, str]:
        """A function's environment: the simulation's, the function's own variables, and Lambda's Region."""
        return {**self.environment, **variables, "AWS_REGION": self.place.region,
                "AWS_DEFAULT_REGION": self.place.region}

    def _code_dir(self, props: Mapping[str, Any]) -> Path | str:
        """The function's code folder, or why there is none to run."""
        runtime = str(props.get("Runtime", "python"))
        if not runtime.startswith("python"):
            return f"its Runtime is {runtime}; {NOT_PYTHON}"
        code = props.get("Code", {})
        if "ZipFile" in code:  # inline code: Lambda saves it as index.py, beside its cfnresponse module
            code_dir = Path(tempfile.mkdtemp(prefix="inline-function-"))
            self.inline_dirs.append(code_dir)
            (code_dir / "index.py").write_text(str(code["ZipFile"]))
            shutil.copyfile(CFNRESPONSE, code_dir / "cfnresponse.py")
            return code_dir
        s3_object = (str(code.get("S3Bucket", "")), str(code.get("S3Key", "")))
        if s3_object in self.s3_objects:
            return self._unpacked(self.s3_objects[s3_object])
        asset = f"asset.{s3_object[1].removesuffix('.zip')}"
        if self.assets_dir is None and self.s3_objects:
            return (f"its code is s3://{s3_object[0]}/{s3_object[1]}, which is not one of s3_objects "
                    f"({sorted(self.s3_objects)})")
        if self.assets_dir is None:
            return (f"its code is the asset {asset} and no assets_dir was given: pass assets_dir=<the cdk.out folder> "
                    "(or s3_objects={(bucket, key): zip_or_folder} for code in S3)")
        if not (self.assets_dir / asset).is_dir():
            return (f"its code is the asset {asset}, which is not in assets_dir ({self.assets_dir}): "
                    "pass the cdk.out folder the template was synthesized to")
        return self.assets_dir / asset

    def _unpacked(self, source: Path) -> Path:
        """An S3 object's code as Lambda runs it: a folder as it is, a zip unpacked (into a folder of its own)."""
        if source.is_dir():
            return source
        code_dir = Path(tempfile.mkdtemp(prefix="s3-function-"))
        self.inline_dirs.append(code_dir)
        with zipfile.ZipFile(source) as archive:
            archive.extractall(code_dir)
        return code_dir

    def explain_unknown(self, token: str, resource_type: str = "") -> str:
        """Why no function answers this ServiceToken, and which argument would give it one; for a function
        that is not Python (aws-cdk-lib's own custom resources run Node.js), the ``stub_types=`` to pass."""
        name = _name_in(token, self.place)
        for arn, (logical_id, why) in list(self.unavailable.items()):
            if token == arn or (name is not None and name in (logical_id, _last_part(arn))):
                if why.endswith(NOT_PYTHON) and resource_type:
                    why += (f"; for {resource_type}, pass stub_types={{{resource_type!r}}}: the simulator then "
                            "answers its requests SUCCESS itself, running no function")
                return (f"ServiceToken {token!r} is not a known function: it is the template's function "
                        f"{logical_id}, which cannot run: {why}")
        given = f" (functions= has {sorted(self.extra)})" if self.extra else ""
        return (f"ServiceToken {token!r} is not a known function: not one of the template's, nor given by "
                f"functions={given}: {HOW_TO_PASS}")

    def runtime_for(self, arn: str) -> LambdaRuntime | None:
        """The function with this ARN: one of the template's, a given one, or one whose name the ARN ends in."""
        if arn not in self.runtimes and arn in self.extra:
            environment = self._environment({})
            key = self.iam.key_of(arn) if self.iam is not None else None
            if key is not None:  # another simulated stack's function (a shared provider): its calls are its role's
                environment["AWS_ACCESS_KEY_ID"] = key
            self.runtimes[arn] = LambdaRuntime(self.extra[arn], environment=environment,
                                               timeout_seconds=EXTRA_FUNCTION_TIMEOUT,
                                               function_name=_last_part(arn), function_arn=arn,
                                               clock=self.clock)
        if arn in self.runtimes:
            return self.runtimes[arn]
        name = _name_in(arn, self.place)
        for known, runtime in list(self.runtimes.items()):
            if name is not None and name in (runtime.function_name, _last_part(known)):
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
        for folder in self.inline_dirs:
            shutil.rmtree(folder, ignore_errors=True)


def _env_value(value: Any) -> str:
    """A variable's value as Lambda keeps it: a string (a resolved Ref may be a number or a boolean)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _name_in(arn: str, place: Place) -> str | None:
    """What follows ``arn:aws:lambda:REGION:ACCOUNT:function:`` in a ServiceToken of ``place``, if it is a
    function ARN there."""
    prefix = f"arn:aws:lambda:{place.region}:{place.account_id}:function:"
    return arn[len(prefix):] if arn.startswith(prefix) else None


def _last_part(arn: str) -> str:
    """An ARN's last ``:`` part: a function ARN's name."""
    return arn.rsplit(":", 1)[-1]
