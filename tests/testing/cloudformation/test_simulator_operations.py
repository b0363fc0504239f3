"""Stack operations of the offline CloudFormation simulator: what an update changes, what a failure leaves.

Real parts throughout: inline functions run in Lambda-like worker processes and
answer through cfnresponse over HTTPS to the response server.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from cdk_backup_jobs.testing import CloudFormationSimulator, TemplateError, response_server
from cdk_backup_jobs.testing.stack_status import ValidationError

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


# --- the function's clock is the simulation's -----------------------------------------------------------

# Answers with the function's time as it reads it: time.time() (also imported by name), gmtime and strftime.
CLOCK_READER = textwrap.dedent('''
    import time
    from time import time as now
    import cfnresponse

    def handler(event, context):
        told = {"Time": "%.0f" % time.time(), "Now": "%.0f" % now(), "Year": str(time.gmtime().tm_year),
                "Day": time.strftime("%Y-%m-%d"), "Ns": str(time.time_ns() // 10**9)}
        cfnresponse.send(event, context, cfnresponse.SUCCESS, told, "clock")
''')


def test_a_functions_clock_is_the_simulated_clock_not_the_machines(simulator):
    from cdk_backup_jobs.testing import ManualClock

    clock = ManualClock(1_764_000_000.0)  # 2025-11-24T16:00:00Z
    stack = simulator(clock=clock)
    function = {"Type": "AWS::Lambda::Function", "Properties": {
        "Code": {"ZipFile": CLOCK_READER}, "Handler": "index.handler", "Runtime": "python3.12", "Role": ROLE}}
    template = {"Resources": {"Fn": function, "Thing": {"Type": "Custom::Thing", "Properties": {
        "ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}}}},
        "Outputs": {k: {"Value": {"Fn::GetAtt": ["Thing", k]}} for k in ("Time", "Now", "Year", "Day", "Ns")}}
    first = stack.deploy(template)
    clock.advance(400 * 86400.0)  # to 2026-12-29: the same warm container reads the moved clock
    template["Resources"]["Thing"]["Properties"]["Asked"] = "again"
    second = stack.update(template)

    assert first.status == "CREATE_COMPLETE", first.reason
    for result, at, day in ((first, 1_764_000_000, "2025-11-24"), (second, 1_764_000_000 + 400 * 86400, "2026-12-29")):
        outputs = result.outputs
        assert at <= int(outputs["Time"]) <= at + 60  # the invocation's real seconds run on from the simulated now
        assert at <= int(outputs["Now"]) <= at + 60 and at <= int(outputs["Ns"]) <= at + 60
        assert (outputs["Year"], outputs["Day"]) == (day[:4], day)


# --- a template CloudFormation refuses changes nothing; an unexpected error leaves no *_IN_PROGRESS ------

def bucket() -> dict[str, Any]:
    return {"Type": "AWS::S3::Bucket"}


@pytest.mark.parametrize("template, message", [
    ({}, "Template format error: At least one Resources member must be defined."),
    ({"Resources": {}}, "Template format error: At least one Resources member must be defined."),
    ({"Resources": {"Bucket": {"Properties": {}}}},
     "Template format error: [/Resources/Bucket] Every Resources object must contain a Type member."),
    ({"Resources": {"A": {"Type": "AWS::S3::Bucket", "DependsOn": "B"},
                    "B": {"Type": "AWS::S3::Bucket", "DependsOn": "A"}}},
     "Template format error: Circular dependency between resources: ['A', 'B']"),
    ({"Parameters": {"Name": {"Type": "String"}}, "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}},
     "Parameters: [Name] must have values"),
])
def test_a_template_cloudformation_refuses_changes_nothing(simulator, template, message):
    created, updated = simulator(), simulator()
    updated.deploy({"Resources": {"Kept": bucket()}})
    kept = updated.physical_id("Kept")

    with pytest.raises(ValidationError) as refused_create:
        created.deploy(template)
    with pytest.raises(ValidationError) as refused_update:
        updated.update(template)

    assert str(refused_create.value) == str(refused_update.value) == message
    assert isinstance(refused_create.value, TemplateError)
    assert created.status is None and created.resources == {}
    assert updated.status == "CREATE_COMPLETE" and updated.physical_id("Kept") == kept
    assert updated.update({"Resources": {"Kept": bucket(), "Added": bucket()}}).status == "UPDATE_COMPLETE"
    assert updated.delete().status == "DELETE_COMPLETE"


def test_an_unexpected_error_leaves_the_stack_in_its_previous_status(simulator):
    def explode(resource_type: str, physical_id: str, properties: Any) -> None:
        if "bad" in physical_id.lower():
            raise RuntimeError("on_resource failed")
    stack = simulator(on_resource=explode)
    stack.deploy({"Resources": {"Kept": bucket()}})

    with pytest.raises(RuntimeError, match="on_resource failed"):
        stack.update({"Resources": {"Kept": bucket(), "Bad": bucket()}})

    assert stack.status == "CREATE_COMPLETE"
    assert stack.template == {"Resources": {"Kept": bucket()}}
    assert stack.delete().status == "DELETE_COMPLETE"


# --- an output that cannot be resolved fails the operation, which rolls back ---------------------------------

BAD_OUTPUT = {"Bad": {"Value": {"Fn::GetAtt": ["Bucket", "Colour"]}}}


def test_an_unresolvable_output_rolls_the_create_back(simulator):
    stack = simulator()

    result = stack.deploy({"Resources": {"Bucket": bucket()}, "Outputs": BAD_OUTPUT})

    assert result.status == stack.status == "ROLLBACK_COMPLETE"
    assert result.reason.startswith("Output Bad: ") and "Colour" in result.reason
    assert stack.resources == {} and stack.deletions == ["Bucket"]


def test_an_unresolvable_output_rolls_the_update_back(simulator):
    stack = simulator()
    first = {"Resources": {"Bucket": bucket()}, "Outputs": {"Name": {"Value": {"Ref": "Bucket"}}}}
    stack.deploy(first)

    result = stack.update({"Resources": {"Bucket": bucket(), "Added": bucket()}, "Outputs": BAD_OUTPUT})

    assert result.status == stack.status == "UPDATE_ROLLBACK_COMPLETE"
    assert result.reason.startswith("Output Bad: ")
    assert set(stack.resources) == {"Bucket"} and stack.template == first
    assert stack.update({"Resources": {"Bucket": bucket()}}).status == "UPDATE_COMPLETE"


# --- parameters: the given ones stay, the others take the Default of each operation's template -----------

def with_default(default: str) -> dict[str, Any]:
    return {"Parameters": {"Suffix": {"Type": "String", "Default": default}, "Given": {"Type": "String"}},
            "Resources": {"Bucket": bucket()},
            "Outputs": {"Said": {"Value": {"Fn::Join": ["-", [{"Ref": "Given"}, {"Ref": "Suffix"}]]}}}}


def test_a_changed_default_takes_effect_on_update_and_given_parameters_stay(simulator):
    stack = simulator(parameters={"Given": "mine"})

    created = stack.deploy(with_default("one"))
    updated = stack.update(with_default("two"))

    assert created.outputs == {"Said": "mine-one"}, created.reason
    assert updated.outputs == {"Said": "mine-two"}, updated.reason
    assert stack.given_parameters == {"Given": "mine"}


# --- why no response came: the function timed out, or returned without sending one -----------------------

SILENT = textwrap.dedent('''
    import time
    import cfnresponse

    def handler(event, context):  # answers only the rollback's Delete
        if event["RequestType"] == "Delete":
            cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, event["PhysicalResourceId"])
        else:
            time.sleep(float(event["ResourceProperties"]["Sleep"]))
''')


@pytest.mark.parametrize("sleep, timeout, why", [
    ("0", 3, "the function returned without sending a response to the ResponseURL (1 attempt)"),
    ("5", 1, "the function timed out after 1 s (3 attempts)"),
])
def test_no_response_says_why_none_came(simulator, sleep, timeout, why):
    stack = simulator()
    function = {"Type": "AWS::Lambda::Function", "Properties": {
        "Code": {"ZipFile": SILENT}, "Handler": "index.handler", "Runtime": "python3.12", "Role": ROLE,
        "Timeout": timeout}}
    thing = {"Type": "Custom::Thing", "Properties": {"ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]},
                                                      "Sleep": sleep, "ServiceTimeout": "60"}}

    result = stack.deploy({"Resources": {"Fn": function, "Thing": thing}})

    assert result.status == "ROLLBACK_COMPLETE"
    assert result.reason.startswith(
        "Thing: CloudFormation did not receive a response from your Custom Resource within 60 seconds: ")
    assert why in result.reason


def test_a_nested_stack_is_refused_at_once_saying_it_is_not_simulated(simulator):
    stack = simulator()
    nested = {"Type": "AWS::CloudFormation::Stack",
              "Properties": {"TemplateURL": "https://s3.amazonaws.com/bucket/nested.template.json"}}

    with pytest.raises(TemplateError) as refused:
        stack.deploy({"Resources": {"Child": nested, "Bucket": bucket()},
                      "Outputs": {"X": {"Value": {"Fn::GetAtt": ["Child", "Outputs.X"]}}}})

    assert str(refused.value).startswith("Child: nested stacks (AWS::CloudFormation::Stack) are not simulated")
    assert "as a simulated stack of its own" in str(refused.value)
    assert stack.status is None and stack.resources == {}


# --- small things: messages that name what is wrong, inline code folders removed ---------------------------

def test_a_resource_without_a_type_is_named():
    from cdk_backup_jobs.testing.cloudformation.resource_schemas import check_resource_types

    with pytest.raises(TemplateError, match=r"\[/Resources/Bucket\] Every Resources object must contain a Type"):
        check_resource_types({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}, "Bucket": {"Properties": {}}}})


def test_an_unsupported_intrinsic_names_the_cloudformation_simulator():
    from cdk_backup_jobs.testing.cloudformation.intrinsics import Resolver

    with pytest.raises(TemplateError, match=r"^Fn::Nope is not supported by the CloudFormation simulator$"):
        Resolver("Stack", "stack-id", {}, {}, {}, {}).resolve({"Fn::Nope": 1})


def test_inline_code_folders_are_removed_on_close(simulator):
    stack = simulator()
    stack.deploy(calling(inline_function("v1")))
    folders = list(stack.functions.inline_dirs)
    assert folders and all((folder / "index.py").is_file() for folder in folders)

    stack.close()

    assert not any(folder.exists() for folder in folders)


# --- stub_types: custom resources the simulator answers itself -------------------------------------------------

def test_stub_types_answer_the_cdks_node_custom_resources(simulator, tmp_path):
    from aws_cdk import App, RemovalPolicy, Stack
    from aws_cdk import aws_s3 as s3

    from cdk_backup_jobs.testing import read_assembly_template

    app = App(outdir=str(tmp_path))
    s3.Bucket(Stack(app, "Buckets"), "Bucket", auto_delete_objects=True, removal_policy=RemovalPolicy.DESTROY)
    app.synth()
    template = read_assembly_template(tmp_path, "Buckets")
    [auto_delete] = [lid for lid, r in template["Resources"].items() if r["Type"] == "Custom::S3AutoDeleteObjects"]

    unstubbed = simulator(assets_dir=tmp_path).deploy(template)
    stack = simulator(assets_dir=tmp_path, stub_types={"Custom::S3AutoDeleteObjects"})
    created = stack.deploy(template)
    deleted = stack.delete()

    assert unstubbed.status == "ROLLBACK_FAILED" and "the simulator runs Python functions only" in unstubbed.reason
    assert created.status == "CREATE_COMPLETE", created.reason
    assert [(e.logical_id, e.request_type, e.delivery) for e in created.events] == [(auto_delete, "Create", 0)]
    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    assert [e.request_type for e in deleted.events] == ["Delete"] and stack.invocations.snapshot() == []
