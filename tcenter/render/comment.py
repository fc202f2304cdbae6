"""`tcenter comment`: the pull-request comment, built so that what decides is never cut.

Order: a verdict per stack (diff and `check`), then every danger of every stack in full
(prod first), then each stack's details while the size budget lasts (prod first; a stack
that no longer fits gets its resource names only, then a pointer to the artifact), then
whatever the caller appends (approvals), then the link to the full report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..core.errors import InputError

if TYPE_CHECKING:
    from ..analysis import diff as diff_module

GITHUB_COMMENT_MAX = 65536
DEFAULT_BUDGET = 60000
"""Characters; GitHub refuses comments over 65,536. The rest is in the artifact."""
ENVIRONMENT_ORDER = {"prod": 0, "staging": 1, "dev": 2}
MARKER = "<!-- tcenter-diff -->"


@dataclass
class StackReport:
    stack: str
    environment: str
    diff: diff_module.PlanDiff
    new_stack: bool
    violations: list[Any]


def stack_order(stacks: Sequence[str]) -> list[str]:
    """Prod first, then staging, then dev; by name within each (stable across runs)."""
    from ..guardrails.model import environment_of_stack

    return sorted(stacks, key=lambda s: (ENVIRONMENT_ORDER.get(environment_of_stack(s), 0), s))


def _empty_plan(stack: str) -> dict[str, Any]:
    return {"stack": stack, "resources": [], "outputs": {}}


def build_reports(base_dir: Path, head_dir: Path, stacks: Sequence[str]) -> list[StackReport]:
    from ..analysis import diff as diff_module
    from ..guardrails.check import check_plan
    from ..guardrails.model import environment_of_stack
    from ..plan.format import load

    reports = []
    for stack in stack_order(stacks):
        head = load(head_dir / f"{stack}.json")
        base_path = base_dir / f"{stack}.json"
        new_stack = not base_path.exists()
        base = _empty_plan(stack) if new_stack else load(base_path)
        result = diff_module.diff_plans(base, head, f"{stack}@base" if not new_stack else f"{stack} (new)", f"{stack}@head")
        environment = environment_of_stack(stack, head.get("outputs", {}).get("environment"))
        reports.append(StackReport(stack, environment, result, new_stack, check_plan(head)))
    return reports


def _diff_verdict(report: StackReport) -> str:
    if report.new_stack:
        prefix = "new stack: "
    else:
        prefix = ""
    if report.diff.dangers:
        return f"{prefix}**:x: {len(report.diff.dangers)} dangerous**"
    if report.diff.changed:
        c = report.diff.counts
        return f"{prefix}changes ({c['create']} create, {c['update']} update, {c['replace']} replace, {c['delete']} delete)"
    return f"{prefix}no changes"


def _check_verdict(report: StackReport) -> str:
    if not report.violations:
        return ":white_check_mark: passes"
    rules = sorted({v.rule for v in report.violations})
    return f"**:x: {len(report.violations)} violation(s)**: " + ", ".join(f"`{r}`" for r in rules)


def _head(reports: Sequence[StackReport], base_ref: str) -> list[str]:
    from .diff_text import md_escape

    out = [MARKER, f"## tcenter review: `{base_ref}` → this PR", "",
           "| stack | environment | diff | `tcenter check` (head) |", "|---|---|---|---|"]
    out += [f"| {r.stack} | {r.environment} | {_diff_verdict(r)} | {_check_verdict(r)} |" for r in reports]
    out.append("")
    dangerous = [r for r in reports if r.diff.dangers]
    if not dangerous:
        out += ["No dangerous change in any stack.", ""]
        return out
    out += ["### Dangers (every stack, in full)", ""]
    for report in dangerous:
        out += [f"#### {report.stack}", ""]
        out += [f"- :x: {md_escape(danger)}" for danger in report.diff.dangers]
        out.append("")
    violating = [r for r in reports if r.violations]
    if violating:
        out += ["### Guardrail violations", ""]
        for report in violating:
            out += [f"- {report.stack}: {md_escape(str(v))}" for v in report.violations]
        out.append("")
    return out


DETAIL_LEVELS: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (("delete", "replace", "update", "create"), (), ""),
    (("delete", "replace", "update"), (), "creations by name"),
    (("delete", "replace", "update"), ("create",), "creations counted by type"),
    (("replace", "update"), ("create",), "deletions by name, creations counted by type"),
    ((), ("create",), "names only, creations counted by type"),
)
"""What a stack's details keep as the budget shrinks: (actions with property details, actions
folded to a count per type, what was left out). Updates and replacements keep their properties
longest: they are what a reviewer reads; creations go first (their every input is in the report)."""


def _details(report: StackReport, details_for: tuple[str, ...], folded: tuple[str, ...], left_out: str) -> str:
    from .diff_text import markdown_body

    # The dangers are already at the top of the comment, in full.
    body = markdown_body(report.diff, with_properties=bool(details_for), with_dangers=False, details_for=details_for,
                         folded=folded)
    body = body.replace("## tcenter diff:", f"### {report.stack}: tcenter diff", 1)
    note = f"_To fit the comment: {left_out}; every property is in the full report._\n\n" if left_out else ""
    return f"<details><summary>{report.stack}: details</summary>\n\n{note}{body}\n</details>\n"


def render_comment(reports: Sequence[StackReport], *, base_ref: str, artifact_url: str,
                   budget: int = DEFAULT_BUDGET, appendix: str = "") -> str:
    """The comment, at most `budget` characters unless the dangers alone are longer (they
    are never cut: a comment that cannot hold them says so and links the artifact)."""
    budget = min(budget, GITHUB_COMMENT_MAX)  # GitHub refuses a longer comment
    head = "\n".join(_head(reports, base_ref)) + "\n"
    footer = f"\nFull report (every stack, every property): {artifact_url}\n"
    room = budget - len(head) - len(footer) - len(appendix)
    sections = []
    for report in reports:  # prod first: the least important detail is dropped first
        if not report.diff.changed:
            continue
        candidates = [_details(report, *level) for level in DETAIL_LEVELS]
        candidates.append(f"- {report.stack}: details left out to fit the comment; see the full report.\n")
        for candidate in candidates:
            if len(candidate) <= room:
                sections.append(candidate)
                room -= len(candidate)
                break
    appendix_text = appendix if room >= 0 else (
        "\n_Approval states left out to fit the comment; see the full report._\n")
    text = head + "\n".join(sections) + appendix_text + footer
    if len(text) > GITHUB_COMMENT_MAX:
        text = head[: GITHUB_COMMENT_MAX - len(footer) - 200] + \
            "\n\n**The dangers above are cut: there are too many for one comment. Read them all in the full report.**\n" + footer
    return text


def exit_code(reports: Sequence[StackReport]) -> int:
    """2 when any stack has a dangerous change or a violation, 1 when anything changed, 0
    otherwise (the same scale as `tcenter diff`)."""
    worst = max((r.diff.exit_code for r in reports), default=0)
    return 2 if any(r.violations for r in reports) else worst


def as_json(reports: Sequence[StackReport]) -> str:
    """The verdicts for a pipeline: per stack, the diff's counts and dangers and check's violations."""
    import json

    return json.dumps({
        "format": "tcenter-comment", "version": 1, "exitCode": exit_code(reports),
        "stacks": [{
            "stack": r.stack, "environment": r.environment, "newStack": r.new_stack, "exitCode": r.diff.exit_code,
            "counts": r.diff.counts, "dangers": r.diff.dangers,
            "violations": [{"rule": v.rule, "control": v.control, "urn": v.urn, "message": v.message}
                           for v in r.violations],
        } for r in reports],
    }, indent=2, sort_keys=True) + "\n"


def run(args: Any) -> tuple[str, int]:
    """(the comment as markdown or JSON, its exit code). Both folders must exist: a mistyped
    one would make every stack look new."""
    for option, folder in (("--base-dir", args.base_dir), ("--head-dir", args.head_dir)):
        if not Path(folder).is_dir():
            raise InputError(f"{option} {folder}: no such directory (base plans are STACK.json files in it; "
                             "a stack without one is new)")
    try:
        reports = build_reports(Path(args.base_dir), Path(args.head_dir), args.stacks)
        appendix = Path(args.append).read_text(encoding="utf-8") if args.append else ""
    except OSError as error:
        raise InputError(f"{error.filename}: {error.strerror}") from None
    if getattr(args, "format", "markdown") == "json":
        return as_json(reports), exit_code(reports)
    text = render_comment(reports, base_ref=args.base_ref, artifact_url=args.artifact_url, budget=args.budget,
                          appendix=appendix)
    return text, exit_code(reports)
