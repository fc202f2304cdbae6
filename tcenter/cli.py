"""`tcenter`: review the transparency center without AWS credentials or the Pulumi CLI.

    tcenter review STACK|PLAN [-o out/STACK] plan + reachability + diagram + summary
    tcenter plan STACK [-o plan.json]        the versioned plan (docs/plan-format.md)
    tcenter diff BASE [HEAD] [--git REV]     what a change does (exit 0/1/2, see below)
    tcenter reach STACK|PLAN                 zone reachability matrix
    tcenter diagram STACK|PLAN [-o DIR]      architecture picture (PNG and SVG)
    tcenter export STACK|PLAN --format terraform-plan [-o FILE]
    tcenter check ...                        policy rules (tcenter.check)
    tcenter comment --base-dir D --head-dir D --stacks S...   the pull-request comment
    tcenter verify RELEASE --class C --key C=PEM   a release, offline (exit codes: tcenter.verify)
    tcenter keys STACK                       how to get the public signing keys as PEM

Exit codes: 0 success / no changes, 1 changes (diff), 2 dangerous changes (diff),
3 the input could not be planned or read (unknown stack, broken config, unknown git
revision, not a plan file) or a guard refused (approvals, prod destroy), 64 wrong usage,
69 the Pulumi CLI is not installed (preview/up/destroy). Errors are one message, never a traceback
(set TCENTER_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

EXIT_OK = 0
EXIT_ERROR = 3
EXIT_USAGE = 64

TCENTER_ROOT = Path(__file__).resolve().parent.parent


class CliError(Exception):
    """A problem the user can fix; printed as one message (several lines allowed)."""


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False, soft_wrap=stderr)
    if not console.is_terminal:
        console.width = 200  # files and CI logs: wide tables rather than wrapped cells
    return console


@contextlib.contextmanager
def progress(message: str) -> Iterator[None]:
    """A progress line on stderr for a long step (only on a terminal)."""
    console = _console(stderr=True)
    if console.is_terminal:
        with console.status(message):
            yield
    else:
        yield


# --- getting plans ----------------------------------------------------------------------------

def _program_failure(error: BaseException, stack: str) -> CliError:
    """Turn what the program raised into one readable message."""
    from .engine import EngineError
    from .plan import PlanError

    if isinstance(error, (EngineError, PlanError, CliError)):
        return CliError(str(error))
    if type(error).__name__ == "ConfigError" and hasattr(error, "problems"):
        return CliError(str(error))
    where = ""
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if "/site-packages/" not in filename and "/tcenter/" not in filename:
            where = f" (at {Path(filename).name}:{tb.tb_lineno})"
        tb = tb.tb_next
    return CliError(f"the program failed for stack {stack!r}: {type(error).__name__}: {error}{where}")


_project_dir: Path | None = None
"""Set by `tcenter -C DIR`: the Pulumi project to plan (default: this checkout)."""


def plan_current(stack: str, project_dir: Path | None = None) -> dict[str, Any]:
    from .engine import PROJECT_ROOT
    from .plan import plan_stack

    try:
        with progress(f"planning stack {stack} on the mock engine..."):
            return plan_stack(stack, project_dir=project_dir or _project_dir or PROJECT_ROOT)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - the program may raise anything
        if os.environ.get("TCENTER_DEBUG"):
            raise
        raise _program_failure(error, stack) from None


_REVISION_RUNNER = r"""
import json, sys
tcenter_root, project_dir, stack, out = sys.argv[1:5]
sys.path.insert(0, tcenter_root)
from tcenter import cli
try:
    plan = cli.plan_current(stack, project_dir=__import__("pathlib").Path(project_dir))
except cli.CliError as error:
    print(str(error), file=sys.stderr)
    sys.exit(3)
