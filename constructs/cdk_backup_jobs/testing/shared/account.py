"""The AWS account and Region every simulated service of this process stands in.

By default AWS's documentation examples' account in us-east-1. A process can
stand in another account and Region: the simulated fleet (``stacksets.fleet_worker``)
starts one process per stack instance with ``CDK_BACKUP_JOBS_ACCOUNT_ID`` and
``CDK_BACKUP_JOBS_REGION`` set, so each instance gets its own emulated AWS
Backup, account and Region, isolated as accounts are, without passing an
account through every module. They are read once, at import.
"""

import os
import re

ACCOUNT_ID_VARIABLE = "CDK_BACKUP_JOBS_ACCOUNT_ID"
REGION_VARIABLE = "CDK_BACKUP_JOBS_REGION"
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

ACCOUNT_ID = os.environ.get(ACCOUNT_ID_VARIABLE) or DEFAULT_ACCOUNT_ID
REGION = os.environ.get(REGION_VARIABLE) or DEFAULT_REGION

if not re.fullmatch(r"\d{12}", ACCOUNT_ID):
    raise ValueError(f"{ACCOUNT_ID_VARIABLE}={ACCOUNT_ID!r} is not an AWS account ID (12 digits)")
if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", REGION):
    raise ValueError(f"{REGION_VARIABLE}={REGION!r} is not an AWS Region name such as eu-west-1")
