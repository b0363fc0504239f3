"""Misusing the offline CloudFormation simulator gets the error CloudFormation or Lambda gives, or one naming the fix.

Real parts throughout: functions run in Lambda-like worker processes, responses
are PUT over HTTPS to the response server, and the CDK app is really synthesized.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from cdk_backup_jobs.testing import (CloudFormationSimulator, ManualClock, TemplateError,
                                     load_template, read_assembly_template, response_server)
from cdk_backup_jobs.testing.cloudformation.cloud_assembly import StackNotInAssembly
from cdk_backup_jobs.testing.stack_status import AlreadyExistsException, ValidationError

ARN = "arn:aws:lambda:us-east-1:123456789012:function:answers"
ROLE = "arn:aws:iam::123456789012:role/lambda"
HOW_TO_PASS = ("pass assets_dir=<the cdk.out folder> for functions in the template, "
               "or functions={service_token: code_dir} for a published provider")

# Answers SUCCESS with Data {"Echo": Value}, or FAILED when told to.
ANSWERS = textwrap.dedent('''
    import json, urllib.request

    def handler(event, context):
        props = event["ResourceProperties"]
        failed = props.get("Fail") == "yes" and event["RequestType"] != "Delete"
        body = {"Status": "FAILED" if failed else "SUCCESS", "Reason": "told to fail",
                "PhysicalResourceId": event.get("PhysicalResourceId") or event["LogicalResourceId"] + "-1",
                "StackId": event["StackId"], "RequestId": event["RequestId"],
                "LogicalResourceId": event["LogicalResourceId"], "Data": {"Echo": props.get("Value", "")}}
        request = urllib.request.Request(event["ResponseURL"], data=json.dumps(body).encode(), method="PUT",
                                         headers={"content-type": ""})
        urllib.request.urlopen(request, timeout=5).read()
''')


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[Callable[..., CloudFormationSimulator]]:
    """Simulators sharing one response server; ``code`` is the index.py of the function given as ``ARN``."""
    made: list[CloudFormationSimulator] = []
    with response_server() as responses:
        def make(code: str | None = ANSWERS, **options: Any) -> CloudFormationSimulator:
            functions = {}
            if code is not None:
                folder = tmp_path / f"function{len(made)}"
                folder.mkdir()
                (folder / "index.py").write_text(code)
                functions = {ARN: folder}
            made.append(CloudFormationSimulator(responses, functions=functions,
                                                environment={"SSL_CERT_FILE": responses.ca_file}, **options))
            return made[-1]
        yield make
        for simulator in made:
            simulator.close()


def custom(token: Any = ARN, **properties: Any) -> dict[str, Any]:
    return {"Type": "Custom::Thing", "Properties": {"ServiceToken": token, **properties}}


def stack_of(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": resources}


def activity(stack: CloudFormationSimulator) -> tuple[int, int]:
    """(function invocations so far, responses received so far)."""
    with stack.responses.log.lock:
        received = sum(len(r) for r in stack.responses.log.responses.values())
    return len(stack.invocations.snapshot()), received


# --- 1. deploy() of a stack that exists -----------------------------------------------------------

def created(stack: CloudFormationSimulator) -> None:
    assert stack.deploy(stack_of(Thing=custom(Value="a"))).status == "CREATE_COMPLETE"


def updated(stack: CloudFormationSimulator) -> None:
    created(stack)
    assert stack.update(stack_of(Thing=custom(Value="b"))).status == "UPDATE_COMPLETE"


def update_rolled_back(stack: CloudFormationSimulator) -> None:
    created(stack)
    assert stack.update(stack_of(Thing=custom(Value="b", Fail="yes"))).status == "UPDATE_ROLLBACK_COMPLETE"


def create_rolled_back(stack: CloudFormationSimulator) -> None:
    assert stack.deploy(stack_of(Thing=custom(Fail="yes"))).status == "ROLLBACK_COMPLETE"


@pytest.mark.parametrize("make_state, status, fix", [
    (created, "CREATE_COMPLETE", "call update()"),
    (updated, "UPDATE_COMPLETE", "call update()"),
    (update_rolled_back, "UPDATE_ROLLBACK_COMPLETE", "call update()"),
    (create_rolled_back, "ROLLBACK_COMPLETE", "call delete() first"),  # only a delete is allowed then
])
def test_deploying_a_stack_that_exists_fails_as_create_stack_does_and_starts_nothing(simulator, make_state,
                                                                                       status, fix):
    stack = simulator()
    make_state(stack)
    before, template, stack_id = activity(stack), stack.template, stack.stack_id
    resources = {lid: r.physical_id for lid, r in stack.resources.items()}

    with pytest.raises(AlreadyExistsException, match=re.escape("Stack [Stack] already exists")) as refused:
        stack.deploy(stack_of(Thing=custom(Value="new"), Other=custom(Value="new")))

    assert refused.value.code == "AlreadyExistsException"
    assert fix in str(refused.value) and status in str(refused.value)
    assert activity(stack) == before  # no request to any custom resource, no response
    assert (stack.status, stack.template, stack.stack_id) == (status, template, stack_id)
    assert {lid: r.physical_id for lid, r in stack.resources.items()} == resources


def test_a_deleted_stack_can_be_created_again_as_a_new_stack(simulator):
    stack = simulator()
    create_rolled_back(stack)
    first_id = stack.stack_id
    assert stack.delete().status == "DELETE_COMPLETE"

    again = stack.deploy(stack_of(Thing=custom(Value="x")))

    assert again.status == "CREATE_COMPLETE" and stack.stack_id != first_id
    assert again.events[0].request["StackId"] == stack.stack_id


def test_update_of_a_stack_that_cannot_be_updated_fails_as_update_stack_does(simulator):
    stack = simulator()
    with pytest.raises(ValidationError, match=re.escape("Stack [Stack] does not exist; call deploy()")):
        stack.update(stack_of(Thing=custom()))
    create_rolled_back(stack)
    before = activity(stack)

    with pytest.raises(ValidationError, match="is in ROLLBACK_COMPLETE state and can not be updated"):
        stack.update(stack_of(Thing=custom()))
    assert activity(stack) == before


def test_a_template_cloudformation_rejects_leaves_the_stack_uncreated(simulator):
    stack = simulator()
    with pytest.raises(TemplateError, match="Circular dependency"):
        stack.deploy(stack_of(A=custom(Value={"Ref": "B"}), B=custom(Value={"Ref": "A"})))

    assert stack.status is None
    assert stack.deploy(stack_of(Thing=custom())).status == "CREATE_COMPLETE"


# --- 2. a ServiceToken no function answers ---------------------------------------------------------

def asset_function(code: dict[str, Any], runtime: str = "python3.12") -> dict[str, Any]:
    return {"Type": "AWS::Lambda::Function",
            "Properties": {"Code": code, "Handler": "index.handler", "Runtime": runtime, "Role": ROLE}}


def with_function(function: dict[str, Any]) -> dict[str, Any]:
    return stack_of(Fn=function, Thing=custom({"Fn::GetAtt": ["Fn", "Arn"]}))


def test_a_service_token_that_is_no_known_function_names_both_arguments(simulator):
    stack = simulator()
    token = "arn:aws:lambda:us-east-1:123456789012:function:published-provider"

    result = stack.deploy(stack_of(Thing=custom(token)))

    assert result.status.startswith("ROLLBACK")
    assert f"Thing: ServiceToken {token!r} is not a known function" in result.reason
    assert HOW_TO_PASS in result.reason and ARN in result.reason  # what functions= has
    assert activity(stack)[0] == 0


ASSET = {"S3Bucket": "cdk-assets", "S3Key": "0123abcd.zip"}


@pytest.mark.parametrize("code, runtime, assets, why", [
    (ASSET, "python3.12", None, "its code is the asset asset.0123abcd and no assets_dir was given: "
                                "pass assets_dir=<the cdk.out folder>"),
    (ASSET, "python3.12", "empty", "its code is the asset asset.0123abcd, which is not in assets_dir"),
    ({"ZipFile": "exports.handler = async () => {}"}, "nodejs20.x", None,
     "its Runtime is nodejs20.x; the simulator runs Python functions only"),
])
def test_a_function_of_the_template_that_cannot_run_says_why(simulator, tmp_path, code, runtime, assets, why):
    assets_dir = None
    if assets is not None:
        assets_dir = tmp_path / assets
        assets_dir.mkdir()
    stack = simulator(code=None, assets_dir=assets_dir)

    result = stack.deploy(with_function(asset_function(code, runtime)))

    assert result.status.startswith("ROLLBACK")
    assert "is not a known function: it is the template's function Fn, which cannot run: " in result.reason
    assert why in result.reason
    assert activity(stack)[0] == 0


# --- 3. a function that raises -----------------------------------------------------------------------

def test_a_node_custom_resource_names_its_type_and_the_stub_types_to_pass(simulator):
    # cdk init's feature flags add aws-cdk-lib's Node.js-backed Custom::VpcRestrictDefaultSG to every Vpc.
    stack = simulator(code=None)
    template = stack_of(Fn=asset_function({"ZipFile": "exports.handler = async () => {}"}, "nodejs22.x"),
                        RestrictDefaultSG={"Type": "Custom::VpcRestrictDefaultSG",
                                           "Properties": {"ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}}})

    result = stack.deploy(template)

    assert result.status.startswith("ROLLBACK")
    assert "its Runtime is nodejs22.x; the simulator runs Python functions only" in result.reason
    assert "for Custom::VpcRestrictDefaultSG, pass stub_types={'Custom::VpcRestrictDefaultSG'}" in result.reason


@pytest.mark.parametrize("code, error", [
    ("def handler(event, context):\n    raise ValueError('bad input: 42')\n", "ValueError: bad input: 42"),
    ("import not_a_module\n", "Runtime.ImportModuleError: Unable to import module 'index': "
                               "No module named 'not_a_module'"),
    ("def handler(event, context)\n    pass\n", "Runtime.UserCodeSyntaxError: Syntax error in module 'index': "),
    ("def on_event(event, context):\n    pass\n", "Runtime.HandlerNotFound: Handler 'handler' missing on module "
                                                   "'index'"),
    ("raise RuntimeError('no configuration')\n", "RuntimeError: no configuration"),
])
def test_a_function_that_raises_fails_the_resource_with_its_error_at_once(simulator, code, error):
    clock = ManualClock()
    stack = simulator(code=code, clock=clock)

    result = stack.deploy(stack_of(Thing=custom()))

    [create] = result.events_for("Thing")[:1]
    assert result.reason.startswith(f"Thing: the invocation failed: {error}")
    assert "3 attempts" in result.reason and create.delivery == 3  # Lambda's two retries ran too
    assert "did not receive a response" not in result.reason
    assert stack.waited_seconds == 0  # no hour of (virtual) waiting for a response that cannot come
    assert f"[ERROR] {error}" in stack.function_logs
    assert create.invocation is not None and create.invocation.error_object is not None
    assert set(create.invocation.error_object) == {"errorMessage", "errorType", "stackTrace"}
    assert f"{create.invocation.error_object['errorType']}: " in error


# --- 4. inline code and its cfnresponse module --------------------------------------------------------

INLINE = textwrap.dedent('''
    import cfnresponse

    def on_event(event, context):
        name = event["ResourceProperties"].get("Name")
        if event["RequestType"] == "Delete":
            cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, event["PhysicalResourceId"])
        elif name is None:
            cfnresponse.send(event, context, cfnresponse.FAILED, {}, reason="Name is required")
        elif name == "default-id":
            cfnresponse.send(event, context, cfnresponse.SUCCESS, {"Greeting": "hello"})
        else:
            cfnresponse.send(event, context, cfnresponse.SUCCESS, {"Greeting": "hello " + name}, "greeting-" + name)
''')


def inline_stack(**properties: Any) -> dict[str, Any]:
    function = {"Type": "AWS::Lambda::Function",
                "Properties": {"Code": {"ZipFile": INLINE}, "Handler": "index.on_event", "Runtime": "python3.12",
                               "Role": ROLE}}
    return {"Resources": {"Fn": function, "Greeting": {"Type": "Custom::Greeting", "Properties": {
                "ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}, **properties}}},
            "Outputs": {"Said": {"Value": {"Fn::GetAtt": ["Greeting", "Greeting"]}}}}


def test_inline_code_runs_and_its_cfnresponse_puts_the_answer_over_https(simulator):
    stack = simulator(code=None)

    result = stack.deploy(inline_stack(Name="world"))

    assert result.status == "CREATE_COMPLETE", result.reason
    assert result.outputs == {"Said": "hello world"}  # Fn::GetAtt of the Data cfnresponse sent
    assert stack.physical_id("Greeting") == "greeting-world"
    [create] = result.events
    response = stack.responses.responses_for(create.request["ResponseURL"])
    assert [r["Status"] for r in response] == ["SUCCESS"] and response[0]["NoEcho"] is False
    assert "cfnresponse: sent SUCCESS, HTTP status 200" in stack.function_logs
    assert create.request["ResponseURL"] not in stack.function_logs
    assert stack.delete().status == "DELETE_COMPLETE"


def test_cfnresponse_defaults_the_physical_id_to_the_log_stream_and_sends_failed_with_a_reason(simulator):
    stack = simulator(code=None)

    defaulted = stack.deploy(inline_stack(Name="default-id"))
    stack.delete()
    failed = stack.deploy(inline_stack())

    assert defaulted.status == "CREATE_COMPLETE", defaulted.reason
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", defaulted.events[0].response["PhysicalResourceId"])
    assert failed.reason == ("Greeting: Received response status [FAILED] from custom resource. "
                             "Message returned: Name is required")


def test_only_inline_code_gets_cfnresponse(simulator):
    stack = simulator(code="import cfnresponse\n\ndef handler(event, context):\n    pass\n")

    result = stack.deploy(stack_of(Thing=custom()))

    assert "Runtime.ImportModuleError: Unable to import module 'index': No module named 'cfnresponse'" \
        in result.reason


# --- 5. a stack name the cloud assembly does not have, and a CDK app end to end -------------------------

def test_a_folder_that_is_no_cloud_assembly_says_so(tmp_path):
    with pytest.raises(StackNotInAssembly, match="No cloud assembly at .*: synthesize the app there first"):
        read_assembly_template(tmp_path / "cdk.out", "Jobs")
    (tmp_path / "Jobs.template.json").write_text(json.dumps(stack_of()))  # templates, no manifest
    with pytest.raises(FileNotFoundError, match=r"'Nope' is not in the cloud assembly .*: its stacks are: Jobs$"):
        read_assembly_template(tmp_path, "Nope")
    assert read_assembly_template(tmp_path, "Jobs") == stack_of()


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CDK app with an inline Python function behind a custom resource, and a second stack with its own name."""
    from aws_cdk import App, CfnOutput, CustomResource, Stack, aws_lambda as lambda_

    out = tmp_path_factory.mktemp("cdk.out")
    app = App(outdir=str(out))
    inline = Stack(app, "Inline")
    function = lambda_.Function(inline, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.on_event",
                                code=lambda_.Code.from_inline(INLINE))
    greeting = CustomResource(inline, "Greeting", service_token=function.function_arn,
                              properties={"Name": "cdk"})
    CfnOutput(inline, "Said", value=greeting.get_att_string("Greeting"))
    other = Stack(app, "Other", stack_name="other-name")
    CfnOutput(other, "Nothing", value="-")
    app.synth()
    return out


