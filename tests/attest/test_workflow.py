"""The scheduled attest workflow: zizmor (offline) finds nothing; it runs attest with the reviewer role."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "attest.yml"


def test_zizmor_offline_has_no_findings() -> None:
    zizmor = Path(sys.executable).parent / "zizmor"
    zizmor = zizmor if zizmor.exists() else Path(shutil.which("zizmor") or "")
    if not zizmor.is_file():
        pytest.fail("zizmor is a test dependency (pyproject.toml) and must be installed")
    result = subprocess.run([str(zizmor), "--offline", str(WORKFLOW)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


def test_runs_attest_on_a_schedule_with_minimal_permissions() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on") or workflow.get(True)
    assert "schedule" in triggers
    assert workflow["permissions"] == {}
    job = workflow["jobs"]["attest"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    steps = job["steps"]
    for step in steps:
        if "uses" in step:
            assert len(step["uses"].split("@", 1)[1]) == 40, step["uses"]
    assert any("tcenter attest" in step.get("run", "") for step in steps)
