"""`tcenter intake ...` (collection rule sets) and `tcenter capacity STACK` (docs/intake.md).

    tcenter intake lint RULESET [--stack STACK]              the lints; exit 3 with one line per problem
    tcenter intake approve RULESET --stack S --key KEY --org ORG [--valid-days N] [--ledger URL | --base REV]
    tcenter intake approvals RULESET --stack S [--ledger URL | --base REV]      exit 5 until the quorum is met
    tcenter intake publish RULESET --stack S --log URL --log-key VKEY [--log-signer FILE] [--bucket BUCKET]
                           [--endpoint-url URL] [-o FILE] [--ledger URL | --base REV]
                           exit 5 without the quorum, 17 until the set is in the log, 18 until witnesses cosigned
    tcenter intake verify BUNDLE --stack S --log-key VKEY [--ledger URL | --base REV]   what a product checks
    tcenter capacity STACK [--format text|markdown|json] [-o FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..core.errors import ExitCode, GuardRefused, InputError, VerificationFailed
from ..core.options import add_format, add_output
from ..core.output import write
from . import approval, capacity, publish, rules


def register(sub: Any) -> None:
    intake = sub.add_parser("intake", help="collection rule sets of the sample intake: lint, approve, publish, verify")
    commands = intake.add_subparsers(dest="intake_command", required=True)

    p = commands.add_parser("lint", help="check a collection rule set; refuses document collection")
    p.add_argument("ruleset", metavar="RULESET", help="the rule set (YAML, or JSON by its .json name)")
    p.add_argument("--stack", help="also hold the sizes to the stack's intake.sampleSize.maxBytes")
    p.set_defaults(func=run_lint)

    p = commands.add_parser("approve", help="sign a rule set as an approving reviewer organization")
    _common(p)
    p.add_argument("--key", required=True, help="your private SSH key (ssh-ed25519 or ecdsa-sha2-nistp256)")
    p.add_argument("--org", required=True, help="your organization's name in the base's approvals section")
    p.add_argument("--valid-days", type=int, help="expire sooner than the base config's approvals.expiryDays")
    p.set_defaults(func=run_approve)

    p = commands.add_parser("approvals", help="quorum state of a rule set (exit 5 until the quorum is met)")
    _common(p)
    p.set_defaults(func=run_approvals)

    p = commands.add_parser("publish", help="the approval pipeline: log an approved rule set, then put it where the "
                                            "brokers and products read it")
    _common(p)
    _log(p)
    p.add_argument("--log", required=True, metavar="URL",
                   help="the transparency log: s3://BUCKET[/PREFIX] (output transparencyLogBucket) or file:///PATH")
    p.add_argument("--log-signer", metavar="FILE", help="a note signer key: append to a log you sequence yourself "
                                                        "(dev, tests); without it the sequencer appends the entry")
    p.add_argument("--bucket", help="the stack's intake bucket (output intakeBucket): the published set and the "
                                    "entries the sequencer picks up")
    p.add_argument("--endpoint-url", help="an S3 endpoint other than AWS's (tests)")
    add_output(p)
    p.set_defaults(func=run_publish)

    p = commands.add_parser("verify", help="check a published bundle as a product does before it uploads")
    p.add_argument("bundle", metavar="BUNDLE", help="the bundle (rules/approved.json of the intake bucket)")
    p.add_argument("--stack", required=True, help="the stack whose approvers, quorum and witnesses decide")
    p.add_argument("--ledger", metavar="URL", help="the deployment ledger (default: $TCENTER_LEDGER)")
    p.add_argument("--base", metavar="REV", help="without a ledger: the git revision whose stack file decides "
                                                 "(default HEAD; never for prod)")
    _log(p)
    p.set_defaults(func=run_verify)

    p = sub.add_parser("capacity", help="the intake's rates against the quotas that bind in eu-central-2")
    p.add_argument("stack", metavar="STACK", help="a stack with a transparency-center:intake section")
    add_format(p, ("text", "markdown", "json"))
    add_output(p)
    p.set_defaults(func=run_capacity)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ruleset", metavar="RULESET", help="the rule set (YAML, or JSON by its .json name)")
    parser.add_argument("--stack", required=True, help="the stack whose approvers and intake.ruleSetQuorum decide")
    parser.add_argument("--ledger", metavar="URL", help="the deployment ledger (default: $TCENTER_LEDGER): approvers "
                                                        "come from the deployed record")
    parser.add_argument("--base", metavar="REV", help="without a ledger: the git revision whose stack file names the "
                                                      "approvers (default HEAD; never for prod)")


def _log(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-key", required=True, metavar="VKEY",
                        help="the log's verifier key (name+hex+base64; its name is the log's origin)")


def _repository(args: argparse.Namespace) -> Path:
    from ..supply.subject import git_location

    return git_location(args.workspace.project_dir)[0]


def _base(args: argparse.Namespace) -> approval.Base:
    return approval.base_of(args.workspace.project_dir, args.stack, args.ledger, args.base)


def _approved(args: argparse.Namespace) -> tuple[approval.Base, rules.RuleSet, approval.RuleSetQuorum]:
    base = _base(args)
    rule_set = rules.load(Path(args.ruleset), base.lint_context())
    return base, rule_set, approval.quorum_state(_repository(args), base, rule_set)


def run_lint(args: argparse.Namespace) -> int:
    context = rules.LintContext()
    if args.stack:
        context = rules.LintContext(capacity.load_intake(args.stack, args.workspace.project_dir).sample_size.max_bytes)
    rule_set = rules.load(Path(args.ruleset), context)
    print(f"{args.ruleset}: version {rule_set.version}, {len(rule_set.rules)} rule(s), {rules.digest(rule_set)}: "
          f"{len(rules.LINTS)} lints, no problem")
    return ExitCode.OK


def run_approve(args: argparse.Namespace) -> int:
    base = _base(args)
    rule_set = rules.load(Path(args.ruleset), base.lint_context())
    written = approval.sign(_repository(args), base, rule_set, args.org, args.key, args.valid_days)
    print(f"approved rule set {rules.digest(rule_set)} (version {rule_set.version}) of {args.stack} as {args.org} "
          f"against {_describe(base)}: wrote {written}")
    return ExitCode.OK


def _describe(base: approval.Base) -> str:
    b = base.base
    return (f"deployed base #{b['sequence']} (commit {str(b['commit'])[:12]})" if b.get("record")
            else f"revision {str(b['commit'])[:12]}")


def run_approvals(args: argparse.Namespace) -> int:
    base, _, state = _approved(args)
    print(f"rule set {state.digest} of {args.stack} against {_describe(base)}: {len(state.counted)} of {state.quorum} "
          f"{'- quorum met' if state.met else '- NOT met'}")
    for org in state.organizations:
        print(f"  approved: {org}")
    for org in state.missing:
        print(f"  missing: {org}")
    for verdict in state.invalid:
        print(f"  invalid: {verdict.organization}: {verdict.reason}")
    return ExitCode.OK if state.met else ExitCode.NOT_APPROVED


def _s3(endpoint_url: str | None) -> Any:
    import boto3

    from components.awsfacts import REGION

    return boto3.client("s3", region_name=REGION, endpoint_url=endpoint_url)


def run_publish(args: argparse.Namespace) -> int:
    from ..transparency.note import Ed25519Signer
    from . import bundle as bundles
    from . import tlog

    base, rule_set, state = _approved(args)
    if not state.met:
        raise GuardRefused(f"refusing to publish: {state.refusal()}", exit_code=ExitCode.NOT_APPROVED)
    trust = bundles.trust_of(base, args.log_key)
    entry = bundles.log_entry(rule_set, state.counted)
    log = tlog.open_storage(args.log, endpoint_url=args.endpoint_url)
    proof = tlog.prove(entry, log, trust.log_verifier, trust.origin)
    if proof is None:
        signer = Ed25519Signer.from_file(args.log_signer) if args.log_signer else None
        pending = tlog.S3Storage(args.bucket, tlog.PENDING_PREFIX, _s3(args.endpoint_url)) if args.bucket else None
        done = tlog.submit(entry, log=log, origin=trust.log_verifier.name, signer=signer, verifier=trust.log_verifier,
                           pending=pending, name=publish.pending_name(entry))
        print(f"rule set {state.digest}: its log entry was {done.where}")
        proof = tlog.prove(entry, log, trust.log_verifier, trust.origin) if done.index is not None else None
    if proof is None:
        raise VerificationFailed(f"rule set {state.digest} is not in the log yet: nothing published; run publish again "
                                 "once the sequencer has appended it and the witnesses cosigned", exit_code=ExitCode.NOT_LOGGED)
    document = bundles.make_bundle(base.stack, rule_set, state.counted, base.quorum, proof)
    verified = bundles.verify_bundle(document, trust)  # 18 until k witness organizations cosigned
    print(f"rule set {state.digest} is entry {verified.logged.index} of {verified.logged.checkpoint.origin} "
          f"(size {verified.logged.checkpoint.size}), cosigned by {', '.join(verified.logged.witnesses.organizations)}, "
          f"approved by {', '.join(verified.organizations)}")
    if args.output:
        write(publish.bundle_bytes(document).decode("utf-8"), args.output)
    if args.bucket:
        done = publish.publish(document, args.bucket, _s3(args.endpoint_url))
        print(f"published {state.digest} to s3://{done.bucket}/{done.approved_key}"
              + ("" if done.history_written else f" (s3://{done.bucket}/{done.history_key} already held it)"))
    return ExitCode.OK


def run_verify(args: argparse.Namespace) -> int:
    from . import bundle as bundles

    base = _base(args)
    trust = bundles.trust_of(base, args.log_key)
    try:
        document = json.loads(Path(args.bundle).read_bytes())
    except OSError as error:
        raise InputError(f"cannot read the bundle {args.bundle}: {error.strerror}") from None
    except ValueError:
        raise InputError(f"{args.bundle} is not JSON") from None
    verified = bundles.verify_bundle(document, trust)
    print(f"VERIFIED rule set {rules.digest(verified.rule_set)} (version {verified.rule_set.version}) of {args.stack}: "
          f"entry {verified.logged.index} of {verified.logged.checkpoint.origin}, cosigned by "
          f"{', '.join(verified.logged.witnesses.organizations)}; approved by {', '.join(verified.organizations)}")
    return ExitCode.OK


def run_capacity(args: argparse.Namespace) -> int:
    intake = capacity.load_intake(args.stack, args.workspace.project_dir)
    write(capacity.render(capacity.report(args.stack, intake), args.format), args.output)
    return ExitCode.OK
