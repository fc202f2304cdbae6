"""`tcenter plan STACK`: the versioned, deterministic plan (docs/plan-format.md)."""

from __future__ import annotations

import argparse
from typing import Any

from ..core.options import add_output
from ..core.output import console, write
from .format import dumps


def run_plan(args: argparse.Namespace) -> int:
    plan = args.workspace.plan(args.stack)
    write(dumps(plan), args.output)
    if args.output and args.output != "-":
        console(stderr=True).print(f"wrote {args.output}: {len(plan['resources'])} resources of stack {plan['stack']}")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("plan", help="the stack's plan as versioned JSON (docs/plan-format.md)")
    p.add_argument("stack", help="the stack to plan (a stacks/Pulumi.STACK.yaml of the project)")
    add_output(p)
    p.set_defaults(func=run_plan)
