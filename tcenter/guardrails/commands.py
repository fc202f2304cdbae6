"""`tcenter check PLAN|STACK`: the center's invariants over a plan (exit 0 none violated,
1 violations, 3 not a plan or the stack does not plan, 64 neither a plan nor --rules)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..core.errors import InputError, UsageError
from ..core.output import one_line


def run(args: argparse.Namespace) -> int:
    from . import RULES
    from .check import check_plan

    out = sys.stdout
    if args.rules:
        for each in RULES:
            print(f"{each.id:34} {each.control}\n{'':34} {each.description}", file=out)
        return 0
    if args.plan is None:
        raise UsageError("give a plan file (tcenter plan STACK -o PLAN.json), a stack name, or --rules")
    try:
        plan = args.workspace.plan_for(args.plan)
    except InputError as error:
        raise InputError(f"check: {one_line(str(error))}") from None
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


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="the kit's policy rules on a stack's plan",
                       description="Check a plan against the center's invariants (the same rules as the policy pack).")
    p.add_argument("plan", nargs="?", metavar="PLAN|STACK",
                   help="a plan file written by `tcenter plan`, or a stack name (planned on the mock engine)")
    p.add_argument("--rules", action="store_true", help="list the rules and the controls they implement, then exit")
    p.set_defaults(func=run)
