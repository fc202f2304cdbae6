"""Compare two plans: resources, properties, policy statements, replacements, reachability.

Resources are matched by their URN without stack and project (type chain and name), so
plans of two stacks (dev against zurich-prod) compare as well as two revisions of one.
Only what the program declares is compared (inputs and resource options); the stand-in
outputs of the mock engine are derived from those.

Dangerous (exit code 2), listed first:
- deleting or replacing a protected or retained resource, or one of a stateful type
  (`replacements.STATEFUL_TYPES`): data or key loss;
- removing `protect`/`retainOnDelete` from a resource;
- an ingress rule open to 0.0.0.0/0 or ::/0 that the base did not have;
- a new reachability path to or from the internet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import reach
from .replacements import UNKNOWN_TYPE_NOTE, forces_replacement, stateful_reason

EXIT_NO_CHANGES = 0
EXIT_CHANGES = 1
EXIT_DANGEROUS = 2

POLICY_PROPERTIES = ("policy", "assumeRolePolicy")
"""Inputs holding a JSON policy document; other JSON strings with a Statement list count too."""


@dataclass
class PropertyChange:
    path: str
    before: Any
    after: Any
    replaces: bool | None
    """True: forces a replacement; False: in place; None: the type is not in the table."""
    kind: str = "value"  # value | list (before: removed items, after: added items) | option


@dataclass
class StatementChange:
    property: str
    change: str  # added | removed | changed
    sid: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass
class ResourceChange:
    key: str
    type: str
    name: str
    action: str  # create | delete | update | replace
    properties: list[PropertyChange] = field(default_factory=list)
    statements: list[StatementChange] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class PlanDiff:
    base: str
    head: str
    resources: list[ResourceChange]
    reach_added: list[str]
    reach_removed: list[str]
    public_ingress_added: list[str]
    outputs: list[PropertyChange]
    dangers: list[str]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "delete": 0, "replace": 0, "update": 0}
        for change in self.resources:
            counts[change.action] += 1
        return counts

    @property
    def changed(self) -> bool:
        return bool(self.resources or self.outputs or self.reach_added or self.reach_removed)

    @property
    def exit_code(self) -> int:
        if self.dangers:
            return EXIT_DANGEROUS
        return EXIT_CHANGES if self.changed else EXIT_NO_CHANGES


def resource_key(urn: str) -> str:
    """`urn:pulumi:STACK::PROJECT::TYPE::NAME` -> `TYPE::NAME` (stack-independent)."""
    return urn.split("::", 2)[2] if urn.count("::") >= 3 else urn


def _policy_document(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict) and "Statement" in value:
        return value
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            document = json.loads(value)
        except json.JSONDecodeError:
            return None
        if isinstance(document, dict) and "Statement" in document:
            return document
    return None


def _statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    statements = document.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    out: dict[str, dict[str, Any]] = {}
    for index, statement in enumerate(statements):
        sid = statement.get("Sid") or f"#{index} (no Sid)"
        while sid in out:
            sid += "'"
        out[sid] = statement
    return out


def statement_changes(prop: str, before: Any, after: Any) -> list[StatementChange] | None:
    """Statement-by-statement changes of a policy property; None if it is not a policy."""
    doc_before, doc_after = _policy_document(before), _policy_document(after)
    if (before is not None and doc_before is None) or (after is not None and doc_after is None):
        return None
    if doc_before is None and doc_after is None:
        return None
    old, new = _statements(doc_before or {}), _statements(doc_after or {})
    changes = []
    for sid in sorted(set(old) | set(new)):
        if sid not in old:
            changes.append(StatementChange(prop, "added", sid, None, new[sid]))
        elif sid not in new:
            changes.append(StatementChange(prop, "removed", sid, old[sid], None))
        elif _canonical(old[sid]) != _canonical(new[sid]):
            changes.append(StatementChange(prop, "changed", sid, old[sid], new[sid]))
    return changes


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _path_text(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def value_changes(type_: str, before: Any, after: Any, path: tuple = ()) -> list[PropertyChange]:
    if _canonical(before) == _canonical(after):
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(set(before) | set(after)):
            out += value_changes(type_, before.get(key), after.get(key), path + (key,))
        return out
    if isinstance(before, list) and isinstance(after, list):
        if len(before) == len(after) and all(isinstance(v, dict) for v in before + after) and \
                len(before) == 1:
            return value_changes(type_, before[0], after[0], path + (0,))
        old = [_canonical(v) for v in before]
        new = [_canonical(v) for v in after]
        removed = [v for v, c in zip(before, old) if c not in new]
        added = [v for v, c in zip(after, new) if c not in old]
        if not removed and not added:  # same items, new order
            return [PropertyChange(_path_text(path), before, after, forces_replacement(type_, path), "order")]
        return [PropertyChange(_path_text(path), removed, added, forces_replacement(type_, path), "list")]
    return [PropertyChange(_path_text(path), before, after, forces_replacement(type_, path))]


OPTION_NAMES = ("protect", "retainOnDelete", "deleteBeforeReplace", "ignoreChanges", "replaceOnChanges", "deletedWith")


def _kept(resource: dict[str, Any]) -> list[str]:
    options = resource.get("options", {})
    return [name for name in ("protect", "retainOnDelete") if options.get(name)]


def compare_resource(base: dict[str, Any], head: dict[str, Any]) -> ResourceChange | None:
    type_ = head["type"]
    change = ResourceChange(resource_key(head["urn"]), type_, head["name"], "update")
    base_inputs, head_inputs = base.get("inputs", {}), head.get("inputs", {})
    replace_on = set(head.get("options", {}).get("replaceOnChanges") or [])
    for prop in sorted(set(base_inputs) | set(head_inputs)):
        before, after = base_inputs.get(prop), head_inputs.get(prop)
        if _canonical(before) == _canonical(after):
            continue
        statements = statement_changes(prop, before, after) if (prop in POLICY_PROPERTIES or isinstance(before, str)
                                                                or isinstance(after, str)) else None
        if statements is not None:
            change.statements += statements
            replaces = forces_replacement(type_, (prop,))
            change.properties.append(PropertyChange(prop, f"{len(_statements(_policy_document(before) or {}))} statements",
                                                    f"{len(_statements(_policy_document(after) or {}))} statements",
                                                    replaces, "policy"))
            continue
        for pc in value_changes(type_, before, after, (prop,)):
            if prop in replace_on or "*" in replace_on:
                pc.replaces = True
            change.properties.append(pc)
    base_opts, head_opts = base.get("options", {}), head.get("options", {})
    for name in OPTION_NAMES:
        if _canonical(base_opts.get(name)) != _canonical(head_opts.get(name)):
            change.properties.append(PropertyChange(f"options.{name}", base_opts.get(name), head_opts.get(name), False, "option"))
    if base.get("provider") and head.get("provider") and resource_key(base["provider"]) != resource_key(head["provider"]):
        change.properties.append(PropertyChange("provider", resource_key(base["provider"]), resource_key(head["provider"]), None, "option"))
    if not change.properties and not change.statements:
        return None
    if any(pc.replaces for pc in change.properties):
        change.action = "replace"
    if head.get("custom", True) and any(pc.replaces is None and pc.kind != "option" for pc in change.properties):
        change.notes.append(UNKNOWN_TYPE_NOTE)
    if change.action == "replace":
        _loss_risks(change, base)
    return change


def _loss_risks(change: ResourceChange, base: dict[str, Any]) -> None:
    from .danger import is_stateful, loss_sentence

    verb = "deleted" if change.action == "delete" else "replaced (deleted and created anew)"
    reason = stateful_reason(change.type)
    if reason or _kept(base) or is_stateful(change.type):
        change.risks.append(loss_sentence(base, verb) + (f"; {reason}" if reason else ""))


def _in_full(resource: dict[str, Any], action: str) -> ResourceChange:
    """A created or deleted resource with every input (policies statement by statement)."""
    empty = {"type": resource["type"], "urn": resource["urn"], "name": resource["name"], "inputs": {}, "options": {},
             "custom": resource.get("custom", True)}
    change = compare_resource(empty, resource) if action == "create" else compare_resource(resource, empty)
    change = change or ResourceChange(resource_key(resource["urn"]), resource["type"], resource["name"], action)
    change.action, change.risks, change.notes = action, [], []
    for pc in change.properties:
        pc.replaces = False
    return change


def diff_plans(base: dict[str, Any], head: dict[str, Any], base_label: str = "base", head_label: str = "head") -> PlanDiff:
    old = {resource_key(r["urn"]): r for r in base.get("resources", [])}
    new = {resource_key(r["urn"]): r for r in head.get("resources", [])}
    changes: list[ResourceChange] = []
    for key in sorted(set(old) | set(new)):
        if key not in old:
            changes.append(_in_full(new[key], "create"))
        elif key not in new:
            change = _in_full(old[key], "delete")
            _loss_risks(change, old[key])
            changes.append(change)
        else:
            change = compare_resource(old[key], new[key])
            if change:
                changes.append(change)

    reach_before = set(reach.compute(base).edges()) if base.get("resources") else set()
    reach_after = set(reach.compute(head).edges()) if head.get("resources") else set()
    reach_added = sorted(reach_after - reach_before)
    reach_removed = sorted(reach_before - reach_after)
    public_added = sorted(set(reach.public_ingress(head)) - set(reach.public_ingress(base)))
    outputs = value_changes("", base.get("outputs", {}), head.get("outputs", {}))
    for pc in outputs:
        pc.replaces = False

    from . import danger

    found: list[danger.Danger] = []
    for change in changes:
        found += [danger.Danger("loss", f"{change.type} {risk}") for risk in change.risks]
    found += [danger.Danger("public", f"public ingress: {finding}") for finding in public_added]
    found += [danger.Danger("network", f"new network path {edge}"
                            + (" from or to outside" if reach.INTERNET in edge else " between zones"))
              for edge in reach_added]
    found += danger.resource_dangers(old, new)
    found += danger.access_dangers(base, head)
    dangers = [f"[{d.cls}] {d.sentence}" for d in found]
    return PlanDiff(base_label, head_label, changes, reach_added, reach_removed, public_added, outputs, dangers)


# --- rendering ------------------------------------------------------------------------------

ACTION_SIGNS = {"create": "+", "delete": "-", "update": "~", "replace": "+-"}


def _full(value: Any) -> str:
    return value if isinstance(value, str) else _canonical(value)


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else _canonical(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _differing(before: Any, after: Any, limit: int, context: int = 24) -> tuple[str, str]:
    """Both values cut around where they differ (common prefix and suffix elided), never to an equal prefix."""
    a = before if isinstance(before, str) else _canonical(before)
    b = after if isinstance(after, str) else _canonical(after)
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


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


MARKDOWN_LIMIT = 60000
"""GitHub rejects comments over 65536 characters; past this, details list names only."""


def render_markdown(d: PlanDiff, limit: int = MARKDOWN_LIMIT) -> str:
    text = _render_markdown(d, with_properties=True)
    if len(text) <= limit:
        return text
    text = _render_markdown(d, with_properties=False)
    note = ("\n_Property-level details were left out to fit a pull-request comment; run "
            "`tcenter diff` (or `--format json`) for the full report._\n")
    return text + note if len(text) + len(note) <= limit else text[: limit - len(note) - 20] + "\n...\n" + note


def _render_markdown(d: PlanDiff, with_properties: bool, with_dangers: bool = True) -> str:
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
        out += [f"- :x: {_md_escape(danger)}" for danger in d.dangers]
        out.append("")
    for action in ("delete", "replace", "update", "create"):
        group = [ch for ch in d.resources if ch.action == action]
        if not group:
            continue
        out += [f"<details><summary>{action}: {len(group)} resource(s)</summary>", ""]
        for change in group:
            out.append(f"- `{ACTION_SIGNS[action]}` `{change.type}` **{_md_escape(change.name)}**")
            lines: list[str] = []
            if not with_properties:
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


def as_json(d: PlanDiff) -> str:
    from dataclasses import asdict

    return json.dumps({"base": d.base, "head": d.head, "exitCode": d.exit_code, "counts": d.counts,
                       "dangers": d.dangers, "resources": [asdict(r) for r in d.resources],
                       "reachAdded": d.reach_added, "reachRemoved": d.reach_removed,
                       "publicIngressAdded": d.public_ingress_added,
                       "outputs": [asdict(o) for o in d.outputs]}, indent=2, sort_keys=True, default=str) + "\n"
