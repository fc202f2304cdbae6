"""`tcenter`: review the transparency center without AWS credentials or the Pulumi CLI.

The one command-line module: it builds the parser from the command groups (each package's
`commands.register`), runs the chosen command, and turns a `TcenterError` into one line on
stderr and its exit code (tcenter.core.errors.ExitCode). Nothing imports this module.
Errors are one message, never a traceback (set TCENTER_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import os
import sys

from .analysis import commands as analysis_commands
from .distribution import commands as distribution_commands
from . import __version__
from .core.errors import ExitCode, TcenterError
from .core.output import console, escape, one_line
from .guardrails import commands as guardrail_commands
from .intake import commands as intake_commands
from .live import commands as live_commands
from .plan import commands as plan_commands
from .plan.workspace import Workspace
from .render import commands as render_commands
from .supply import commands as supply_commands
from .transparency import commands as transparency_commands

COMMAND_GROUPS = (
    render_commands,     # review, diagram, export, comment
    plan_commands,       # plan
    analysis_commands,   # diff, reach, access
    guardrail_commands,  # check
    supply_commands,     # approve, approvals, verify, keys
    live_commands,       # preview, up, destroy, attest
    transparency_commands,  # log
    intake_commands,     # intake, capacity
    distribution_commands,  # tuf, update
)
"""Every command group, in the order `tcenter --help` lists them."""

EPILOG = ("exit codes: 0 ok/no changes, 1 changes, 2 dangerous changes, 3 error, 4 drift (attest), "
          "5 quorum not met (approvals), 10-19 a release does not verify (verify, update), 20 a log equivocated (witness), "
          "21-22 an update does not verify (update), 64 usage, 69 a tool is missing")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line (the usage synopsis wraps over several): the message, a guess, where help is.
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}{_did_you_mean(message)} (see {self.prog} --help)\n")


def _did_you_mean(message: str) -> str:
    """For argparse's "invalid choice: 'x' (choose from ...)": the closest choice, if any."""
    import difflib
    import re

    found = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if not found:
        return ""
    choices = re.findall(r"'([^']*)'", found.group(2))
    close = difflib.get_close_matches(found.group(1), choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tcenter", description="Credential-free review of the transparency center.", epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"tcenter {__version__}")
    parser.add_argument("-C", "--project-dir", help="the Pulumi project to plan (default: the checkout of the kit the "
                                                    "working directory is in, else the one tcenter comes from)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        args.workspace = Workspace.resolve(args.project_dir)
        return int(args.func(args))
    except TcenterError as error:
        # One prefix for every error of a command, usage or not: `tcenter COMMAND: error: ...`.
        hint = f" (see tcenter {args.command} --help)" if error.exit_code == ExitCode.USAGE else ""
        console(stderr=True).print(f"[bold red]tcenter {escape(args.command)}: error:[/bold red] "
                                   f"{escape(one_line(str(error)))}{hint}")
        return int(error.exit_code)
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)
    except Exception as error:  # last resort: the contract is one line, never a traceback
        if os.environ.get("TCENTER_DEBUG"):
            raise
        print(f"tcenter: internal error: {type(error).__name__}: {error} (TCENTER_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return int(ExitCode.ERROR)


if __name__ == "__main__":
    sys.exit(main())
