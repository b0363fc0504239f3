"""AWS Backup's job state change events, read into one typed view.

AWS Backup sends ``Backup Job State Change`` and ``Copy Job State Change``
events (source ``aws.backup``) to the default event bus, "in a best-effort
manner every 5 minutes" (AWS Backup Developer Guide, "Monitoring AWS Backup
events using Amazon EventBridge",
https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html).
The two shapes differ in ways this module absorbs, each as that page's
examples show:

- a backup event's ``detail`` has no recovery point ARN: it is ``resources[0]``;
  a copy event's is ``detail.destinationRecoveryPointArn``, an empty object
  (``{}``) until the copy completed;
- ``backupSizeInBytes`` is a string in backup events and a number in copy events;
- a CREATED copy event has no ``copyJobId``;
- ``percentDone`` is a number.

Delivery is best effort, so an event is a hint that saves a call, never the
only way a wait ends (``waiter`` keeps a slower scheduled check as well).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Mapping

JobKind = Literal["backup", "copy"]
DETAIL_TYPES: Mapping[JobKind, str] = {"backup": "Backup Job State Change", "copy": "Copy Job State Change"}
JOB_ID_KEYS: Mapping[JobKind, str] = {"backup": "backupJobId", "copy": "copyJobId"}
SOURCE = "aws.backup"


@dataclass(frozen=True)
class JobStateChange:
    """One job's new state, as an event tells it."""

    kind: JobKind
    job_id: str | None
    state: str
    status_message: str = ""
    percent_done: str = ""
    recovery_point_arn: str = ""
    backup_size_in_bytes: str = ""
    completion_date: str = ""


def read_state_change(event: Any) -> JobStateChange | None:
    """The job state change an EventBridge event carries, or None for any other event."""
    if not isinstance(event, Mapping) or event.get("source") != SOURCE:
        return None
    kind = next((k for k, detail_type in DETAIL_TYPES.items() if event.get("detail-type") == detail_type), None)
    detail = event.get("detail")
    if kind is None or not isinstance(detail, Mapping):
        return None
    job_id = detail.get(JOB_ID_KEYS[kind])
    return JobStateChange(
        kind=kind,
        job_id=str(job_id) if job_id else None,
        state=str(detail.get("state") or ""),
        status_message=str(detail.get("statusMessage") or ""),
        percent_done=_percent(detail.get("percentDone")),
        recovery_point_arn=_recovery_point_arn(kind, event, detail),
        backup_size_in_bytes=_text(detail.get("backupSizeInBytes")),
        completion_date=str(detail.get("completionDate") or ""),
    )


def _recovery_point_arn(kind: JobKind, event: Mapping[str, Any], detail: Mapping[str, Any]) -> str:
    if kind == "copy":
        arn = detail.get("destinationRecoveryPointArn")
        return arn if isinstance(arn, str) else ""
    resources = event.get("resources")
    if isinstance(resources, list) and resources and isinstance(resources[0], str):
        return resources[0]
    return ""


def _percent(value: Any) -> str:
    """Percent done as DescribeBackupJob writes it ("42.0"); the event gives a number."""
    try:
        return f"{float(value):.1f}" if value is not None and not isinstance(value, bool) else ""
    except (TypeError, ValueError):
        return ""


def _text(value: Any) -> str:
    """A number the event gives as a string or as a number, as the string of a whole number if it is one."""
    if isinstance(value, bool) or value is None or value == {}:
        return ""
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)
