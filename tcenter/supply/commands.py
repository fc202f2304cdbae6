"""`tcenter approve`, `approvals`, `verify`, `keys`: the supply chain's commands."""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from components.awsfacts import SIGNING_CLASSES

from ..core.errors import UsageError, VerificationFailed
from ..transparency.commands import add_witness_options
from ..core.output import console

def _prepared(args: argparse.Namespace):
    from pathlib import Path

    from . import deployment

    return deployment.prepare(args.workspace.project_dir, args.stack, args.commit, args.policy_pack or None,
                              Path(args.saved_plan) if args.saved_plan else None, args.ledger, args.bootstrap,
                              Path(args.base_record) if args.base_record else None)


def run_approve(args: argparse.Namespace) -> int:
    from ..render.summary import summary
    from . import approvals

    with _prepared(args) as prepared:
        table, _ = summary(prepared.plan)
        console().print(table)
        subject = prepared.subject
        print(f"approving {args.stack} as {args.org}: commit {prepared.commit}, program tree {subject.programTree}, "
              f"plan {subject.planDigest}, config {subject.configDigest}, policy packs "
              f"{[p['path'] for p in subject.policyPacks]}, saved plan {subject.savedPlanDigest or 'none'}, "
              f"against the {approvals.describe_base(subject.base)}")
        signature = approvals.sign_approval(prepared.repo, subject, prepared.approvers, args.org, args.key,
                                            args.valid_days)
    print(f"wrote {signature}")
    return 0


def run_approvals(args: argparse.Namespace) -> int:
    from ..core.errors import ExitCode
    from . import approvals

    with _prepared(args) as prepared:
        state = approvals.quorum_state(prepared.subject, prepared.approvers, prepared.repo)
    bullet = "- " if args.format == "markdown" else "  "
    print(f"{'**Approvals**' if args.format == 'markdown' else 'approvals'} for {args.stack}, subject "
          f"{state.subject.digest} (commit {prepared.commit[:12]}, tree {state.subject.programTree[:12]}), against the "
          f"{approvals.describe_base(state.subject.base)}: {len(state.counted)} of {state.quorum} "
          f"{'- quorum met' if state.met else '- NOT met'}")
    for org in state.counted:
        print(f"{bullet}approved: {org}")
    for org in state.missing:
        print(f"{bullet}missing: {org}")
    for verdict in state.invalid:
        print(f"{bullet}invalid: {verdict.org}: {verdict.reason}")
    return 0 if state.met else int(ExitCode.NOT_APPROVED)


def _subject_options(p: Any) -> None:
    p.add_argument("stack")
    p.add_argument("--commit", metavar="REV", help="the commit of the project (-C) to approve (default HEAD)")
    p.add_argument("--policy-pack", action="append", default=[],
                   help="policy pack folder(s) `up` will run (default: policy when present)")
    p.add_argument("--saved-plan", metavar="FILE", help="the Pulumi update plan (`tcenter preview --save-plan`) "
                                                        "that `up --plan` will enforce")
    p.add_argument("--ledger", metavar="URL", help="the deployment ledger (default: $TCENTER_LEDGER)")
    p.add_argument("--base-record", metavar="FILE", help="the deployed base's ledger record, fetched by hand")
    p.add_argument("--bootstrap", action="store_true", help="the stack's first deployment (no ledger record yet)")


