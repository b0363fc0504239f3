"""The input shapes of StartBackupJob and StartCopyJob, and of the two custom resources.

Every member with the constraints AWS enforces (botocore's service model for
AWS Backup, 2018-11-15, and the API reference pages), plus the provider's own
members. ``rules`` checks input against these shapes; ``coercion`` reads
CloudFormation's strings into their types. Stdlib-only: it ships in the
Lambda asset and is imported by the construct library at synth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping

Kind = Literal["string", "long", "boolean", "map", "structure"]

MAX_WINDOW_MINUTES = 52_560_000
MIN_START_WINDOW_MINUTES = 60
MAX_LIFECYCLE_DAYS = 36_500
COLD_STORAGE_MINIMUM_DAYS = 90
KEEP_FOREVER = -1
MAX_TAGS = 50
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256

VAULT_NAME_PATTERN = r"^[a-zA-Z0-9\-\_]{2,50}$"
BACKUP_OPTION_PATTERN = r"^[a-zA-Z0-9\-\_\.]{1,50}$"
ARN_PATTERN = r"^arn:[a-z][a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$"
IAM_ROLE_ARN_PATTERN = r"^arn:[a-z][a-z0-9-]*:iam::\d{12}:role/(?:[\x21-\x7F]{1,510}/)?[\w+=,.@-]{1,64}$"
"""A role ARN: ``role/``, then the role's path without its leading slash (IAM allows a path of up to
512 characters, "/" or beginning and ending with "/", of the characters ! through DEL) and its name
(1 to 64 of letters, digits and +=,.@_-): IAM User Guide, IAM identifiers and quotas."""
VAULT_ARN_PATTERN = (
    r"^arn:[a-z][a-z0-9-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[a-zA-Z0-9\-\_]{2,50}$"
)
DOCUMENTED_BACKUP_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "WindowsVSS": ("enabled", "disabled"),
}


@dataclass(frozen=True)
class Member:
    """One member of an API input shape, with the constraints AWS enforces."""

    name: str
    kind: Kind
    required: bool = False
    pattern: str | None = None
    pattern_hint: str = ""
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    members: tuple["Member", ...] = ()
    input_allowed: bool = True

    def member(self, name: str) -> "Member | None":
        return next((m for m in self.members if m.name == name), None)


def _window(name: str, minimum: int) -> Member:
    return Member(name, "long", minimum=minimum, maximum=MAX_WINDOW_MINUTES)


def _lifecycle_days(name: str) -> Member:
    return Member(name, "long", minimum=1, maximum=MAX_LIFECYCLE_DAYS)


LIFECYCLE = Member(
    "Lifecycle",
    "structure",
    members=(
        _lifecycle_days("MoveToColdStorageAfterDays"),
        _lifecycle_days("DeleteAfterDays"),
        Member("OptInToArchiveForSupportedResources", "boolean"),
        Member("DeleteAfterEvent", "string", input_allowed=False),
    ),
)

def _vault_name(name: str) -> Member:
    return Member(name, "string", required=True, pattern=VAULT_NAME_PATTERN,
                  pattern_hint="2 to 50 letters, digits, hyphens or underscores")


def _arn(name: str) -> Member:
    return Member(name, "string", required=True, pattern=ARN_PATTERN, pattern_hint="an ARN")


def _vault_arn(name: str, required: bool) -> Member:
    return Member(name, "string", required=required, pattern=VAULT_ARN_PATTERN,
                  pattern_hint="a backup vault ARN")


IAM_ROLE_ARN = Member("IamRoleArn", "string", required=True, pattern=IAM_ROLE_ARN_PATTERN,
                      pattern_hint="an IAM role ARN")
IDEMPOTENCY_TOKEN = Member("IdempotencyToken", "string")

START_BACKUP_JOB = Member(
    "StartBackupJob",
    "structure",
    members=(
        _vault_name("BackupVaultName"),
        _arn("ResourceArn"),
        IAM_ROLE_ARN,
        IDEMPOTENCY_TOKEN,
        _window("StartWindowMinutes", minimum=MIN_START_WINDOW_MINUTES),
        _window("CompleteWindowMinutes", minimum=1),
        LIFECYCLE,
        Member("RecoveryPointTags", "map"),
        Member("BackupOptions", "map"),
        Member("Index", "string", enum=("ENABLED", "DISABLED")),
        _vault_arn("LogicallyAirGappedBackupVaultArn", required=False),
    ),
)

START_COPY_JOB = Member(
    "StartCopyJob",
    "structure",
    members=(
        _arn("RecoveryPointArn"),
        _vault_name("SourceBackupVaultName"),
        _vault_arn("DestinationBackupVaultArn", required=True),
        IAM_ROLE_ARN,
        IDEMPOTENCY_TOKEN,
        LIFECYCLE,
    ),
)

# The provider's own properties, beside the API members.
MAX_WAIT_MINUTES = 55
"""The longest wait a custom resource can carry itself: CloudFormation waits at most one hour for its
answer (ServiceTimeout), and the provider's last check and answer need the rest."""
MAX_WAIT_CONDITION_SECONDS = 43_200
"""A WaitCondition's longest Timeout: a CreationPolicy's ResourceSignal Timeout is at most PT12H, and so is a
WaitCondition's own Timeout, 43,200 seconds (CloudFormation Template Reference, CreationPolicy attribute:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-creationpolicy.html;
AWS::CloudFormation::WaitCondition:
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-waitcondition.html)."""
WAIT_CONDITION_GRACE_SECONDS = 600
"""The provider gives up this long before a WaitCondition's own timeout, so that CloudFormation gets
a FAILURE signal, and the logs the job's last state, rather than a bare timeout."""
MAX_LONG_WAIT_MINUTES = (MAX_WAIT_CONDITION_SECONDS - WAIT_CONDITION_GRACE_SECONDS) // 60
"""The longest wait a WaitCondition can carry, 710 minutes: its Timeout (at most PT12H) holds the wait and
the provider's grace (``rules.wait_condition_violations``)."""
WAIT_FOR_COMPLETION = Member("WaitForCompletion", "boolean")
WAIT_TIMEOUT_MINUTES = Member("WaitTimeoutMinutes", "long", minimum=1, maximum=MAX_LONG_WAIT_MINUTES)
WAIT_CONDITION = Member("WaitCondition", "string", pattern=r"^[A-Za-z0-9]{1,255}$",
                        pattern_hint="the logical ID of an AWS::CloudFormation::WaitCondition of the same stack")
