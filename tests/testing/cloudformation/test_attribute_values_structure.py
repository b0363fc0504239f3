"""AttributeValues reads who a resource is from its Identity, and ARNs spell CamelCase kinds through one helper."""

from __future__ import annotations

from cdk_backup_jobs.testing.cloudformation import attribute_values, fake_resources
from cdk_backup_jobs.testing.cloudformation.attribute_values import AttributeValues, Identity, kebab
from cdk_backup_jobs.testing.cloudformation.resource_schemas import schema_of


def test_attribute_values_keep_no_copies_of_the_identity():
    identity = Identity("vpc-0123", "vpc-0123", "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0123", "ab" * 32, True)
    values = AttributeValues(schema_of("AWS::EC2::VPC"), {}, identity, lambda kind, key: key)
    assert not {"own_id", "own_arn", "digest"} & set(vars(values))  # one source of truth: values.identity
    assert values.value("VpcId") == "vpc-0123"


def test_one_kebab_helper_spells_kinds_for_both_modules():
    assert kebab("DBClusterParameterGroup") == "dbcluster-parameter-group"
    assert kebab("Vpc") == "vpc" and kebab("NetworkAclEntry") == "network-acl-entry"
    assert fake_resources.kebab is attribute_values.kebab
    assert "(?<=[a-z0-9])(?=[A-Z])" not in open(fake_resources.__file__).read()
