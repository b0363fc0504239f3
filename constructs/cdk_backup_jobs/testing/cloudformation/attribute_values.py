"""Values of a resource's ``Fn::GetAtt`` attributes, in the forms the services give them.

An attribute the template set (a writable property) echoes what it set, as
CloudFormation returns it. One the service makes (a read-only property) gets a
value from its schema's format (cfn-lint's, such as ``AWS::EC2::VPC.Id``),
else from what its name says it is: an ARN, an ID (with the service's prefix
where one is known), a port (a number in a string), a DNS name, an IP, a time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from cdk_backup_jobs.testing.cloudformation.resource_schemas import AttributeShape, ResourceSchema

from cdk_backup_jobs.testing.shared.account import current_place

__all__ = ["AttributeValues", "Identity", "kebab"]

# cfn-lint's formats of IDs made by EC2, and the prefix of each.
_FORMAT_PREFIXES = {"AWS::EC2::SecurityGroup.Id": "sg", "AWS::EC2::VPC.Id": "vpc", "AWS::EC2::Subnet.Id": "subnet",
                    "AWS::EC2::Image.Id": "ami"}
# Attribute names of other resources' IDs whose prefix is known (an Instance's VpcId, a NAT gateway's EniId).
_NAMED_PREFIXES = {"Vpc": "vpc", "Subnet": "subnet", "Eni": "eni", "NetworkInterface": "eni", "Allocation": "eipalloc",
                   "RouteTable": "rtb", "Volume": "vol", "Instance": "i", "Image": "ami", "FileSystem": "fs",
                   "SecurityGroup": "sg", "NatGateway": "nat", "InternetGateway": "igw", "Association": "assoc"}
# Default ports of database engines, for an endpoint's Port when the template sets none (RDS's documentation;
# ElastiCache's "Redis OSS and Valkey use 6379, Memcached 11211").
_ENGINE_PORTS = (("aurora-postgresql", 5432), ("postgres", 5432), ("aurora", 3306), ("mysql", 3306),
                 ("mariadb", 3306), ("oracle", 1521), ("sqlserver", 1433), ("docdb", 27017), ("neptune", 8182),
                 ("redis", 6379), ("valkey", 6379), ("memcached", 11211))
# Default ports of services with one engine: Redshift's 5439 ("Port: Default: 5439", AWS::Redshift::Cluster),
# an ElastiCache replication group's Redis OSS 6379.
_SERVICE_PORTS = (("AWS::Redshift::", 5439), ("AWS::RedshiftServerless::", 5439),
                  ("AWS::ElastiCache::ReplicationGroup", 6379))
_TIMESTAMP = "2026-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class Identity:
    """Who a resource is: what its ARN ends with, its name, its ARN, and the seed of its made-up values."""

    own_id: str  # a service-made ID (sg-0123..., a KMS key's UUID), else its name
    own_name: str  # the name the template gave, or the one CloudFormation made
    own_arn: str
    digest: str  # lowercase hex
    service_made_id: bool  # own_id came from the service, not from the name


class AttributeValues:
    """The attributes of one resource, computed from its schema, its properties and its identity."""

    def __init__(self, schema: ResourceSchema, properties: Mapping[str, Any], identity: Identity,
                 arn_of: Callable[[str, str], str]) -> None:
        self.schema = schema
        self.properties = properties
        self.identity = identity
        self.arn_of = arn_of  # (resource type, ID) -> that resource's ARN
        self.short = schema.type_name.rsplit("::", 1)[-1]

    def value(self, name: str) -> Any:
        """The value of attribute (or primary identifier) ``name``."""
        given = _lookup(self.properties, name)
        if given is not None:
            return given
        shape = self.schema.shape(name)
        if self.schema.primary_identifier == (name,):  # the resource's own ID, name, ARN or URL
            if re.search(r"(Arn|ARN)$", name):
                return self.identity.own_arn
            return self._string(shape) if re.search(r"(Url|URL)$", name) else self.identity.own_id
        return self.made(shape)

    def made(self, shape: AttributeShape) -> Any:
        """A value the service makes for ``shape``."""
        if shape.json_type == "array":
            item = AttributeShape(_singular(shape.name), "string", None, True)
            return [self.made(item)]
        if shape.json_type in ("integer", "number"):
            return self._port() if shape.leaf.endswith("Port") else "1"
        if shape.json_type == "boolean":
            return "false"
        return self._string(shape)

    def _string(self, shape: AttributeShape) -> str:
        leaf, mine = shape.leaf, self._names_this_resource(shape.leaf)
        if shape.format in _FORMAT_PREFIXES:
            return self._own_or(_FORMAT_PREFIXES[shape.format], shape)
        if shape.format and shape.format.endswith(".Arn"):
            kind = shape.format.removesuffix(".Arn")
            return self.identity.own_arn if kind == self.schema.type_name else self.arn_of(kind, self._token(leaf))
        if re.search(r"(Arn|ARN)$", leaf):
            return self.identity.own_arn if mine else self._other_arn(leaf)
        if re.search(r"(Id|ID)$", leaf):
            stem = re.sub(r"(Id|ID)$", "", leaf)
            if mine:  # a named resource's Id (an IAM role's RoleId) is a unique ID the service made
                return self.identity.own_id if self.identity.service_made_id else self._hex(shape.name, 20).upper()
            prefix = _NAMED_PREFIXES.get(stem)
            return f"{prefix}-{self._hex(leaf, 17)}" if prefix else self._hex(leaf, 20).upper()
        if leaf.endswith("Port"):
            return self._port()
        if leaf == "DnsEntry":
            return self._dns_entry()
        if re.search(r"(Url|URL)$", leaf):
            place = current_place()  # the stack's account and Region
            return f"https://{self._service()}.{place.region}.amazonaws.com/{place.account_id}/{self.identity.own_name}"
        if re.search(r"Ipv6(Address)?$", leaf):
            return f"2001:db8::{self._hex(shape.name, 4)}"
        if re.search(r"Ip(Address)?$", leaf):  # documentation ranges: TEST-NET-2 for public, 10/8 for private
            octet = int(self._hex(shape.name, 2), 16) % 254 + 1
            return f"198.51.100.{octet}" if "Public" in leaf else f"10.0.{octet}.{octet}"
        if re.search(r"(Address|DnsName|DNSName|DomainName|Hostname|Endpoint)$", leaf):
            return self._host(shape.name)
        if leaf.endswith("AvailabilityZone"):
            return f"{current_place().region}a"
        if "Ipv6CidrBlock" in leaf:
            return "2001:db8:1234:1a00::/56"
        if "CidrBlock" in leaf:
            return "10.0.0.0/16"
        if re.search(r"(Time|Date|CreatedAt|Timestamp)$", leaf):
            return _TIMESTAMP
        if leaf.endswith("Name") and mine:
            return self.identity.own_name
        return f"{leaf.lower()}-{self._hex(leaf, 8)}"

    def _names_this_resource(self, leaf: str) -> bool:
        """``Arn``, ``Id``, ``DBClusterArn``, a security group's ``GroupId``: the resource itself, not another."""
        stem = re.sub(r"(Arn|ARN|Id|ID|Name)$", "", leaf)
        return stem in ("", "Resource") or self.short.lower().endswith(stem.lower())

    def _own_or(self, prefix: str, shape: AttributeShape) -> str:
        mine = self._names_this_resource(shape.leaf) and self.identity.own_id.startswith(f"{prefix}-")
        return self.identity.own_id if mine else f"{prefix}-{self._hex(shape.name, 17)}"

    def _other_arn(self, leaf: str) -> str:
        """Another resource's ARN (a cluster's secret) or a part of this one's (a table's stream)."""
        stem = re.sub(r"(Arn|ARN)$", "", leaf)
        if stem.endswith("Secret"):
            return self.arn_of("AWS::SecretsManager::Secret", f"{self.identity.own_id}-secret")
        if stem.endswith("Stream"):
            return f"{self.identity.own_arn}/stream/{_TIMESTAMP.removesuffix('Z')}"
        kind = kebab(stem)
        return f"{self.identity.own_arn}/{kind}/{self._hex(leaf, 8)}"

    def _service(self) -> str:
        return self.identity.own_arn.split(":")[2] or self.schema.type_name.split("::")[1].lower()

    def _host(self, salt: str) -> str:
        region = current_place().region
        return f"{self.identity.own_id.lower()}.{self._hex(salt, 12)}.{region}.{self._service()}.amazonaws.com"

    def _port(self) -> str:
        if self.properties.get("Port") is not None:
            return str(self.properties["Port"])
        engine = str(self.properties.get("Engine", "")).lower()
        by_type = next((port for kind, port in _SERVICE_PORTS if self.schema.type_name.startswith(kind)), 443)
        return str(next((port for name, port in _ENGINE_PORTS if engine.startswith(name)), by_type))

    def _dns_entry(self) -> str:
        """A VPC endpoint's DNS entry as EC2 gives it: ``HOSTEDZONEID:vpce-....SERVICE.REGION.vpce.amazonaws.com``.

        CDK's ``vpcEndpointDnsEntries`` idiom splits one at the colon for the DNS name (EC2's DnsEntry: a
        hosted zone ID and a DNS name); an AWS service's endpoint is under its short name (``ec2``), an
        endpoint service's under its ``vpce-svc-`` ID.
        """
        service = str(self.properties.get("ServiceName", ""))
        aws_service = service.startswith("com.amazonaws.")
        short = service.rsplit(".", 1)[-1] if aws_service else f"vpce-svc-{self._hex('svc', 17)}"
        zone = f"Z{self._hex('zone', 13).upper()}"
        region = current_place().region
        return f"{zone}:{self.identity.own_id}-{self._hex('dns', 8)}.{short}.{region}.vpce.amazonaws.com"

    def _token(self, leaf: str) -> str:
        return f"{self.identity.own_id}-{leaf.lower()}"

    def _hex(self, salt: str, length: int) -> str:
        return hashlib.sha256(f"{self.identity.digest}/{salt}".encode()).hexdigest()[:length]


def kebab(name: str) -> str:
    """``DBClusterParameterGroup`` -> ``dbcluster-parameter-group``: how ARNs spell a CamelCase kind."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


def _singular(name: str) -> str:
    """The name of one item of a list attribute: ``Addresses`` -> ``Address``, ``DnsEntries`` -> ``DnsEntry``."""
    if name.endswith("sses"):
        return name[:-2]
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name.removesuffix("s") or name


def _lookup(properties: Mapping[str, Any], name: str) -> Any:
    """The property at dotted ``name`` (``Endpoint.Port``), if the template set it."""
    node: Any = properties
    for part in name.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node
