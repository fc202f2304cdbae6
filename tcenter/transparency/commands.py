"""`tcenter log ...` and `tcenter witness` (registered in cli.COMMAND_GROUPS).

    tcenter log verify-proof ENTRY PROOF --log-key VKEY [--witness ORG=VKEY ...] [--quorum K]
        verify a .tlog-proof for the entry file ENTRY; exit 0 if it verifies
    tcenter log verify-release RELEASE --log-key VKEY --witness ORG=VKEY ... [--quorum K] [--class C]
        a release is logged: RELEASE.tlog-proof against RELEASE and RELEASE.intoto.json
    tcenter log keygen NAME --out FILE [--cosignature]
        write a new Ed25519 note signer key (Go's PRIVATE+KEY+... format, mode 0600) to FILE and
        print its verifier key; --cosignature prints the witness (type 0x04) verifier key instead
    tcenter log sequence --config /etc/tc-sequencer/sequencer.json
        the sequencer host's run: log new release records, sign with KMS, merge cosignatures
    tcenter log release-proof NAME.intoto.json --out NAME.tlog-proof --config /etc/tc-signer/transparency.json
        the signer host's gate: wait until the release is in a checkpoint k organizations
        cosigned, then write its .tlog-proof (exit 17 while it is not)
    tcenter log audit --log LOCATION --log-key VKEY [--witness ORG=VKEY ...] [--releases LOCATION]
        the monitor: replay the log, check every entry, list what no organization reviewed yet
    tcenter witness --org ORG --key FILE --log LOCATION --log-key VKEY --state-dir DIR
        a reviewer organization's witness: verify, cosign, upload; exit 20 on a fork or rollback

LOCATION is s3://BUCKET[/PREFIX/] (AWS credentials from the environment, --aws-profile), an
https:// URL of the published log (read-only), or a directory.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tcenter.core.errors import InputError, UsageError

from .cosignature import CosignatureSigner, CosignatureVerifier, WitnessPolicy, parse_witness_key
from .errors import Equivocation, NotLogged, StorageError, TlogVerificationFailed
from .note import Ed25519Signer, generate_key, parse_signer_key, parse_verifier_key
from .proof import verify_inclusion_bundle

DEFAULT_REGION = "eu-central-2"


def _aws_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", default=None, help=f"AWS region of the log's bucket (default {DEFAULT_REGION})")
    parser.add_argument("--aws-profile", default=None, help="AWS profile for s3:// locations (default: the environment)")


def add_witness_options(parser: argparse.ArgumentParser, quorum: bool = True) -> None:
    parser.add_argument("--witness", action="append", default=[], metavar="ORG=VKEY",
                        help="a witness key of an organization (repeat; one key belongs to one organization)")
    if quorum:
        parser.add_argument("--quorum", type=int, default=None, help="distinct organizations that must cosign (default 2)")


def register(subparsers: Any) -> None:
    log = subparsers.add_parser("log", help="the transparency log: sequence, prove, verify, audit, make keys")
    sub = log.add_subparsers(dest="log_command", required=True)

    verify = sub.add_parser("verify-proof", help="verify a .tlog-proof for an entry")
    verify.add_argument("entry", help="the entry file (its exact bytes are the logged entry)")
    verify.add_argument("proof", help="the .tlog-proof file")
    verify.add_argument("--log-key", required=True, help="the log's verifier key (name+hex+base64)")
    verify.add_argument("--origin", help="the log's origin (default: the log key's name)")
    add_witness_options(verify)
    verify.set_defaults(func=run_verify_proof)

    release = sub.add_parser("verify-release", help="verify that a release is in the log, cosigned by k organizations")
    release.add_argument("release", help="the release file")
    release.add_argument("--proof", help="its .tlog-proof (default: RELEASE.tlog-proof)")
    release.add_argument("--envelope", help="its provenance envelope (default: RELEASE.intoto.json)")
    release.add_argument("--log-key", required=True, help="the log's verifier key (name+hex+base64)")
    release.add_argument("--origin", help="the log's origin (default: the log key's name)")
    release.add_argument("--class", dest="signing_class", help="the class the release must be logged as")
    add_witness_options(release)
    release.set_defaults(func=run_verify_release)

    keygen = sub.add_parser("keygen", help="make an Ed25519 note key")
    keygen.add_argument("name", help="the key name (the log's origin, or the witness's name)")
    keygen.add_argument("--out", required=True, help="where to write the signer key (must not exist)")
    keygen.add_argument("--cosignature", action="store_true", help="print the witness (cosignature/v1) verifier key")
    keygen.set_defaults(func=run_keygen)

    sequence = sub.add_parser("sequence", help="log new release records, sign the checkpoint, merge cosignatures")
    sequence.add_argument("--config", required=True, help="the sequencer's config (/etc/tc-sequencer/sequencer.json)")
    sequence.add_argument("--log", help="the log's location (default: s3://<log-bucket>/ of the config)")
    sequence.add_argument("--records", help="the release records (default: s3://<record bucket>/<record prefix>)")
    sequence.add_argument("--signer-key", help="sign with this local note key instead of the KMS key (dev, tests)")
    sequence.add_argument("--state-dir", help="the sequencer's cache directory (default: the config's)")
    _aws_options(sequence)
    sequence.set_defaults(func=run_sequence)

    proof = sub.add_parser("release-proof", help="wait until a release is logged and cosigned, write its .tlog-proof")
    proof.add_argument("envelope", help="the release's provenance envelope (NAME.intoto.json)")
    proof.add_argument("--out", required=True, help="where to write the .tlog-proof")
    proof.add_argument("--release", help="the release file (default: trust the envelope's subject digest)")
    proof.add_argument("--config", help="the signer's log config (/etc/tc-signer/transparency.json)")
    proof.add_argument("--log", help="the log's location (overrides the config)")
    proof.add_argument("--log-key", help="the log's verifier key (default: the config's KMS checkpoint key)")
    proof.add_argument("--origin", help="the log's origin (default: the config's, else the log key's name)")
    add_witness_options(proof)
    proof.add_argument("--wait", type=float, default=None,
                       help="seconds to keep trying (default: the config's wait-seconds, else 0: try once)")
    proof.add_argument("--interval", type=float, default=30.0, help="seconds between tries (default 30)")
    _aws_options(proof)
    proof.set_defaults(func=run_release_proof)

    audit = sub.add_parser("audit", help="replay the log, check every entry, list what no organization reviewed yet")
    audit.add_argument("--log", required=True, help="the log's location")
    audit.add_argument("--log-key", required=True, help="the log's verifier key (name+hex+base64)")
    audit.add_argument("--origin", help="the log's origin (default: the log key's name)")
    add_witness_options(audit, quorum=False)
    audit.add_argument("--releases", help="the releases (a directory or s3://<release bucket>/releases/): "
                                          "each envelope must be logged and match its entry")
    audit.add_argument("--key", action="append", default=[], metavar="CLASS=PEM",
                       help="a class's public key (PEM): each logged release's envelope signature is verified")
    _aws_options(audit)
    audit.set_defaults(func=run_audit)

    witness = subparsers.add_parser("witness", help="cosign the transparency log as a reviewer organization's witness")
    witness.add_argument("--org", required=True, help="the organization this witness cosigns for")
    witness.add_argument("--key", required=True, help="the witness's signer key file (never a vendor-held key)")
    witness.add_argument("--log", required=True, help="where to read the log (https:// public URL or s3://bucket/)")
    witness.add_argument("--log-key", required=True, help="the log's verifier key (name+hex+base64)")
    witness.add_argument("--origin", help="the log's origin (default: the log key's name)")
    witness.add_argument("--upload", help="where to upload cosignatures (s3://<log bucket>/; default: --log if s3://)")
    witness.add_argument("--state-dir", required=True, help="the witness's state and evidence directory")
    _aws_options(witness)
    witness.set_defaults(func=run_witness)


# --- helpers ---------------------------------------------------------------------------------

def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {what} {path}: {e.strerror}") from None


def _organizations(items: list[str]) -> dict[str, list[CosignatureVerifier]]:
    organizations: dict[str, list[CosignatureVerifier]] = {}
    for item in items:
        org, sep, vkey = item.partition("=")
        if not sep or not org:
            raise UsageError(f"--witness {item!r}: expected ORG=VKEY")
        organizations.setdefault(org, []).append(parse_witness_key(vkey))
    return organizations


def witness_policy_of(args: argparse.Namespace, default_quorum: int = 2) -> WitnessPolicy:
    """The witness policy --witness and --quorum give (the `tcenter verify` and `log` commands share it)."""
    organizations = _organizations(args.witness)
    if not organizations:
        raise UsageError("give the witnesses' keys (--witness ORG=VKEY): a proof no witness cosigned proves nothing to you")
    return WitnessPolicy(default_quorum if args.quorum is None else args.quorum, organizations)


def _session(args: argparse.Namespace, region: str | None = None) -> Any:
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(profile_name=getattr(args, "aws_profile", None),
                             region_name=getattr(args, "region", None) or region or DEFAULT_REGION)
    except botocore.exceptions.BotoCoreError as e:
        raise InputError(f"AWS session: {e}") from None


def _open(location: str, args: argparse.Namespace, region: str | None = None) -> Any:
    from .s3 import open_location

    return open_location(location, session=_session(args, region) if location.startswith("s3://") else None)


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StorageError(f"another run holds {path}") from None
        yield
    finally:
        os.close(fd)


# --- offline verification --------------------------------------------------------------------

def run_verify_proof(args: argparse.Namespace) -> int:
    log_key = parse_verifier_key(args.log_key)
    policy = witness_policy_of(args)
    result = verify_inclusion_bundle(_read(args.entry, "the entry"), _read(args.proof, "the proof"), log_key, policy,
                                     origin=args.origin)
    assert result.witnesses is not None
    print(f"verified: entry {result.index} of {result.checkpoint.origin} (size {result.checkpoint.size}), "
          f"cosigned by {', '.join(result.witnesses.organizations)}")
    for ignored in result.witnesses.ignored:
        print(f"  ignored: {ignored}")
    return 0


def run_verify_release(args: argparse.Namespace) -> int:
    from .releases import PROOF_SUFFIX, verify_release

    log_key = parse_verifier_key(args.log_key)
    policy = witness_policy_of(args)
    sha256 = hashlib.sha256(_read(args.release, "the release")).hexdigest()
    envelope = _read(args.envelope or args.release + ".intoto.json", "the provenance envelope")
    proof_path = args.proof or args.release + PROOF_SUFFIX
    try:
        proof: bytes | None = Path(proof_path).read_bytes()
    except FileNotFoundError:
        proof = None
    except OSError as e:
        raise InputError(f"cannot read the proof {proof_path}: {e.strerror}") from None
    proven = verify_release(sha256=sha256, envelope_sha256=hashlib.sha256(envelope).hexdigest(), proof=proof,
                            log_key=log_key, policy=policy, signing_class=args.signing_class, origin=args.origin)
    print(f"logged: {args.release} is entry {proven.index} of {proven.origin} (size {proven.size}), "
          f"class {proven.entry['class']}, cosigned by {', '.join(proven.organizations)}")
    return 0


def run_keygen(args: argparse.Namespace) -> int:
    skey, vkey = generate_key(args.name)
    if args.cosignature:
        signer = parse_signer_key(skey)
        vkey = CosignatureSigner(signer.name, signer._key).verifier().vkey
    try:
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{args.out} exists; keygen never overwrites a key") from None
    except OSError as e:
        raise InputError(f"cannot create {args.out}: {e.strerror}") from None
    with os.fdopen(fd, "w") as f:
        f.write(skey + "\n")
    print(vkey)
    return 0


# --- the sequencer host ------------------------------------------------------------------------

def run_sequence(args: argparse.Namespace) -> int:
    from .kms import KmsEd25519Signer
    from .s3 import client_config
    from .sequencer import Sequencer, SequencerConfig

    config = SequencerConfig.load(args.config)
    log = _open(args.log or f"s3://{config.log_bucket}/", args, config.region)
    records = _open(args.records or f"s3://{config.record_bucket}/{config.record_prefix}", args, config.region)
    if args.signer_key:
        signer: Any = Ed25519Signer.from_file(args.signer_key, config.origin)
    else:
        client = _session(args, config.region).client("kms", config=client_config())
        signer = KmsEd25519Signer(config.origin, config.signing_key, client)
    state_dir = Path(args.state_dir or config.state_directory)
    with _exclusive(state_dir / "sequencer.lock"):
        sequencer = Sequencer(log, records, config.origin, signer, signer.verifier(), config.witnesses(),
                              state_dir / "sequencer-state.json", config.batch_size)
        result = sequencer.run()
    print(f"sequenced {config.origin}: {result.recovered} recovered, {result.appended} appended, size {result.size}"
          + (f"; signed checkpoints {', '.join(map(str, result.checkpoints))}" if result.checkpoints else "")
          + (f"; merged cosignatures of {', '.join(result.merged)}" if result.merged else ""))
    for path, reason in result.rejected:
        print(f"  rejected record {path}: {reason}")
    return 0


# --- the signer host ---------------------------------------------------------------------------

def _signer_settings(args: argparse.Namespace) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if args.config:
        try:
            settings = json.loads(_read(args.config, "the log config"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise InputError(f"the log config {args.config} is not JSON ({e})") from None
        if not isinstance(settings, dict):
            raise InputError(f"the log config {args.config} is not a JSON object")
    return settings


def run_release_proof(args: argparse.Namespace) -> int:
    from .kms import kms_verifier
    from .releases import ReleaseProver, read_envelope, witness_policy
    from .s3 import client_config
    from .witness import write_atomically

    envelope = _read(args.envelope, "the provenance envelope")
    _, statement = read_envelope(envelope)
    settings = _signer_settings(args)
    location = args.log or settings.get("log")
    if not location:
        raise UsageError("give --log LOCATION or --config with the log's location")
    if args.witness:
        policy = witness_policy_of(args)
    elif isinstance(settings.get("witness-keys"), dict) and isinstance(settings.get("quorum"), int):
        policy = witness_policy(settings["witness-keys"], args.quorum or settings["quorum"])
    else:
        raise UsageError("give --witness ORG=VKEY (and --quorum) or --config with witness-keys and quorum")
    region = settings.get("region")
    origin = args.origin or settings.get("origin")
    if args.log_key or settings.get("log-key"):
        log_key = parse_verifier_key(args.log_key or settings["log-key"])
    elif settings.get("checkpoint-key") and origin:
        client = _session(args, region).client("kms", config=client_config())
        log_key = kms_verifier(origin, settings["checkpoint-key"], client)
    else:
        raise UsageError("give --log-key VKEY or --config with origin and checkpoint-key")
    if args.release:
        sha256 = hashlib.sha256(_read(args.release, "the release")).hexdigest()
    else:
        sha256 = str(((statement.get("subject") or [{}])[0].get("digest") or {}).get("sha256", ""))
    wait = args.wait if args.wait is not None else settings.get("wait-seconds", 0)
    if not isinstance(wait, int | float) or isinstance(wait, bool) or wait < 0:
        raise InputError(f"wait-seconds must be a number of seconds >= 0, not {wait!r}")
    prover = ReleaseProver(_open(location, args, region), envelope, sha256, log_key, policy, origin=origin)
    deadline = time.monotonic() + wait
    while True:
        try:
            proof = prover.attempt()
            break
        except NotLogged as e:
            if time.monotonic() + args.interval > deadline:
                raise NotLogged(f"{e} (gave up after {wait:g} s): the release is not handed out") from None
            print(f"waiting: {e}", file=sys.stderr, flush=True)
            time.sleep(max(args.interval, 0.0))
    write_atomically(Path(args.out), proof)
    print(f"wrote {args.out}")
    return 0


# --- the monitor --------------------------------------------------------------------------------

def run_audit(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives import serialization

    from .audit import audit_log

    log_key = parse_verifier_key(args.log_key)
    organizations = _organizations(args.witness)
    keys = {}
    for item in args.key:
        signing_class, sep, path = item.partition("=")
        if not sep or not signing_class:
            raise UsageError(f"--key {item!r}: expected CLASS=PEM")
        try:
            keys[signing_class] = serialization.load_pem_public_key(_read(path, "the public key"))
        except ValueError as e:
            raise InputError(f"{path}: not a PEM public key ({e})") from None
    storage = _open(args.log, args)
    releases = _open(args.releases, args) if args.releases else None
    report = audit_log(storage, log_key, organizations, keys=keys, releases=releases, origin=args.origin)
    types = ", ".join(f"{n} {kind}" for kind, n in sorted(report.types.items())) or "no entries"
    print(f"log {report.origin}: size {report.size} ({types}); {report.history_checked} signed checkpoints checked")
    if releases is not None:
        print(f"releases: {report.envelopes_found} envelopes published, {report.envelopes_checked} match their entries, "
              f"{report.signatures_checked} signatures verified, {len(report.not_logged)} NOT LOGGED")
    for path in report.not_logged:
        print(f"  not logged: {path}")
    for org in sorted(organizations):
        print(f"reviewed by {org}: up to size {report.reviewed.get(org, 0)}")
    print(f"not yet reviewed: {len(report.unreviewed)} entries")
    for index, text in report.unreviewed:
        print(f"  {index}: {text}")
    for note in report.notes:
        print(f"note: {note}")
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    if report.not_logged:
        raise NotLogged(f"{len(report.not_logged)} published release(s) are not in the log")
    if report.problems:
        raise TlogVerificationFailed(f"{len(report.problems)} problem(s) in the log: {report.problems[0]}")
    return 0


# --- the witness ----------------------------------------------------------------------------

def run_witness(args: argparse.Namespace) -> int:
    from .witness import Witness
    from .witnessing import run_witness as run

    log_key = parse_verifier_key(args.log_key)
    origin = args.origin or log_key.name
    signer = CosignatureSigner.from_file(args.key)
    state_dir = Path(args.state_dir)
    witness = Witness(state_dir / "state.json", signer, {origin: [log_key]}, evidence_dir=state_dir / "evidence")
    source = _open(args.log, args)
    upload_location = args.upload or (args.log if args.log.startswith("s3://") else None)
    upload = None if upload_location is None else _open(upload_location, args)
    try:
        done = run(witness, args.org, source, [log_key], origin, upload)
    except Equivocation as e:
        path = getattr(e, "evidence_path", None)
        print(f"REFUSED: {e}\nevidence: {path}", flush=True)
        raise
    if done.cosigned:
        print(f"cosigned {origin} at size {done.size} (last cosigned {done.previous_size}); "
              f"{done.bytes_fetched} bytes fetched" + (f"; uploaded {done.path}" if done.path else ""))
    else:
        print(f"unchanged: {origin} is at size {done.size}, cosigned before"
              + (f"; {done.path} is uploaded" if done.path else ""))
    return 0

