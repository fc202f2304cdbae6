"""`tcenter preview|up|destroy` (Pulumi's Automation API behind the approval and destroy
guards) and `tcenter attest` (the live account against the plan, read-only)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..core.errors import InputError, ToolMissing
from ..core.options import OUTPUT_HELP, TARGET_HELP, add_format
from ..core.output import write


def run_lifecycle(args: argparse.Namespace) -> int:
    """Guards first (config from outside the tree, destroy confirmation, approvals), then Pulumi
    in a fresh copy of the commit (docs/lifecycle.md)."""
    import os
    import tempfile
    from pathlib import Path

    from pulumi.automation.errors import CommandError

    from ..supply import deployment, subject
    from . import lifecycle

    subject.refuse_config_from_environment(os.environ)
    backend = lifecycle.Backend(args.backend, args.secrets_provider)
    repo = args.workspace.project_dir
    if args.command == "destroy":
        lifecycle.check_destroy_allowed(args.stack, args.confirm_destroy, os.environ, repo)
    # Planning the commit takes seconds: a stack that does not exist is said at once, then a
    # missing Pulumi CLI, and only then is the commit planned (which finds a broken config).
    import shutil

    from ..core.stackfiles import stack_config_path

    stack_config_path(args.stack, repo)
    if shutil.which("pulumi") is None:
        raise ToolMissing(f"the Pulumi CLI is needed for {args.command} and is not on PATH "
                          "(install it from pulumi.com; `tcenter plan`, `diff` and `check` need no CLI)")
    saved_plan = Path(args.plan).resolve() if getattr(args, "plan", None) else None
    # The commit is planned next, whatever the command, and `up` gates exactly this subject.
    with deployment.prepare(repo, args.stack, args.commit, args.policy_pack or None, saved_plan, args.ledger,
                            getattr(args, "bootstrap", False), require_base=args.command == "up",
                            gate_first=args.command == "up") as prepared, \
            tempfile.TemporaryDirectory(prefix="tcenter-pack-config-") as configs:
        state = deployment.gate(prepared) if args.command == "up" else None
        packs = tuple(str(prepared.export / pack["path"]) for pack in prepared.subject.policyPacks)
        pack_configs = []
        for index, _ in enumerate(packs):
            path = Path(configs) / f"pack-{index}.json"
            path.write_text(json.dumps({"all": subject.ENFORCEMENT}))
            pack_configs.append(str(path))
        where = {"project_dir": prepared.export, "state_dir": repo}
        try:
            if args.command == "destroy":
                lifecycle.destroy(args.stack, args.confirm_destroy, backend, **where)
            elif args.command == "preview":
                save = str(Path(args.save_plan).resolve()) if args.save_plan else None
                lifecycle.preview(args.stack, backend, packs, policy_pack_configs=tuple(pack_configs), save_plan=save,
                                  **where)
                if save:
                    print(f"wrote the saved plan {save} (sha256 {subject.file_digest(Path(save), 'the saved plan')}); "
                          f"approve it with `tcenter approve {args.stack} --saved-plan {args.save_plan} ...`",
                          file=sys.stderr)
            else:
                lifecycle.up(args.stack, backend, packs, policy_pack_configs=tuple(pack_configs),
                             plan=str(saved_plan) if saved_plan else None, **where)
        except FileNotFoundError as error:  # no pulumi on PATH
            raise ToolMissing(f"the Pulumi CLI is needed for {args.command}: {error}") from None
        except CommandError as error:  # pulumi ran and failed: its last line, nothing recorded
            lines = [line for line in str(error).splitlines() if line.strip()] or ["(no output)"]
            raise InputError(f"pulumi {args.command} of {args.stack} failed: {lines[-1].strip()}") from None
        except RuntimeError as error:  # the Automation API itself (e.g. no summary event from the CLI)
            raise InputError(f"pulumi {args.command} of {args.stack}: the Automation API failed: {error}") from None
        if args.command == "up":
            written = deployment.record(prepared, state)
            if written is not None:
                print(f"recorded deployment #{written.sequence} of {args.stack} (commit {prepared.commit[:12]}) in "
                      f"{prepared.ledger.url}", file=sys.stderr)  # type: ignore[union-attr]
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
        p = sub.add_parser(action, help=f"pulumi {action} (Automation API) of a commit, behind the approval and "
                                        "destroy guards")
        p.add_argument("stack", help="the stack (stacks/Pulumi.STACK.yaml of the project)")
        p.add_argument("--commit", metavar="REV", help="the commit of the project (-C) to run (default HEAD); Pulumi "
                                                       "runs in a fresh copy of it, never in the working tree")
        p.add_argument("--confirm-destroy", metavar="STACK", help="the stack name again (prod destroy only)")
        p.add_argument("--backend", help="state backend URL (default: $PULUMI_BACKEND_URL or file://.pulumi-state)")
        p.add_argument("--secrets-provider", help="e.g. awskms://alias/tc-pulumi-state?region=eu-central-2")
        p.add_argument("--policy-pack", action="append", default=[],
                       help=f"CrossGuard pack folder inside the commit (default: {DEFAULT_POLICY_PACK} when present); "
                            "repeatable; every policy runs mandatory")
        p.add_argument("--ledger", metavar="URL", help="the deployment ledger, s3://BUCKET/PREFIX or file:///PATH "
                                                       "(default: $TCENTER_LEDGER): the deployed base and its approvers")
        if action == "preview":
            p.add_argument("--save-plan", metavar="FILE", help="save Pulumi's update plan (pulumi preview --save-plan) "
                                                               "for reviewers to approve and `up --plan` to enforce")
        if action == "up":
            p.add_argument("--plan", metavar="FILE", help="the approved saved plan: `pulumi up --plan FILE` makes the "
                                                          "engine refuse any operation it does not contain")
            p.add_argument("--bootstrap", action="store_true", help="the stack's first deployment: no ledger record "
                                                                    "yet, approvers from the commit's own config")
        p.set_defaults(func=run_lifecycle)

    p = sub.add_parser("attest", help="compare the live account with a stack's plan (read-only; exit 0 match, 4 drift)",
                       description="Compare the live account (read-only, standard AWS environment) with a stack's "
                                   "plan. Exit: 0 match, 4 drift, 3 error.")
    p.add_argument("target", metavar="STACK|PLAN", help=TARGET_HELP)
    p.add_argument("--profile", help="AWS profile (default: the standard environment)")
    add_format(p, ("text", "markdown", "json"))
    p.add_argument("-o", "--output", help=OUTPUT_HELP)
    p.set_defaults(func=run_attest)
