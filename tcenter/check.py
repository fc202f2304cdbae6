"""`tcenter check PLAN.json` (or `tcenter check STACK`): the center's invariants (tcenter/rules.py) over a plan file.

The same rules run in the CrossGuard pack (policy/) during `pulumi preview` and `pulumi up`;
here they run offline, without credentials, on what `tcenter plan` recorded. Exit status 0
when nothing is violated, 1 when anything is, 3 when the file is not a plan or the stack
does not plan (tcenter's error status), 64 when neither a plan nor --rules is given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .engine import PROJECT_ROOT, EngineError, stack_names
from .plan import PlanError, load
from .rules import RULES, Resource, Stack, Violation, check_all, environment_of_stack, normalize

EXIT_ERROR = 3

__all__ = ["Violation", "check_plan", "configure_parser", "plan_view", "run"]


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


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = "Check a plan against the center's invariants (the same rules as the policy pack)."
    parser.add_argument("plan", nargs="?", metavar="PLAN|STACK",
                        help="a plan file written by `tcenter plan`, or a stack name (planned on the mock engine)")
    parser.add_argument("--rules", action="store_true", help="list the rules and the controls they implement, then exit")


def _load_or_plan(target: str, project_dir: str | None) -> dict[str, Any]:
    """A plan file; or, when no such file exists and the name is a stack, that stack's plan."""
    project = Path(project_dir).resolve() if project_dir else PROJECT_ROOT
    if not Path(target).exists() and target in stack_names(project):
        from .cli import CliError, plan_current

        try:
            return plan_current(target, project_dir=project)
        except CliError as error:  # bad config or a program that raises: one line, like every command
            raise PlanError(str(error)) from None
    return load(Path(target))


def run(args: argparse.Namespace) -> int:
    out = sys.stdout
    if getattr(args, "rules", False):
        for each in RULES:
            print(f"{each.id:34} {each.control}\n{'':34} {each.description}", file=out)
        return 0
    if args.plan is None:
        from .cli import UsageError

        raise UsageError("give a plan file (tcenter plan STACK -o PLAN.json), a stack name, or --rules")
    try:
        plan = _load_or_plan(args.plan, getattr(args, "project_dir", None))
    except (PlanError, EngineError) as error:
        from .cli import one_line

        print(f"tcenter check: {one_line(str(error))}", file=sys.stderr)
        return EXIT_ERROR
    violations = check_plan(plan)
    stack = plan.get("stack", "?")
    if not violations:
        print(f"{stack}: {len(plan.get('resources') or [])} resources, {len(RULES)} rules, no violations", file=out)
        return 0
    for violation in violations:
        print(f"{stack}: {violation.rule} [{violation.control}]\n  resource: {violation.urn}\n  {violation.message}",
              file=out)
    broken = sorted({v.rule for v in violations})
    print(f"{stack}: {len(violations)} violation(s) of {len(broken)} rule(s): {', '.join(broken)}", file=out)
    return 1
