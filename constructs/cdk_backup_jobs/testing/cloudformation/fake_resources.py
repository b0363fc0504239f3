"""Physical IDs and ``Fn::GetAtt`` attributes for the resources the simulator does not run.

Every type CloudFormation's registry schemas know gets its ``Ref`` (the
schema's ``primaryIdentifier``) and every attribute the schema lists, with
values in the forms the services use (``attribute_values``). What a schema
cannot tell is written here, and only that: how a service builds a
resource's ARN when not as ``kind/ID``, which services make IDs with a prefix
(``sg-``, ``fs-``) rather than take a name, whose generated names are lower
case, and the few types whose ``Ref`` is not their primary identifier's value.
Values are deterministic: the same stack and logical ID give the same IDs.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Mapping

from cdk_backup_jobs.testing.cloudformation.attribute_values import AttributeValues, Identity, kebab
from cdk_backup_jobs.testing.cloudformation.intrinsics import TypedAttributes
from cdk_backup_jobs.testing.cloudformation.resource_schemas import ResourceSchema, schema_of
from cdk_backup_jobs.testing.cloudformation.template import PARTITION
from cdk_backup_jobs.testing.shared.account import current_place

__all__ = ["HAND_MODELLED_TYPES", "arn", "fake_resource"]

# CloudFormation namespaces whose ARNs name another service, and services whose ARNs have no Region.
_ARN_SERVICES = {"EFS": "elasticfilesystem", "StepFunctions": "states", "CertificateManager": "acm",
                 "ElasticLoadBalancingV2": "elasticloadbalancing", "ElasticLoadBalancing": "elasticloadbalancing",
                 "DocDB": "rds", "Neptune": "rds", "OpenSearchService": "es", "Elasticsearch": "es",
                 "KinesisFirehose": "firehose", "Cognito": "cognito-idp", "ApiGatewayV2": "apigateway"}
_GLOBAL_SERVICES = {"iam", "s3", "cloudfront", "route53", "organizations"}

# Resource parts of ARNs not written kind/ID (each service's ARN format, as its IAM reference gives it).
_ARN_RESOURCES = {
    "AWS::Backup::BackupVault": "backup-vault:{id}", "AWS::Backup::BackupPlan": "backup-plan:{id}",
    "AWS::RDS::DBInstance": "db:{id}", "AWS::RDS::DBCluster": "cluster:{id}",
    "AWS::RDS::DBSubnetGroup": "subgrp:{id}", "AWS::DocDB::DBCluster": "cluster:{id}",
    "AWS::Neptune::DBCluster": "cluster:{id}", "AWS::SecretsManager::Secret": "secret:{id}-{hex6}",
    "AWS::SNS::Topic": "{id}", "AWS::SQS::Queue": "{id}", "AWS::Logs::LogGroup": "log-group:{id}:*",
    "AWS::Lambda::Function": "function:{id}", "AWS::StepFunctions::StateMachine": "stateMachine:{id}",
    "AWS::IAM::ManagedPolicy": "policy/{id}", "AWS::DynamoDB::GlobalTable": "table/{id}",
    "AWS::FSx::FileSystem": "file-system/{id}", "AWS::S3::Bucket": "{id}",
    "AWS::CloudFormation::Stack": "stack/{id}/{uuid}",
}

# IAM resources whose ARN holds their path: arn:aws:iam::ACCOUNT:role/PATH/NAME, the path "/" unless the
# template gives one (IAM User Guide, "IAM identifiers": "arn:aws:iam::123456789012:role/application_abc/
# component_xyz/RDSAccess", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html;
# AWS::IAM::Role Path: "If it is not included, it defaults to a slash (/)").
_IAM_PATHED = {"AWS::IAM::Role": "role", "AWS::IAM::User": "user", "AWS::IAM::Group": "group",
               "AWS::IAM::ManagedPolicy": "policy", "AWS::IAM::InstanceProfile": "instance-profile"}

# Services that make a resource's ID (with this prefix) rather than take a name.
_ID_PREFIXES = {
    "AWS::EC2::VPC": "vpc", "AWS::EC2::Subnet": "subnet", "AWS::EC2::SecurityGroup": "sg",
    "AWS::EC2::InternetGateway": "igw", "AWS::EC2::NatGateway": "nat", "AWS::EC2::RouteTable": "rtb",
    "AWS::EC2::SubnetRouteTableAssociation": "rtbassoc", "AWS::EC2::NetworkInterface": "eni",
    "AWS::EC2::Instance": "i", "AWS::EC2::Volume": "vol", "AWS::EC2::LaunchTemplate": "lt",
    "AWS::EC2::VPCEndpoint": "vpce", "AWS::EC2::NetworkAcl": "acl", "AWS::EC2::DHCPOptions": "dopt",
    "AWS::EC2::TransitGateway": "tgw", "AWS::EC2::EgressOnlyInternetGateway": "eigw",
    "AWS::EC2::SecurityGroupIngress": "sgr", "AWS::EC2::SecurityGroupEgress": "sgr",
    "AWS::EC2::FlowLog": "fl", "AWS::EC2::PrefixList": "pl",
    "AWS::EFS::FileSystem": "fs", "AWS::EFS::AccessPoint": "fsap", "AWS::EFS::MountTarget": "fsmt",
    "AWS::FSx::FileSystem": "fs",
}

# Services whose IDs are UUIDs.
_UUID_IDS = {"AWS::KMS::Key", "AWS::Backup::BackupPlan"}

# Services whose generated names are lower case, and how long a name they take.
_LOWER_CASE_NAMES = {"AWS::S3::Bucket", "AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::RDS::DBSubnetGroup",
                     "AWS::DocDB::DBCluster", "AWS::Neptune::DBCluster"}
_NAME_LIMITS = {"AWS::S3::Bucket": 63, "AWS::Backup::BackupVault": 50}

# Types whose Ref is not the value of their primary identifier (CloudFormation's return values pages).
# Secret: "Ref returns the secret ARN"; Stack: "Ref returns the stack ID", which is the stack's ARN
# (docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-secretsmanager-secret.html,
# .../aws-resource-cloudformation-stack.html).
_REF_IS_ARN = {"AWS::SecretsManager::Secret", "AWS::CloudFormation::Stack"}
# Lambda versions and aliases are qualified function ARNs, "Ref returns the ARN of the version"
# (.../aws-resource-lambda-version.html, .../aws-resource-lambda-alias.html).
_QUALIFIED_FUNCTIONS = {"AWS::Lambda::Version", "AWS::Lambda::Alias"}

HAND_MODELLED_TYPES = frozenset(_ARN_RESOURCES) | frozenset(_ID_PREFIXES) | _UUID_IDS | _LOWER_CASE_NAMES | _REF_IS_ARN | {
    "AWS::SecretsManager::SecretTargetAttachment", "AWS::EC2::VPCGatewayAttachment"} | _QUALIFIED_FUNCTIONS


def arn(service: str, resource: str, region: str | None = None, account: str | None = None) -> str:
    """An ARN in the stack's account and Region (``current_place``) unless ``region``/``account`` say otherwise."""
    place = current_place()
    region = place.region if region is None else region
    account = place.account_id if account is None else account
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


