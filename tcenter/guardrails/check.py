"""The rules over a plan file: the plan's resources as the rules see them, and every violation.

The same rules run in the CrossGuard pack (policy/) during `pulumi preview` and `pulumi up`;
`tcenter check` runs them offline, without credentials, on what `tcenter plan` recorded.
"""

from __future__ import annotations

from typing import Any

from . import check_all
from .model import Resource, Stack, Violation, environment_of_stack, normalize

__all__ = ["Violation", "check_plan", "plan_view"]


def plan_view(plan: dict[str, Any]) -> Stack:
    """The plan's resources as the rules see them."""
    entries = plan.get("resources") or []
    inputs_by_urn = {entry["urn"]: normalize(entry.get("inputs") or {}) for entry in entries}
    resources = []
    for entry in entries:
        inputs = inputs_by_urn[entry["urn"]]
        provider = entry.get("provider") or ""
        resources.append(Resource(
            urn=entry["urn"],
            type=entry["type"],
            name=entry.get("name", ""),
            inputs=inputs,
            protect=bool((entry.get("options") or {}).get("protect")),
            provider=provider,
            provider_inputs=inputs_by_urn.get(provider),
            property_dependencies={k: tuple(v) for k, v in (entry.get("propertyDependencies") or {}).items()},
            state={**inputs, **normalize(entry.get("outputs") or {})},
        ))
    stack_name = str(plan.get("stack", ""))
    environment = environment_of_stack(stack_name, (plan.get("outputs") or {}).get("environment"))
    return Stack(stack_name, environment, tuple(resources))


def check_plan(plan: dict[str, Any]) -> list[Violation]:
    return check_all(plan_view(plan))
