"""The reference tables of docs/cloudformation.md, generated from what the provider does.

AWS's resource reference pages (CloudFormation Template Reference, for example
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-backup-backupvault.html)
give each property Required, Type, its constraints (Allowed values, Minimum, Maximum, Pattern) and
Update requires, and each resource its return values (``Ref``, ``Fn::GetAtt``). The tables here say
the same of ``Custom::BackupJob``, ``Custom::CopyJob`` and ``Custom::BackupJobResult``, each cell read
from the code: types, patterns, ranges and enums from ``shapes``; a range that depends on other
members (``WaitTimeoutMinutes``) and the lifecycle's -1 by asking the rules; the provider's defaults
from ``job_spec.DEFAULTS``; Update requires by asking ``decisions.new_job_on_update`` about each
member changed alone, both ways; attributes from ``job_types``. A table cannot drift from the
code: tests/library/release/test_reference_tables.py compares the page with these. ``python -m
cdk_backup_jobs.release.reference_tables`` prints them, each under the heading it goes under, for pasting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from cdk_backup_jobs_runtime.cloudformation.request import CustomResourceRequest, api_properties
from cdk_backup_jobs_runtime.input import coercion, member_rules, rules, shapes
from cdk_backup_jobs_runtime.jobs import decisions, job_results, job_types
from cdk_backup_jobs_runtime.jobs.job_spec import DEFAULTS, job_spec
from cdk_backup_jobs_runtime.jobs.job_types import BACKUP_JOB, COPY_JOB, JobType

NONE = "—"
NO_INTERRUPTION = "No interruption"
NEW_JOB = "A new job"
PROPERTY_HEADER = ("Property", "Required", "Type", "Allowed values", "Default", "Update requires")

# CloudFormation's own properties of every custom resource, as the AWS::CloudFormation::CustomResource
# page gives them (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/
# aws-resource-cloudformation-customresource.html): ServiceToken "must be from the same Region as the
# stack", "Updates aren't supported"; ServiceTimeout "an integer from 1 to 3600. The default value is
# 3600 seconds (1 hour)". Whether a ServiceTimeout change starts a new job is asked of the provider.
SERVICE_TOKEN_ROW = ("`ServiceToken`", "Yes", "String", "The provider function's ARN, in the stack's Region", NONE,
                     "Updates are not supported")
SERVICE_TIMEOUT = shapes.Member("ServiceTimeout", "long", minimum=1, maximum=3600)
CHECKED_BY_CLOUDFORMATION = "<br>(CloudFormation's own check; the provider ignores it)"
SERVICE_TIMEOUT_DEFAULT = "`3600`"

AWS_DEFAULTS: Mapping[str, str] = {
    # StartBackupJob, StartWindowMinutes: "This value is optional, and the default is 8 hours."
    "StartWindowMinutes": "`480` (8 hours, AWS's)",
    # StartBackupJob, BackupOptions: "The WindowsVSS option is not enabled by default."
    "BackupOptions": "`WindowsVSS` not enabled (AWS's)",
}
"""What AWS Backup takes for an API member left out, where its API reference says
(https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartBackupJob.html; the same text is in
botocore's model, tests/reference/backup-service-model-subset.json)."""
PROVIDER_TEXT_DEFAULTS: Mapping[str, str] = {
    "IdempotencyToken": "Derived from the stack, the logical ID and the RequestId",
}
"""The provider's defaults that are no constant (``request.derived_idempotency_token``)."""

SAMPLES: Mapping[str, tuple[Any, Any]] = {
    "BackupVaultName": ("vault-a", "vault-b"),
    "SourceBackupVaultName": ("vault-a", "vault-b"),
    "ResourceArn": ("arn:aws:dynamodb:us-east-1:123456789012:table/a",
                    "arn:aws:dynamodb:us-east-1:123456789012:table/b"),
    "RecoveryPointArn": ("arn:aws:backup:us-east-1:123456789012:recovery-point:a",
                         "arn:aws:backup:us-east-1:123456789012:recovery-point:b"),
    "IamRoleArn": ("arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b"),
    "DestinationBackupVaultArn": ("arn:aws:backup:us-east-1:123456789012:backup-vault:vault-a",
                                  "arn:aws:backup:us-east-1:123456789012:backup-vault:vault-b"),
    "LogicallyAirGappedBackupVaultArn": ("arn:aws:backup:us-east-1:123456789012:backup-vault:vault-a",
                                         "arn:aws:backup:us-east-1:123456789012:backup-vault:vault-b"),
    "IdempotencyToken": ("a", "b"),
    "RecoveryPointTags": ({"team": "a"}, {"team": "b"}),
    "BackupOptions": ({"WindowsVSS": "enabled"}, {"WindowsVSS": "disabled"}),
    "WaitCondition": ("DoneA", "DoneB"),
    "RunToken": ("a", "b"),
    "ProtectedLogicalId": ("TableA", "TableB"),
    "ServiceTimeout": ("300", "600"),
}
"""Two valid values of each string, map or CloudFormation member, as CloudFormation passes them, to
ask the provider what a change does (booleans, enums, numbers and structures have theirs derived)."""
CONTEXTS: Mapping[str, Mapping[str, str]] = {
    "WaitTimeoutMinutes": {"WaitForCompletion": "true"},
    "WaitCondition": {"WaitForCompletion": "true"},
    "ProtectedLogicalId": {"RunOnDelete": "true"},
    "SkipFinalBackup": {"RunOnDelete": "true"},
}
"""The members a member needs beside it to be valid at all (rules.validate refuses it alone)."""
RANGE_CONTEXTS: Mapping[str, tuple[tuple[str, Mapping[str, str]], ...]] = {
    "WaitTimeoutMinutes": (
        ("with a `WaitCondition`", {"WaitForCompletion": "true", "WaitCondition": "Done"}),
        ("without one", {"WaitForCompletion": "true"}),
        ("for a final backup", {"RunOnDelete": "true"}),
    ),
}
"""Members whose range depends on others: the range is asked of the rules in each case."""


@dataclass(frozen=True)
class Table:
    """One reference table and the heading it goes under."""

    heading: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def markdown(self) -> str:
        """The table in GitHub's Markdown, under its heading."""
        lines = [self.heading, "", _line(self.header), _line(tuple("---" for _ in self.header))]
        return "\n".join([*lines, *(_line(row) for row in self.rows)])


def _line(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _code(value: Any) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return f"`{text}`"


# --- properties -----------------------------------------------------------------------------------

def property_table(job_type: JobType) -> Table:
    """A job resource's properties: CloudFormation's own, then the shape's members in order."""
    shape = job_type.shape
    rows: list[tuple[str, ...]] = [
        SERVICE_TOKEN_ROW,
        ("`ServiceTimeout`", "No", "Integer", _range(SERVICE_TIMEOUT.minimum, SERVICE_TIMEOUT.maximum) + CHECKED_BY_CLOUDFORMATION,
         SERVICE_TIMEOUT_DEFAULT, _update_requires(job_type, (), "ServiceTimeout", SAMPLES["ServiceTimeout"]))]
    rows += [_member_row(job_type, member) for member in shape.members if member.input_allowed]
    return Table(f"#### `{job_type.resource_type}` properties", PROPERTY_HEADER, tuple(rows))


def lifecycle_table() -> Table:
    """The members of ``Lifecycle`` (both job types take the same structure); ``DeleteAfterEvent`` is not
    valid as an input, so it is left out. Update requires is asked of a backup job."""
    rows = [_member_row(BACKUP_JOB, member, parent=shapes.LIFECYCLE)
            for member in shapes.LIFECYCLE.members if member.input_allowed]
    return Table("#### `Lifecycle` properties", PROPERTY_HEADER, tuple(rows))


def result_property_table() -> Table:
    """``Custom::BackupJobResult``: the ID of the job whose results it reads."""
    shape = shapes.JOB_RESULT_RESOURCE
    names = [member.name for member in shape.members]
    one_of = _exactly_one_of(names)
    rows: list[tuple[str, ...]] = [
        SERVICE_TOKEN_ROW,
        ("`ServiceTimeout`", "No", "Integer", _range(SERVICE_TIMEOUT.minimum, SERVICE_TIMEOUT.maximum) + CHECKED_BY_CLOUDFORMATION,
         SERVICE_TIMEOUT_DEFAULT, _result_update_requires("ServiceTimeout", SAMPLES["ServiceTimeout"]))]
    for member in shape.members:
        required = "Conditional" if one_of else ("Yes" if member.required else "No")
        allowed = f"Exactly one of {', '.join(_code(n) for n in names)}" if one_of else _allowed(member)
        rows.append((_code(member.name), required, _TYPES[member.kind], allowed, NONE,
                     _result_update_requires(member.name, ("job-a", "job-b"))))
    return Table(f"#### `{shape.name}` properties", PROPERTY_HEADER, tuple(rows))


_TYPES = {"string": "String", "long": "Integer", "boolean": "Boolean", "map": "Object of String"}


def _member_row(job_type: JobType, member: shapes.Member, parent: shapes.Member | None = None) -> tuple[str, ...]:
    kind = "[Lifecycle](#lifecycle-properties)" if member.kind == "structure" else _TYPES[member.kind]
    return (_code(member.name), "Yes" if member.required else "No", kind,
            _allowed(member, job_type), _default(member.name),
            _update_requires(job_type, (parent.name,) if parent else (), member.name, _samples(member)))


def _exactly_one_of(names: list[str]) -> bool:
    """Whether the result's rules want exactly one of ``names`` (none refused, each alone accepted, all refused)."""
    def accepted(params: Mapping[str, str]) -> bool:
        return not rules.job_result_violations(params)
    return (not accepted({}) and all(accepted({name: "job"}) for name in names)
            and not accepted({name: "job" for name in names}))


def _default(name: str) -> str:
    if name in DEFAULTS:
        return _code(DEFAULTS[name])
    return PROVIDER_TEXT_DEFAULTS.get(name) or AWS_DEFAULTS.get(name) or NONE


def _range(minimum: int | None, maximum: int | None) -> str:
    parts = ([f"Minimum: {minimum}"] if minimum is not None else []) + \
            ([f"Maximum: {maximum}"] if maximum is not None else [])
    return "<br>".join(parts) or NONE


def _allowed(member: shapes.Member, job_type: JobType | None = None) -> str:
    """AWS's lines for the member's constraints: Allowed values, Pattern, Minimum and Maximum."""
    if member.name in RANGE_CONTEXTS and job_type is not None:
        return _probed_range(job_type, member)
    if member.enum:
        return "Allowed values: " + ", ".join(_code(value) for value in member.enum)
    if member.pattern:
        return f"Pattern: `{member.pattern}`".replace("|", "\\|")
    if member.kind == "long":
        lines = [_range(member.minimum, member.maximum)]
        if not member_rules.scalar_violations(member, shapes.KEEP_FOREVER, member.name):
            lines.append(f"Or `{shapes.KEEP_FOREVER}` (kept indefinitely){_keep_forever_together(member)}")
        if member.name == "DeleteAfterDays":
            lines.append(f"At least `MoveToColdStorageAfterDays` + {shapes.COLD_STORAGE_MINIMUM_DAYS}")
        return "<br>".join(lines)
    if member.name == "RecoveryPointTags":
        return "<br>".join([f"At most {shapes.MAX_TAGS} entries",
                            f"Keys: 1 to {shapes.MAX_TAG_KEY_LENGTH} characters, not beginning with `aws:`",
                            f"Values: at most {shapes.MAX_TAG_VALUE_LENGTH} characters"])
    if member.name == "BackupOptions":
        return "<br>".join([f"Keys: {', '.join(_code(key) for key in shapes.DOCUMENTED_BACKUP_OPTIONS)}",
                            *(f"{_code(key)}: {', '.join(_code(v) for v in values)}"
                              for key, values in shapes.DOCUMENTED_BACKUP_OPTIONS.items())])
    return NONE


def _keep_forever_together(member: shapes.Member) -> str:
    """", with the other member -1 too" if the lifecycle rules refuse -1 on this member alone."""
    others = [m.name for m in shapes.LIFECYCLE.members if m.kind == "long" and m.name != member.name]
    alone = member_rules.lifecycle_violations({member.name: shapes.KEEP_FOREVER}, "Lifecycle", _never)
    together = member_rules.lifecycle_violations({name: shapes.KEEP_FOREVER for name in [member.name, *others]},
                                                 "Lifecycle", _never)
    if alone and not together:
        return f", with {', '.join(_code(name) for name in others)} `{shapes.KEEP_FOREVER}` too"
    return ""


def _never(_: Any) -> bool:
    return False


def _probed_range(job_type: JobType, member: shapes.Member) -> str:
    """The values the rules accept for ``member`` in each case that applies to the resource."""
    assert member.minimum is not None and member.maximum is not None, member.name
    found = []
    for case, context in RANGE_CONTEXTS[member.name]:
        if any(job_type.shape.member(name) is None for name in context):
            continue
        accepted = [value for value in range(member.minimum - 1, member.maximum + 2)
                    if not _violations_of(job_type, {**context, member.name: str(value)}, member.name)]
        if accepted != list(range(accepted[0], accepted[-1] + 1)):
            raise ValueError(f"{member.name} {case}: the accepted values are not one range: {accepted}")
        found.append((case, accepted[0], accepted[-1]))
    lines = []
    for index, label in ((1, "Minimum"), (2, "Maximum")):
        values = {entry[index] for entry in found}
        if len(values) == 1:
            lines.append(f"{label}: {values.pop()}")
        else:
            lines.extend(f"{label}: {entry[index]} {entry[0]}" for entry in found)
    return "<br>".join(lines)


def _violations_of(job_type: JobType, members: Mapping[str, Any], name: str) -> list[str]:
    params = coercion.coerce(job_type.shape, {**_base(job_type), **members})
    return [str(v) for v in rules.validate(job_type.shape, params) if v.path == name]


# --- Update requires ------------------------------------------------------------------------------

def _samples(member: shapes.Member) -> tuple[Any, Any]:
    """Two valid values of ``member``, as CloudFormation passes them."""
    if member.name in SAMPLES:
        return SAMPLES[member.name]
    if member.kind == "boolean":
        return ("false", "true")
    if member.enum:
        return (member.enum[0], member.enum[1])
    if member.kind == "long":
        low = member.minimum if member.minimum is not None else 0
        return (str(low), str(low + 1))
    if member.kind == "structure":
        first = next(m for m in member.members if m.input_allowed)
        a, b = _samples(first)
        return ({first.name: a}, {first.name: b})
    raise KeyError(f"no sample values for {member.name}: add two to SAMPLES")


def _base(job_type: JobType) -> dict[str, Any]:
    """The resource's required members, each its first sample."""
    return {member.name: _samples(member)[0] for member in job_type.shape.members if member.required}


def _properties(job_type: JobType, path: tuple[str, ...], name: str, value: Any) -> dict[str, Any]:
    members: dict[str, Any] = {**_base(job_type), **CONTEXTS.get(name, {})}
    if path:
        members[path[0]] = {name: value}
    else:
        members[name] = value
    return members


def _starts_new_job(job_type: JobType, path: tuple[str, ...], name: str, before: Any, after: Any) -> bool:
    """Whether an Update from ``before`` to ``after`` of this one member starts a new job, as the handler
    decides it (CloudFormation's own properties removed first, as ``CustomResourceRequest`` does)."""
    old = api_properties(_properties(job_type, path, name, before))
    new = api_properties(_properties(job_type, path, name, after))
    job_spec(job_type, old)  # both must be valid, or the answer says nothing
    return decisions.new_job_on_update(job_type, old, job_spec(job_type, new), "the-job-id")


def _update_requires(job_type: JobType, path: tuple[str, ...], name: str, values: tuple[Any, Any]) -> str:
    a, b = values
    forward, backward = (_starts_new_job(job_type, path, name, a, b), _starts_new_job(job_type, path, name, b, a))
    if forward == backward:
        return NEW_JOB if forward else NO_INTERRUPTION
    starts, keeps = (b, a) if forward else (a, b)
    return f"To {_code(starts)}: a new job; to {_code(keeps)}: no interruption"


def _result_update_requires(name: str, values: tuple[Any, Any]) -> str:
    """A result keeps its physical ID (no interruption) if the handler gives it the same one for both."""
    ids = {job_results.result_physical_id(_sample_request(api_properties({name: value}))) for value in values}
    return NO_INTERRUPTION if len(ids) == 1 else "Replacement"


def _sample_request(properties: Mapping[str, Any]) -> CustomResourceRequest:
    return CustomResourceRequest("Update", "Custom::BackupJobResult",
                                 "arn:aws:cloudformation:us-east-1:123456789012:stack/STACK/id", "LOGICAL_ID",
                                 "request", properties=properties)


# --- return values --------------------------------------------------------------------------------

JOB_CASES = ("No wait", "`WaitForCompletion`", "`WaitForCompletion` with a `WaitCondition`")
FINAL_BACKUP_CASE = "`RunOnDelete` (final backup)"
AT_START = "At start"
ONCE_COMPLETED = "Once COMPLETED"


def return_values_table(job_type: JobType) -> Table:
    """``Ref`` and each ``Fn::GetAtt`` attribute of a job resource, in each way it can run.

    Which attributes each way answers with: a job not waited for answers once it started
    (``attributes``); one waited for within the request, once it COMPLETED (``finished_attributes``);
    one whose WaitCondition carries the wait, once it started (``attributes``: its results are the
    ``Custom::BackupJobResult``'s); an armed final backup, with ``ARMED_FINAL_BACKUP``.
    """
    started = (job_type.attributes({job_type.id_attribute: "job"}), AT_START)
    finished = (job_type.finished_attributes({job_type.id_attribute: "job"}), ONCE_COMPLETED)
    cases: list[tuple[str, tuple[Mapping[str, str], str]]] = [
        (JOB_CASES[0], started), (JOB_CASES[1], finished), (JOB_CASES[2], started)]
    final_backup = job_type.shape.member("RunOnDelete") is not None
    if final_backup:
        cases.append((FINAL_BACKUP_CASE, (job_types.ARMED_FINAL_BACKUP, "")))
    job_id = f"The job's ID (`{job_type.id_attribute}`)"
    ref = ["`Ref`", *(job_id for _ in JOB_CASES)]
    if final_backup:
        ref.append(_code(decisions.final_backup_id(_sample_request({}))))
    rows: list[tuple[str, ...]] = [tuple(ref)]
    for name in finished[0]:
        rows.append((f"`Fn::GetAtt` {_code(name)}", *(_presence(answer, name) for _, answer in cases)))
    return Table(f"#### `{job_type.resource_type}` return values", ("Return value", *(case for case, _ in cases)),
                 tuple(rows))


def _presence(answer: tuple[Mapping[str, str], str], name: str) -> str:
    """When an attribute is there in an answer: "No" if never; an armed final backup's fixed value."""
    attributes, when = answer
    if name not in attributes:
        return "No"
    if attributes is job_types.ARMED_FINAL_BACKUP:
        return _code(attributes[name]) if attributes[name] else "Empty"
    return when


def result_return_values_table() -> Table:
    """A result's ``Ref`` and attributes: the finished attributes of the job it names."""
    cases = [(f"With {_code(t.id_attribute)}", (t.finished_attributes({t.id_attribute: "job"}), "Yes"))
             for t in (BACKUP_JOB, COPY_JOB)]
    names = list(dict.fromkeys(name for _, (attributes, _) in cases for name in attributes))
    rows: list[tuple[str, ...]] = [
        ("`Ref`", *(_code(job_results.result_physical_id(_sample_request({}))) for _ in cases))]
    rows += [(f"`Fn::GetAtt` {_code(name)}", *(_presence(answer, name) for _, answer in cases)) for name in names]
    return Table(f"#### `{shapes.JOB_RESULT_RESOURCE.name}` return values",
                 ("Return value", *(case for case, _ in cases)), tuple(rows))


def answered_attributes(table: Table, case: str) -> set[str]:
    """The attributes a return values table says the answer holds in ``case`` (one of its columns)."""
    column = table.header.index(case)
    return {row[0].removeprefix("`Fn::GetAtt` ").strip("`") for row in table.rows
            if row[0].startswith("`Fn::GetAtt`") and row[column] != "No"}


def reference_tables() -> list[Table]:
    """Every table, in the page's order."""
    return [property_table(BACKUP_JOB), return_values_table(BACKUP_JOB),
            property_table(COPY_JOB), return_values_table(COPY_JOB),
            lifecycle_table(),
            result_property_table(), result_return_values_table()]


def main(argv: list[str] | None = None) -> None:
    """Print every table under its heading, for pasting into docs/cloudformation.md."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m cdk_backup_jobs.release.reference_tables",
        description="Print the reference tables of docs/cloudformation.md (properties and return values of "
                    "Custom::BackupJob, Custom::CopyJob and Custom::BackupJobResult), generated from the code, "
                    "each under its heading.")
    parser.parse_args(argv)
    print("\n\n".join(table.markdown() for table in reference_tables()))


if __name__ == "__main__":
    main()
