"""`tcenter intake ...` (collection rule sets) and `tcenter capacity STACK` (docs/intake.md).

    tcenter intake lint RULESET [--stack STACK]                     the lints; exit 3 with one line per problem
    tcenter intake approve RULESET --stack STACK --key KEY --org ORG [--base REV]
    tcenter intake approvals RULESET --stack STACK [--base REV]     quorum state; exit 5 until met
    tcenter intake bundle RULESET --stack STACK [--base REV] -o FILE
    tcenter intake publish RULESET --stack STACK --bucket BUCKET [--base REV] [--endpoint-url URL]
    tcenter capacity STACK [--format text|markdown|json] [-o FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import ExitCode, GuardRefused, InputError
from . import approval, capacity, publish, rules

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def register(subparsers: argparse._SubParsersAction) -> None:
    intake = subparsers.add_parser("intake", help="collection rule sets of the sample intake: lint, approve, publish")
    sub = intake.add_subparsers(dest="intake_command", required=True)

    p = sub.add_parser("lint", help="check a collection rule set; refuses document collection")
    p.add_argument("ruleset", metavar="RULESET", help="YAML or JSON rule set")
    p.add_argument("--stack", help="also hold the sizes to the stack's intake.sampleSize.maxBytes")
    p.set_defaults(func=run_lint)

    p = sub.add_parser("approve", help="sign a rule set as an approving reviewer organization")
    _common(p)
    p.add_argument("--key", required=True, help="your private SSH key (ssh-ed25519 or ecdsa-sha2-nistp256)")
    p.add_argument("--org", required=True, help="your organization's name in the stack's approvals section")
    p.set_defaults(func=run_approve)

    p = sub.add_parser("approvals", help="quorum state of a rule set (exit 5 until the quorum is met)")
    _common(p)
    p.set_defaults(func=run_approvals)

    p = sub.add_parser("bundle", help="write the approved bundle products hold (refused without a quorum)")
    _common(p)
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=run_bundle)

    p = sub.add_parser("publish", help="the approval pipeline: put an approved rule set where the brokers read it")
    _common(p)
    p.add_argument("--bucket", required=True, help="the stack's intake bucket (output intakeBucket)")
    p.add_argument("--endpoint-url", help="an S3 endpoint other than AWS's (tests)")
    p.set_defaults(func=run_publish)

    p = subparsers.add_parser("capacity", help="the intake's rates against the quotas that bind in eu-central-2")
    p.add_argument("stack", metavar="STACK")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument("-o", "--output")
    p.set_defaults(func=run_capacity)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ruleset", metavar="RULESET", help="YAML or JSON rule set")
    parser.add_argument("--stack", required=True, help="whose approvals section and intake.ruleSetQuorum decide")
    parser.add_argument("--base", help="base revision (default: merge-base with origin/main, else HEAD~1)")


def _repo(args: argparse.Namespace) -> Path:
    return Path(getattr(args, "project_dir", None) or REPO_ROOT).resolve()


def _approved(args: argparse.Namespace) -> tuple[rules.RuleSet, approval.StackApprovers, approval.RuleSetQuorum, dict]:
    repo = _repo(args)
    approvers = approval.stack_approvers(args.stack, args.base, repo)
    rule_set = rules.load(Path(args.ruleset), rules.LintContext(approvers.max_bytes))
    signatures = approval.read_signatures(repo, rules.digest(rule_set))
    state = approval.quorum_state(rule_set, signatures, approvers.approvers, approvers.quorum)
    return rule_set, approvers, state, signatures


def run_lint(args: argparse.Namespace) -> int:
    context = rules.LintContext()
    if args.stack:
        context = rules.LintContext(capacity.load_intake(args.stack, _repo(args)).sample_size.max_bytes)
    rule_set = rules.load(Path(args.ruleset), context)
    print(f"{args.ruleset}: version {rule_set.version}, {len(rule_set.rules)} rule(s), {rules.digest(rule_set)}: "
          f"{len(rules.LINTS)} lints, no problem")
    return ExitCode.OK


def run_approve(args: argparse.Namespace) -> int:
    repo = _repo(args)
    approvers = approval.stack_approvers(args.stack, args.base, repo)
    if approvers.approvers.organization(args.org) is None:
        raise InputError(f"--org {args.org!r} is not an approving organization of {args.stack} at base {approvers.base} "
                         f"(approvers: {[o.name for o in approvers.approvers.organizations]})")
    rule_set = rules.load(Path(args.ruleset), rules.LintContext(approvers.max_bytes))
    digest = rules.digest(rule_set)
    signature = approval.sign(rules.canonical_bytes(rule_set), Path(args.key))
    directory = approval.approvals_directory(repo, digest)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{args.org}.sig").write_text(signature)
    print(f"approved rule set {digest} (version {rule_set.version}) as {args.org}: wrote {directory / (args.org + '.sig')}")
    return ExitCode.OK


def run_approvals(args: argparse.Namespace) -> int:
    _rule_set, approvers, state, _ = _approved(args)
    print(f"rule set {state.digest} of {args.stack} (approvers from {approvers.base[:12]}): {len(state.counted)} of "
          f"{state.quorum} {'- quorum met' if state.met else '- NOT met'}")
    for org in state.counted:
        print(f"  approved: {org}")
    for org in state.missing:
        print(f"  missing: {org}")
    for verdict in state.invalid:
        print(f"  invalid: {verdict.organization}: {verdict.reason}")
    return ExitCode.OK if state.met else ExitCode.NOT_APPROVED


def _bundle(args: argparse.Namespace) -> dict:
    rule_set, approvers, state, signatures = _approved(args)
    if not state.met:
        raise GuardRefused(f"refusing to bundle or publish: {state.refusal()}", exit_code=ExitCode.NOT_APPROVED)
    valid = {org: signatures[org] for org in state.counted}
    return approval.make_bundle(rule_set, valid, approvers.quorum)


def run_bundle(args: argparse.Namespace) -> int:
    bundle = _bundle(args)
    Path(args.output).write_bytes(publish.bundle_bytes(bundle))
    print(f"wrote {args.output}: rule set {bundle['digest']} with {len(bundle['approvals'])} approval(s)")
    return ExitCode.OK


def run_publish(args: argparse.Namespace) -> int:
    import boto3

    bundle = _bundle(args)
    s3 = boto3.client("s3", region_name="eu-central-2", endpoint_url=args.endpoint_url)
    done = publish.publish(bundle, args.bucket, s3)
    print(f"published {bundle['digest']} to s3://{done.bucket}/{done.approved_key}"
          + ("" if done.history_written else f" (s3://{done.bucket}/{done.history_key} already held it)"))
    return ExitCode.OK


def run_capacity(args: argparse.Namespace) -> int:
    intake = capacity.load_intake(args.stack, _repo(args))
    text = capacity.render(capacity.report(args.stack, intake), args.format)
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return ExitCode.OK


def main(argv: list[str]) -> int:
    """For scripts and tests until the lead wires `register` into tcenter.cli: errors become one line
    on stderr and their exit code."""
    from ..core.errors import TcenterError

    parser = argparse.ArgumentParser(prog="tcenter")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except TcenterError as error:
        print(f"tcenter {args.command}: {error}", file=sys.stderr)
        return int(error.exit_code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
