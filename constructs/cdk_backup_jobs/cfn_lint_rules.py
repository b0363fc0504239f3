"""A cfn-lint rule for the provider's custom resources (``--append-rules cdk_backup_jobs.cfn_lint_rules``).

cfn-lint accepts any property on a ``Custom::`` type, so a misspelt
``WaitTimeoutMinute`` would pass lint and fail only at deploy. This rule
reads each ``Custom::BackupJob``, ``Custom::CopyJob`` and
``Custom::BackupJobResult`` of a template as the handler reads it (every
literal as the string CloudFormation sends, ``coercion.coerce``) and checks
it with the handler's and the constructs' own rule set
(``rules.resource_violations``): no rule is written here.

Only literal values can be judged: a value given by an intrinsic function
(``Ref``, ``Fn::GetAtt``, ``Fn::If`` ...) is left to the handler, as the
constructs leave a token. The stack's account and Region are not known
either, so the rule that compares an ARN with them is not run here.

cfn-lint's ``--append-rules`` takes a folder or a module's import path (it
imports the path, then instantiates every ``CloudFormationLintRule`` subclass
the module holds), so this module is the rule set's name. Importing it loads
cfn-lint and ``cdk_backup_jobs_runtime`` (stdlib only), never aws-cdk-lib:
it runs in any environment that has cfn-lint and this package installed.
"""

from __future__ import annotations

from typing import Any, Mapping

# cfn-lint ships no type information (no py.typed): its names are Any to mypy.
from cfnlint.rules import CloudFormationLintRule, RuleMatch  # type: ignore[import-untyped]
from cfnlint.template import Template  # type: ignore[import-untyped]

from cdk_backup_jobs_runtime.cloudformation.request import api_properties
from cdk_backup_jobs_runtime.input import coercion, rules, shapes
from cdk_backup_jobs_runtime.input.violation_report import InvalidJobInput, Violation
from cdk_backup_jobs_runtime.jobs.job_spec import DEFAULTS

SHAPES: Mapping[str, shapes.Member] = {
    shape.name: shape for shape in (shapes.BACKUP_JOB_RESOURCE, shapes.COPY_JOB_RESOURCE, shapes.JOB_RESULT_RESOURCE)}
"""The resource types the provider serves, each with the shape its handler checks it against."""


def is_intrinsic(value: Any) -> bool:
    """Whether a template value is an intrinsic function, resolved only by CloudFormation.

    A function is an object of one key: ``Ref``, an ``Fn::`` name, or ``Condition`` (CloudFormation
    User Guide, Intrinsic function reference:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html).
    """
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    key = str(next(iter(value)))
    return key in ("Ref", "Condition") or key.startswith("Fn::")


def as_sent(value: Any) -> Any:
    """A template's literal as CloudFormation hands it to a custom resource: every scalar a string.

    ``14`` arrives as ``"14"`` and ``true`` as ``"true"``
    (aws-cloudformation/cloudformation-coverage-roadmap#1037); an intrinsic function is left whole.
    """
    if is_intrinsic(value):
        return value
    if isinstance(value, Mapping):
        return {key: as_sent(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_sent(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def property_violations(resource_type: str, properties: Any) -> list[Violation]:
    """What the handler would refuse in these template properties, intrinsic values left unjudged.

    The handler's own two passes: its conversion of CloudFormation's strings, and (once that
    succeeds) every rule of the resource type.
    """
    shape = SHAPES[resource_type]
    if is_intrinsic(properties):
        return []
    sent = as_sent(api_properties(properties if properties is not None else {}))
    try:
        values = coercion.coerce(shape, sent, is_intrinsic)
    except InvalidJobInput as refused:
        return refused.violations
    return rules.resource_violations(shape, values, account=None, region=None, is_unresolved=is_intrinsic)


def wait_condition_violations(logical_id: str, resource_type: str, properties: Any,
                              resources: Mapping[str, Any]) -> list[Violation]:
    """The WaitCondition rule (``rules.wait_condition_violations``) for a job whose properties pass, as the
    handler applies it before it starts the job: a WaitCondition given by name, its literal wait. Here it
    is found before the deploy starts anything."""
    shape = SHAPES[resource_type]
    if resource_type == shapes.JOB_RESULT_RESOURCE.name or not isinstance(properties, Mapping):
        return []
    try:
        values = coercion.coerce(shape, as_sent(api_properties(properties)), is_intrinsic)
    except InvalidJobInput:
        return []  # reported by property_violations
    spec = {member: values.get(member, DEFAULTS[member]) for member in ("WaitForCompletion", "WaitTimeoutMinutes")}
    condition = values.get("WaitCondition")
    if spec["WaitForCompletion"] is not True or not isinstance(condition, str) or is_intrinsic(
            spec["WaitTimeoutMinutes"]):
        return []
    return rules.wait_condition_violations(logical_id, int(spec["WaitTimeoutMinutes"]), condition, resources)


def template_path(resource: Mapping[str, Any], logical_id: str, member_path: str) -> list[str]:
    """Where in the template a violation's member is: its deepest part that is written there.

    A missing member (``is required``) points at the resource's Properties, or at the resource.
    """
    path = ["Resources", logical_id]
    node: Any = resource
    for key in ("Properties", *member_path.split(".")):
        if not isinstance(node, Mapping) or key not in node:
            break
        path.append(key)
        node = node[key]
    return path


class CustomResourceProperties(CloudFormationLintRule):  # type: ignore[misc]
    """The properties of Custom::BackupJob, Custom::CopyJob and Custom::BackupJobResult, by the provider's rules."""

    # E9xxx: the IDs cfn-lint leaves to users' rules. Not E9101: a published rule pack (cfn-lint-ax's
    # UnresolvedObject) holds it, and cfn-lint keeps one rule per ID, the last loaded.
    id = "E9501"
    shortdesc = "cdk-backup-jobs custom resource properties"
    description = ("Checks Custom::BackupJob, Custom::CopyJob and Custom::BackupJobResult properties with the rules "
                   "the cdk-backup-jobs provider and constructs apply: unknown properties, required ones, types, "
                   "ranges, patterns, enums and the rules across properties. Values given by intrinsic functions "
                   "are not judged.")
    tags = ["resources", "custom", "cdk-backup-jobs"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        """One match per violation, at the property it names."""
        matches = []
        for logical_id, resource in cfn.get_resources(list(SHAPES)).items():
            resource_type = str(resource["Type"])
            properties = resource.get("Properties")
            violations = property_violations(resource_type, properties)
            if not violations:
                violations = wait_condition_violations(logical_id, resource_type, properties,
                                                       cfn.template.get("Resources", {}))
            for violation in violations:
                matches.append(RuleMatch(template_path(resource, logical_id, violation.path),
                                         f"{resource_type} property {violation}"))
        return matches
