"""The ONE table of danger classes: what a reviewer must stop on. Used by `diff` (exit 2) and the PR comment."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from components import awsfacts

from ..core import iamdoc
from .access import effective_access

DANGER_CLASSES: dict[str, str] = {
    "access": "a principal newly able to read, decrypt or delete customer data, or to sign",
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
    cls: str
    sentence: str


_statements = iamdoc.statements


def _principals(value: Any) -> set[str]:
    """Who the Allow statements of a document name, as `Kind:value` ('*' for everyone)."""
    return {"*" if kind == "*" else f"{kind}:{who}"
            for s in iamdoc.statements(value) if s.get("Effect") == "Allow"
            for kind, who in iamdoc.principal_entries(s)}


def _account_of(principal: str) -> str:
    found = re.search(r"(\d{12})", principal)
    return f"account {found.group(1)}" if found else "no account (a service or any principal)"


def access_dangers(base: dict[str, Any], head: dict[str, Any]) -> list[Danger]:
    if not head.get("resources"):
        return []
    before = effective_access(base) if base.get("resources") else {"principals": {}, "assets": {}}
    after = effective_access(head)
    out = []
    for key, entry in after["principals"].items():
        old = before["principals"].get(key, {}).get("access", {})
        for asset, row in entry["access"].items():
            meta = after["assets"].get(asset, {})
            for cls, text in row.items():
                sensitive = (meta.get("customer_data") and cls in ("read", "decrypt", "delete")) or cls == "sign"
                if sensitive and old.get(asset, {}).get(cls) != text and (old.get(asset, {}).get(cls) is None
                                                                         or text == "yes"):
                    who = key.split(":role/")[-1]
                    out.append(Danger("access", f"{who} can newly {cls} {asset} ({text})"))
    return out


def resource_dangers(old: dict[str, dict], new: dict[str, dict]) -> list[Danger]:
    out: list[Danger] = []
    for key in sorted(set(old) | set(new)):
        b, h = old.get(key), new.get(key)
        if b is None or h is None:
            if b is not None and b["type"] in ("aws:ec2/flowLog:FlowLog", "aws:cloudtrail/trail:Trail"):
                out.append(Danger("audit", f"{b['name']} deleted: its audit records stop"))
            continue
        bi, hi, name, type_ = b.get("inputs", {}), h.get("inputs", {}), h["name"], h["type"]
        for prop in ("policy", "assumeRolePolicy"):
            if prop not in bi and prop not in hi:
                continue
            head_denies = {json.dumps(s, sort_keys=True) for s in _statements(hi.get(prop)) if s.get("Effect") == "Deny"}
            for s in _statements(bi.get(prop)):
                if s.get("Effect") == "Deny" and json.dumps(s, sort_keys=True) not in head_denies:
                    out.append(Danger("deny-removed", f"{name}: Deny statement {s.get('Sid', '(no Sid)')} removed or changed"))
        for who in sorted(_principals(hi.get("assumeRolePolicy")) - _principals(bi.get("assumeRolePolicy"))):
            out.append(Danger("trust", f"{name}: new trusted principal {who} ({_account_of(who)}) may assume {hi.get('name', name)}"))
        if type_.endswith("BucketObjectLockConfiguration"):
            br = ((bi.get("rule") or {}).get("defaultRetention") or {})
            hr = ((hi.get("rule") or {}).get("defaultRetention") or {})
            if LOCK_STRENGTH.get(hr.get("mode"), 0) < LOCK_STRENGTH.get(br.get("mode"), 0):
                out.append(Danger("retention", f"{name}: Object Lock mode {br.get('mode')} -> {hr.get('mode')} "
                                               "(GOVERNANCE can be bypassed with s3:BypassGovernanceRetention)"))
            if _lock_days(hr) < _lock_days(br):
                out.append(Danger("retention", f"{name}: Object Lock retention {_lock_days(br)} -> {_lock_days(hr)} days"))
        if "retentionInDays" in bi and (hi.get("retentionInDays") or 0) not in (0,) \
                and hi.get("retentionInDays", 0) < bi["retentionInDays"]:
            out.append(Danger("retention", f"{name}: log retention {bi['retentionInDays']} -> {hi.get('retentionInDays')} days"))
        if (bi.get("pointInTimeRecovery") or {}).get("enabled") and not (hi.get("pointInTimeRecovery") or {}).get("enabled"):
            out.append(Danger("retention", f"{name}: point-in-time recovery (backups) turned off"))
        if type_ == "aws:cloudtrail/trail:Trail":
            for prop in ("advancedEventSelectors", "eventSelectors"):
                head_items = {json.dumps(x, sort_keys=True) for x in hi.get(prop) or []}
                for item in bi.get(prop) or []:
                    if json.dumps(item, sort_keys=True) not in head_items:
                        out.append(Danger("audit", f"{name}: trail selector {item.get('name', json.dumps(item, sort_keys=True))!s} removed or changed"))
        if type_ == "aws:ec2/flowLog:FlowLog" and bi.get("trafficType") == "ALL" and hi.get("trafficType") != "ALL":
            out.append(Danger("audit", f"{name}: flow log records {hi.get('trafficType')} instead of ALL traffic"))
        bo, ho = b.get("options", {}), h.get("options", {})
        for opt in ("protect", "retainOnDelete"):
            if bo.get(opt) and not ho.get(opt):
                out.append(Danger("protection", f"{name}: {opt} removed; the next change may delete it in AWS"))
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