def fake_resource(stack_name: str, logical_id: str, resource_type: str,
                  properties: Mapping[str, Any]) -> tuple[str, TypedAttributes]:
    """The ``Ref`` value and the attributes of an ordinary resource (TemplateError for an unknown type)."""
    schema = schema_of(resource_type)
    identity = _identity(stack_name, logical_id, schema, properties)
    values = AttributeValues(schema, properties, identity, lambda kind, key: _arn_of(kind, key, identity.digest))
    made = {name: values.value(name) for name in schema.attributes}
    if resource_type in _QUALIFIED_FUNCTIONS:
        qualified = _qualified_function_arn(resource_type, properties)
        made.update({name: qualified for name in ("FunctionArn", "AliasArn") if name in made})
        made.update({"Version": "1"} if "Version" in made else {})
        return qualified, TypedAttributes(resource_type, made)
    attributes = TypedAttributes(resource_type, made)
    if resource_type in _REF_IS_ARN:
        return identity.own_arn, attributes
    if resource_type == "AWS::SecretsManager::SecretTargetAttachment":  # Ref: the secret's ARN (its SecretId)
        return str(properties.get("SecretId", identity.own_arn)), attributes
    if resource_type == "AWS::EC2::VPCGatewayAttachment":
        # "Ref returns the ID of the VPC gateway attachment" (.../aws-resource-ec2-vpcgatewayattachment.html):
        # its compound identifier joined as Cloud Control joins one, IGW|vpc-... (VGW for a VPN gateway).
        kind = "VGW" if properties.get("VpnGatewayId") else "IGW"
        attributes = TypedAttributes(resource_type, {**made, "AttachmentType": kind})
        return f"{kind}|{properties.get('VpcId', identity.own_id)}", attributes
    return str(values.value(_ref_identifier(schema))) if schema.primary_identifier else identity.own_id, attributes


