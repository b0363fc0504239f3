"""A resource's properties, read and checked: the API call, and how the provider treats the job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from cdk_backup_jobs_runtime.cloudformation.request import CustomResourceRequest
from cdk_backup_jobs_runtime.errors import InvalidProperties
from cdk_backup_jobs_runtime.input import coercion, rules, shapes, violation_report
from cdk_backup_jobs_runtime.jobs.job_types import JobType

DEFAULT_WAIT_MINUTES = shapes.MAX_WAIT_MINUTES
DEFAULTS: Mapping[str, bool | int] = {
    "WaitForCompletion": False,
    "WaitTimeoutMinutes": DEFAULT_WAIT_MINUTES,
    "StopOnDelete": False,
    "RunOnDelete": False,
    "SkipFinalBackup": False,
}
"""What the provider takes for each of its own members left out (the reference tables in
docs/cloudformation.md are generated from it)."""


@dataclass(frozen=True)
class JobSpec:
    """The API call's parameters, and the provider's own members read from the same properties."""

    params: dict[str, Any]
    wait: bool = False
    wait_minutes: int = DEFAULT_WAIT_MINUTES
    wait_condition: str | None = None
    run_token: str | None = None
    stop_on_delete: bool = False
    run_on_delete: bool = False
    protected_logical_id: str | None = None
    skip_final_backup: bool = False


def job_spec(job_type: JobType, properties: Mapping[str, Any]) -> JobSpec:
    """The resource properties, converted from CloudFormation's strings and checked against the shape.

    Used where the resource's place does not matter (a Delete, an Update's old
    properties); ``placed_job_spec`` checks everything a new job must keep.
    """
    values = _coerced(job_type, properties)
    _refuse(job_type, rules.validate(job_type.shape, values))
    return _spec(job_type, values)


def placed_job_spec(job_type: JobType, request: CustomResourceRequest) -> JobSpec:
    """``job_spec`` of the request's properties, checked by every rule at once: the shape and where
    the stack is (account and Region), as at synth."""
    values = _coerced(job_type, request.properties)
    _refuse(job_type, rules.resource_violations(job_type.shape, values, request.account, request.region))
    return _spec(job_type, values)


def _coerced(job_type: JobType, properties: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return coercion.coerce(job_type.shape, properties)
    except violation_report.InvalidJobInput as error:
        raise InvalidProperties(f"Invalid {job_type.resource_type} properties: {error}") from None


def _refuse(job_type: JobType, violations: list[violation_report.Violation]) -> None:
    if violations:
        raise InvalidProperties(f"Invalid {job_type.resource_type} properties: {violation_report.summarize(violations)}")


def _spec(job_type: JobType, values: Mapping[str, Any]) -> JobSpec:
    api_members = {m.name for m in job_type.api_shape.members}
    return JobSpec(
        params={k: v for k, v in values.items() if k in api_members},
        wait=bool(_value(values, "WaitForCompletion")),
        wait_minutes=int(_value(values, "WaitTimeoutMinutes")),
        wait_condition=values.get("WaitCondition"),
        run_token=values.get("RunToken"),
        stop_on_delete=bool(_value(values, "StopOnDelete")),
        run_on_delete=bool(_value(values, "RunOnDelete")),
        protected_logical_id=values.get("ProtectedLogicalId"),
        skip_final_backup=bool(_value(values, "SkipFinalBackup")),
    )


def _value(values: Mapping[str, Any], member: str) -> Any:
    return values.get(member, DEFAULTS[member])


def asks_for_final_backup(properties: Mapping[str, Any]) -> bool:
    """Whether raw (unchecked) properties arm a final backup: RunOnDelete true in any spelling."""
    return str(properties.get("RunOnDelete", "")).strip().lower() == "true"


def asks_to_wait(properties: Mapping[str, Any]) -> bool:
    """Whether raw (unchecked) properties ask for a waited job: WaitForCompletion true in any spelling."""
    return str(properties.get("WaitForCompletion", "")).strip().lower() == "true"
