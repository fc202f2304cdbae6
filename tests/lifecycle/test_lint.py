"""The code stays lint-clean: ruff with the project's configuration (pyproject.toml [tool.ruff])."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tcenter.core.stackfiles import PROJECT_ROOT

RUFF = Path(sys.executable).parent / "ruff"


def test_ruff_finds_nothing():
    run = subprocess.run([str(RUFF), "check", "--output-format", "concise", "."], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_would_catch_an_unused_import(tmp_path):
    (tmp_path / "planted.py").write_text("import os\n")
    run = subprocess.run([str(RUFF), "check", "--config", str(PROJECT_ROOT / "pyproject.toml"), str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "F401" in run.stdout