from tcenter.plan import save
save(plan, out)
"""


def _git(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise CliError("git is not installed; plan the revisions yourself and pass plan files") from None


def plan_revision(revision: str, stack: str, repo: Path | None = None) -> dict[str, Any]:
    """Plan `stack` as of git `revision`, in a temporary copy of that revision.

    The program runs in a subprocess: this process has already imported the working
    tree's `components`, and the revision must use its own. The copy comes from
    `git archive`, which reads the repository without changing it (no worktree entry,
    no lock), so parallel runs and other people's checkouts are left alone. tcenter itself
    comes from this checkout, so both plans have the same format."""
    from .plan import load

    repo = repo or TCENTER_ROOT
    resolved = _git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", cwd=repo)
    if resolved.returncode != 0:
        raise CliError(f"unknown git revision {revision!r} in {repo}")
    commit = resolved.stdout.strip()
    with tempfile.TemporaryDirectory(prefix="tcenter-rev-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        archive = subprocess.Popen(["git", "archive", "--format=tar", commit], cwd=repo, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        unpack = subprocess.run(["tar", "-x", "-C", str(tree)], stdin=archive.stdout, capture_output=True)
        archive.stdout.close()  # type: ignore[union-attr]
        if archive.wait() != 0 or unpack.returncode != 0:
            raise CliError(f"could not extract revision {revision!r}: {archive.stderr.read().decode().strip()}")  # type: ignore[union-attr]
        if not any((tree / where / f"Pulumi.{stack}.yaml").is_file() for where in ("stacks", ".")):
            from .plan import FORMAT, VERSION

            # A stack new in HEAD: its base is an empty plan, so everything shows as created.
            return {"format": FORMAT, "version": VERSION, "project": "transparency-center", "stack": stack,
                    "resources": [], "outputs": {}}
        out = Path(tmp) / "plan.json"
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        with progress(f"planning stack {stack} at {revision} ({commit[:10]}) on the mock engine..."):
            run = subprocess.run([sys.executable, "-c", _REVISION_RUNNER, str(TCENTER_ROOT), str(tree), stack, str(out)],
                                 cwd=tree, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            message = run.stderr.strip().splitlines() or ["no message"]
            if run.returncode == EXIT_ERROR:
                raise CliError(f"at revision {revision}: " + "\n".join(message))
            raise CliError(f"planning revision {revision} failed: {message[-1]}")
        return load(out)


def load_plan(path: str) -> dict[str, Any]:
    from .plan import PlanError, load

    try:
        return load(Path(path))
    except PlanError as error:
        raise CliError(str(error)) from None


def _is_plan_file(arg: str) -> bool:
    return arg.endswith(".json") or os.sep in arg or Path(arg).is_file()


def plan_for(arg: str) -> dict[str, Any]:
    """A STACK name or a plan file."""
    return load_plan(arg) if _is_plan_file(arg) else plan_current(arg)


def _write(text: str, output: str | None) -> None:
    if output and output != "-":
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


# --- commands ---------------------------------------------------------------------------------

def cmd_plan(args: argparse.Namespace) -> int:
    from .plan import dumps

    plan = plan_current(args.stack)
    _write(dumps(plan), args.output)
    if args.output and args.output != "-":
        _console(stderr=True).print(f"wrote {args.output}: {len(plan['resources'])} resources of stack {plan['stack']}")
    return EXIT_OK


def _diff_source(source: str, stack: str | None) -> tuple[dict[str, Any], str]:
    if source.startswith("git:"):
        revision = source[4:]
        if not stack:
            raise CliError("--git needs --stack STACK: which stack to plan at that revision")
        return plan_revision(revision, stack), f"{stack}@{revision}"
    if source.startswith("stack:"):
        return plan_current(source[6:]), f"{source[6:]} (working tree)"
    return load_plan(source), source


def cmd_diff(args: argparse.Namespace) -> int:
    from . import diff

    sources: list[str] = args.sources
    if not 1 <= len(sources) <= 2:
        raise UsageError("diff takes a BASE and a HEAD (plan files or --git REV); HEAD defaults to the working tree")
    if len(sources) == 1:
        if not args.stack:
            raise UsageError("with one side only, --stack STACK names the working-tree stack to compare against")
        sources = sources + [f"stack:{args.stack}"]
    base, base_label = _diff_source(sources[0], args.stack)
    head, head_label = _diff_source(sources[1], args.stack)
    result = diff.diff_plans(base, head, base_label, head_label)
    if args.format == "markdown":
        _write(diff.render_markdown(result), args.output)
    elif args.format == "json":
        _write(diff.as_json(result), args.output)
    else:
        if args.output and args.output != "-":
            from rich.console import Console

            with open(args.output, "w", encoding="utf-8") as handle:
                diff.render_terminal(result, Console(file=handle, width=160, no_color=True, highlight=False))
        else:
            diff.render_terminal(result, _console())
    return result.exit_code


def cmd_reach(args: argparse.Namespace) -> int:
    from . import reach

    plan = plan_for(args.target)
    result = reach.compute(plan)
    if args.format == "json":
        _write(reach.dumps(result), args.output)
    elif args.format == "markdown":
        _write(reach.markdown_table(result) + "\n\n" + reach.LEGEND + "\n", args.output)
    else:
        console = _console()
        console.print(reach.render_table(result, f"Reachability of {plan['stack']} (TCP ports)"))
        console.print(f"[dim]{reach.LEGEND}[/dim]")
    return EXIT_OK


def cmd_diagram(args: argparse.Namespace) -> int:
    from . import diagram

    plan = plan_for(args.target)
    try:
        files = diagram.render(plan, Path(args.output or f"out/{plan['stack']}"))
    except diagram.GraphvizMissing as error:
        raise CliError(str(error)) from None
    for path in files:
        _console(stderr=True).print(f"wrote {path}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from . import export

    plan = plan_for(args.target)
    _write(export.dumps(export.export_terraform_plan(plan)), args.output)
    return EXIT_OK


def summary(plan: dict[str, Any]) -> Any:
    """Resources per zone (from the provider each resource uses) and what is protected."""
    from rich.table import Table

    providers = {r["urn"]: r for r in plan["resources"] if r["type"].startswith("pulumi:providers:")}

    def zone_of(resource: dict[str, Any]) -> str:
        tags = (resource.get("inputs") or {}).get("tags")
        if isinstance(tags, dict) and tags.get("zone"):
            return tags["zone"]
        provider = providers.get(resource.get("provider", ""))
        if provider:
            default = (provider.get("inputs") or {}).get("defaultTags")
            if isinstance(default, str):
                with contextlib.suppress(json.JSONDecodeError):
                    default = json.loads(default)
            if isinstance(default, dict) and isinstance(default.get("tags"), dict):
                return default["tags"].get("zone", "?")
        return "?"

    counts: dict[str, list[int]] = {}
    protected: list[str] = []
    for resource in plan["resources"]:
        if not resource.get("custom") or resource["type"].startswith("pulumi:providers:"):
            continue
        row = counts.setdefault(zone_of(resource), [0, 0])
        row[0] += 1
        options = resource.get("options", {})
        if options.get("protect") or options.get("retainOnDelete"):
            row[1] += 1
            protected.append(f"{resource['type'].rsplit(':', 1)[-1]} {resource['name']}")
    table = Table(title=f"Stack {plan['stack']}: resources per zone")
    table.add_column("zone")
    table.add_column("resources", justify="right")
    table.add_column("protected / retained", justify="right")
    for zone, (count, kept) in sorted(counts.items()):
        table.add_row(zone, str(count), str(kept))
    table.add_row("[bold]total[/bold]", str(sum(c for c, _ in counts.values())), str(len(protected)))
    return table, protected


def cmd_review(args: argparse.Namespace) -> int:
    from . import diagram, reach
    from .plan import save

    plan = plan_for(args.stack)
    stack = plan["stack"]
    out = Path(args.output or f"out/{stack}")
    out.mkdir(parents=True, exist_ok=True)
    save(plan, out / "plan.json")
    console = _console()
    _console(stderr=True).print(f"[bold]tcenter review {args.stack}[/bold]: wrote {out / 'plan.json'} "
                                f"({len(plan['resources'])} resources; format docs/plan-format.md)")
    table, protected = summary(plan)
    console.print(table)
    if protected:
        console.print("protected and retained (a destroy or replacement stops at them): " + ", ".join(protected))
    else:
        console.print("nothing is protected or retained: this stack is fully destroyable")
    result = reach.compute(plan)
    (out / "reach.json").write_text(reach.dumps(result), encoding="utf-8")
    console.print(reach.render_table(result, f"Reachability of {stack} (TCP ports)"))
    console.print(f"[dim]{reach.LEGEND}[/dim]")
    try:
        with progress("rendering the diagram..."):
            files = diagram.render(plan, out)
        _console(stderr=True).print("diagram: " + ", ".join(str(f) for f in files))
    except diagram.GraphvizMissing as error:
        _console(stderr=True).print(f"[yellow]diagram skipped:[/yellow] {error}")
    return EXIT_OK


def cmd_comment(args: argparse.Namespace) -> int:
    from . import comment

    try:
        text, code = comment.run(args)
    except ValueError as error:
        raise CliError(str(error)) from None
    _write(text, args.output)
    return code


def cmd_check(args: argparse.Namespace) -> int:
    check = _check_module()
    if check is None:
        raise CliError("`tcenter check` is not available in this checkout (tcenter/check.py is missing)")
    return int(check.run(args))


def _check_module() -> Any:
    import importlib

    try:
        return importlib.import_module("tcenter.check")
    except ModuleNotFoundError as error:
        if error.name == "tcenter.check":
            return None
        raise


# --- argument parsing ---------------------------------------------------------------------------

class UsageError(Exception):
    """Wrong usage of a command; printed as one line, exit 64."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line (the usage synopsis wraps over several): the message and where help is.
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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


