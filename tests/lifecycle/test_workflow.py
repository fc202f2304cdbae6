"""The pull-request workflow does what docs/lifecycle.md promises, and never deploys."""

from __future__ import annotations

import yaml

from tcenter.core.stackfiles import PROJECT_ROOT

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "pull-request.yml"


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_pull_request_workflow_steps():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as True
    jobs = workflow["jobs"]
    assert "python -m pytest" in _runs(jobs["test"])
    review = _runs(jobs["review"])
    for command in ("tcenter plan", "tcenter -C", "tcenter diff", "--format markdown", "gh pr comment",
                    "tcenter check", "tcenter export", "--format terraform-plan", "checkov", "--framework terraform_plan"):
        assert command in review, command
    assert jobs["review"]["permissions"]["pull-requests"] == "write"


def test_the_comment_is_built_by_tcenter_comment_and_never_cut_by_bytes():
    """The comment holds every stack's dangers first and each stack's check verdict; cutting it
    at a byte count (as `head -c` did) cut zurich-prod's dangers."""
    review = yaml.safe_load(WORKFLOW.read_text())["jobs"]["review"]
    names = [step.get("name", "") for step in review["steps"]]
    runs = [step.get("run", "") for step in review["steps"]]
    building = next(i for i, run in enumerate(runs) if "tcenter comment" in run)
    posting = next(i for i, run in enumerate(runs) if "gh pr comment" in run)
    assert building < posting, names
    assert "--append out/approvals.md" in runs[building] and "--artifact-url" in runs[building]
    assert not any("head -c" in run for run in runs)


def test_preview_runs_only_with_credentials_and_never_deploys():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    preview = workflow["jobs"]["preview"]
    # tcenter preview: a fresh copy of the commit, every policy of the default pack mandatory, and
    # Pulumi's saved update plan for reviewers (docs/lifecycle.md).
    assert 'tcenter preview "$STACK" --save-plan' in _runs(preview)
    gated = [s for s in preview["steps"] if "tcenter preview" in s.get("run", "") or "saved-plan" in str(s.get("with"))]
    assert len(gated) == 2 and all(s.get("if") == "steps.creds.outputs.present == 'true'" for s in gated)
    commands = [line for line in _runs(preview).splitlines() if not line.strip().startswith("#")]
    assert not any(word in line for line in commands for word in ("tcenter up", "tcenter destroy", "pulumi up"))
    assert "secrets" in str(preview["env"])
    everything = WORKFLOW.read_text()
    assert "pulumi up" not in everything.replace("`pulumi up`", "")
    assert "pulumi destroy" not in everything and "lifecycle destroy" not in everything