def run_verify(args: argparse.Namespace) -> int:
    from . import verify

    if args.min_builders < 2:
        raise UsageError(f"--min-builders must be at least 2; got {args.min_builders}")
    keys = verify.parse_keys(args.key)
    if args.signing_class not in keys:
        raise UsageError(f"--key {args.signing_class}=PEM is required to verify a {args.signing_class} release")
    builders_file = Path(args.builders) if args.builders else verify.default_builder_set(keys[args.signing_class])
    if not args.builders and not builders_file.is_file():
        raise UsageError(f"give --builders FILE (the stack's builder set: `tcenter keys STACK --builders FILE`); "
                         f"there is no {builders_file} next to the {args.signing_class} key")
    expect = verify.Expectations(
        builders=verify.load_builder_set(builders_file), pool=args.pool, min_builders=args.min_builders,
        source_rev=args.source_rev, source_tree=args.source_tree, not_older_than=args.not_older_than,
        state=Path(args.state) if args.state else None, log_check=_log_check(args))
    release = Path(args.release)
    try:
        verdict = verify.verify_release(release, args.signing_class, keys, expect,
                                        Path(args.bundle_dir) if args.bundle_dir else None)
    except verify.Rejected as rejected:
        print(f"NOT VERIFIED {release.name}: {verify.REASONS[rejected.code]}: {rejected}")
        return int(rejected.code)
    except VerificationFailed as failed:  # the transparency log's check
        print(f"NOT VERIFIED {release.name}: transparency log: {failed}")
        return int(failed.exit_code)
    logged = verdict.logged or "transparency log NOT checked (--no-log)"
    version = f"version {verdict.version}, " if verdict.version else ""
    print(f"VERIFIED {verdict.release} ({version}sha256 {verdict.sha256}): signed with the {verdict.signing_class} key; "
          f"builders {', '.join(verdict.builders)} of pool {verdict.pool} agreed; "
          f"source commit {verdict.commit} (tree {verdict.tree}); SBOM matches; {logged}")
    return int(verify.VERIFIED)


def _log_check(args: argparse.Namespace) -> Callable[[Path, Path, str, str], str] | None:
    """The transparency-log check `verify` makes (None with --no-log): the release's .tlog-proof
    proves its entry (this file, this envelope, this class) is in the log the --log-key signs,
    cosigned by --quorum of the --witness organizations; else NOT_LOGGED (17) or WITNESSES (18)."""
    from ..transparency.commands import witness_policy_of
    from ..transparency.note import parse_verifier_key
    from ..transparency.releases import PROOF_SUFFIX, verify_release

    if args.no_log:
        if args.log_key or args.witness:
            raise UsageError("--no-log skips the transparency log: give it or --log-key/--witness, not both")
        return None
    if not args.log_key:
        raise UsageError("give --log-key KEY and --witness ORG=VKEY (the log a release must be in and the reviewer "
                         "organizations that must cosign it), or --no-log to skip that check")
    log_key = parse_verifier_key(args.log_key)
    policy = witness_policy_of(args)

    def check(release: Path, bundle_dir: Path, sha256: str, signing_class: str) -> str:
        envelope = bundle_dir / f"{release.name}.intoto.json"
        proof_path = bundle_dir / f"{release.name}{PROOF_SUFFIX}"
        proof = proof_path.read_bytes() if proof_path.is_file() else None
        proven = verify_release(sha256=sha256, envelope_sha256=hashlib.sha256(envelope.read_bytes()).hexdigest(),
                                proof=proof, log_key=log_key, policy=policy, signing_class=signing_class)
        return (f"logged as entry {proven.index} of {proven.origin} (size {proven.size}), "
                f"cosigned by {', '.join(proven.organizations)}")

    return check


def run_keys(args: argparse.Namespace) -> int:
    from ..core.errors import InputError
    from ..core.output import write
    from .keys import builder_set, fetch, fetch_log_key, key_sources, log_trust

    plan = args.workspace.plan(args.stack)
    region, sources = key_sources(plan)
    published = builder_set(plan, args.stack)
    trust = log_trust(plan)
    if args.builders:
        write(json.dumps(published, indent=2, sort_keys=True) + "\n", args.builders)
    if args.fetch:
        try:
            for path in fetch(region, sources, Path(args.fetch)):
                print(f"wrote {path}")
            (Path(args.fetch) / "builders.json").write_text(json.dumps(published, indent=2, sort_keys=True) + "\n")
            print(f"wrote {Path(args.fetch) / 'builders.json'}")
            if trust:
                (Path(args.fetch) / "log.vkey").write_text(fetch_log_key(region, trust) + "\n")
                print(f"wrote {Path(args.fetch) / 'log.vkey'}")
        except Exception as error:  # noqa: BLE001 - botocore raises many kinds; one line for the user
            raise InputError(f"could not fetch the public keys: {type(error).__name__}: {error}") from None
        return 0
    print(f"# public signing keys of stack {args.stack} as PEM (then: tcenter verify ... --key CLASS=CLASS.pub.pem)")
    for source in sources:
        print(source["command"])
    print(f"# the stack's builder identities (tcenter verify ... --builders builders.json): "
          f"{' '.join(published['builders'])}")
    if trust is None:
        print("# no transparency log in this stack: tcenter verify ... --no-log")
        return 0
    print(f"# the transparency log {trust['origin']}: its key (--log-key) is the KMS key {trust['keyAlias']} "
          f"(tcenter keys {args.stack} --fetch DIR writes DIR/log.vkey); the witnesses and the quorum per class:")
    print(" ".join(f"--witness {org}={key}" for org, keys in trust["witnesses"].items() for key in keys))
    print("# " + ", ".join(f"{cls}: --quorum {k}" for cls, k in trust["quorum"].items()))
    return 0