def build_parser(with_check: bool = True) -> argparse.ArgumentParser:
    """`with_check=False` leaves out tcenter.check's options (its rule set imports in ~0.2 s)."""
    parser = _Parser(prog="tcenter", description="Credential-free review of the transparency center.",
                     epilog="exit codes: 0 ok/no changes, 1 changes, 2 dangerous changes, 3 error, 4 drift (attest), 64 usage")
    parser.add_argument("-C", "--project-dir", help="the Pulumi project to plan (default: this checkout)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("review", help="plan, reachability table, diagram and summary of a stack (start here)")
    p.add_argument("stack", metavar="STACK|PLAN")
    p.add_argument("-o", "--output", help="directory (default out/STACK)")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("plan", help="the stack's plan as versioned JSON (docs/plan-format.md)")
    p.add_argument("stack")
    p.add_argument("-o", "--output", help="file (default: stdout)")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("diff", help="compare two plans: BASE and HEAD are plan files or --git REV",
                       description="BASE and HEAD are plan files, or `--git REV` (plans that revision). "
                                   "With one side only, HEAD is the working tree's --stack. "
                                   "Exit: 0 no changes, 1 changes, 2 dangerous changes, 3 error.")
    p.add_argument("sources", nargs="*", metavar="PLAN", action=_PlanSources, default=[])
    p.add_argument("--git", dest="sources", action=_GitRevision, metavar="REV",
                   help="a git revision to plan (in order with the plan files)")
    p.add_argument("-s", "--stack", help="stack to plan for --git and for the working tree")
    p.add_argument("--format", choices=("terminal", "markdown", "json"), default="terminal")
    p.add_argument("-o", "--output")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("reach", help="zone reachability matrix from SGs, NACLs, routes and endpoints")
    p.add_argument("target", metavar="STACK|PLAN")
    p.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    p.add_argument("-o", "--output")
    p.set_defaults(func=cmd_reach)

    p = sub.add_parser("access", help="effective access: who can read/write/delete/decrypt/sign/administer each asset")
    from . import access
    access.configure_parser(p)
    p.set_defaults(func=access.run)

    p = sub.add_parser("diagram", help="architecture picture (PNG and SVG)")
    p.add_argument("target", metavar="STACK|PLAN")
    p.add_argument("-o", "--output", help="directory (default out/STACK)")
    p.set_defaults(func=cmd_diagram)

    p = sub.add_parser("export", help="the plan in another tool's format")
    p.add_argument("target", metavar="STACK|PLAN")
    p.add_argument("--format", choices=("terraform-plan",), required=True)
    p.add_argument("-o", "--output")
    p.set_defaults(func=cmd_export)

    from . import approvals, lifecycle

    p = sub.add_parser("approve", help="sign the exact plan as an approving organization")
    approvals.configure_approve(p)
    p.set_defaults(func=approvals.run_approve)

    p = sub.add_parser("approvals", help="quorum state of a stack's plan")
    approvals.configure_approvals(p)
    p.set_defaults(func=approvals.run_approvals)

    for action in ("preview", "up", "destroy"):
        p = sub.add_parser(action, help=f"pulumi {action} (Automation API) behind the approval and destroy guards")
        lifecycle.configure_parser(p)
        p.set_defaults(func=lifecycle.run)

    from . import comment

    p = sub.add_parser("comment", help="the pull-request comment: verdicts, every danger first, details within a budget")
    comment.configure_parser(p)
    p.set_defaults(func=cmd_comment)

    p = sub.add_parser("check", help="the kit's policy rules on a stack's plan")
    check = _check_module() if with_check else None
    if check is not None and hasattr(check, "configure_parser"):
        check.configure_parser(p)
    p.set_defaults(func=cmd_check)

    from . import keys, verify

    p = sub.add_parser("verify", help="check a release offline: signature, signed provenance, builders, SBOM",
                       description=verify.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    verify.configure_parser(p)
    p.set_defaults(func=verify.run)

    p = sub.add_parser("keys", help="how to get the public signing keys of a stack as PEM")
    keys.configure_parser(p)
    p.set_defaults(func=keys.run)

    from . import attest

    p = sub.add_parser("attest", help="compare the live account with a stack's plan (read-only; exit 0 match, 4 drift)")
    attest.configure_parser(p)
    p.set_defaults(func=attest.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    global _project_dir
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
    except Exception as error:  # noqa: BLE001 - a broken tcenter.check must not break the others
        print(f"tcenter: could not set up the `check` command: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_ERROR
    args = parser.parse_args(argv)
    _project_dir = Path(args.project_dir).resolve() if args.project_dir else None
    try:
        return int(args.func(args))
    except UsageError as error:
        print(f"tcenter {args.command}: error: {error} (see tcenter {args.command} --help)", file=sys.stderr)
        return EXIT_USAGE
    except CliError as error:
        _console(stderr=True).print(f"[bold red]tcenter:[/bold red] {_escape(one_line(str(error)))}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # last resort: the contract is one line, never a traceback
        if os.environ.get("TCENTER_DEBUG"):
            raise
        print(f"tcenter: internal error: {type(error).__name__}: {error} (TCENTER_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return EXIT_ERROR


def one_line(message: str) -> str:
    """A multi-line message (a config error lists every problem) as the one line errors are."""
    first, *rest = [line.strip() for line in message.splitlines() if line.strip()] or ["error"]
    return " ".join([first, "; ".join(rest)]) if rest else first


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


if __name__ == "__main__":
    # Run the imported module, not __main__: subcommand modules raise tcenter.cli's error classes.
    import importlib

    sys.exit(importlib.import_module("tcenter.cli").main())
