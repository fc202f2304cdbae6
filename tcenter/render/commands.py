"""`tcenter review`, `diagram`, `export`, `comment`: what a reviewer reads."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..core.options import OUT_DIR_HELP, TARGET_HELP, add_format, add_output
from ..core.output import console, progress, text_width, write


def run_review(args: argparse.Namespace) -> int:
    from ..analysis import reach
    from ..plan.format import save
    from . import diagram
    from .summary import summary

    plan = args.workspace.plan_for(args.stack)
    stack = plan["stack"]
    out = Path(args.out_dir or f"out/{stack}")
    out.mkdir(parents=True, exist_ok=True)
    save(plan, out / "plan.json")
    shown = console()
    declared = [r for r in plan["resources"] if r.get("custom") and not r["type"].startswith("pulumi:providers:")]
    console(stderr=True).print(f"[bold]tcenter review {args.stack}[/bold]: wrote {out / 'plan.json'} "
                               f"({len(declared)} AWS resources, and {len(plan['resources']) - len(declared)} "
                               "components and providers; format docs/plan-format.md)")
    table, protected = summary(plan)
    shown.print(table)
    if protected:
        shown.print("protected and retained (a destroy or replacement stops at them): " + ", ".join(protected))
    else:
        shown.print("nothing is protected or retained: this stack is fully destroyable")
    result = reach.compute(plan)
    (out / "reach.json").write_text(reach.dumps(result), encoding="utf-8")
    write(reach.render_text(result, f"Reachability of {stack} (TCP ports)", text_width()), None)
    try:
        with progress("rendering the diagram..."):
            files = diagram.render(plan, out)
        console(stderr=True).print("diagram: " + ", ".join(str(f) for f in files))
    except diagram.GraphvizMissing as error:
        console(stderr=True).print(f"[yellow]diagram skipped:[/yellow] {error}")
    return 0


def run_diagram(args: argparse.Namespace) -> int:
    from . import diagram

    plan = args.workspace.plan_for(args.target)
    for path in diagram.render(plan, Path(args.out_dir or f"out/{plan['stack']}")):
        console(stderr=True).print(f"wrote {path}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from . import export

    plan = args.workspace.plan_for(args.target)
    base = args.workspace.plan_for(args.base) if args.base else None
    write(export.dumps(export.export_terraform_plan(plan, base)), args.output)
    return 0


def run_comment(args: argparse.Namespace) -> int:
    from . import comment

    text, code = comment.run(args)
    write(text, args.output)
    return code


def register(sub: Any) -> None:
    from .comment import DEFAULT_BUDGET

    p = sub.add_parser("review", help="plan, reachability table, diagram and summary of a stack (start here)")
    p.add_argument("stack", metavar="STACK|PLAN", help=TARGET_HELP)
    p.add_argument("--out-dir", metavar="DIR", help=OUT_DIR_HELP)
    p.set_defaults(func=run_review)

    p = sub.add_parser("diagram", help="architecture picture (PNG and SVG)")
    p.add_argument("target", metavar="STACK|PLAN", help=TARGET_HELP)
    p.add_argument("--out-dir", metavar="DIR", help=OUT_DIR_HELP)
    p.set_defaults(func=run_diagram)

    p = sub.add_parser("export", help="the plan in another tool's format")
    p.add_argument("target", metavar="STACK|PLAN", help=TARGET_HELP)
    p.add_argument("--format", choices=("terraform-plan",), required=True,
                   help="terraform-plan: the shape of `terraform show -json` for a plan (checkov, conftest, tfcmt)")
    p.add_argument("--base", metavar="STACK|PLAN", help="what is deployed now: resources then carry the action a "
                   "deploy from it would take (create, update, replace, delete, no-op), with before and after")
    add_output(p)
    p.set_defaults(func=run_export)

    p = sub.add_parser("comment", help="the pull-request comment: verdicts, every danger first, details within a budget")
    p.add_argument("--base-dir", required=True, help="directory of base plans (STACK.json); a missing one is a new stack")
    p.add_argument("--head-dir", required=True, help="directory of head plans (STACK.json)")
    p.add_argument("--stacks", nargs="+", required=True, help="the stacks to report on")
    p.add_argument("--base-ref", default="base", help="the base branch name, for the title")
    p.add_argument("--artifact-url", default="the tcenter-review artifact of this run",
                   help="where the full report is")
    p.add_argument("--budget", type=int, default=DEFAULT_BUDGET, help=f"characters (default {DEFAULT_BUDGET})")
    p.add_argument("--append", help="a markdown file to include before the footer (approval states)")
    add_format(p, ("markdown", "json"), default="markdown")
    add_output(p)
    p.set_defaults(func=run_comment)
