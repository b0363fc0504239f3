"""The lifecycle simulator holds providers to CloudFormation's rules (checked with tiny providers)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest

from cdk_backup_jobs.testing import CloudFormationSimulator, TemplateError, load_template, response_server

ARN = "arn:aws:lambda:us-east-1:123456789012:function:tiny"

# A provider that answers as told by its "Answer" property: it PUTs the response itself.
PROVIDER = textwrap.dedent('''
    import json, time, urllib.request

    def handler(event, context):
        answer = event["ResourceProperties"].get("Answer", "ok")
        if event["RequestType"] == "Delete":
            answer = "ok"
        if answer == "silent":
            return
        if answer == "slow":
            time.sleep(2)
        body = {"Status": "SUCCESS", "PhysicalResourceId": event.get("PhysicalResourceId")
                or event["LogicalResourceId"] + "-" + event["RequestId"][:8],
                "StackId": event["StackId"], "RequestId": event["RequestId"],
                "LogicalResourceId": event["LogicalResourceId"],
                "Data": {"Echo": event["ResourceProperties"].get("Value", ""), "Type": event["RequestType"]}}
        if answer == "fail":
            body.update(Status="FAILED", Reason="told to fail")
        if answer == "no-id":
            body["PhysicalResourceId"] = ""
        if answer == "huge":
            body["Data"]["Blob"] = "x" * 5000
        if answer == "bad-status":
            body["Status"] = "DONE"
        data = json.dumps(body).encode()
        request = urllib.request.Request(event["ResponseURL"], data=data, method="PUT",
                                         headers={"content-type": ""})
        urllib.request.urlopen(request, timeout=5).read()
''')


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Any]:
    (tmp_path / "index.py").write_text(PROVIDER)
    with response_server() as cfn:
        def make(**options: Any) -> CloudFormationSimulator:
            return CloudFormationSimulator(cfn, functions={ARN: str(tmp_path)},
                                           environment={"SSL_CERT_FILE": cfn.ca_file}, **options)
        yield make


def template(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": {name: {"Type": "Custom::Thing", "Properties": {"ServiceToken": ARN, **props}}
                          for name, props in resources.items()},
            "Outputs": {"Echo": {"Value": {"Fn::GetAtt": ["First", "Echo"]}}}}


def test_properties_arrive_as_strings_and_outputs_come_from_data(tiny):
    with tiny() as stack:
        result = stack.deploy(template(First={"Value": 7, "Flag": True, "List": [1, False]}))

    assert result.status == "CREATE_COMPLETE"
    properties = result.events[0].request["ResourceProperties"]
    assert (properties["Value"], properties["Flag"], properties["List"]) == ("7", "true", ["1", "false"])
    assert result.outputs == {"Echo": "7"}


@pytest.mark.parametrize("answer, reason", [
    ("fail", "Received response status [FAILED] from custom resource. Message returned: told to fail"),
    ("no-id", "Invalid PhysicalResourceId"),
    ("huge", "Response object is too long"),
    ("bad-status", "Invalid response object: Status 'DONE'"),
    ("silent", "did not receive a response from your Custom Resource within 3600 seconds"),
])
def test_a_bad_answer_fails_the_create_and_rolls_back(tiny, answer, reason):
    with tiny() as stack:
        result = stack.deploy(template(First={"Answer": answer}))

    assert result.status == "ROLLBACK_COMPLETE"
    assert reason in result.reason
    assert [e.request_type for e in result.events] == ["Create", "Delete"]


def test_a_response_after_the_service_timeout_does_not_count(tiny):
    with tiny() as stack:
        result = stack.deploy(template(First={"Answer": "slow", "ServiceTimeout": 1}))

    assert result.status == "ROLLBACK_COMPLETE"
    assert "within 1 seconds" in result.reason


def test_dependencies_order_creates_and_reverse_order_deletes(tiny):
    resources = template(First={"Value": "a"}, Second={"Value": {"Fn::GetAtt": ["First", "Echo"]}},
                         Third={"Value": {"Fn::Sub": "${Second.Echo}-${AWS::Region}"}})
    with tiny() as stack:
        created = stack.deploy(resources)
        deleted = stack.delete()

    assert [e.logical_id for e in created.events] == ["First", "Second", "Third"]
    assert created.events[2].request["ResourceProperties"]["Value"] == "a-us-east-1"
    assert [e.logical_id for e in deleted.events] == ["Third", "Second", "First"]


def test_update_sends_old_properties_and_deletes_a_replaced_physical_id(tiny):
    with tiny() as stack:
        stack.deploy(template(First={"Value": "a"}))
        old_id = stack.physical_id("First")
        result = stack.update(template(First={"Value": "b"}))

    [update] = [e for e in result.events if e.request_type == "Update"]
    assert update.request["OldResourceProperties"]["Value"] == "a"
    assert update.request["PhysicalResourceId"] == old_id
    assert result.outputs == {"Echo": "b"}
    assert not [e for e in result.events if e.request_type == "Delete"]  # same physical ID: no cleanup


def test_failed_update_rolls_back_to_the_old_properties(tiny):
    with tiny() as stack:
        stack.deploy(template(First={"Value": "a"}))
        result = stack.update(template(First={"Value": "b", "Answer": "fail"}))

    assert result.status == "UPDATE_ROLLBACK_COMPLETE"
    rollback = result.events[-1]
    assert rollback.request_type == "Update"
    assert rollback.request["ResourceProperties"]["Value"] == "a"


def test_unknown_service_token_and_bad_references_fail_clearly(tiny):
    with tiny() as stack:
        unknown = stack.deploy({"Resources": {"X": {"Type": "Custom::Thing",
                                                    "Properties": {"ServiceToken": "arn:nope"}}}})
    assert "is not a known function" in unknown.reason
    with pytest.raises(TemplateError, match="Circular dependency"):
        with tiny() as stack:
            stack.deploy(template(First={"Value": {"Ref": "Second"}}, Second={"Value": {"Ref": "First"}}))


def test_yaml_short_forms_load():
    loaded = load_template("Resources:\n  A:\n    Type: Custom::X\n    Properties:\n"
                           "      V: !GetAtt B.Arn\n      W: !Sub '${AWS::StackName}-x'\n")
    assert loaded["Resources"]["A"]["Properties"] == {"V": {"Fn::GetAtt": ["B", "Arn"]},
                                                      "W": {"Fn::Sub": "${AWS::StackName}-x"}}
