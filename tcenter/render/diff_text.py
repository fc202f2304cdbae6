"""A plan diff as people read it: on a terminal (or a file), and as markdown for a pull
request. The diff itself (what changed, what is dangerous) is `tcenter.analysis.diff`."""

from __future__ import annotations

from typing import Any

from ..analysis.diff import PlanDiff, PropertyChange, StatementChange, canonical, value_changes

ACTION_SIGNS = {"create": "+", "delete": "-", "update": "~", "replace": "+-"}


def _full(value: Any) -> str:
    return value if isinstance(value, str) else canonical(value)


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else canonical(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _differing(before: Any, after: Any, limit: int, context: int = 24) -> tuple[str, str]:
    """Both values cut around where they differ (common prefix and suffix elided), never to an equal prefix."""
    a = before if isinstance(before, str) else canonical(before)
    b = after if isinstance(after, str) else canonical(after)
    if len(a) <= limit and len(b) <= limit:
        return a, b
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    def cut(text: str) -> str:
        lo, hi = max(0, start - context), min(len(text), len(text) - end + context)
        return ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")
    return cut(a), cut(b)


def _property_lines(pc: PropertyChange, limit: int) -> list[str]:
    suffix = " (forces replacement)" if pc.replaces else ""
    if pc.kind == "list":
        lines = [f"{pc.path}:{suffix}"]
        lines += [f"    - {_full(v)}" for v in pc.before]
        lines += [f"    + {_full(v)}" for v in pc.after]
        return lines
    if pc.kind == "order":
        return [f"{pc.path}: same items, new order{suffix}"]
    if pc.before is None:
        return [f"{pc.path}: + {_full(pc.after)}{suffix}"]
    if pc.after is None:
        return [f"{pc.path}: - {_full(pc.before)}{suffix}"]
    before, after = _differing(pc.before, pc.after, limit)
    return [f"{pc.path}: {before} -> {after}{suffix}"]


def _statement_lines(sc: StatementChange, limit: int) -> list[str]:
    sign = {"added": "+", "removed": "-", "changed": "~"}[sc.change]
    lines = [f"{sign} {sc.property} statement {sc.sid} {sc.change}"]
    if sc.change == "changed":
        for pc in value_changes("", sc.before, sc.after):
            lines += ["    " + line for line in _property_lines(pc, limit)]
    else:
        lines.append("    " + _full(sc.after or sc.before))
    return lines


def summary_line(d: PlanDiff) -> str:
    c = d.counts
    parts = [f"{c['create']} to create", f"{c['update']} to update", f"{c['replace']} to replace", f"{c['delete']} to delete"]
    reach_part = f"reachability: {len(d.reach_added)} paths added, {len(d.reach_removed)} removed"
    danger = f"{len(d.dangers)} DANGEROUS" if d.dangers else "nothing dangerous"
    return f"{', '.join(parts)}; {reach_part}; {danger}"


def render_terminal(d: PlanDiff, console: Any) -> None:
    from rich.markup import escape

    console.print(f"[bold]tcenter diff[/bold] {escape(d.base)} -> {escape(d.head)}")
    if not d.changed:
        console.print("[green]No changes.[/green]")
        return
    console.print(summary_line(d))
    if d.dangers:
        console.print("\n[bold red]DANGEROUS (data or key loss, public exposure):[/bold red]")
        for danger in d.dangers:
            console.print(f"  [red]! {escape(danger)}[/red]")
    colors = {"create": "green", "delete": "red", "update": "yellow", "replace": "magenta"}
    for action in ("delete", "replace", "update", "create"):
        group = [c for c in d.resources if c.action == action]
        if not group:
            continue
        console.print(f"\n[bold]{action} ({len(group)})[/bold]")
        for change in group:
            console.print(f"  [{colors[action]}]{ACTION_SIGNS[action]} {escape(change.type)} {escape(change.name)}[/]")
            for pc in change.properties:
                if pc.kind == "policy":
                    continue
                for line in _property_lines(pc, 120):
                    console.print(f"      {escape(line)}")
            for sc in change.statements:
                for line in _statement_lines(sc, 120):
                    console.print(f"      {escape(line)}")
            for note in change.notes:
                console.print(f"      [dim]note: {escape(note)}[/dim]")
    if d.reach_added or d.reach_removed:
        console.print("\n[bold]reachability[/bold]")
        for edge in d.reach_added:
            console.print(f"  [green]+ {escape(edge)}[/green]")
        for edge in d.reach_removed:
            console.print(f"  [red]- {escape(edge)}[/red]")
    if d.outputs:
        console.print("\n[bold]stack outputs[/bold]")
        for pc in d.outputs:
            for line in _property_lines(pc, 120):
                console.print(f"  ~ {escape(line)}")


def md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


MARKDOWN_LIMIT = 60000
"""GitHub rejects comments over 65536 characters; past this, details list names only."""


def render_markdown(d: PlanDiff, limit: int = MARKDOWN_LIMIT) -> str:
    text = markdown_body(d, with_properties=True)
    if len(text) <= limit:
        return text
    text = markdown_body(d, with_properties=False)
    note = ("\n_Property-level details were left out to fit a pull-request comment; run "
            "`tcenter diff` (or `--format json`) for the full report._\n")
    if len(text) + len(note) > limit:  # still too long: each action's resources as counts per type
        text = markdown_body(d, with_properties=False, folded=ACTIONS)
    if len(text) + len(note) > limit:  # the dangers alone are too long: whole lines of them, then the counts
        text = _dangers_cut(d, limit - len(note))
    return text + note if len(text) + len(note) <= limit else text[: limit - len(note) - 20] + "\n...\n" + note


ACTIONS = ("delete", "replace", "update", "create")


def _dangers_cut(d: PlanDiff, limit: int) -> str:
    """The report with as many whole danger lines as fit before the folded details, and how many
    were left out (never a line cut in the middle, never the details dropped)."""
    rest = markdown_body(d, with_properties=False, with_dangers=False, folded=ACTIONS)
    at = rest.find("<details>") if "<details>" in rest else len(rest)
    lines = [f"- :x: {md_escape(danger)}" for danger in d.dangers]
    room = limit - len(rest) - 200
    kept = []
    for line in lines:
        if room - len(line) - 1 < 0:
            break
        kept.append(line)
        room -= len(line) + 1
    left = (f"- ... and {len(lines) - len(kept)} more dangerous change(s), left out to fit: "
            "run `tcenter diff` (or `--format json`) for all of them")
    section = "\n".join(["### Dangerous: data or key loss, public exposure", "", *kept, left, "", ""])
    return rest[:at] + section + rest[at:]


def markdown_body(d: PlanDiff, with_properties: bool, with_dangers: bool = True,
                  details_for: tuple[str, ...] = ACTIONS, folded: tuple[str, ...] = ()) -> str:
    """The markdown report; property details for the actions in DETAILS_FOR (when WITH_PROPERTIES),
    the actions in FOLDED as a count per type (a comment's budget: tcenter/render/comment.py)."""
    out = [f"## tcenter diff: `{d.base}` -> `{d.head}`", ""]
    if not d.changed:
        out.append("No changes.")
        return "\n".join(out) + "\n"
    c = d.counts
    verdict = f"**:warning: {len(d.dangers)} dangerous change(s)**" if d.dangers else "No dangerous change."
    out += [verdict, "",
            "| create | update | replace | delete | reachability paths added | removed |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {c['create']} | {c['update']} | {c['replace']} | {c['delete']} | {len(d.reach_added)} | {len(d.reach_removed)} |",
            ""]
    if d.dangers and with_dangers:
        out += ["### Dangerous: data or key loss, public exposure", ""]
        out += [f"- :x: {md_escape(danger)}" for danger in d.dangers]
        out.append("")
    for action in ("delete", "replace", "update", "create"):
        group = [ch for ch in d.resources if ch.action == action]
        if not group:
            continue
        out += [f"<details><summary>{action}: {len(group)} resource(s)</summary>", ""]
        if action in folded:
            counts: dict[str, int] = {}
            for change in group:
                counts[change.type] = counts.get(change.type, 0) + 1
            out += ["| resources | type |", "|---:|---|", *[f"| {n} | `{t}` |" for t, n in sorted(counts.items())],
                    "", "</details>", ""]
            continue
        for change in group:
            out.append(f"- `{ACTION_SIGNS[action]}` `{change.type}` **{md_escape(change.name)}**")
            lines: list[str] = []
            if not with_properties or action not in details_for:
                continue
            for pc in change.properties:
                if pc.kind != "policy":
                    lines += _property_lines(pc, 300)
            for sc in change.statements:
                lines += _statement_lines(sc, 300)
            lines += [f"note: {n}" for n in change.notes]
            if lines:
                out += ["  ```diff", *[f"  {line}" for line in lines], "  ```"]
        out += ["", "</details>", ""]
    if d.reach_added or d.reach_removed:
        out += [f"<details><summary>reachability: {len(d.reach_added)} path(s) added, {len(d.reach_removed)} removed</summary>",
                "", "```diff", *[f"+ {e}" for e in d.reach_added], *[f"- {e}" for e in d.reach_removed], "```", "",
                "</details>", ""]
    if d.outputs:
        out += [f"<details><summary>stack outputs: {len(d.outputs)} change(s)</summary>", "", "```diff"]
        for pc in d.outputs:
            out += [f"~ {line}" for line in _property_lines(pc, 300)]
        out += ["```", "", "</details>", ""]
    return "\n".join(out) + "\n"
