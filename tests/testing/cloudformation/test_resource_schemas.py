"""Resources the simulator does not run get the Ref and Fn::GetAtt attributes their registry schemas give them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from cdk_backup_jobs.testing import CloudFormationSimulator, TemplateError, response_server
from cdk_backup_jobs.testing.cloudformation.fake_resources import HAND_MODELLED_TYPES, fake_resource
from cdk_backup_jobs.testing.cloudformation.resource_schemas import known_type_count, schema_of

# Region and account are empty only in ARNs of global services (IAM, S3's no account either, CloudFront...).
ARN = re.compile(r"^arn:aws:(?:(?:iam|s3|cloudfront|route53|organizations):(?:us-east-1)?:(?:123456789012)?"
                 r"|[a-z0-9-]+:us-east-1:123456789012):.+$")


def fake(resource_type: str, **properties: Any) -> tuple[str, dict[str, Any]]:
    return fake_resource("Stack", "Thing", resource_type, properties)


def test_every_registry_type_gets_a_ref_and_each_of_its_attributes():
    types = PROVIDER_SCHEMA_MANAGER.get_resource_types("us-east-1")
    assert known_type_count() == len(types) > 1500
    for resource_type in types:
        ref, attributes = fake(resource_type)
        assert isinstance(ref, str) and ref, resource_type
        expected = {name for name in PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).get_atts
                    if "*" not in name}
        assert set(attributes) == expected, resource_type
        arns = [v for v in [ref, *attributes.values()] if isinstance(v, str) and v.startswith("arn:")]
        assert all(ARN.match(value) for value in arns), (resource_type, arns)


def test_the_arn_form_refuses_an_empty_region_or_account_outside_global_services():
    assert ARN.match("arn:aws:iam::123456789012:role/r") and ARN.match("arn:aws:s3:::bucket")
    assert ARN.match("arn:aws:sqs:us-east-1:123456789012:q")
    assert not ARN.match("arn:aws:sqs:::q") and not ARN.match("arn:aws:sqs:us-east-1::q")
    assert not ARN.match("arn:aws:lambda::123456789012:function:f")


def test_hand_modelled_types_are_few_and_all_real_types():
    known = set(PROVIDER_SCHEMA_MANAGER.get_resource_types("us-east-1"))
    assert HAND_MODELLED_TYPES <= known
    assert len(HAND_MODELLED_TYPES) < 50


def test_ids_have_their_services_prefixes_and_arns_their_formats():
    fs_id, efs = fake("AWS::EFS::FileSystem")
    assert re.fullmatch(r"fs-[0-9a-f]{17}", fs_id)
    assert efs == {"Arn": f"arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/{fs_id}",
                   "FileSystemId": fs_id}
    group, attributes = fake("AWS::EC2::SecurityGroup", GroupDescription="web")
    assert group.startswith("sg-") and attributes["GroupId"] == group
    assert attributes["GroupDescription"] == "web"  # a property the template set is echoed
    assert attributes["VpcId"].startswith("vpc-")
    assert fake("AWS::EC2::VPC", CidrBlock="10.1.0.0/16")[0].startswith("vpc-")
    assert fake("AWS::EC2::Subnet")[0].startswith("subnet-")
    assert fake("AWS::EC2::Instance")[0].startswith("i-")
    assert fake("AWS::EC2::EIP")[1]["AllocationId"].startswith("eipalloc-")
    assert fake("AWS::EFS::MountTarget")[1]["IpAddress"].startswith("10.")
    assert fake("AWS::S3::Bucket", BucketName="my-bucket")[1]["Arn"] == "arn:aws:s3:::my-bucket"
    bucket, _ = fake("AWS::S3::Bucket")
    assert bucket == bucket.lower()
    table, dynamodb = fake("AWS::DynamoDB::GlobalTable", TableName="orders")
    assert table == "orders" and dynamodb["Arn"] == "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
    assert dynamodb["StreamArn"].startswith("arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/")
    assert fake("AWS::RDS::DBInstance", DBInstanceIdentifier="Db1")[1]["DBInstanceArn"] == \
        "arn:aws:rds:us-east-1:123456789012:db:db1"
    assert fake("AWS::SNS::Topic", TopicName="t")[0] == "arn:aws:sns:us-east-1:123456789012:t"
    assert fake("AWS::SQS::Queue", QueueName="q")[0] == "https://sqs.us-east-1.amazonaws.com/123456789012/q"
    assert fake("AWS::IAM::ManagedPolicy", ManagedPolicyName="p")[0] == "arn:aws:iam::123456789012:policy/p"
    assert fake("AWS::IAM::Role", RoleName="r")[1]["Arn"] == "arn:aws:iam::123456789012:role/r"
    # An IAM path is part of the ARN (IAM identifiers); Ref stays the name.
    assert fake("AWS::IAM::Role", RoleName="r", Path="/backup-jobs/") == \
        ("r", fake("AWS::IAM::Role", RoleName="r", Path="/backup-jobs/")[1])
    assert fake("AWS::IAM::Role", RoleName="r", Path="/backup-jobs/")[1]["Arn"] == \
        "arn:aws:iam::123456789012:role/backup-jobs/r"
    assert fake("AWS::IAM::ManagedPolicy", ManagedPolicyName="p", Path="/a/b/")[0] == \
        "arn:aws:iam::123456789012:policy/a/b/p"
    key, kms = fake("AWS::KMS::Key")
    assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", key) and kms["KeyId"] == key
    secret, _ = fake("AWS::SecretsManager::Secret", Name="db")
    assert re.fullmatch(r"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-[0-9a-f]{6}", secret)
    assert fake("AWS::SecretsManager::SecretTargetAttachment", SecretId=secret)[0] == secret


def test_ports_are_numbers_in_strings_by_engine_unless_set():
    assert fake("AWS::RDS::DBCluster", Engine="aurora-postgresql")[1]["Endpoint.Port"] == "5432"
    assert fake("AWS::RDS::DBCluster", Engine="aurora-mysql")[1]["Endpoint.Port"] == "3306"
    assert fake("AWS::RDS::DBInstance", Engine="postgres", Port="6543")[1]["Endpoint.Port"] == "6543"
    address = fake("AWS::RDS::DBInstance", Engine="mysql")[1]["Endpoint.Address"]
    assert address.endswith(".us-east-1.rds.amazonaws.com")


def test_values_are_deterministic_and_differ_between_resources():
    assert fake("AWS::EC2::VPC") == fake("AWS::EC2::VPC")
    assert fake_resource("Stack", "Other", "AWS::EC2::VPC", {})[0] != fake("AWS::EC2::VPC")[0]


def test_an_unknown_type_is_a_template_error_naming_it():
    with pytest.raises(TemplateError, match=r"AWS::Nope::Thing"):
        fake("AWS::Nope::Thing")
    assert schema_of("AWS::EC2::VPC").primary_identifier == ("VpcId",)


def test_a_template_with_an_unknown_type_is_refused_before_anything_starts():
    vpc = {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}}
    created: list[str] = []
    with response_server() as cfn, CloudFormationSimulator(
            cfn, on_resource=lambda kind, physical_id, _: created.append(kind)) as stack:
        with pytest.raises(TemplateError, match=r"Unrecognized resource types: \[AWS::Nope::Thing\]"):
            stack.deploy({"Resources": {**vpc, "Odd": {"Type": "AWS::Nope::Thing"}}})
        assert stack.status is None and created == []
        assert stack.deploy({"Resources": vpc}).status == "CREATE_COMPLETE"
        with pytest.raises(TemplateError, match=r"AWS::Nope::Other"):
            stack.update({"Resources": {**vpc, "Odd": {"Type": "AWS::Nope::Other"}}})
        assert stack.status == "CREATE_COMPLETE" and list(stack.resources) == ["Vpc"]


def test_in_a_stack_an_unknown_attribute_fails_naming_it():
    with response_server() as cfn, CloudFormationSimulator(cfn) as stack:
        unknown_attribute = stack.deploy({"Resources": {"Vpc": {"Type": "AWS::EC2::VPC"}},
                                          "Outputs": {"X": {"Value": {"Fn::GetAtt": ["Vpc", "Colour"]}}}})
        assert "AWS::EC2::VPC" in unknown_attribute.reason and "Colour" in unknown_attribute.reason
        assert unknown_attribute.status == stack.status == "ROLLBACK_COMPLETE"  # the create failed and rolled back
        assert stack.resources == {}


def test_get_att_of_nested_and_read_only_attributes_resolves_in_outputs():
    template = {"Resources": {
        "Db": {"Type": "AWS::RDS::DBCluster", "Properties": {"Engine": "aurora-postgresql"}},
        "Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "db"}}},
        "Outputs": {"Port": {"Value": {"Fn::GetAtt": ["Db", "Endpoint.Port"]}},
                    "Host": {"Value": {"Fn::GetAtt": ["Db", "Endpoint.Address"]}},
                    "Group": {"Value": {"Fn::GetAtt": ["Group", "GroupId"]}}}}
    with response_server() as cfn, CloudFormationSimulator(cfn) as stack:
        result = stack.deploy(template)
    assert result.status == "CREATE_COMPLETE", result.reason
    assert result.outputs["Port"] == "5432" and result.outputs["Group"].startswith("sg-")
    assert result.outputs["Host"].endswith(".rds.amazonaws.com")
