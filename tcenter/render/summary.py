"""The review summary: resources per zone, and what a destroy or replacement stops at."""

from __future__ import annotations

from typing import Any

from ..core.planview import is_provider, zones


def summary(plan: dict[str, Any]) -> tuple[Any, list[str]]:
    """(a rich table of resources per zone, the protected or retained resources)."""
    from rich.table import Table

    zone_of = zones(plan)
    counts: dict[str, list[int]] = {}
    protected: list[str] = []
    for resource in plan["resources"]:
        if not resource.get("custom") or is_provider(resource):
            continue
        row = counts.setdefault(zone_of[resource["urn"]], [0, 0])
        row[0] += 1
        options = resource.get("options", {})
        if options.get("protect") or options.get("retainOnDelete"):
            row[1] += 1
            protected.append(f"{resource['type'].rsplit(':', 1)[-1]} {resource['name']}")
    table = Table(title=f"Stack {plan['stack']}: resources per zone")
    table.add_column("zone")
    table.add_column("resources", justify="right")
    table.add_column("protected / retained", justify="right")
    for zone, (count, kept) in sorted(counts.items()):
        table.add_row(zone, str(count), str(kept))
    table.add_row("[bold]total[/bold]", str(sum(c for c, _ in counts.values())), str(len(protected)))
    return table, protected
