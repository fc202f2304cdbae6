"""`tcenter preview|up|destroy` (Pulumi's Automation API behind the approval and destroy
guards) and `tcenter attest` (the live account against the plan, read-only)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..core.errors import InputError, ToolMissing
from ..core.options import OUTPUT_HELP, TARGET_HELP, add_format
from ..core.output import write


def run_lifecycle(args: argparse.Namespace) -> int:
    """Guards first (destroy confirmation, approvals), then Pulumi."""
    import os

    from ..supply import approvals
    from . import lifecycle

    backend = lifecycle.Backend(args.backend, args.secrets_provider)
    repo = args.workspace.project_dir
    if args.command == "destroy":
        lifecycle.check_destroy_allowed(args.stack, args.confirm_destroy, os.environ, repo)
    # The stack is planned first, whatever the command: bad config is refused in one line
    # before the Pulumi CLI is looked for, and `up` gates exactly this plan.
    plan = args.workspace.plan(args.stack)
    if args.command == "up":
        approvals.gate(args.stack, plan, args.base, repo)
    try:
        if args.command == "destroy":
            lifecycle.destroy(args.stack, args.confirm_destroy, backend, project_dir=repo)
        elif args.command == "preview":
            lifecycle.preview(args.stack, backend, tuple(args.policy_pack))
        else:
            lifecycle.up(args.stack, backend, tuple(args.policy_pack))
    except FileNotFoundError as error:  # no pulumi on PATH
        raise ToolMissing(f"the Pulumi CLI is needed for {args.command}: {error}") from None
    return 0


def run_attest(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError

    from components.awsfacts import REGION

    from . import attest, report as reports

    plan = args.workspace.plan_for(args.target)
    try:
        session = boto3.Session(profile_name=args.profile, region_name=REGION)
        result = attest.attest(plan, session)
    except (reports.AttestError, BotoCoreError) as error:
        raise InputError(str(error)) from None
    if args.format == "json":
        write(reports.as_json(result), args.output)
    elif args.format == "markdown":
        write(reports.render_markdown(result), args.output)
    elif args.output and args.output != "-":
        with open(args.output, "w", encoding="utf-8") as handle:
            reports.render_terminal(result, handle)
    else:
        reports.render_terminal(result, sys.stdout)
    return result.exit_code


def register(sub: Any) -> None:
    from .lifecycle import DEFAULT_POLICY_PACK

    for action in ("preview", "up", "destroy"):
        p = sub.add_parser(action, help=f"pulumi {action} (Automation API) behind the approval and destroy guards")
        p.add_argument("stack", help="the stack (stacks/Pulumi.STACK.yaml of the project)")
        p.add_argument("--confirm-destroy", metavar="STACK", help="the stack name again (prod destroy only)")
        p.add_argument("--backend", help="state backend URL (default: $PULUMI_BACKEND_URL or file://.pulumi-state)")
        p.add_argument("--secrets-provider", help="e.g. awskms://alias/tc-pulumi-state?region=eu-central-2")
        p.add_argument("--policy-pack", action="append", default=[],
                       help=f"CrossGuard pack directory (e.g. {DEFAULT_POLICY_PACK}); repeatable")
        p.add_argument("--base", help="revision whose config names the approvers (default: merge-base "
                                      "with origin/main, else HEAD~1)")
        p.set_defaults(func=run_lifecycle)

    p = sub.add_parser("attest", help="compare the live account with a stack's plan (read-only; exit 0 match, 4 drift)",
                       description="Compare the live account (read-only, standard AWS environment) with a stack's "
                                   "plan. Exit: 0 match, 4 drift, 3 error.")
    p.add_argument("target", metavar="STACK|PLAN", help=TARGET_HELP)
    p.add_argument("--profile", help="AWS profile (default: the standard environment)")
    add_format(p, ("text", "markdown", "json"))
    p.add_argument("-o", "--output", help=OUTPUT_HELP)
    p.set_defaults(func=run_attest)
