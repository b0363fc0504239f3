"""Stack operations of the offline CloudFormation simulator: what an update changes, what a failure leaves.

Real parts throughout: inline functions run in Lambda-like worker processes and
answer through cfnresponse over HTTPS to the response server.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from cdk_backup_jobs.testing import CloudFormationSimulator, response_server

ROLE = "arn:aws:iam::123456789012:role/lambda"

# Answers SUCCESS with Data {"Said": <what VERSION and the GREETING variable say>}.
VERSIONED = textwrap.dedent('''
    import os
    import cfnresponse
    VERSION = "{version}"

    def handler(event, context):
        said = VERSION + ":" + os.environ.get("GREETING", "")
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {{"Said": said}}, "thing")
''')


@pytest.fixture
def simulator() -> Iterator[Callable[..., CloudFormationSimulator]]:
    made: list[CloudFormationSimulator] = []
    with response_server() as responses:
        def make(**options: Any) -> CloudFormationSimulator:
            made.append(CloudFormationSimulator(responses, environment={"SSL_CERT_FILE": responses.ca_file},
                                                **options))
            return made[-1]
        yield make
        for simulator in made:
            simulator.close()


def inline_function(version: str, environment: Any = None, **extra: Any) -> dict[str, Any]:
    properties = {"Code": {"ZipFile": VERSIONED.format(version=version)}, "Handler": "index.handler",
                  "Runtime": "python3.12", "Role": ROLE, **extra}
    if environment is not None:
        properties["Environment"] = {"Variables": environment}
    return {"Type": "AWS::Lambda::Function", "Properties": properties}


def calling(function: dict[str, Any], asked: str = "1", **resources: Any) -> dict[str, Any]:
    thing = {"Type": "Custom::Thing", "Properties": {"ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]},
                                                      "Asked": asked}}
    return {"Resources": {"Fn": function, "Thing": thing, **resources},
            "Outputs": {"Said": {"Value": {"Fn::GetAtt": ["Thing", "Said"]}}}}


# --- an update runs the function's new code and configuration -----------------------------------------

def test_an_updated_function_runs_its_new_code_and_environment(simulator):
    stack = simulator()
    created = stack.deploy(calling(inline_function("v1", {"GREETING": "hello"})))

    updated = stack.update(calling(inline_function("v2", {"GREETING": "bonjour"}), asked="2"))

    assert created.outputs == {"Said": "v1:hello"}, created.reason
    assert updated.status == "UPDATE_COMPLETE", updated.reason
    assert updated.outputs == {"Said": "v2:bonjour"}  # Lambda runs the new code from the next invocation


def test_an_unchanged_function_keeps_its_warm_container(simulator):
    stack = simulator()
    stack.deploy(calling(inline_function("v1")))
    [runtime] = stack.runtimes.values()

    updated = stack.update(calling(inline_function("v1"), asked="2"))

    assert updated.outputs == {"Said": "v1:"}, updated.reason
    assert list(stack.runtimes.values()) == [runtime] and runtime.cold_starts == 1


def test_a_function_environment_of_refs_and_getatts_is_resolved(simulator):
    stack = simulator(parameters={"Seconds": "7"})
    template = calling(inline_function("v1", {"GREETING": {"Fn::Join": [" ", [
        {"Ref": "Bucket"}, {"Fn::GetAtt": ["Bucket", "Arn"]}]]}}, Timeout={"Ref": "Seconds"}),
        Bucket={"Type": "AWS::S3::Bucket"})
    template["Parameters"] = {"Seconds": {"Type": "Number"}}

    created = stack.deploy(template)

    assert created.status == "CREATE_COMPLETE", created.reason
    bucket = stack.physical_id("Bucket")
    assert created.outputs == {"Said": f"v1:{bucket} arn:aws:s3:::{bucket}"}
    [runtime] = stack.runtimes.values()
    assert runtime.timeout_seconds == 7.0
