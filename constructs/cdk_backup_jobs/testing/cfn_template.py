"""CloudFormation templates as the service reads them: loading, dependencies, intrinsics.

Enough of CloudFormation's template language for stacks of custom resources:
Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::ImportValue, Fn::Select, Fn::Split,
Fn::Base64, Fn::GetAZs, Fn::FindInMap (Mappings), Fn::If and the condition
functions (Conditions, a resource's Condition) and the pseudo parameters, with
YAML short forms (!Ref, !Sub, ...). Any other Fn:: raises TemplateError rather
than reaching a provider unresolved.
Resources other than custom resources get deterministic fake physical IDs and
ARNs, so whatever a custom resource depends on resolves to a realistic value.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from cdk_backup_jobs.testing.simulated_account import ACCOUNT_ID, REGION

PARTITION = "aws"


class TemplateError(Exception):
    """The template cannot be resolved the way CloudFormation would resolve it."""


def load_template(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A template from a dict, a JSON or YAML file, or JSON/YAML text."""
    if isinstance(source, Mapping):
        copied: dict[str, Any] = json.loads(json.dumps(source))
        return copied
    is_file = isinstance(source, Path) or ("\n" not in source and Path(source).is_file())
    text = Path(source).read_text() if is_file else str(source)
    try:
        loaded = json.loads(text)
    except ValueError:
        loaded = _load_yaml(text)
    if not isinstance(loaded, dict) or "Resources" not in loaded:
        raise TemplateError("A template needs a Resources section")
    return loaded


def _load_yaml(text: str) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def short_form(tag: str) -> Callable[[Any, Any], Any]:
        name = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"

        def construct(loader: Any, node: Any) -> Any:
            if isinstance(node, yaml.ScalarNode):
                value: Any = loader.construct_scalar(node)
                if tag == "GetAtt":
                    value = value.split(".", 1)
            elif isinstance(node, yaml.SequenceNode):
                value = loader.construct_sequence(node, deep=True)
            else:
                value = loader.construct_mapping(node, deep=True)
            return {name: value}

        return construct

    for tag in ("Ref", "GetAtt", "Join", "Sub", "ImportValue", "Select", "Split", "Base64",
                "If", "Equals", "Not", "And", "Or", "FindInMap", "GetAZs", "Condition", "Cidr", "Length",
                "ToJsonString", "Transform"):
        Loader.add_constructor(f"!{tag}", short_form(tag))
    return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass


def is_custom_resource(resource: Mapping[str, Any]) -> bool:
    kind = str(resource.get("Type", ""))
    return kind.startswith("Custom::") or kind == "AWS::CloudFormation::CustomResource"


def dependencies(resource: Mapping[str, Any], logical_ids: set[str]) -> set[str]:
    """The resources this one waits for: DependsOn, Ref, Fn::GetAtt and Fn::Sub references."""
    depends_on = resource.get("DependsOn", [])
    found = set([depends_on] if isinstance(depends_on, str) else depends_on)

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "Ref" and isinstance(item, str):
                    found.add(item)
                elif key == "Fn::GetAtt":
                    target = item.split(".", 1)[0] if isinstance(item, str) else item[0]
                    found.add(target)
                elif key == "Fn::Sub":
                    text = item if isinstance(item, str) else item[0]
                    found.update(m.split(".", 1)[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text))
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(resource.get("Properties", {}))
    return found & logical_ids


def creation_levels(resources: Mapping[str, Any]) -> list[list[str]]:
    """Resources in waves: each wave depends only on earlier waves (CloudFormation's order)."""
    logical_ids = set(resources)
    waiting = {lid: dependencies(resources[lid], logical_ids) for lid in resources}
    levels: list[list[str]] = []
    done: set[str] = set()
    while waiting:
        ready = sorted(lid for lid, deps in waiting.items() if deps <= done)
        if not ready:
            raise TemplateError(f"Circular dependency between resources: {sorted(waiting)}")
        levels.append(ready)
        done.update(ready)
        for lid in ready:
            del waiting[lid]
    return levels


