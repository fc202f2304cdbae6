"""Offline `tcenter log` commands (the lead wires `register` into cli.py).

    tcenter log verify-proof ENTRY PROOF --log-key VKEY [--witness ORG=VKEY ...] [--quorum K]
        verify a .tlog-proof for the entry file ENTRY; exit 0 if it verifies
    tcenter log keygen NAME --out FILE [--cosignature]
        write a new Ed25519 note signer key (Go's PRIVATE+KEY+... format, mode 0600) to FILE and
        print its verifier key; --cosignature prints the witness (type 0x04) verifier key instead
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from tcenter.core.errors import InputError, UsageError

from .cosignature import CosignatureSigner, WitnessPolicy, parse_witness_key
from .note import generate_key, parse_signer_key, parse_verifier_key
from .proof import verify_inclusion_bundle


def register(subparsers: Any) -> None:
    log = subparsers.add_parser("log", help="the transparency log: verify proofs, make keys (offline)")
    sub = log.add_subparsers(dest="log_command", required=True)

    verify = sub.add_parser("verify-proof", help="verify a .tlog-proof for an entry")
    verify.add_argument("entry", help="the entry file (its exact bytes are the logged entry)")
    verify.add_argument("proof", help="the .tlog-proof file")
    verify.add_argument("--log-key", required=True, help="the log's verifier key (name+hex+base64)")
    verify.add_argument("--origin", help="the log's origin (default: the log key's name)")
    verify.add_argument("--witness", action="append", default=[], metavar="ORG=VKEY",
                        help="a witness key of an organization (repeat; one key belongs to one organization)")
    verify.add_argument("--quorum", type=int, default=2, help="distinct organizations that must cosign (default 2)")
    verify.set_defaults(func=run_verify_proof)

    keygen = sub.add_parser("keygen", help="make an Ed25519 note key")
    keygen.add_argument("name", help="the key name (the log's origin, or the witness's name)")
    keygen.add_argument("--out", required=True, help="where to write the signer key (must not exist)")
    keygen.add_argument("--cosignature", action="store_true", help="print the witness (cosignature/v1) verifier key")
    keygen.set_defaults(func=run_keygen)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {what} {path}: {e.strerror}") from None


def run_verify_proof(args: argparse.Namespace) -> int:
    log_key = parse_verifier_key(args.log_key)
    organizations: dict[str, list] = {}
    for item in args.witness:
        org, sep, vkey = item.partition("=")
        if not sep or not org:
            raise UsageError(f"--witness {item!r}: expected ORG=VKEY")
        organizations.setdefault(org, []).append(parse_witness_key(vkey))
    if not organizations:
        raise UsageError("give the witnesses' keys (--witness ORG=VKEY): a proof no witness cosigned proves nothing to you")
    policy = WitnessPolicy(args.quorum, organizations)
    result = verify_inclusion_bundle(_read(args.entry, "the entry"), _read(args.proof, "the proof"), log_key, policy,
                                     origin=args.origin)
    assert result.witnesses is not None
    print(f"verified: entry {result.index} of {result.checkpoint.origin} (size {result.checkpoint.size}), "
          f"cosigned by {', '.join(result.witnesses.organizations)}")
    for ignored in result.witnesses.ignored:
        print(f"  ignored: {ignored}")
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
