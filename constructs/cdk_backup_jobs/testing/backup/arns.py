"""ARNs as the local AWS Backup reads and writes them: their forms, a vault's parts, a resource's type.

The model types every ARN member as a plain string, so these forms are what
lets the emulator refuse a malformed one up front, as AWS does.
"""

from __future__ import annotations

import re
from typing import Mapping

from cdk_backup_jobs.testing.shared.account import Place

# arn:partition:service:region:account:resource; IAM and S3 ARNs leave region (and account) empty.
ARN = re.compile(r"^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$")
IAM_ROLE_ARN = re.compile(r"^arn:[^:]+:iam::\d{12}:role/.+$")
VAULT_ARN = re.compile(r"^arn:[^:]+:backup:[^:]+:\d{12}:backup-vault:[^:]+$")
ARN_KINDS = {ARN: "an ARN", IAM_ROLE_ARN: "an IAM role ARN", VAULT_ARN: "a backup vault ARN"}
# StartBackupJob returns the recovery point at once for these resources (AWS docs).
IMMEDIATE_RECOVERY_POINT = re.compile(r"^arn:[^:]+:(elasticfilesystem|dynamodb):")
# The ResourceType values AWS Backup reports, by the ARN's service (GetSupportedResourceTypes and
# ListBackupJobs' ByResourceType, docs.aws.amazon.com/aws-backup/latest/devguide/API_GetSupportedResourceTypes.html).
RESOURCE_TYPES = {"dynamodb": "DynamoDB", "elasticfilesystem": "EFS", "ec2": "EC2", "rds": "RDS",
                  "s3": "S3", "fsx": "FSx", "storagegateway": "Storage Gateway", "redshift": "Redshift",
                  "cloudformation": "CloudFormation", "timestream": "Timestream", "eks": "EKS",
                  "backup-gateway": "VirtualMachine", "ssm-sap": "SAP HANA on Amazon EC2"}
# rds ARNs by resource kind: a DB instance is RDS, a cluster Aurora. DocumentDB and Neptune clusters have the
# same arn:...:rds:...:cluster:NAME form, so only who made the cluster tells them apart (BackupState.resource_types).
_RDS_KINDS = {"db": "RDS", "cluster": "Aurora"}


def vault_arn(name: str, place: Place) -> str:
    return f"arn:aws:backup:{place.region}:{place.account_id}:backup-vault:{name}"


def recovery_point_arn(point_id: str, region: str, account: str) -> str:
    return f"arn:aws:backup:{region}:{account}:recovery-point:{point_id}"


def vault_location(arn: str) -> tuple[str, str, str]:
    """(Region, account, name) of a backup vault ARN."""
    parts = arn.split(":")
    return parts[3], parts[4], parts[-1]


def is_local(place: Place, region: str, account: str) -> bool:
    """Whether ``region`` and ``account`` are the emulator's own ``place`` (another's vaults live elsewhere)."""
    return (region, account) == (place.region, place.account_id)


def resource_type(arn: str, known: Mapping[str, str] | None = None) -> str:
    """The ResourceType AWS reports for ``arn``: ``known``'s (a DocumentDB or Neptune cluster's), else by service.

    EBS volumes belong to the ec2 service; an rds cluster not known otherwise is Aurora, as AWS Backup
    treats RDS clusters other than DocumentDB and Neptune ones. A service AWS Backup does not support keeps
    its ARN's name, so a test sees what it passed.
    """
    if known and arn in known:
        return known[arn]
    parts = arn.split(":", 5)
    service = parts[2] if len(parts) > 2 else ""
    resource = parts[5] if len(parts) == 6 else ""
    if service == "ec2" and resource.startswith("volume/"):
        return "EBS"
    if service == "rds":
        return _RDS_KINDS.get(resource.split(":", 1)[0], "RDS")
    return RESOURCE_TYPES.get(service, service)


def rds_cluster_arn(name: str, place: Place) -> str:
    return f"arn:aws:rds:{place.region}:{place.account_id}:cluster:{name}"
