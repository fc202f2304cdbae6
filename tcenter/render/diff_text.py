"""A plan diff as people read it: on a terminal (or a file), and as markdown for a pull
request. The diff itself (what changed, what is dangerous) is `tcenter.analysis.diff`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..analysis.diff import PlanDiff, PropertyChange, StatementChange, canonical, value_changes

ACTION_SIGNS = {"create": "+", "delete": "-", "update": "~", "replace": "+-"}


def _full(value: Any) -> str:
    return value if isinstance(value, str) else canonical(value)


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else canonical(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _differing(before: Any, after: Any, limit: int, context: int = 24,
               full: Callable[[Any], str] = _full) -> tuple[str, str]:
    """Both values cut around where they differ (common prefix and suffix elided), never to an equal prefix."""
    a, b = full(before), full(after)
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


def _property_lines(pc: PropertyChange, limit: int, full: Callable[[Any], str] = _full) -> list[str]:
    suffix = " (forces replacement)" if pc.replaces else ""
    if pc.kind == "list":
        lines = [f"{pc.path}:{suffix}"]
        lines += [f"    - {full(v)}" for v in pc.before]
        lines += [f"    + {full(v)}" for v in pc.after]
        return lines
    if pc.kind == "order":
        return [f"{pc.path}: same items, new order{suffix}"]
    if pc.before is None:
        return [f"{pc.path}: + {full(pc.after)}{suffix}"]
    if pc.after is None:
        return [f"{pc.path}: - {full(pc.before)}{suffix}"]
    before, after = _differing(pc.before, pc.after, limit, full=full)
    return [f"{pc.path}: {before} -> {after}{suffix}"]


def _statement_lines(sc: StatementChange, limit: int, full: Callable[[Any], str] = _full) -> list[str]:
    sign = {"added": "+", "removed": "-", "changed": "~"}[sc.change]
    lines = [f"{sign} {sc.property} statement {sc.sid} {sc.change}"]
    if sc.change == "changed":
        for pc in value_changes("", sc.before, sc.after):
            lines += ["    " + line for line in _property_lines(pc, limit, full)]
    else:
        lines.append("    " + full(sc.after or sc.before))
    return lines


def summary_line(d: PlanDiff) -> str:
    c = d.counts
    parts = [f"{c['create']} to create", f"{c['update']} to update", f"{c['replace']} to replace", f"{c['delete']} to delete"]
    reach_part = f"reachability: {len(d.reach_added)} paths added, {len(d.reach_removed)} removed"
    danger = f"{len(d.dangers)} DANGEROUS" if d.dangers else "nothing dangerous"
    return f"{', '.join(parts)}; {reach_part}; {danger}"


def _spaced(value: Any) -> str:
    """A value for text that wraps: JSON with a space after each separator, so lines break
    between keys and values and never inside an ARN or a value."""
    import json

    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(", ", ": "))


def text_lines(d: PlanDiff, width: int) -> list[tuple[str, str]]:
    """The diff as (style, line) pairs of at most WIDTH characters (a token longer than a line
    stands alone on its own): the same lines printed, piped or written with -o."""
    from ..core.output import wrap

    out: list[tuple[str, str]] = []

    def add(style: str, text: str, first: str = "", indent: str = "") -> None:
        out.extend((style, line) for line in wrap(text, width, indent=indent or " " * (len(first) + 2), first=first))

    def blank() -> None:
        out.append(("", ""))

    add("bold", f"tcenter diff {d.base} -> {d.head}")
    if not d.changed:
        add("green", "No changes.")
        return out
    add("", summary_line(d))
    if d.dangers:
        blank()
        add("bold red", "DANGEROUS (data or key loss, public exposure):")
        for danger in d.dangers:
            add("red", danger, first="  ! ")
    colors = {"create": "green", "delete": "red", "update": "yellow", "replace": "magenta"}
    for action in ("delete", "replace", "update", "create"):
        group = [c for c in d.resources if c.action == action]
        if not group:
            continue
        blank()
        add("bold", f"{action} ({len(group)})")
        for change in group:
            add(colors[action], f"{change.type} {change.name}", first=f"  {ACTION_SIGNS[action]} ")
            lines = [line for pc in change.properties if pc.kind != "policy" for line in _property_lines(pc, 120, _spaced)]
            lines += [line for sc in change.statements for line in _statement_lines(sc, 120, _spaced)]
            for line in lines:
                body = line.lstrip(" ")
                add("", body, first=" " * (6 + len(line) - len(body)))
            for note in change.notes:
                add("dim", f"note: {note}", first="      ")
    if d.reach_added or d.reach_removed:
        blank()
        add("bold", "reachability")
        for edge in d.reach_added:
            add("green", edge, first="  + ")
        for edge in d.reach_removed:
            add("red", edge, first="  - ")
    if d.outputs:
        blank()
        add("bold", "stack outputs")
        for pc in d.outputs:
            for line in _property_lines(pc, 120, _spaced):
                add("", line, first="  ~ ")
    return out


def render_terminal(d: PlanDiff, console: Any, width: int) -> None:
    from rich.markup import escape

    for style, line in text_lines(d, width):
        console.print(f"[{style}]{escape(line)}[/]" if style and line else escape(line), soft_wrap=True)


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
