"""The release template as an AWS SAM application, ready for ``sam package`` and ``sam publish``.

The Serverless Application Repository publishes a SAM template whose
function's ``CodeUri`` names the code (``sam package`` uploads a local file
and writes its S3 location), with ``AWS::ServerlessRepo::Application``
metadata (AWS SAM Developer Guide, "AWS SAM template Metadata section
properties":
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-template-publishing-applications-metadata-properties.html).
So the variant is the release template with one change: the provider
function becomes an ``AWS::Serverless::Function`` whose ``CodeUri`` is the
code zip, and the parameters and conditions that only said where the code
is go (the repository keeps the code). Everything else (role, policies, conditions, parameters,
outputs) is the release template's, so the SAM translator gives back the
release template (a test checks it). The metadata takes no intrinsic
function, so it is written here from the package's own metadata.

Made from the release template by ``python -m cdk_backup_jobs.release.template``
and shipped beside it; standard library only.
"""

from __future__ import annotations

import copy
import re
from typing import Any

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
APPLICATION_METADATA = "AWS::ServerlessRepo::Application"
APPLICATION_NAME = "cdk-backup-jobs-provider"
"""The application's name in the repository (1 to 140 of ``[a-zA-Z0-9-]``)."""
AUTHOR = "cdk-backup-jobs"
"""The publisher's name (1 to 127 lower-case letters, digits and single hyphens)."""
README_NAME = "backup-jobs-provider-README.md"
"""The application's README, a local file ``sam package`` uploads."""
LABELS = ["backup", "aws-backup", "cloudformation", "custom-resource"]
FUNCTION_PROPERTIES = ("Architectures", "Description", "Environment", "Handler", "LoggingConfig", "MemorySize",
                       "Role", "Runtime", "Timeout")
"""The release function's properties that an ``AWS::Serverless::Function`` takes under the same name."""


def sam_variant(release: dict[str, Any], *, version: str, license_id: str, code_uri: str,
                description: str) -> dict[str, Any]:
    """The release template as a SAM application of ``version``, its code at ``code_uri``.

    The parameters and conditions that only named the code's location go with it.
    """
    resources = copy.deepcopy(release["Resources"])
    [(logical_id, function)] = [(logical_id, resource) for logical_id, resource in resources.items()
                                if resource["Type"] == "AWS::Lambda::Function"]
    properties = function["Properties"]
    unknown = set(properties) - set(FUNCTION_PROPERTIES) - {"Code"}
    if unknown:  # a property the mapping does not know would be lost
        raise ValueError(f"the provider function's {sorted(unknown)} have no AWS::Serverless::Function mapping here")
    resources[logical_id] = {**function, "Type": "AWS::Serverless::Function", "Properties": {
        "CodeUri": code_uri, **{key: properties[key] for key in FUNCTION_PROPERTIES if key in properties}}}
    used = {"Resources": resources, "Outputs": release.get("Outputs", {})}
    conditions = _used_conditions(release.get("Conditions", {}), used)
    parameters = _referenced(used, conditions) & set(release.get("Parameters", {}))
    metadata = {"Name": APPLICATION_NAME, "Description": description, "Author": AUTHOR,
                "SpdxLicenseId": license_id, "ReadmeUrl": README_NAME, "Labels": LABELS,
                "SemanticVersion": version}
    template = {"Transform": SAM_TRANSFORM, "Description": release.get("Description", description),
                "Metadata": {APPLICATION_METADATA: metadata, **release.get("Metadata", {})},
                "Parameters": {name: value for name, value in release.get("Parameters", {}).items()
                               if name in parameters},
                "Conditions": conditions, "Resources": resources, "Outputs": used["Outputs"]}
    return {key: value for key, value in template.items() if value}


def _used_conditions(conditions: dict[str, Any], used: Any) -> dict[str, Any]:
    """The conditions ``used`` names, and those they name in turn, in the template's order."""
    wanted, found = _conditions_named(used), set[str]()
    while wanted - found:
        name = (wanted - found).pop()
        found.add(name)
        wanted |= _conditions_named(conditions[name])
    return {name: value for name, value in conditions.items() if name in found}


def _conditions_named(node: Any) -> set[str]:
    """Conditions named anywhere in ``node``: a resource's or output's ``Condition``, ``{"Condition": id}``
    in an expression, and ``Fn::If``'s first argument."""
    if isinstance(node, list):
        return set().union(*(_conditions_named(item) for item in node))
    if not isinstance(node, dict):
        return set()
    named = {node["Condition"]} if isinstance(node.get("Condition"), str) else set()
    if isinstance(node.get("Fn::If"), list):
        named.add(node["Fn::If"][0])
    return named.union(*(_conditions_named(value) for value in node.values()))


def _referenced(*nodes: Any) -> set[str]:
    """Every name a ``Ref`` or an ``Fn::Sub`` string's ``${Name}`` refers to in ``nodes``."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, list):
            names |= _referenced(*node)
        elif isinstance(node, dict):
            if isinstance(node.get("Ref"), str):
                names.add(node["Ref"])
            sub = node.get("Fn::Sub")
            text = sub[0] if isinstance(sub, list) else sub
            if isinstance(text, str):
                names |= set(re.findall(r"\$\{([^!}.][^}.]*)\}", text))
            names |= _referenced(*node.values())
    return names


def sar_readme(*, version: str, description: str) -> str:
    """The application's README in the repository: what it is, its parameters, where its docs are."""
    return f"""# {APPLICATION_NAME} {version}

{description}

It deploys one Lambda function, its role, policies and log group, and exports
the function's ARN (the `ServiceToken` of `Custom::BackupJob`,
`Custom::CopyJob` and `Custom::BackupJobResult` resources) as `ExportName`
(default `BackupJobsProviderServiceToken`). Deploy it once per account and
Region, acknowledging `CAPABILITY_IAM` and `CAPABILITY_RESOURCE_POLICY` (it
creates a role, and a permission for EventBridge to invoke the function).

By default its jobs may back up into every vault of the account in its
Region, pass only roles under the IAM path `/backup-jobs/` to AWS Backup,
and copy only into the account's own vaults. The parameters `VaultArns`,
`JobRoleArns`, `CopyTargets` and `CopyTargetOrgPaths` (comma-separated,
empty for the default) change that.

Its `ProviderVersion` output is this application's version. The properties
of the job resources, the rules they follow and how to test templates
offline are in the cdk-backup-jobs package's documentation
(`docs/cloudformation.md`).
"""