class Resolver:
    """Resolves intrinsic functions against a stack's current state."""

    def __init__(self, stack_name: str, stack_id: str, parameters: Mapping[str, Any],
                 exports: Mapping[str, str], physical_ids: Mapping[str, str],
                 attributes: Mapping[str, Mapping[str, Any]], *, conditions: Mapping[str, Any] | None = None,
                 mappings: Mapping[str, Any] | None = None) -> None:
        self.parameters = parameters
        self.exports = exports
        self.physical_ids = physical_ids
        self.attributes = attributes
        self.conditions = conditions or {}
        self.mappings = mappings or {}
        self._truths: dict[str, bool | None] = {}  # None while being evaluated: a cycle
        self.pseudo = {
            "AWS::Region": REGION, "AWS::AccountId": ACCOUNT_ID, "AWS::Partition": PARTITION,
            "AWS::StackName": stack_name, "AWS::StackId": stack_id, "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self.resolve(item) for item in value) if v is not None]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(key, argument)] = value.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument)
            if key.startswith("Fn::"):  # passing it through would hand the provider a dict it never gets
                raise TemplateError(f"{key} is not supported by the lifecycle simulator")
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not None}

    def ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical_ids:
            return self.physical_ids[name]
        raise TemplateError(f"Unresolved Ref {name}")

    def get_att(self, argument: Any) -> Any:
        logical, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
        attribute = self.resolve(attribute)
        values = self.attributes.get(logical)
        if values is None:
            raise TemplateError(f"Fn::GetAtt of {logical}, which does not exist (yet)")
        if attribute not in values:
            raise TemplateError(
                f"CustomResource attribute error: Vendor response doesn't contain {attribute} "
                f"key in object {logical}")
        return values[attribute]

    def sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {k: self.resolve(v) for k, v in variables.items()}

        def replace(found: re.Match[str]) -> str:
            name = found.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return text_of(variables[name])
            if "." in name and name.split(".", 1)[0] in self.attributes:
                return text_of(self.get_att(name))
            return text_of(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def import_value(self, argument: Any) -> Any:
        name = self.resolve(argument)
        if name not in self.exports:
            raise TemplateError(f"No export named {name} found")
        return self.exports[name]

    # --- conditions and mappings ------------------------------------------------

    def condition(self, name: Any) -> bool:
        """A named condition of the template's Conditions section, evaluated once."""
        if not isinstance(name, str) or name not in self.conditions:
            raise TemplateError(f"Unresolved Condition {name}")
        if name in self._truths:
            truth = self._truths[name]
            if truth is None:
                raise TemplateError(f"Circular dependency between conditions at {name}")
            return truth
        self._truths[name] = None
        truth = self._truths[name] = self.truth(self.conditions[name])
        return truth

    def truth(self, expression: Any) -> bool:
        """A condition function's value; ``{"Condition": name}`` names another condition."""
        if isinstance(expression, dict) and list(expression) == ["Condition"]:
            return self.condition(expression["Condition"])
        value = self.resolve(expression)
        if not isinstance(value, bool):
            raise TemplateError(f"{json.dumps(expression)} is not a condition")
        return value

    def if_(self, argument: Any) -> Any:
        name, if_true, if_false = _arguments("Fn::If", argument, 3)
        return self.resolve(if_true if self.condition(name) else if_false)

    def equals(self, argument: Any) -> bool:
        left, right = (self.resolve(v) for v in _arguments("Fn::Equals", argument, 2))
        return bool(_comparable(left) == _comparable(right))

    def logical(self, function: str, argument: Any) -> bool:
        """Fn::Not (one condition), Fn::And and Fn::Or (2 to 10 conditions)."""
        if function == "Fn::Not":
            return not self.truth(_arguments(function, argument, 1)[0])
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise TemplateError(f"{function} takes a list of 2 to 10 conditions")
        truths = [self.truth(item) for item in argument]
        return all(truths) if function == "Fn::And" else any(truths)

    def find_in_map(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise TemplateError("Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]")
        names = [text_of(self.resolve(v)) for v in argument[:3]]
        found: Any = self.mappings
        for key in names:
            if not isinstance(found, dict) or key not in found:
                if len(argument) == 4 and isinstance(argument[3], dict) and "DefaultValue" in argument[3]:
                    return self.resolve(argument[3]["DefaultValue"])
                raise TemplateError(f"Fn::FindInMap: no {'/'.join(names)} in Mappings")
            found = found[key]
        return found

    # --- lists and strings ------------------------------------------------------

    def join(self, argument: Any) -> str:
        delimiter, values = _arguments("Fn::Join", argument, 2)
        values = self.resolve(values)
        if not isinstance(values, list):
            raise TemplateError("Fn::Join needs a list of values")
        return text_of(self.resolve(delimiter)).join(text_of(v) for v in values)

    def select(self, argument: Any) -> Any:
        index, values = _arguments("Fn::Select", argument, 2)
        values = self.resolve(values)
        try:
            position = int(self.resolve(index))
        except (TypeError, ValueError):
            raise TemplateError(f"Fn::Select index {index!r} is not a number") from None
        if not isinstance(values, list) or not 0 <= position < len(values):
            raise TemplateError(f"Fn::Select index {position} is out of range")
        return values[position]

    def split(self, argument: Any) -> list[str]:
        delimiter, source = _arguments("Fn::Split", argument, 2)
        return text_of(self.resolve(source)).split(text_of(self.resolve(delimiter)))


def _arguments(function: str, argument: Any, count: int) -> list[Any]:
    if not isinstance(argument, list) or len(argument) != count:
        raise TemplateError(f"{function} takes a list of {count} values")
    return argument


def text_of(value: Any) -> str:
    """A value as CloudFormation writes it into a string: booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        raise TemplateError(f"{json.dumps(value)} is not a string")
    return str(value)


def _comparable(value: Any) -> Any:
    """Fn::Equals compares the strings CloudFormation sees: 5 equals "5", true equals "true"."""
    return cfn_strings(value)


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": lambda r, a: r.ref(a),
    "Fn::GetAtt": lambda r, a: r.get_att(a),
    "Fn::Join": lambda r, a: r.join(a),
    "Fn::Sub": lambda r, a: r.sub(a),
    "Fn::ImportValue": lambda r, a: r.import_value(a),
    "Fn::Select": lambda r, a: r.select(a),
    "Fn::Split": lambda r, a: r.split(a),
    "Fn::Base64": lambda r, a: base64.b64encode(text_of(r.resolve(a)).encode()).decode(),
    "Fn::GetAZs": lambda r, a: [f"{REGION}a", f"{REGION}b", f"{REGION}c"],
    "Fn::FindInMap": lambda r, a: r.find_in_map(a),
    "Fn::If": lambda r, a: r.if_(a),
    "Fn::Equals": lambda r, a: r.equals(a),
    "Fn::Not": lambda r, a: r.logical("Fn::Not", a),
    "Fn::And": lambda r, a: r.logical("Fn::And", a),
    "Fn::Or": lambda r, a: r.logical("Fn::Or", a),
}


def active_resources(template: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
    """The resources CloudFormation creates: those without a Condition or whose Condition holds."""
    resources: Mapping[str, Any] = template["Resources"]
    return {lid: r for lid, r in resources.items() if "Condition" not in r or resolver.condition(r["Condition"])}


def cfn_strings(value: Any) -> Any:
    """Properties as a custom resource receives them: every scalar a string."""
    if isinstance(value, dict):
        return {k: cfn_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [cfn_strings(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def fake_resource(stack_name: str, logical_id: str, resource_type: str,
                  properties: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A deterministic physical ID and attributes for a resource we do not emulate.

    Known types get the Ref value and ARN layout their service really uses, since
    providers parse them (AWS Backup reads the resource type from the ARN).
    """
    digest = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).hexdigest()
    suffix = digest[:12].upper()
    fake = _Fake(f"{stack_name}-{logical_id}-{suffix}"[:64], suffix, digest, logical_id, properties)
    make = _FAKES.get(resource_type)
    return make(fake) if make is not None else _generic(resource_type, fake.name)


@dataclass
class _Fake:
    name: str  # Stack-Logical-SUFFIX, as CloudFormation names what the template does not name
    suffix: str
    digest: str  # lowercase hex, for IDs such as fs-0123456789abcdef0
    logical_id: str
    properties: Mapping[str, Any]

    def named(self, key: str, default: str | None = None) -> str:
        return str(self.properties.get(key) or (default if default is not None else self.name))

    def hex_id(self, prefix: str) -> str:
        return f"{prefix}-{self.digest[:17]}"

    @property
    def uuid(self) -> str:
        d = self.digest
        return f"{d[:8]}-{d[8:12]}-{d[12:16]}-{d[16:20]}-{d[20:32]}"


def arn(service: str, resource: str, region: str = REGION, account: str = ACCOUNT_ID) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


def _vault(f: _Fake) -> tuple[str, dict[str, Any]]:
    vault = f.named("BackupVaultName", f"{f.logical_id}{f.suffix}"[:50])
    return vault, {"BackupVaultName": vault, "BackupVaultArn": arn("backup", f"backup-vault:{vault}")}


def _backup_plan(f: _Fake) -> tuple[str, dict[str, Any]]:
    plan_arn = arn("backup", f"backup-plan:{f.uuid}")
    return f.uuid, {"BackupPlanId": f.uuid, "BackupPlanArn": plan_arn, "VersionId": f.digest[32:64], "Arn": plan_arn}


def _iam(kind: str, name_key: str, ref_is_arn: bool = False) -> Callable[[_Fake], tuple[str, dict[str, Any]]]:
    """IAM is global: its ARNs carry the account but no region."""
    def make(f: _Fake) -> tuple[str, dict[str, Any]]:
        name = f.named(name_key)
        resource_arn = arn("iam", f"{kind}/{name}", region="")
        attributes = {"Arn": resource_arn, "RoleId": f"AROA{f.suffix}"} if kind == "role" else {"Arn": resource_arn}
        if kind == "policy":
            attributes["PolicyArn"] = resource_arn
        return (resource_arn if ref_is_arn else name), attributes
    return make


def _table(f: _Fake) -> tuple[str, dict[str, Any]]:
    table = f.named("TableName")
    table_arn = arn("dynamodb", f"table/{table}")
    return table, {"Arn": table_arn, "StreamArn": f"{table_arn}/stream/2026-01-01T00:00:00.000",
                   "TableId": f.uuid}


def _bucket(f: _Fake) -> tuple[str, dict[str, Any]]:
    """S3 is global: arn:aws:s3:::NAME, and bucket names are lower case."""
    bucket = f.named("BucketName", f.name.lower()[:63])
    return bucket, {"Arn": arn("s3", bucket, region="", account=""),
                    "DomainName": f"{bucket}.s3.amazonaws.com",
                    "RegionalDomainName": f"{bucket}.s3.{REGION}.amazonaws.com",
                    "DualStackDomainName": f"{bucket}.s3.dualstack.{REGION}.amazonaws.com",
                    "WebsiteURL": f"http://{bucket}.s3-website-{REGION}.amazonaws.com"}


def _hex_resource(service: str, kind: str, prefix: str, id_attribute: str,
                  arn_attribute: str = "Arn") -> Callable[[_Fake], tuple[str, dict[str, Any]]]:
    """Resources whose Ref is a service-made ID such as fs-0123456789abcdef0."""
    def make(f: _Fake) -> tuple[str, dict[str, Any]]:
        resource_id = f.hex_id(prefix)
        resource_arn = arn(service, f"{kind}/{resource_id}")
        return resource_id, {id_attribute: resource_id, arn_attribute: resource_arn, "Arn": resource_arn}
    return make


def _rds(kind: str, name_key: str, arn_attribute: str) -> Callable[[_Fake], tuple[str, dict[str, Any]]]:
    """RDS, Aurora, DocumentDB and Neptune: lower-case identifiers, arn:aws:rds:...:db:NAME."""
    def make(f: _Fake) -> tuple[str, dict[str, Any]]:
        identifier = f.named(name_key, f.name.lower()).lower()
        resource_arn = arn("rds", f"{kind}:{identifier}")
        return identifier, {arn_attribute: resource_arn, "Arn": resource_arn}
    return make


def _function(f: _Fake) -> tuple[str, dict[str, Any]]:
    function = f.named("FunctionName")
    return function, {"Arn": arn("lambda", f"function:{function}")}


def _log_group(f: _Fake) -> tuple[str, dict[str, Any]]:
    group = f.named("LogGroupName", f"/aws/{f.name}")
    return group, {"Arn": arn("logs", f"log-group:{group}:*")}


def _topic(f: _Fake) -> tuple[str, dict[str, Any]]:
    topic = f.named("TopicName")
    topic_arn = arn("sns", topic)
    return topic_arn, {"TopicArn": topic_arn, "TopicName": topic, "Arn": topic_arn}


def _queue(f: _Fake) -> tuple[str, dict[str, Any]]:
    queue = f.named("QueueName")
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{queue}"
    return url, {"Arn": arn("sqs", queue), "QueueName": queue, "QueueUrl": url}


def _key(f: _Fake) -> tuple[str, dict[str, Any]]:
    return f.uuid, {"Arn": arn("kms", f"key/{f.uuid}"), "KeyId": f.uuid}


def _state_machine(f: _Fake) -> tuple[str, dict[str, Any]]:
    machine = f.named("StateMachineName")
    machine_arn = arn("states", f"stateMachine:{machine}")
    return machine_arn, {"Arn": machine_arn, "Name": machine}


def _secret(f: _Fake) -> tuple[str, dict[str, Any]]:
    secret_arn = arn("secretsmanager", f"secret:{f.named('Name')}-{f.digest[:6]}")
    return secret_arn, {"Arn": secret_arn, "Id": secret_arn}


_FAKES: dict[str, Callable[[_Fake], tuple[str, dict[str, Any]]]] = {
    "AWS::Backup::BackupVault": _vault,
    "AWS::Backup::BackupPlan": _backup_plan,
    "AWS::IAM::Role": _iam("role", "RoleName"),
    "AWS::IAM::User": _iam("user", "UserName"),
    "AWS::IAM::InstanceProfile": _iam("instance-profile", "InstanceProfileName"),
    "AWS::IAM::ManagedPolicy": _iam("policy", "ManagedPolicyName", ref_is_arn=True),
    "AWS::DynamoDB::Table": _table,
    "AWS::DynamoDB::GlobalTable": _table,
    "AWS::S3::Bucket": _bucket,
    "AWS::EFS::FileSystem": _hex_resource("elasticfilesystem", "file-system", "fs", "FileSystemId"),
    "AWS::EFS::AccessPoint": _hex_resource("elasticfilesystem", "access-point", "fsap", "AccessPointId"),
    "AWS::FSx::FileSystem": _hex_resource("fsx", "file-system", "fs", "FileSystemId", "ResourceARN"),
    "AWS::EC2::Volume": _hex_resource("ec2", "volume", "vol", "VolumeId"),
    "AWS::EC2::Instance": _hex_resource("ec2", "instance", "i", "InstanceId"),
    "AWS::RDS::DBInstance": _rds("db", "DBInstanceIdentifier", "DBInstanceArn"),
    "AWS::RDS::DBCluster": _rds("cluster", "DBClusterIdentifier", "DBClusterArn"),
    "AWS::DocDB::DBCluster": _rds("cluster", "DBClusterIdentifier", "Arn"),
    "AWS::Neptune::DBCluster": _rds("cluster", "DBClusterIdentifier", "Arn"),
    "AWS::Lambda::Function": _function,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::SNS::Topic": _topic,
    "AWS::SQS::Queue": _queue,
    "AWS::KMS::Key": _key,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::SecretsManager::Secret": _secret,
}

# CloudFormation namespaces whose ARNs name another service, and services without regions.
_ARN_SERVICES = {"EFS": "elasticfilesystem", "StepFunctions": "states", "CertificateManager": "acm",
                 "ElasticLoadBalancingV2": "elasticloadbalancing", "ElasticLoadBalancing": "elasticloadbalancing",
                 "DocDB": "rds", "Neptune": "rds", "OpenSearchService": "es", "Elasticsearch": "es",
                 "KinesisFirehose": "firehose", "Cognito": "cognito-idp", "ApiGatewayV2": "apigateway"}
_GLOBAL_SERVICES = {"iam", "s3", "cloudfront", "route53", "organizations"}


def _generic(resource_type: str, name: str) -> tuple[str, dict[str, Any]]:
    """Any other type: arn:aws:SERVICE:REGION:ACCOUNT:kind-of-resource/NAME."""
    parts = resource_type.split("::")
    if len(parts) != 3:
        return name, {"Arn": arn("resource", f"{parts[-1].lower()}/{name}")}
    service = _ARN_SERVICES.get(parts[1], parts[1].lower())
    kind = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", parts[2]).lower()
    region = "" if service in _GLOBAL_SERVICES else REGION
    account = "" if service == "s3" else ACCOUNT_ID
    return name, {"Arn": arn(service, f"{kind}/{name}", region, account)}
