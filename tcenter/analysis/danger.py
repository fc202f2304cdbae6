"""The ONE table of danger classes: what a reviewer must stop on. Used by `diff` (exit 2) and the PR comment."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from components import awsfacts

from ..core import iamdoc
from ..core.planview import same

DANGER_CLASSES: dict[str, str] = {
    "access": "a principal newly able to reach a guarded asset (customer data, signing, audit evidence, key "
              "administration; tcenter/analysis/layers.py): effective access, every layer combined",
    "layer": "one layer widened toward a guarded asset or a new path between zones while another layer still "
             "blocks it (the next change may remove that one)",
    "deny-removed": "an explicit Deny statement removed or weakened",
    "trust": "a new trusted principal (who may assume a role), and from which account",
    "retention": "an Object Lock mode weakened or a retention shortened (Object Lock, log retention, backups/PITR)",
    "audit": "audit coverage removed (trail selectors, data events, flow logs)",
    "network": "a new network path between zones or from outside",
    "protection": "protect or retainOnDelete removed from a stateful resource",
    "loss": "deleting or replacing a key, store, table or archive",
    "public": "public ingress",
}

LOCK_STRENGTH = {"COMPLIANCE": 2, "GOVERNANCE": 1}


@dataclass(frozen=True)
class Danger:
    """One dangerous change: its class (DANGER_CLASSES), the resource it concerns, the layer it
    widens (tcenter.analysis.layers; "" when none applies), the asset class, the sentence, and the
    layers that still block it (empty when nothing does, or when the class has no layers)."""
    cls: str
    sentence: str
    urn: str = ""
    type: str = ""
    layer: str = ""
    asset_class: str = ""
    still_blocked_by: tuple[str, ...] = ()
    effective: str = ""
    """For access and layer dangers: the effective access now ("yes", "if ...", "no"), or the ports
    now reachable on the path ("-" for none)."""

    def __str__(self) -> str:
        return f"[{self.cls}] {self.sentence}"

    def as_dict(self) -> dict[str, Any]:
        return {"class": self.cls, "urn": self.urn, "type": self.type, "layer": self.layer,
                "asset_class": self.asset_class, "sentence": self.sentence,
                "still_blocked_by": list(self.still_blocked_by), "effective": self.effective}


_statements = iamdoc.statements


def blocked_text(blockers: tuple[str, ...] | list[str]) -> str:
    return "; still blocked by " + "; ".join(blockers) if blockers else ""


def _principals(value: Any) -> set[str]:
    """Who the Allow statements of a document name, as `Kind:value` ('*' for everyone)."""
    return {"*" if kind == "*" else f"{kind}:{who}"
            for s in iamdoc.statements(value) if s.get("Effect") == "Allow"
            for kind, who in iamdoc.principal_entries(s)}


def _account_of(principal: str) -> str:
    found = re.search(r"(\d{12})", principal)
    return f"account {found.group(1)}" if found else "no account (a service or any principal)"


POLICY_PROPERTIES = ("policy", "assumeRolePolicy", "content")
"""Inputs holding a policy document whose Deny statements are walls (content: an SCP's)."""


def removed_denies(old: dict[str, dict], new: dict[str, dict]) -> list[tuple[dict, str, dict]]:
    """(base resource, property, statement) for every Deny statement of the base that the head
    no longer has word for word: removed, changed, or gone with its resource."""
    out = []
    for key in sorted(old):
        b, h = old[key], new.get(key)
        bi, hi = b.get("inputs", {}), (h or {}).get("inputs", {})
        for prop in POLICY_PROPERTIES:
            if prop not in bi or (h is not None and same(bi[prop], hi.get(prop))):
                continue
            head_denies = {json.dumps(s, sort_keys=True) for s in _statements(hi.get(prop)) if s.get("Effect") == "Deny"}
            for s in _statements(bi.get(prop)):
                if s.get("Effect") == "Deny" and json.dumps(s, sort_keys=True) not in head_denies:
                    out.append((b, prop, s))
    return out


def resource_dangers(old: dict[str, dict], new: dict[str, dict]) -> list[Danger]:
    """Dangers read from resources one by one (Deny removals: tcenter.analysis.widening)."""
    out: list[Danger] = []
    for key in sorted(set(old) | set(new)):
        b, h = old.get(key), new.get(key)
        if b is None or h is None:
            if b is not None and b["type"] in ("aws:ec2/flowLog:FlowLog", "aws:cloudtrail/trail:Trail"):
                out.append(Danger("audit", f"{b['name']} deleted: its audit records stop", b["urn"], b["type"]))
            continue
        bi, hi, name, type_ = b.get("inputs", {}), h.get("inputs", {}), h["name"], h["type"]
        at = {"urn": h["urn"], "type": type_}
        for who in sorted(_principals(hi.get("assumeRolePolicy")) - _principals(bi.get("assumeRolePolicy"))):
            out.append(Danger("trust", f"{name}: new trusted principal {who} ({_account_of(who)}) may assume "
                                       f"{hi.get('name', name)}", **at))
        if type_.endswith("BucketObjectLockConfiguration"):
            br = ((bi.get("rule") or {}).get("defaultRetention") or {})
            hr = ((hi.get("rule") or {}).get("defaultRetention") or {})
            if LOCK_STRENGTH.get(hr.get("mode"), 0) < LOCK_STRENGTH.get(br.get("mode"), 0):
                out.append(Danger("retention", f"{name}: Object Lock mode {br.get('mode')} -> {hr.get('mode')} "
                                               "(GOVERNANCE can be bypassed with s3:BypassGovernanceRetention)", **at))
            if _lock_days(hr) < _lock_days(br):
                out.append(Danger("retention", f"{name}: Object Lock retention {_lock_days(br)} -> {_lock_days(hr)} days",
                                  **at))
        if "retentionInDays" in bi and (hi.get("retentionInDays") or 0) not in (0,) \
                and hi.get("retentionInDays", 0) < bi["retentionInDays"]:
            out.append(Danger("retention", f"{name}: log retention {bi['retentionInDays']} -> "
                                           f"{hi.get('retentionInDays')} days", **at))
        if (bi.get("pointInTimeRecovery") or {}).get("enabled") and not (hi.get("pointInTimeRecovery") or {}).get("enabled"):
            out.append(Danger("retention", f"{name}: point-in-time recovery (backups) turned off", **at))
        if type_ == "aws:cloudtrail/trail:Trail":
            for prop in ("advancedEventSelectors", "eventSelectors"):
                head_items = {json.dumps(x, sort_keys=True) for x in hi.get(prop) or []}
                for item in bi.get(prop) or []:
                    if json.dumps(item, sort_keys=True) not in head_items:
                        out.append(Danger("audit", f"{name}: trail selector "
                                                   f"{item.get('name', json.dumps(item, sort_keys=True))!s} removed or changed",
                                          **at))
        if type_ == "aws:ec2/flowLog:FlowLog" and bi.get("trafficType") == "ALL" and hi.get("trafficType") != "ALL":
            out.append(Danger("audit", f"{name}: flow log records {hi.get('trafficType')} instead of ALL traffic", **at))
        bo, ho = b.get("options", {}), h.get("options", {})
        for opt in ("protect", "retainOnDelete"):
            if bo.get(opt) and not ho.get(opt):
                out.append(Danger("protection", f"{name}: {opt} removed; the next change may delete it in AWS", **at))
    return out


def loss_sentence(resource: dict[str, Any], verb: str) -> str:
    """What AWS does when the plan deletes or replaces a stateful resource."""
    options = resource.get("options", {})
    name = resource["name"]
    if options.get("protect"):
        return (f"{name} would be {verb}: `pulumi up` refuses while it is protected; once unprotected and "
                + ("retained, it stays in AWS orphaned: no longer managed, its policies and audit data events gone"
                   if options.get("retainOnDelete") else "it is deleted with its data"))
    if options.get("retainOnDelete"):
        return f"{name} would be {verb}: retained in AWS but orphaned and unaudited (its data stays, unmanaged)"
    extra = " (new ARN" + (" and new public key" if "kms/key" in resource["type"] else "") + ": whatever names it must change)" \
        if verb.startswith("replaced") else ""
    return f"{name} would be {verb} with its data{extra}"


is_stateful = awsfacts.is_stateful
"""The one table of stateful types (components.awsfacts.STATEFUL_TYPES)."""


def _lock_days(retention: dict) -> int:
    """An Object Lock default retention in days (years count 365)."""
    return (retention.get("days") or 0) + 365 * (retention.get("years") or 0)
