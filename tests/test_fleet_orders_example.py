"""examples/cloudformation/fleet-orders-snapshot.yaml: a failed job's retry, its vault's name, its export's name.

The template is deployed across a simulated fleet in test_stackset_fleet.py;
here what the template says is checked against what AWS takes.
"""

from __future__ import annotations

import re
import subprocess
import sysconfig
from pathlib import Path

import pytest
from botocore.loaders import Loader

from cdk_backup_jobs.provider.shared_provider import DEFAULT_EXPORT_NAME
from cdk_backup_jobs.testing.cloudformation.template import load_template

ORDERS = Path(__file__).resolve().parent.parent / "examples" / "cloudformation" / "fleet-orders-snapshot.yaml"


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template(ORDERS)


def test_the_vault_is_kept_on_delete_but_not_by_a_failed_creates_rollback(template):
    """A vault of a fixed name kept by a create's rollback would make the documented retry fail with
    AlreadyExists; RetainExceptOnCreate deletes it then, and keeps it on a delete or a replacement."""
    vault = template["Resources"]["Vault"]
    assert (vault["DeletionPolicy"], vault["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")


def test_every_table_name_the_parameter_allows_builds_a_vault_name_aws_backup_takes(template):
    vault_name = Loader().load_service_model("backup", "service-2")["shapes"]["BackupVaultName"]["pattern"]
    allowed = template["Parameters"]["TableName"]["AllowedPattern"]
    sub = template["Resources"]["Vault"]["Properties"]["BackupVaultName"]["Fn::Sub"]
    candidates = [c * n for c in ("a", "_", "-", "9") for n in range(1, 80)]
    candidates += ["orders", "orders.v2", "orders v2", "ordérs"]
    taken = [name for name in candidates if re.fullmatch(allowed, name)]  # CloudFormation matches the whole value
    assert "orders" in taken and "a" * 33 in taken
    for name in taken:
        assert re.match(vault_name, sub.replace("${TableName}", name)), name
    assert not re.fullmatch(allowed, "a" * 34) and not re.fullmatch(allowed, "orders.v2")


def test_the_service_token_is_imported_from_the_export_name_parameter(template):
    parameter = template["Parameters"]["ExportName"]
    assert parameter["Default"] == DEFAULT_EXPORT_NAME
    assert template["Resources"]["OrdersSnapshot"]["Properties"]["ServiceToken"] == \
        {"Fn::ImportValue": {"Ref": "ExportName"}}


def test_the_example_passes_cfn_lint():
    cfn_lint = Path(sysconfig.get_path("scripts")) / "cfn-lint"
    result = subprocess.run([str(cfn_lint), "--format", "parseable", str(ORDERS)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
