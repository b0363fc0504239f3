"""Ref of resources whose Ref is not simply their primary identifier: compound identifiers, qualified ARNs."""

from __future__ import annotations

import re
from typing import Any

from cdk_backup_jobs.testing.cloudformation.fake_resources import fake_resource


def ref(resource_type: str, **properties: Any) -> str:
    return fake_resource("Stack", "Thing", resource_type, properties)[0]


def test_a_compound_identifier_is_referred_to_by_the_service_made_part_not_another_resource():
    resource = fake_resource("Stack", "Thing", "AWS::ApiGateway::Resource", {"RestApiId": "abc123"})
    assert resource[0] != "abc123" and resource[0] == resource[1]["ResourceId"]
    authorizer = fake_resource("Stack", "Thing", "AWS::ApiGateway::Authorizer", {"RestApiId": "abc123"})
    assert authorizer[0] != "abc123" and authorizer[0] == authorizer[1]["AuthorizerId"]
    assert ref("AWS::ApiGateway::Stage", RestApiId="abc123", StageName="prod") == "prod"
    assert ref("AWS::ApiGatewayV2::Route", ApiId="api1", RouteKey="GET /") != "api1"
    assert ref("AWS::EC2::EIP") == fake_resource("Stack", "Thing", "AWS::EC2::EIP", {})[1]["PublicIp"]


def test_lambda_versions_and_aliases_are_referred_to_by_their_qualified_arns():
    version, attributes = fake_resource("Stack", "Thing", "AWS::Lambda::Version", {"FunctionName": "fn"})
    assert version == "arn:aws:lambda:us-east-1:123456789012:function:fn:1"
    assert attributes["Version"] == "1" and attributes["FunctionArn"] == version
    given_arn = "arn:aws:lambda:us-east-1:123456789012:function:other"
    assert ref("AWS::Lambda::Version", FunctionName=given_arn) == f"{given_arn}:1"
    assert ref("AWS::Lambda::Alias", FunctionName="fn", FunctionVersion="1", Name="live") == \
        "arn:aws:lambda:us-east-1:123456789012:function:fn:live"


def test_a_nested_stack_is_referred_to_by_its_stack_arn():
    assert re.fullmatch(r"arn:aws:cloudformation:us-east-1:123456789012:stack/Stack-Thing-[0-9A-F]{12}/"
                        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                        ref("AWS::CloudFormation::Stack", TemplateURL="https://example.com/t.json"))


def test_a_vpc_gateway_attachment_is_referred_to_by_its_type_and_vpc():
    assert ref("AWS::EC2::VPCGatewayAttachment", VpcId="vpc-1", InternetGatewayId="igw-1") == "IGW|vpc-1"
    assert ref("AWS::EC2::VPCGatewayAttachment", VpcId="vpc-1", VpnGatewayId="vgw-1") == "VGW|vpc-1"
