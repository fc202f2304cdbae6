"""The plan's stand-in ids resolved to the live account's.

The mock engine invents every id and ARN AWS assigns at deploy time (tcenter/plan/engine.py
`StandInMocks`): key ids and ARNs, VPC, subnet, group, endpoint, route table and NACL ids,
prefix list ids and their CIDRs, detector and cluster ids. A deployed account holds AWS's
instead, inside every document and reference. Once a declared resource is found in the account
(by its identity, never by id), each of its outputs maps to the live value the reader recorded
under the same output name; every declared input is then rewritten with those live values
before it is compared. Nothing here is a hand list: the plan's outputs and the readers' ids say
what each stand-in is.
"""

from __future__ import annotations

import re
from typing import Any


class Resolver:
    def __init__(self) -> None:
        self.map: dict[str, str] = {}
        self.cidr_runs: dict[str, str] = {}
        """A stand-in CIDR of a gateway service's prefix list -> that service (s3, dynamodb)."""
        self.pattern: re.Pattern[str] | None = None
        self.pending: dict[str, str] = {}
        """Learnt, not yet applied: `settle()` takes them in (one pattern per matching pass)."""

    def settle(self) -> bool:
        """Take in what was learnt since the last call; True when something new was."""
        new = {k: v for k, v in self.pending.items() if self.map.get(k) != v}
        self.pending.clear()
        if new:
            self.map.update(new)
            self.pattern = None
        return bool(new)

    def learn(self, resource: dict[str, Any], ids: dict[str, Any]) -> None:
        """RESOURCE (declared) was found live with IDS: each stand-in output maps to the live value."""
        outputs = resource.get("outputs") or {}
        inputs = resource.get("inputs") or {}
        for name, live_value in ids.items():
            standin = outputs.get(name)
            if name in inputs and inputs.get(name) == standin:
                continue  # declared, not invented: nothing to resolve
            if isinstance(standin, str) and isinstance(live_value, str) and standin and live_value and standin != live_value:
                self.pending[standin] = live_value
            elif isinstance(standin, list) and name == "cidrBlocks":
                service = str(inputs.get("serviceName", "")).rsplit(".", 1)[-1]
                self.cidr_runs.update({cidr: service for cidr in standin})

    def apply(self, value: Any) -> Any:
        """VALUE with every known stand-in replaced by its live id (in strings, lists, dicts)."""
        if not self.map:
            return value
        if self.pattern is None:
            self.pattern = re.compile("|".join(re.escape(k) for k in sorted(self.map, key=len, reverse=True)))
        pattern, table = self.pattern, self.map

        def walk(item: Any) -> Any:
            if isinstance(item, str):
                return pattern.sub(lambda m: table[m.group(0)], item)
            if isinstance(item, list):
                return [walk(v) for v in item]
            if isinstance(item, dict):
                return {k: walk(v) for k, v in item.items()}
            return item

        return walk(value)


def invented(plan: dict[str, Any]) -> set[str]:
    """Every value the mock engine invented for the plan: the outputs no input declared (ids,
    ARNs, prefix list CIDRs). Some equal what AWS assigns (ARNs built from names), most do not."""
    values: set[str] = set()
    for resource in plan.get("resources") or []:
        inputs = resource.get("inputs") or {}
        for name, value in (resource.get("outputs") or {}).items():
            if name in inputs:
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and len(item) >= 8:
                    values.add(item)
    return values
