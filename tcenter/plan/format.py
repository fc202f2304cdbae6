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

from typing import TYPE_CHECKING

from ..core.errors import InputError

if TYPE_CHECKING:
    from .engine import ProgramRun, RecordedResource

FORMAT = "transparency-center-plan"
VERSION = 1
SECRET = "[secret]"
UNKNOWN = "[unknown]"


class PlanError(InputError):
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
    problem = body_problem(plan)
    if problem:
        raise PlanError(f"{path}: not a valid plan: {problem}")
    return plan


# What every command may rely on in a loaded plan: key -> allowed JSON types (None: may be null).
_PLAN_FIELDS: dict[str, tuple[type, ...]] = {"stack": (str,), "resources": (list,), "outputs": (dict,)}
_RESOURCE_FIELDS: dict[str, tuple[type, ...]] = {
    "urn": (str,), "type": (str,), "name": (str,), "custom": (bool,), "parent": (str, type(None)),
    "provider": (str, type(None)), "dependencies": (list,), "propertyDependencies": (dict,),
    "options": (dict,), "inputs": (dict,), "outputs": (dict,),
}
_REQUIRED_RESOURCE_FIELDS = ("urn", "type", "name")
_TYPE_NAMES = {str: "a string", list: "a list", dict: "an object", bool: "true/false", type(None): "null"}


def _expected(types: tuple[type, ...]) -> str:
    return " or ".join(_TYPE_NAMES[t] for t in types)


def body_problem(plan: dict[str, Any]) -> str | None:
    """The first structural defect of a plan's body, as '<key path> must be ...', or None."""
    for key, types in _PLAN_FIELDS.items():
        if key not in plan:
            return f"missing key {key!r}"
        if not isinstance(plan[key], types):
            return f"{key!r} must be {_expected(types)}, not {type(plan[key]).__name__}"
    seen: set[str] = set()
    for index, resource in enumerate(plan["resources"]):
        where = f"resources[{index}]"
        if not isinstance(resource, dict):
            return f"{where} must be an object, not {type(resource).__name__}"
        for key in _REQUIRED_RESOURCE_FIELDS:
            if key not in resource:
                return f"{where} has no {key!r}"
        for key, types in _RESOURCE_FIELDS.items():
            if key in resource and not isinstance(resource[key], types):
                return f"{where}.{key} must be {_expected(types)}, not {type(resource[key]).__name__}"
        if resource["urn"] in seen:
            return f"{where}: duplicate urn {resource['urn']!r}"
        seen.add(resource["urn"])
        for key in ("dependencies",):
            if any(not isinstance(v, str) for v in resource.get(key, [])):
                return f"{where}.{key} must be a list of urns (strings)"
        for prop, urns in resource.get("propertyDependencies", {}).items():
            if not isinstance(urns, list) or any(not isinstance(v, str) for v in urns):
                return f"{where}.propertyDependencies.{prop} must be a list of urns (strings)"
    return None


def plan_stack(stack: str, **kwargs: Any) -> dict[str, Any]:
    """Run the program for `stack` on the mock engine and return its plan."""
    from .engine import run_program

    return build_plan(run_program(stack, **kwargs))
