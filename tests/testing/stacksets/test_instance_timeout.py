"""A stack instance that outlives the simulator's timeout fails, and every Lambda worker it started is ended."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from cdk_backup_jobs.testing import SimulatedOrganization, StackSetSimulator


def hanging(pid_file: Path) -> dict[str, Any]:
    """A custom resource whose inline handler writes its Lambda worker's pid and its parent's, then hangs."""
    code = (f"import os, time\n"
            f"def handler(event, context):\n"
            f"    open({str(pid_file)!r}, 'w').write(f'{{os.getpid()}} {{os.getppid()}}')\n"
            f"    time.sleep(3600)\n")
    return {"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "lambda.amazonaws.com"}}]}}},
        "Function": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "index.handler", "Timeout": 900,
            "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": code}}},
        "Hang": {"Type": "Custom::Hang", "Properties": {"ServiceToken": {"Fn::GetAtt": ["Function", "Arn"]}}},
    }}


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_timed_out_instance_leaves_no_process_behind(tmp_path):
    pid_file = tmp_path / "pids"
    organization = SimulatedOrganization.of_sizes({"ou-workloads": 1})
    with StackSetSimulator(organization, timeout_seconds=8) as fleet:
        operation = fleet.create_stack_instances(fleet.create_stack_set("Hangs", hanging(pid_file)),
                                                 ["ou-workloads"], ["us-east-1"])

    [instance] = operation.instances
    assert instance.detailed_status == "FAILED"
    assert "did not finish within 8 seconds" in instance.status_reason
    worker, parent = (int(pid) for pid in pid_file.read_text().split())
    assert parent == os.getpid()  # the instance ran in this process, its function in a worker of it
    deadline = time.monotonic() + 10
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(worker), "the instance's Lambda worker outlived it"
