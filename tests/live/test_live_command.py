"""``./dev test-live`` without the opt-in, or without credentials, refuses in one line and calls nothing.

The command runs as a user would run it, with an environment that has no AWS credentials or Region
and reaches no instance metadata. A ``sitecustomize`` on its path records, through Python's audit
hooks, every socket connection, name lookup and process the command's Python attempts.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
AUDIT = '''
import sys
_log = open({path!r}, "a")
def _hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "subprocess.Popen", "os.exec", "os.posix_spawn"):
        _log.write(event + "\\n"); _log.flush()
sys.addaudithook(_hook)
'''


def run_live(tmp_path: Path, *args: str, **extra_env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    hooks, log = tmp_path / "hooks", tmp_path / "audit.log"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(AUDIT.format(path=str(log)))
    log.write_text("")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(hooks),
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"), **extra_env}
    done = subprocess.run([str(REPO / "dev"), "test-live", *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    return done, log.read_text().split()


@pytest.mark.slow
@pytest.mark.parametrize("args", [(), ("--yes-create-resources",)], ids=["no opt-in", "no credentials"])
def test_it_refuses_in_one_line_saying_what_it_needs_and_calls_nothing(tmp_path, args):
    done, attempted = run_live(tmp_path, *args)

    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("refused: ") and line.endswith("nothing was created")
    assert "--yes-create-resources" in line and "AWS credentials" in line and "Region" in line
    if args:
        assert "found no AWS credentials and no Region" in line
    assert attempted == []  # no connection, no name lookup, no process (no cdk, no AWS call)


@pytest.mark.slow
def test_the_audit_sees_the_first_call_of_a_run_that_goes_ahead(tmp_path):
    """The harness's control: with the opt-in, credentials and a Region, the command's first AWS call
    (STS GetCallerIdentity, here to a closed loopback port) is seen."""
    done, attempted = run_live(tmp_path, "--yes-create-resources", AWS_ACCESS_KEY_ID="testing",
                               AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
                               AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1")

    assert done.returncode != 0
    assert "socket.connect" in attempted
