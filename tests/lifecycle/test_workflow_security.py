"""zizmor (offline) finds nothing in the repository's workflows; a planted bad workflow shows the check bites."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tcenter.core.stackfiles import PROJECT_ROOT

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
ZIZMOR = Path(sys.executable).with_name("zizmor")

BAD_WORKFLOW = """\
name: planted
on:
  pull_request:
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""


def _findings(directory: Path) -> list[dict]:
    if not ZIZMOR.exists():
        pytest.fail(f"zizmor is not installed next to {sys.executable} (scripts/bootstrap.sh --test installs it)")
    run = subprocess.run([str(ZIZMOR), "--offline", "--format", "json", str(directory)],
                         check=False, capture_output=True, text=True, timeout=120)
    assert run.stdout.strip(), f"zizmor printed nothing (exit {run.returncode}): {run.stderr.strip()}"
    findings = json.loads(run.stdout)
    assert (run.returncode == 0) == (not findings), (run.returncode, run.stderr)
    return findings


def _summary(findings: list[dict]) -> list[str]:
    return sorted({f"{f['ident']}: {f.get('desc', '')}" for f in findings})


def test_workflows_have_no_zizmor_findings():
    assert list(WORKFLOWS.glob("*.yml")), "no workflows found"
    assert _findings(WORKFLOWS) == [], _summary(_findings(WORKFLOWS))


def test_a_planted_bad_workflow_is_found(tmp_path):
    planted = tmp_path / ".github" / "workflows"
    planted.mkdir(parents=True)
    (planted / "planted.yml").write_text(BAD_WORKFLOW, encoding="utf-8")
    idents = {f["ident"] for f in _findings(planted)}
    assert {"unpinned-uses", "template-injection", "artipacked"} <= idents, idents
