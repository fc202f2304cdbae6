"""The one view of a plan's resources that several commands need: resources by type, the
zone a resource belongs to, stack-independent resource keys. Pure functions over a plan
(the dict `tcenter plan` writes, docs/plan-format.md)."""

from __future__ import annotations

import contextlib
import json
import pickle
from typing import Any

PROVIDER_TYPE_PREFIX = "pulumi:providers:"
SUBNET_TYPE = "aws:ec2/subnet:Subnet"
UNKNOWN_ZONE = "?"


def by_type(plan: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Resources grouped by type token, in plan order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for resource in plan.get("resources", []):
        grouped.setdefault(resource["type"], []).append(resource)
    return grouped


def is_provider(resource: dict[str, Any]) -> bool:
    return resource["type"].startswith(PROVIDER_TYPE_PREFIX)


def resource_key(urn: str) -> str:
    """`urn:pulumi:STACK::PROJECT::TYPE::NAME` -> `TYPE::NAME` (the same in every stack)."""
    return urn.split("::", 2)[2] if urn.count("::") >= 3 else urn


def tags(resource: dict[str, Any]) -> dict[str, Any]:
    value = (resource.get("inputs") or {}).get("tags")
    return value if isinstance(value, dict) else {}


def zone_tag(resource: dict[str, Any]) -> str | None:
    """The resource's own `zone` tag (what the network analysis trusts), or None."""
    return tags(resource).get("zone")


def _default_tags(provider: dict[str, Any]) -> dict[str, Any]:
    default = (provider.get("inputs") or {}).get("defaultTags")
    if isinstance(default, str):
        with contextlib.suppress(json.JSONDecodeError):
            default = json.loads(default)
    return default.get("tags") if isinstance(default, dict) and isinstance(default.get("tags"), dict) else {}


def zones(plan: dict[str, Any]) -> dict[str, str]:
    """Each resource's zone (by URN): its `zone` tag, else the zone of the subnet it is
    placed in, else the zone in its provider's default tags (every area of the center has
    its own provider), else '?'."""
    resources = plan.get("resources", [])
    providers = {r["urn"]: r for r in resources if is_provider(r)}
    subnet_zone = {str(r.get("outputs", {}).get("id")): tags(r).get("zone", UNKNOWN_ZONE)
                   for r in resources if r["type"] == SUBNET_TYPE}
    found: dict[str, str] = {}
    for resource in resources:
        inputs = resource.get("inputs") or {}
        zone = zone_tag(resource)
        if not zone:
            subnets = [inputs.get("subnetId")] + list(inputs.get("subnetIds") or [])
            zone = next((subnet_zone[s] for s in subnets if s in subnet_zone), None)
        if not zone and resource.get("provider") in providers:
            zone = _default_tags(providers[resource["provider"]]).get("zone")
        found[resource["urn"]] = zone or UNKNOWN_ZONE
    return found


def same(a: Any, b: Any) -> bool:
    """Equal as JSON, fast: Python's == (in C), then pickle's bytes (in C), which tell true, 1 and
    1.0 apart where == does not. Pickles of equal values can differ (key order, shared objects):
    then this says "not the same" and the caller compares the slow, exact way."""
    return a == b and pickle.dumps(a) == pickle.dumps(b)
