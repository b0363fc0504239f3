"""The lifecycle simulator holds providers to CloudFormation's rules (checked with tiny providers)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest

from cdk_backup_jobs.testing import CloudFormationSimulator, TemplateError, load_template, response_server
from cdk_backup_jobs.testing.cloudformation.intrinsics import Resolver
from cdk_backup_jobs.testing.cloudformation.resources import SERVICE_TOKEN_CHANGED

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
        if answer.startswith("crash-"):  # raise on the first N invocations of this request
            from pathlib import Path
            count = Path(event["ResourceProperties"]["Counter"])
            seen = int(count.read_text()) if count.exists() else 0
            count.write_text(str(seen + 1))
            if seen < int(answer[len("crash-"):]):
                raise RuntimeError("crashed before answering")
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
        if answer == "fail-no-reason":
            body["Status"] = "FAILED"
        if answer.startswith("wrong-"):
            body[answer[len("wrong-"):]] = "not-the-one-asked"
        if answer == "replace":
            body["PhysicalResourceId"] = event["LogicalResourceId"] + "-" + event["RequestId"][:8]
        data = json.dumps(body).encode()
        if answer == "not-json":
            data = b"<Error>not json</Error>"
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
    ("fail-no-reason", "Invalid response object: Reason is required when Status is FAILED"),
    ("wrong-RequestId", "Invalid response object: RequestId does not match the request"),
    ("wrong-StackId", "Invalid response object: StackId does not match the request"),
    ("wrong-LogicalResourceId", "Invalid response object: LogicalResourceId does not match the request"),
    ("not-json", "Invalid response object: the body is not JSON"),
])
def test_a_bad_answer_fails_the_create_and_rolls_back(tiny, answer, reason):
    with tiny() as stack:
        result = stack.deploy(template(First={"Answer": answer}))

    assert result.status == "ROLLBACK_COMPLETE"
    assert reason in result.reason
    assert [e.request_type for e in result.events] == ["Create", "Delete"]


@pytest.mark.slow
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


@pytest.mark.parametrize("resource_type", ["Custom::Thing", "AWS::CloudFormation::CustomResource"])
def test_a_changed_service_token_fails_the_update_before_any_request_and_rolls_back(tiny, resource_type):
    other = "arn:aws:lambda:us-east-1:123456789012:function:another"
    with tiny() as stack:
        deployed = template(First={"Value": "a"})
        deployed["Resources"]["First"]["Type"] = resource_type
        stack.deploy(deployed)
        moved = template(First={"Value": "b"})
        moved["Resources"]["First"].update(Type=resource_type, Properties={"ServiceToken": other, "Value": "b"})
        result = stack.update(moved)
        rows = {row["LogicalResourceId"]: row for row in stack.stack_resources()}

    assert result.status == stack.status == "UPDATE_ROLLBACK_COMPLETE"
    assert result.reason == f"First: {SERVICE_TOKEN_CHANGED}" == "First: Modifying service token is not allowed."
    assert rows["First"]["ResourceStatus"] == "UPDATE_FAILED"
    assert [e.request_type for e in result.events] == []  # refused by CloudFormation: no provider asked


def test_a_service_token_written_otherwise_but_resolving_the_same_is_no_change(tiny):
    with tiny() as stack:
        stack.deploy(template(First={"Value": "a"}))
        same = template(First={"Value": "b"})
        same["Resources"]["First"]["Properties"]["ServiceToken"] = {
            "Fn::Sub": "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:tiny"}
        result = stack.update(same)

    assert result.status == "UPDATE_COMPLETE", result.reason
    assert result.outputs == {"Echo": "b"}


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


def test_a_failed_response_needs_its_own_reason_and_a_non_json_body_is_recorded(tiny):
    with tiny() as stack:
        no_reason = stack.deploy(template(First={"Answer": "fail-no-reason"}))
        stack.delete()  # a rolled-back create is deleted before the stack is created again
        not_json = stack.deploy(template(First={"Answer": "not-json"}))

    assert "CloudWatch" not in no_reason.reason  # no stand-in text for a Reason that never came
    url = not_json.events[0].request["ResponseURL"]
    assert len(stack.responses.responses_for(url)) == len(stack.responses.sizes_for(url)) == 1
    assert stack.responses.sizes_for(url) == [len(b"<Error>not json</Error>")]


def test_rollback_updates_go_from_the_attempted_to_the_previous_properties(tiny):
    with tiny() as stack:
        stack.deploy(template(First={"Value": "a"}, Second={"Value": "x", "After": {"Ref": "First"}}))
        ids = {lid: stack.physical_id(lid) for lid in ("First", "Second")}
        result = stack.update(template(First={"Value": "b"},
                                       Second={"Value": "y", "After": {"Ref": "First"}, "Answer": "fail"}))

    assert result.status == "UPDATE_ROLLBACK_COMPLETE"
    updates = [(e.logical_id, e.request) for e in result.events if e.request_type == "Update"]
    assert [lid for lid, _ in updates] == ["First", "Second", "Second", "First"]
    for (lid, attempt), (rolled_back, rollback) in zip(updates[:2], reversed(updates[2:])):
        assert rolled_back == lid
        assert rollback["ResourceProperties"] == attempt["OldResourceProperties"]  # the previous ones
        assert rollback["OldResourceProperties"] == attempt["ResourceProperties"]  # the failed/attempted ones
        assert rollback["PhysicalResourceId"] == attempt["PhysicalResourceId"] == ids[lid]
    assert updates[2][1]["OldResourceProperties"]["Answer"] == "fail"


def test_a_replacement_is_undone_by_deleting_it_not_by_an_update(tiny):
    with tiny() as stack:
        stack.deploy(template(First={"Value": "a"}, Second={"Value": "x", "After": {"Ref": "First"}}))
        previous = stack.physical_id("First")
        result = stack.update(template(First={"Value": "b", "Answer": "replace"},
                                       Second={"Value": "y", "After": {"Ref": "First"}, "Answer": "fail"}))
        restored = stack.physical_id("First")

    assert result.status == "UPDATE_ROLLBACK_COMPLETE"
    first = [e for e in result.events if e.logical_id == "First"]
    assert [e.request_type for e in first] == ["Update", "Delete"]  # no rollback Update for a replacement
    replacement = first[0].response["PhysicalResourceId"]
    assert replacement != previous and first[1].request["PhysicalResourceId"] == replacement
    assert first[1].request["ResourceProperties"]["Value"] == "b"
    assert restored == previous


@pytest.mark.parametrize("crashes, status, deliveries", [
    (2, "CREATE_COMPLETE", 3),  # Lambda's two retries reach a good run
    (3, "ROLLBACK_COMPLETE", 3),  # no third retry: CloudFormation never hears back
])
def test_lambda_retries_a_failed_invocation_twice(tiny, tmp_path, crashes, status, deliveries):
    counter = tmp_path / f"invocations-{crashes}"
    with tiny() as stack:
        result = stack.deploy(template(First={"Answer": f"crash-{crashes}", "Counter": str(counter),
                                              "ServiceTimeout": 1}))

    [create] = [e for e in result.events if e.request_type == "Create"]
    assert result.status == status
    assert create.delivery == deliveries and counter.read_text() == str(deliveries)


def with_policies(resources: dict[str, Any], **policies: dict[str, str]) -> dict[str, Any]:
    for logical_id, attributes in policies.items():
        resources["Resources"][logical_id].update(attributes)
    return resources


def test_retained_resources_get_no_delete_on_stack_delete_or_removal(tiny):
    resources = with_policies(template(First={}, Kept={}, KeptExceptOnCreate={}, Removed={}),
                              Kept={"DeletionPolicy": "Retain"},
                              KeptExceptOnCreate={"DeletionPolicy": "RetainExceptOnCreate"},
                              Removed={"DeletionPolicy": "Retain"})
    with tiny() as stack:
        stack.deploy(resources)
        del resources["Resources"]["Removed"]
        updated = stack.update(resources)
        deleted = stack.delete()

    assert updated.status == "UPDATE_COMPLETE" and not updated.events
    assert deleted.status == "DELETE_COMPLETE"
    assert [(e.request_type, e.logical_id) for e in deleted.events] == [("Delete", "First")]


def test_a_failed_create_rolls_back_retain_except_on_create_but_keeps_retain(tiny):
    after_both = {"A": {"Ref": "Kept"}, "B": {"Ref": "KeptExceptOnCreate"}}
    resources = with_policies(template(First={}, Kept={}, KeptExceptOnCreate={},
                                       Failing={"Answer": "fail", **after_both}),
                              Kept={"DeletionPolicy": "Retain"},
                              KeptExceptOnCreate={"DeletionPolicy": "RetainExceptOnCreate"})
    with tiny() as stack:
        result = stack.deploy(resources)

    assert result.status == "ROLLBACK_COMPLETE"
    assert sorted(e.logical_id for e in result.events if e.request_type == "Delete") == [
        "Failing", "First", "KeptExceptOnCreate"]


def test_update_replace_policy_retain_keeps_the_replaced_physical_id(tiny):
    resources = with_policies(template(First={}, Kept={}), Kept={"UpdateReplacePolicy": "Retain"})
    with tiny() as stack:
        stack.deploy(resources)
        old_id = stack.physical_id("First")
        for props in resources["Resources"].values():
            props["Properties"]["Answer"] = "replace"
        result = stack.update(resources)

    assert result.status == "UPDATE_COMPLETE"
    assert [(e.logical_id, e.request["PhysicalResourceId"]) for e in result.events
            if e.request_type == "Delete"] == [("First", old_id)]


def resolver(**template: Any) -> Resolver:
    return Resolver("Stack", "stack-id", {"Env": "prod", "Count": 3}, {}, {}, {},
                    conditions=template.get("Conditions"), mappings=template.get("Mappings"))


def test_conditions_mappings_and_list_functions_resolve():
    r = resolver(Conditions={"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
                             "IsThree": {"Fn::Equals": ["3", {"Ref": "Count"}]},
                             "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsThree"}]},
                             "Neither": {"Fn::Not": [{"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "Both"}]}]}},
                 Mappings={"Sizes": {"prod": {"Days": 35}}})

    assert r.resolve({"Fn::If": ["Both", {"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Days"]}, 1]}) == 35
    assert r.resolve({"Fn::If": ["Neither", "yes", "no"]}) == "no"
    assert r.resolve({"A": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "x"]}, "B": 1}) == {"B": 1}
    assert r.resolve({"Fn::Join": [",", [True, False, 1]]}) == "true,false,1"
    assert r.resolve({"Fn::Select": [1, {"Fn::Split": ["/", "a/b/c"]}]}) == "b"
    assert r.resolve({"Fn::Base64": {"Fn::Sub": "${Env}"}}) == "cHJvZA=="
    assert r.resolve({"Fn::FindInMap": ["Sizes", "dev", "Days", {"DefaultValue": 7}]}) == 7


@pytest.mark.parametrize("expression, error", [
    ({"Fn::Cidr": ["10.0.0.0/16", 4, 8]}, "Fn::Cidr"),
    ({"Fn::Length": [1, 2]}, "Fn::Length"),
    ({"Fn::Transform": {"Name": "X"}}, "Fn::Transform"),
    ({"Fn::If": ["Missing", 1, 2]}, "Missing"),
    ({"Fn::FindInMap": ["Sizes", "dev", "Days"]}, "Fn::FindInMap"),
    ({"Fn::Select": [5, [1]]}, "Fn::Select"),
])
def test_unsupported_or_unresolvable_intrinsics_raise_naming_them(expression, error):
    with pytest.raises(TemplateError, match=error):
        resolver(Mappings={"Sizes": {}}).resolve({"Value": expression})


def test_resource_conditions_and_intrinsics_reach_the_provider_resolved(tiny):
    resources = template(First={"Value": {"Fn::If": ["IsProd", {"Fn::FindInMap": ["Days", {"Ref": "Env"}, "N"]}, 1]},
                                "Flag": {"Fn::Join": ["-", [True, {"Ref": "Env"}]]}},
                         DevOnly={})
    resources.update(Parameters={"Env": {"Type": "String", "Default": "prod"}},
                     Mappings={"Days": {"prod": {"N": 35}}},
                     Conditions={"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
                                 "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]}})
    resources["Resources"]["DevOnly"]["Condition"] = "IsDev"
    resources["Outputs"]["Dev"] = {"Condition": "IsDev", "Value": {"Fn::GetAtt": ["DevOnly", "Echo"]}}
    with tiny() as stack:
        result = stack.deploy(resources)
        unsupported = stack.update(template(First={"Value": {"Fn::Cidr": ["10.0.0.0/16", 4, 8]}}))

    assert result.status == "CREATE_COMPLETE", result.reason
    [create] = result.events
    assert create.logical_id == "First"
    properties = create.request["ResourceProperties"]
    assert (properties["Value"], properties["Flag"]) == ("35", "true-prod")
    assert result.outputs == {"Echo": "35"}
    assert "Fn::Cidr is not supported" in unsupported.reason
    assert not [e for e in unsupported.events if "Fn::Cidr" in str(e.request)]


def test_yaml_condition_short_form_names_a_condition():
    loaded = load_template("Resources: {}\nConditions:\n  A: !And [!Condition B, !Equals [x, x]]\n")
    assert loaded["Conditions"]["A"] == {"Fn::And": [{"Condition": "B"}, {"Fn::Equals": ["x", "x"]}]}
