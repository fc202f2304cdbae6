"""checkov on every stack's Terraform-shaped export: no failed check without a written
reason in checkov-suppressions.yaml."""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tcenter.render import export
from tcenter.core.stackfiles import PROJECT_ROOT, stack_names

CHECKOV = PROJECT_ROOT / ".venv-checkov" / "bin" / "checkov"
SUPPRESSIONS = PROJECT_ROOT / "checkov-suppressions.yaml"


def suppressions() -> list[dict]:
    entries = yaml.safe_load(SUPPRESSIONS.read_text())["suppressions"]
    for entry in entries:
        assert set(entry) <= {"check", "resources", "stacks", "reason"}, entry
        assert len(str(entry.get("reason", "")).split()) >= 8, f"{entry['check']}: the reason must explain itself"
    return entries


def suppressed(check_id: str, address: str, stack: str, entries: list[dict]) -> bool:
    return any(e["check"] == check_id and fnmatch.fnmatchcase(address, e["resources"])
               and stack in e.get("stacks", [stack]) for e in entries)


@pytest.fixture(scope="module")
def checkov() -> Path:
    if not CHECKOV.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHECKOV} is missing: CI must scan every export (scripts/bootstrap.sh --test installs it)")
        pytest.skip(f"checkov is not installed in {CHECKOV.parent.parent} (scripts/bootstrap.sh --test installs it)")
    return CHECKOV


@pytest.fixture(scope="module")
def reports(checkov, plan_of, tmp_path_factory) -> dict[str, dict]:
    """One checkov run over every stack's export (its start-up costs more than a scan)."""
    folder = tmp_path_factory.mktemp("exports")
    for stack in stack_names():
        (folder / f"{stack}.tfplan.json").write_text(export.dumps(export.export_terraform_plan(plan_of(stack))))
    run = subprocess.run(
        [str(checkov), "-d", str(folder), "--framework", "terraform_plan", "--skip-download",
         "--output", "json"],
        capture_output=True, text=True, cwd=folder, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"}, timeout=900,
    )
    assert run.stdout.strip(), f"checkov printed nothing (exit {run.returncode}): {run.stderr[-2000:]}"
    report = json.loads(run.stdout)
    report = report[0] if isinstance(report, list) else report
    assert report["summary"]["parsing_errors"] == 0, report["summary"]
    by_stack: dict[str, dict] = {stack: {"passed": 0, "failed": []} for stack in stack_names()}
    for kind in ("passed_checks", "failed_checks"):
        for result in report["results"].get(kind, []):
            stack = Path(result["file_path"]).name.removesuffix(".tfplan.json")
            if kind == "passed_checks":
                by_stack[stack]["passed"] += 1
            else:
                by_stack[stack]["failed"].append((result["check_id"], result["resource"], result["check_name"]))
    return by_stack


@pytest.mark.slow
@pytest.mark.parametrize("stack", stack_names())
def test_checkov_finds_nothing_unexplained(stack, reports):
    entries = suppressions()
    report = reports[stack]
    assert report["passed"] > 0, "checkov checked nothing in this export: its shape is wrong"
    unexplained = sorted({f for f in report["failed"] if not suppressed(f[0], f[1], stack, entries)})
    assert unexplained == [], "fix these in the components, or suppress them with a reason:\n" + \
        "\n".join(f"  {c} {r}: {n}" for c, r, n in unexplained)


def test_every_suppression_still_matches_something():
    """A stale suppression hides nothing today but would hide a future finding: keep the file honest."""
    entries = suppressions()
    types = {t for t in export.TERRAFORM_TYPES.values()}
    for entry in entries:
        assert entry["resources"].split(".")[0] in types, entry