def _ref_identifier(schema: ResourceSchema) -> str:
    """Which part of a compound identifier ``Ref`` returns: the one that is this resource's own.

    An API Gateway resource is (RestApiId, ResourceId) and its Ref the ResourceId: the part the service
    made (read-only), not the reference to another resource the template gave; without one, the part
    named after the type (a stage's StageName), else the first (an EIP's PublicIp).
    """
    identifier = schema.primary_identifier
    made = [name for name in identifier if schema.shape(name).read_only and not name.endswith("Type")]
    short = schema.type_name.rsplit("::", 1)[-1]
    own = [name for name in identifier if re.sub(r"(Name|Id|Arn)$", "", name) == short]
    return (made or own or list(identifier))[0]


def _qualified_function_arn(resource_type: str, properties: Mapping[str, Any]) -> str:
    """A version's or alias's ARN: its function's ARN, a colon, the version number (1) or alias name."""
    function = str(properties.get("FunctionName", "function"))
    function_arn = function if function.startswith("arn:") else arn("lambda", f"function:{function}")
    qualifier = "1" if resource_type == "AWS::Lambda::Version" else str(properties.get("Name", "alias"))
    return f"{function_arn}:{qualifier}"


def _identity(stack_name: str, logical_id: str, schema: ResourceSchema, properties: Mapping[str, Any]) -> Identity:
    resource_type = schema.type_name
    digest = hashlib.sha256(f"{stack_name}/{logical_id}/{resource_type}".encode()).hexdigest()
    given = _given_name(schema, properties)
    if given is not None and resource_type in _LOWER_CASE_NAMES:
        given = given.lower()  # RDS keeps identifiers in lower case; S3 takes no other
    name = given or _generated_name(stack_name, logical_id, resource_type, digest)
    prefix = _ID_PREFIXES.get(resource_type)
    if prefix is not None:
        own_id = f"{prefix}-{digest[:17]}"
    elif resource_type in _UUID_IDS:
        own_id = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    else:
        own_id = name
    own_arn = _arn_of(resource_type, own_id, digest)
    path = properties.get("Path")
    if resource_type in _IAM_PATHED and isinstance(path, str) and path.startswith("/") and path.endswith("/"):
        own_arn = arn("iam", f"{_IAM_PATHED[resource_type]}{path}{own_id}", "")
    return Identity(own_id, name, own_arn, digest, own_id != name)


def _given_name(schema: ResourceSchema, properties: Mapping[str, Any]) -> str | None:
    """The name the template gave: the primary identifier if writable, else a ``<Kind>Name`` or ``Name``."""
    short = schema.type_name.rsplit("::", 1)[-1]
    candidates = [name for name in schema.primary_identifier if not schema.shape(name).read_only]
    candidates += [f"{short}Name", "Name", f"{short.removesuffix('Group')}GroupName"]
    return next((str(properties[key]) for key in candidates if properties.get(key)), None)


def _generated_name(stack_name: str, logical_id: str, resource_type: str, digest: str) -> str:
    """As CloudFormation names what the template does not: ``Stack-LogicalId-SUFFIX``.

    Over the service's limit, CloudFormation shortens the stack-name and logical-ID parts and keeps the
    unique suffix, so two resources of a long-named stack never get one name (two vaults stay two).
    """
    suffix = digest[:12].upper()
    room = _NAME_LIMITS.get(resource_type, 64) - len(suffix) - 2  # for the stack and logical-ID parts
    stack_part = stack_name[:max(room - len(logical_id), room // 2)]
    name = f"{stack_part}-{logical_id[:room - len(stack_part)]}-{suffix}"
    return name.lower() if resource_type in _LOWER_CASE_NAMES else name


def _arn_of(resource_type: str, own_id: str, digest: str) -> str:
    """An ARN in the service's format: ``arn:aws:SERVICE:REGION:ACCOUNT:kind/ID`` unless the service differs."""
    parts = resource_type.split("::")
    namespace, short = (parts[1], parts[2]) if len(parts) == 3 else (parts[-1], parts[-1])
    service = _ARN_SERVICES.get(namespace, namespace.lower())
    kind = kebab(short)
    uuid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    resource = _ARN_RESOURCES.get(resource_type, "{kind}/{id}").format(kind=kind, id=own_id, hex6=digest[:6],
                                                                       uuid=uuid)
    region = "" if service in _GLOBAL_SERVICES else None
    return arn(service, resource, region, "" if service == "s3" else None)