def register(sub: Any) -> None:
    from . import verify

    p = sub.add_parser("approve", help="sign exactly what `up` will run, as an approving organization")
    _subject_options(p)
    p.add_argument("--key", required=True, help="your private SSH key (ssh-ed25519 or ecdsa-sha2-nistp256)")
    p.add_argument("--org", required=True, help="your organization's name in the approvals config")
    p.add_argument("--valid-days", type=int, help="expire sooner than the base config's expiryDays")
    p.set_defaults(func=run_approve)

    p = sub.add_parser("approvals", help="quorum state of what `up` would run (exit 5: not met)")
    _subject_options(p)
    p.add_argument("--format", choices=("text", "markdown"), default="text")
    p.set_defaults(func=run_approvals)

    p = sub.add_parser("verify", help="check a release offline: signature, signed provenance, builders, SBOM",
                       description=verify.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("release", help="the release file")
    p.add_argument("--class", dest="signing_class", required=True, choices=SIGNING_CLASSES,
                   help="what the release must be (products or av-databases): its key class")
    p.add_argument("--key", action="append", default=[], metavar="CLASS=PEM",
                   help="a class's public key (PEM); the expected class's is required, the other helps name a "
                        "wrong-class signature")
    p.add_argument("--bundle-dir", help="where RELEASE.sig, .intoto.json and .cdx.json are (default: next to RELEASE)")
    p.add_argument("--pool", help="the build pool the builders must belong to (default: the one the provenance names)")
    p.add_argument("--min-builders", type=int, default=2, help="distinct builder identities that must agree (default 2)")
    p.add_argument("--source-rev", help="the reviewed source commit the provenance must name")
    p.add_argument("--source-tree", help="the reviewed source tree id (git rev-parse COMMIT^{tree}) it must name")
    p.add_argument("--builders", metavar="FILE", help="the stack's builder set (`tcenter keys STACK --builders FILE`; "
                                                      "default: builders.json next to the class's key)")
    p.add_argument("--log-key", help="the transparency log's verifier key (name+hex+base64; `tcenter keys STACK`): "
                                     "the release must be in that log (its RELEASE.tlog-proof)")
    add_witness_options(p)
    p.add_argument("--no-log", action="store_true", help="skip the transparency-log check (the output says so)")
    p.add_argument("--not-older-than", metavar="VERSION", help="refuse a release whose version is older (exit 19)")
    p.add_argument("--state", metavar="FILE", help="remember the newest version seen per class and release name in "
                                                   "FILE (written only after success) and refuse older ones (exit 19)")
    p.set_defaults(func=run_verify)

    p = sub.add_parser("keys", help="how to get the public signing keys of a stack as PEM")
    p.add_argument("stack", help="the stack whose keys to get")
    p.add_argument("--fetch", metavar="DIR", help="write <class>.pub.pem and builders.json into DIR with boto3 "
                                                  "(needs AWS credentials)")
    p.add_argument("--builders", metavar="FILE", help="write the stack's builder set (offline; `-` for stdout)")
    p.set_defaults(func=run_keys)
