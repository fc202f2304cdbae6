"""`tcenter diff`, `tcenter reach`, `tcenter access`: what a change does, which zone reaches
which, and who can do what to each asset."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..core.errors import UsageError
from ..core.options import OUTPUT_HELP, TARGET_HELP, add_format
from ..core.output import console, write
from ..plan.workspace import Workspace, load_plan


class _GitRevision(argparse.Action):
    """`--git REV` joins the positional plan files as `git:REV`, in command-line order."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        sources = list(getattr(namespace, self.dest, None) or [])
        sources.append(f"git:{values}")
        setattr(namespace, self.dest, sources)


class _PlanSources(argparse.Action):
    """Positional plan files, appended after any `--git` seen before them (keeps the order)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        sources = list(getattr(namespace, self.dest, None) or [])
        sources.extend(values)
        setattr(namespace, self.dest, sources)


def _diff_source(workspace: Workspace, source: str, stack: str | None,
                 pending: dict[str, Any]) -> tuple[dict[str, Any], str]:
    if source.startswith("git:"):
        return pending[source].result(), f"{stack}@{source[4:]}"
    if source.startswith("stack:"):
        return workspace.plan(source[6:]), f"{source[6:]} (working tree)"
    return load_plan(source), source


def run_diff(args: argparse.Namespace) -> int:
    from ..render import diff_text
    from . import diff

    sources: list[str] = args.sources
    if not 1 <= len(sources) <= 2:
        raise UsageError("diff takes a BASE and a HEAD (plan files or --git REV); HEAD defaults to the working tree")
    if len(sources) == 1:
        if not args.stack:
            raise UsageError("with one side only, --stack STACK names the working-tree stack to compare against")
        sources = sources + [f"stack:{args.stack}"]
    revisions = [s[4:] for s in sources if s.startswith("git:")]
    if revisions and not args.stack:
        raise UsageError("--git needs --stack STACK: which stack to plan at that revision")
    if len(revisions) == 2 and args.workspace.same_program(revisions, args.stack):
        # the program and the stack file are the same at both revisions: so are the plans
        base = head = {"resources": [], "outputs": {}}
        base_label, head_label = (f"{args.stack}@{r}" for r in revisions)
    else:
        # revisions plan in subprocesses: start them all before anything is planned here
        pending = {s: args.workspace.start_plan_at(s[4:], args.stack) for s in sources if s.startswith("git:")}
        try:
            base, base_label = _diff_source(args.workspace, sources[0], args.stack, pending)
            head, head_label = _diff_source(args.workspace, sources[1], args.stack, pending)
        finally:
            for plan in pending.values():  # one side failed: stop the other
                plan.cancel()
    result = diff.diff_plans(base, head, base_label, head_label)
    if args.format == "markdown":
        write(diff_text.render_markdown(result), args.output)
    elif args.format == "json":
        write(diff.as_json(result), args.output)
    elif args.output and args.output != "-":
        from rich.console import Console

        with open(args.output, "w", encoding="utf-8") as handle:
            diff_text.render_terminal(result, Console(file=handle, width=160, no_color=True, highlight=False))
    else:
        diff_text.render_terminal(result, console())
    return result.exit_code


def run_reach(args: argparse.Namespace) -> int:
    from . import reach

    from ..core.output import text_width

    plan = args.workspace.plan_for(args.target)
    result = reach.compute(plan)
    if args.format == "json":
        write(reach.dumps(result), args.output)
    elif args.format == "markdown":
        write(reach.markdown_table(result) + "\n\n" + reach.LEGEND + "\n", args.output)
    else:
        write(reach.render_text(result, f"Reachability of {plan['stack']} (TCP ports)", text_width()), args.output)
    return 0


def run_access(args: argparse.Namespace) -> int:
    from ..core.output import text_width
    from ..render import access_text
    from . import access

    result = access.select(access.effective_access(args.workspace.plan_for(args.target)),
                           principal=args.principal, asset=args.asset, only=args.only)
    if args.format == "json":
        text = json.dumps(result, indent=2, sort_keys=True) + "\n"
    elif args.format == "markdown":
        text = access_text.render_markdown(result)
    else:
        text = access_text.render_text(result, text_width())
    write(text, args.output)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("diff", help="compare two plans: BASE and HEAD are plan files or --git REV",
                       description="BASE and HEAD are plan files, or `--git REV` (plans that revision). "
                                   "With one side only, HEAD is the working tree's --stack. "
                                   "Exit: 0 no changes, 1 changes, 2 dangerous changes, 3 error.")
    p.add_argument("sources", nargs="*", metavar="PLAN", action=_PlanSources, default=[],
                   help="BASE then HEAD: plan files (or use --git REV for either side)")
    p.add_argument("--git", dest="sources", action=_GitRevision, metavar="REV",
                   help="a git revision to plan (in order with the plan files)")
    p.add_argument("-s", "--stack", help="stack to plan for --git and for the working tree")
    add_format(p, ("text", "markdown", "json"))
    p.add_argument("-o", "--output", help=OUTPUT_HELP)
    p.set_defaults(func=run_diff)

    p = sub.add_parser("reach", help="zone reachability matrix from SGs, NACLs, routes and endpoints")
    p.add_argument("target", metavar="STACK|PLAN", help=TARGET_HELP)
    add_format(p, ("text", "markdown", "json"))
    p.add_argument("-o", "--output", help=OUTPUT_HELP)
    p.set_defaults(func=run_reach)

    from components.awsfacts import ASSET_CLASSES

    p = sub.add_parser("access", help="effective access: who can read/write/delete/decrypt/sign/administer each asset")
    p.add_argument("target", metavar="STACK|PLAN", help=TARGET_HELP)
    add_format(p, ("text", "markdown", "json"))
    p.add_argument("--principal", metavar="PATTERN", help="only principals whose name or ARN matches (glob or substring)")
    p.add_argument("--asset", metavar="PATTERN", help="only assets whose name matches (glob or substring)")
    p.add_argument("--only", choices=sorted(ASSET_CLASSES), help="only assets of this class")
    p.add_argument("-o", "--output", help=OUTPUT_HELP)
    p.set_defaults(func=run_access)
