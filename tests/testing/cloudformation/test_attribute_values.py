"""Attribute values in the forms services give them: list items, a VPC endpoint's DNS entries, default ports."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from cdk_backup_jobs.testing import CloudFormationSimulator, response_server
from cdk_backup_jobs.testing.cloudformation.fake_resources import fake_resource


def attributes(resource_type: str, **properties: Any) -> dict[str, Any]:
    return dict(fake_resource("Stack", "Thing", resource_type, properties)[1])


def test_items_of_list_attributes_are_named_in_the_singular():
    secondary = attributes("AWS::EC2::NetworkInterface")["SecondaryPrivateIpAddresses"]
    assert len(secondary) == 1 and ipaddress.ip_address(secondary[0]).is_private


def test_a_vpc_endpoints_dns_entries_are_hosted_zone_colon_dns_name():
    entries = attributes("AWS::EC2::VPCEndpoint", ServiceName="com.amazonaws.us-east-1.ec2")["DnsEntries"]
    assert re.fullmatch(r"Z[0-9A-Z]{13}:vpce-[0-9a-f]{17}-[0-9a-f]{8}\.ec2\.us-east-1\.vpce\.amazonaws\.com",
                        entries[0]), entries
    service = attributes("AWS::EC2::VPCEndpoint", ServiceName="com.example.service")["DnsEntries"][0]
    assert re.search(r":vpce-[0-9a-f]{17}-[0-9a-f]{8}\.vpce-svc-[0-9a-f]{17}\.us-east-1\.vpce\.amazonaws\.com$",
                     service), service


def test_cdks_dns_name_idiom_selects_the_name_from_a_vpc_endpoints_first_entry():
    first_entry = {"Fn::Select": [0, {"Fn::GetAtt": ["Endpoint", "DnsEntries"]}]}
    dns_name = {"Fn::Select": [1, {"Fn::Split": [":", first_entry]}]}
    template = {"Resources": {"Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
        "ServiceName": "com.amazonaws.us-east-1.ec2", "VpcId": "vpc-1"}}},
        "Outputs": {"DnsName": {"Value": dns_name}}}
    with response_server() as cfn, CloudFormationSimulator(cfn) as stack:
        result = stack.deploy(template)
    assert result.status == "CREATE_COMPLETE", result.reason
    assert result.outputs["DnsName"].endswith(".ec2.us-east-1.vpce.amazonaws.com"), result.outputs


def test_default_ports_of_redshift_and_elasticache_by_type_or_engine():
    assert attributes("AWS::Redshift::Cluster")["Endpoint.Port"] == "5439"
    assert attributes("AWS::Redshift::Cluster", Port=5440)["Endpoint.Port"] == "5440"
    assert attributes("AWS::ElastiCache::CacheCluster", Engine="redis")["RedisEndpoint.Port"] == "6379"
    assert attributes("AWS::ElastiCache::CacheCluster", Engine="memcached")["ConfigurationEndpoint.Port"] == "11211"
    assert attributes("AWS::ElastiCache::ReplicationGroup")["PrimaryEndPoint.Port"] == "6379"


def test_a_creation_timestamp_is_a_time():
    assert attributes("AWS::EC2::VPCEndpoint")["CreationTimestamp"] == "2026-01-01T00:00:00.000Z"
