"""The plan format: what a stack declares, as versioned, deterministic JSON.

Format `transparency-center-plan`, version 1 (documented in docs/plan-format.md):

    {
      "format": "transparency-center-plan",
      "version": 1,
      "project": "transparency-center",
      "stack": "dev",
      "resources": [            # sorted by urn
        {"urn", "type", "name", "custom", "parent", "provider", "dependencies",
         "propertyDependencies", "options", "inputs", "outputs"}
      ],
      "outputs": {...}          # stack outputs
    }

Secret values are replaced by "[secret]"; values unknown until deploy by "[unknown]".
The same commit and config always produce byte-identical plans (`dumps`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .engine import ProgramRun, RecordedResource

FORMAT = "transparency-center-plan"
VERSION = 1
SECRET = "[secret]"
UNKNOWN = "[unknown]"


class PlanError(Exception):
    """A file that is not a plan this version of tcenter can read."""


def redact(value: Any) -> Any:
    """Replace secrets and unknowns; turn SDK value types into plain JSON."""
    from pulumi.runtime import rpc
    from pulumi.output import Unknown

    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_resource_sig:  # type: ignore[attr-defined]
            return {"resource": value.get("urn", "")}
        return {str(k): redact(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire format carries every number as a double
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def resource_entry(resource: RecordedResource) -> dict[str, Any]:
    return {
        "urn": resource.urn,
        "type": resource.type,
        "name": resource.name,
        "custom": resource.custom,
        "parent": resource.parent,
        "provider": resource.provider,
        "dependencies": resource.dependencies,
        "propertyDependencies": resource.property_dependencies,
        "options": resource.options,
        "inputs": redact(resource.inputs),
        "outputs": redact({k: v for k, v in resource.outputs.items() if k not in resource.inputs}) if resource.custom else {},
    }


def build_plan(run: ProgramRun) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "project": run.project,
        "stack": run.stack,
        "resources": [resource_entry(r) for r in sorted(run.resources, key=lambda r: r.urn)],
        "outputs": redact(run.outputs),
    }


def dumps(plan: dict[str, Any]) -> str:
    return json.dumps(plan, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def save(plan: dict[str, Any], path: Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(dumps(plan), encoding="utf-8")


def load(path: Path) -> dict[str, Any]:
    try:
        plan = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"{path}: no such plan file") from None
    except json.JSONDecodeError as error:
        raise PlanError(f"{path}: not JSON ({error})") from None
    if not isinstance(plan, dict) or plan.get("format") != FORMAT:
        raise PlanError(f"{path}: not a {FORMAT} file")
    if plan.get("version") != VERSION:
        raise PlanError(f"{path}: plan format version {plan.get('version')}; this tcenter reads version {VERSION}")
    return plan


def plan_stack(stack: str, **kwargs: Any) -> dict[str, Any]:
    """Run the program for `stack` on the mock engine and return its plan."""
    from .engine import run_program

    return build_plan(run_program(stack, **kwargs))