RUN_TOKEN = Member("RunToken", "string")
STOP_ON_DELETE = Member("StopOnDelete", "boolean")
# A final backup: nothing runs on Create or Update; Delete backs the resource up, waited.
RUN_ON_DELETE = Member("RunOnDelete", "boolean")
PROTECTED_LOGICAL_ID = Member("ProtectedLogicalId", "string")
SKIP_FINAL_BACKUP = Member("SkipFinalBackup", "boolean")
PROVIDER_MEMBERS = (WAIT_FOR_COMPLETION, WAIT_TIMEOUT_MINUTES, WAIT_CONDITION, RUN_TOKEN)

BACKUP_JOB_RESOURCE = Member(
    "Custom::BackupJob", "structure",
    members=START_BACKUP_JOB.members + PROVIDER_MEMBERS
    + (STOP_ON_DELETE, RUN_ON_DELETE, PROTECTED_LOGICAL_ID, SKIP_FINAL_BACKUP),
)
COPY_JOB_RESOURCE = Member("Custom::CopyJob", "structure", members=START_COPY_JOB.members + PROVIDER_MEMBERS)

JOB_RESULT_RESOURCE = Member("Custom::BackupJobResult", "structure", members=(
    Member("BackupJobId", "string"), Member("CopyJobId", "string")))
"""A waited job's results, read once its WaitCondition completed (a custom resource cannot change its
attributes after it answered): exactly one of the two IDs, of a job that COMPLETED."""
