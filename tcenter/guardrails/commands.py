"""`tcenter check PLAN|STACK`: the center's invariants over a plan, as text, JSON, SARIF or
JUnit (exit 0 none violated, 1 violations, 3 not a plan or the stack does not plan, 64 neither
a plan nor --rules)."""

from __future__ import annotations

import argparse
from typing import Any

from ..core.errors import UsageError
from ..core.output import write

FORMATS = ("text", "json", "sarif", "junit")


def run(args: argparse.Namespace) -> int:
    from ..core.stackfiles import stack_file_relpath
    from ..render import check_report
    from . import RULES
    from .check import check_plan, plan_view

    if args.rules:
        write("".join(f"{each.id:34} {each.control}\n{'':34} {each.description}\n" for each in RULES), args.output)
        return 0
    if args.plan is None:
        raise UsageError("give a plan file (tcenter plan STACK -o PLAN.json), a stack name, or --rules")
    plan = args.workspace.plan_for(args.plan)
    violations = check_plan(plan)
    stack = str(plan.get("stack", "?"))
    resources = len(plan.get("resources") or [])
    if args.format == "json":
        text = check_report.as_json(stack, plan_view(plan).environment, resources, RULES, violations)
    elif args.format == "sarif":
        try:
            stack_file = stack_file_relpath(stack, args.workspace.project_dir)
        except Exception:  # noqa: BLE001 - a plan file from elsewhere: name the conventional path
            stack_file = f"stacks/Pulumi.{stack}.yaml"
        text = check_report.as_sarif(stack, stack_file, RULES, violations)
    elif args.format == "junit":
        text = check_report.as_junit(stack, RULES, violations)
    else:
        from ..core.output import text_width

        text = check_report.as_text(stack, resources, RULES, violations, text_width())
    write(text, args.output)
    return 1 if violations else 0


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="the kit's policy rules on a stack's plan",
                       description="Check a plan against the center's invariants (the same rules as the policy pack).")
    p.add_argument("plan", nargs="?", metavar="PLAN|STACK",
                   help="a plan file written by `tcenter plan`, or a stack name (planned on the mock engine)")
    p.add_argument("--rules", action="store_true", help="list the rules and the controls they implement, then exit")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text (default), json, sarif (SARIF 2.1.0, e.g. for GitHub code scanning) or junit (XML)")
    p.add_argument("-o", "--output", help="file (default: stdout)")
    p.set_defaults(func=run)
