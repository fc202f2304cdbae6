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

from ..core import iamdoc
from ..core.errors import ExitCode
from ..core import planview
from ..core.planview import resource_key
from . import danger, exposure, layers, reach, widening
from .replacements import UNKNOWN_TYPE_NOTE, forces_replacement, stateful_reason

__all__ = ["PlanDiff", "ResourceChange", "PropertyChange", "StatementChange", "as_json", "canonical", "diff_plans",
           "resource_key", "value_changes"]

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
    """Every danger as one line, `[class] sentence` (what the text and markdown forms print)."""
    findings: list[danger.Danger] = field(default_factory=list)
    """The same dangers, structured (class, urn, type, layer, asset class, sentence, still blocked by)."""

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
            return int(ExitCode.DANGEROUS)
        return int(ExitCode.CHANGES if self.changed else ExitCode.OK)


_policy_document = iamdoc.policy_document


def _statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A document's statements by Sid (numbered when a statement has none)."""
    out: dict[str, dict[str, Any]] = {}
    for index, statement in enumerate(iamdoc.statements(document)):
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
        elif canonical(old[sid]) != canonical(new[sid]):
            changes.append(StatementChange(prop, "changed", sid, old[sid], new[sid]))
    return changes


same = planview.same
"""Equal as JSON (tcenter.core.planview.same)."""


def canonical(value: Any) -> str:
    """A value as compact JSON with sorted keys: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _path_text(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def value_changes(type_: str, before: Any, after: Any, path: tuple = ()) -> list[PropertyChange]:
    if canonical(before) == canonical(after):
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
        old = [canonical(v) for v in before]
        new = [canonical(v) for v in after]
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
        if canonical(before) == canonical(after):
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
        if canonical(base_opts.get(name)) != canonical(head_opts.get(name)):
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
    verb = "deleted" if change.action == "delete" else "replaced (deleted and created anew)"
    reason = stateful_reason(change.type)
    if reason or _kept(base) or danger.is_stateful(change.type):
        change.risks.append(danger.loss_sentence(base, verb) + (f"; {reason}" if reason else ""))


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
        elif not same(old[key], new[key]):
            change = compare_resource(old[key], new[key])
            if change:
                changes.append(change)

    reach_added, reach_removed, public_added = _reachability(base, head)
    outputs = value_changes("", base.get("outputs", {}), head.get("outputs", {}))
    for pc in outputs:
        pc.replaces = False

    urns = {resource_key(r["urn"]): r["urn"] for plan in (base, head) for r in plan.get("resources", [])}
    network = widening.network_findings(base, head)
    iam = widening.iam_findings(base, head)
    found: list[danger.Danger] = []
    for change in changes:
        found += [danger.Danger("loss", f"{change.type} {risk}", urns.get(change.key, ""), change.type)
                  for risk in change.risks]
    found += [danger.Danger("public", f"public ingress: {finding}", urn, type_)
              for urn, type_, finding in exposure.public_ingress_items(head) if finding in public_added]
    for edge in reach_added:
        src, _, dst = edge.partition(" -> ")
        dst = dst.split(":")[0].removeprefix("endpoint ")
        found.append(danger.Danger("network", f"new network path {edge}"
                                   + (" from or to outside" if reach.INTERNET in edge else " between zones"),
                                   layer=", ".join(sorted(network.opened.get((src, dst), set()))),
                                   asset_class=layers.zone_class(*(z for z in (dst, src) if z != reach.INTERNET))))
    found += danger.resource_dangers(old, new)
    found += iam.dangers + network.dangers
    return PlanDiff(base_label, head_label, changes, reach_added, reach_removed, public_added, outputs,
                    [str(d) for d in found], found)


def _reachability(base: dict[str, Any], head: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """(paths added, paths removed, public ingress added): computed only when a network layer changed."""
    public_added = sorted(set(exposure.public_ingress(head)) - set(exposure.public_ingress(base)))
    if base.get("resources") and head.get("resources") and not widening.changed(base, head, widening.NETWORK_TYPES):
        return [], [], public_added
    reach_before = set(reach.compute(base).edges()) if base.get("resources") else set()
    reach_after = set(reach.compute(head).edges()) if head.get("resources") else set()
    return sorted(reach_after - reach_before), sorted(reach_before - reach_after), public_added


def as_json(d: PlanDiff) -> str:
    from dataclasses import asdict

    return json.dumps({"base": d.base, "head": d.head, "exitCode": d.exit_code, "counts": d.counts,
                       "dangers": [f.as_dict() for f in d.findings], "dangerSentences": d.dangers,
                       "resources": [asdict(r) for r in d.resources],
                       "reachAdded": d.reach_added, "reachRemoved": d.reach_removed,
                       "publicIngressAdded": d.public_ingress_added,
                       "outputs": [asdict(o) for o in d.outputs]}, indent=2, sort_keys=True, default=str) + "\n"
