"""The README's way into a project of your own, run as written in an empty folder.

The install lines are stood in for by this repository's own ``.venv`` (the
package installed, Node.js from PyPI) and ``node_modules`` (the cdk CLI), so
the test downloads nothing; every other line runs as the README shows it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
INSTALL_LINES = ("python3 -m venv .venv && . .venv/bin/activate", "pip install ", "npm install aws-cdk")
"""What the repository's own .venv and node_modules stand in for."""


def readme_block(heading: str, language: str) -> str:
    """The first ``language`` code block after ``heading`` in the README."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index(f"\n{heading}\n"):]
    found = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert found, f"no {language} block after {heading}"
    return found.group(1)


def test_the_readme_gets_an_empty_folder_to_cdk_synth_of_a_backup_job(tmp_path):
    commands = [line.split("  #")[0].strip() for line in readme_block("## Install into your own project", "sh")
                .splitlines() if line.strip() and not line.startswith("#")]
    installs = [c for c in commands if c.startswith(INSTALL_LINES)]
    assert len(installs) == 3, installs
    (tmp_path / "app.py").write_text(readme_block("## Example: CDK", "python"), encoding="utf-8")
    (tmp_path / "node_modules").symlink_to(REPO / "node_modules")
    venv = REPO / ".venv"
    env = {**os.environ, "VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("CDK_OUTDIR", None)
    for command in commands:
        if command in installs:
            continue
        result = subprocess.run(["bash", "-c", f'export JSII_NODE="$VIRTUAL_ENV/bin/node"; {command}'],
                                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"

    assert json.loads((tmp_path / "cdk.json").read_text()) == {"app": "python app.py"}
    template = json.loads((tmp_path / "cdk.out" / "MyStack.template.json").read_text())
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert {"Custom::BackupJob", "Custom::CopyJob", "AWS::CloudFormation::WaitCondition"} <= types