@pytest.mark.slow
def test_a_stack_name_not_in_the_assembly_lists_the_ones_that_are(assembly):
    with pytest.raises(StackNotInAssembly) as missing:
        read_assembly_template(assembly, "Nope")

    assert str(missing.value) == (f"Stack 'Nope' is not in the cloud assembly at {assembly}: "
                                  "its stacks are: Inline, Other (stack name other-name)")
    assert read_assembly_template(assembly, "other-name") == read_assembly_template(assembly, "Other")


@pytest.mark.slow
def test_a_cdk_inline_function_answers_through_cfnresponse(simulator, assembly):
    stack = simulator(code=None, stack_name="Inline")

    result = stack.deploy(read_assembly_template(assembly, "Inline"))

    assert result.status == "CREATE_COMPLETE", result.reason
    assert result.outputs == {"Said": "hello cdk"}


# --- a template path with no file behind it -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["fleet-orders-snapshot.yaml", "orders.YML", "stack.json", "provider.template"])
def test_a_template_path_with_no_file_is_refused_naming_the_path_and_the_working_directory(tmp_path, monkeypatch,
                                                                                          name):
    # Read as YAML text, the file's name gave "A template needs a Resources section".
    monkeypatch.chdir(tmp_path)

    with pytest.raises(FileNotFoundError) as raised:
        load_template(name)

    assert name in str(raised.value) and str(tmp_path) in str(raised.value)


def test_template_text_and_an_existing_file_still_load(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "orders.yaml").write_text("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n")

    assert load_template("orders.yaml") == load_template("Resources: {Topic: {Type: AWS::SNS::Topic}}")


def test_a_stack_set_with_a_missing_template_file_is_refused_at_once(tmp_path, monkeypatch):
    from cdk_backup_jobs.testing import SimulatedOrganization, StackSetSimulator

    monkeypatch.chdir(tmp_path)
    with StackSetSimulator(SimulatedOrganization.of_sizes({"ou-a": 1})) as fleet:
        with pytest.raises(FileNotFoundError, match="fleet-orders-snapshot.yaml"):
            fleet.create_stack_set("Orders", "fleet-orders-snapshot.yaml")
        assert fleet.stack_sets == {}
