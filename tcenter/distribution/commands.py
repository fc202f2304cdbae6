"""`tcenter tuf ...` (the root ceremony, signing metadata) and `tcenter update` (the reference
client), docs/distribution.md and docs/tuf-root-ceremony.md.

    tcenter tuf root new STACK --out root.json [--previous OLD.json] [--online-key snapshot=PEM ...]
        the next root version (or version 1) from the stack's distribution.root, unsigned
    tcenter tuf sign FILE --key KEY.pem --holder NAME
        add a signature to a metadata file (root, targets, the products role), in place
    tcenter tuf root verify ROOT [--previous OLD.json]
        who signed; exit 0 when both thresholds are met, 21 otherwise
    tcenter tuf policy STACK --class CLASS --log-key VKEY --release-key PEM --out policy.json
        the class's client policy from the stack (log origin, witnesses, k, builder set)
    tcenter tuf init STACK --class CLASS --dir DIR --policy policy.json --online-key ROLE=PEM ...
        version 1 of the class's repository: root and top-level targets drafts for the ceremony
    tcenter update URL --class CLASS --name NAME --state DIR [--root ROOT.json] [--source-rev REV]
        update through TUF, the log and the provenance; exit 0 and the installed file's path
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tcenter.core.errors import InputError, UsageError
from tcenter.core.output import console

from .names import ONLINE_ROLES, SIGNING_CLASSES, VENDOR


def register(subparsers: Any) -> None:
    tuf = subparsers.add_parser("tuf", help="the update repositories' TUF metadata: root ceremony, signatures")
    sub = tuf.add_subparsers(dest="tuf_command", required=True)
    root = sub.add_parser("root", help="root versions: propose, verify")
    root_sub = root.add_subparsers(dest="root_command", required=True)

    new = root_sub.add_parser("new", help="the next root version from the stack's distribution.root (unsigned)")
    new.add_argument("stack", help="the stack whose distribution.root names the keys and threshold")
    new.add_argument("--out", required=True, help="where to write the unsigned root (must not exist)")
    new.add_argument("--previous", help="the current root.json (its online keys are kept unless given)")
    new.add_argument("--online-key", action="append", default=[], metavar="ROLE=PEM",
                     help="the public key of an online role (snapshot, timestamp): aws kms get-public-key ...")
    new.add_argument("--expires-days", type=int, default=365, help="days until this root expires (default 365)")
    new.set_defaults(func=run_root_new)

    verify = root_sub.add_parser("verify", help="who signed a root, and whether both thresholds are met")
    verify.add_argument("root", help="the new root.json")
    verify.add_argument("--previous", help="the root it replaces (required for every version after 1)")
    verify.set_defaults(func=run_root_verify)

    policy = sub.add_parser("policy", help="the class's policy.json from the stack (what clients check beyond TUF)")
    policy.add_argument("stack")
    policy.add_argument("--class", dest="signing_class", required=True, choices=SIGNING_CLASSES)
    policy.add_argument("--log-key", required=True, help="the log's C2SP verifier key (from its KMS public key)")
    policy.add_argument("--release-key", required=True, help="the class's release public key (tcenter keys STACK)")
    policy.add_argument("--out", required=True, help="where to write policy.json (must not exist)")
    policy.set_defaults(func=run_policy)

    init = sub.add_parser("init", help="version 1 of a class's repository: unsigned root and targets for the ceremony")
    init.add_argument("stack")
    init.add_argument("--class", dest="signing_class", required=True, choices=SIGNING_CLASSES)
    init.add_argument("--dir", required=True, help="an empty directory for the repository (metadata/, targets/)")
    init.add_argument("--policy", required=True, help="the class's policy.json (tcenter tuf policy)")
    init.add_argument("--online-key", action="append", default=[], metavar="ROLE=PEM",
                      help="public keys of the KMS keys: snapshot, timestamp, and targets (the vendor's class-role key)")
    init.set_defaults(func=run_init)

    sign = sub.add_parser("sign", help="add your signature to a metadata file, in place")
    sign.add_argument("file", help="the metadata file (root, targets, products)")
    sign.add_argument("--key", required=True, help="your private key (PEM; ECDSA P-256/P-384 or Ed25519)")
    sign.add_argument("--holder", required=True, help="who you are: 'vendor' or your organization's name")
    sign.set_defaults(func=run_sign)

    update = subparsers.add_parser("update", help="install a release the way a customer's product does (TUF, log, provenance)")
    update.add_argument("url", help="the class's repository: https://..., or file:///path for a copy on disk")
    update.add_argument("--class", dest="signing_class", required=True, choices=SIGNING_CLASSES)
    update.add_argument("--name", required=True, help="the release's file name")
    update.add_argument("--state", required=True, help="the client's state directory (trusted metadata, installed file)")
    update.add_argument("--root", help="the root the product shipped with (first run only)")
    update.add_argument("--source-rev", help="refuse unless built from this reviewed commit")
    update.set_defaults(func=run_update)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {what} {path}: {error.strerror or error}") from None


def _config(args: argparse.Namespace) -> Any:
    from components.config import ConfigError, load_config

    from tcenter.core.stackfiles import load_stack_values

    project = args.workspace.project_dir if getattr(args, "workspace", None) else None
    values = load_stack_values(args.stack, project) if project else load_stack_values(args.stack)
    try:
        return load_config(values, args.stack)
    except ConfigError as error:
        raise InputError(" ".join(str(error).split())) from None


def _stack_root(args: argparse.Namespace) -> tuple[list[Any], int]:
    from .keys import public_key

    config = _config(args)
    root = config.distribution.root
    if not config.distribution.enabled or root is None:
        raise InputError(f"stack {args.stack!r} has no enabled distribution with root keys (distribution.root)")
    keys = [public_key(k.public_key, k.holder, f"distribution.root.keys[{k.holder}]") for k in root.keys]
    return keys, root.threshold


def run_root_new(args: argparse.Namespace) -> int:
    from .ceremony import load_metadata, propose_root
    from .repository import write_atomically

    keys, threshold = _stack_root(args)
    previous = load_metadata(_read(args.previous, "the previous root"), args.previous) if args.previous else None
    online = _online_keys(args.online_key, ONLINE_ROLES)
    out = _new_file(args.out)
    root = propose_root(previous, root_keys=keys, threshold=threshold, online_keys=online,
                        expires_days=args.expires_days)
    write_atomically(out, root.to_bytes())
    console().print(f"wrote {out}: root version {root.signed.version}, threshold {threshold} of {len(keys)} keys "
                    f"({', '.join(sorted(k.unrecognized_fields['x-tcenter-holder'] for k in keys))}); unsigned")
    return 0


def _online_keys(items: list[str], roles: tuple[str, ...]) -> dict[str, Any]:
    from .keys import read_public_key

    online = {}
    for item in items:
        role, sep, path = item.partition("=")
        if not sep or role not in roles:
            raise UsageError(f"--online-key takes ROLE=PEM with ROLE one of {list(roles)}, not {item!r}")
        online[role] = read_public_key(Path(path), VENDOR)
    return online


def _new_file(path: str) -> Path:
    out = Path(path)
    if out.exists():
        raise InputError(f"{out} exists; write to a new file")
    return out


def run_policy(args: argparse.Namespace) -> int:
    from tcenter.transparency.note import parse_verifier_key

    from .policy import ClientPolicy, parse_policy
    from .repository import write_atomically

    config = _config(args)
    out = _new_file(args.out)
    origin = args.workspace.plan(args.stack).get("outputs", {}).get("transparencyLogOrigin")
    if not config.transparency.enabled or not origin:
        raise InputError(f"stack {args.stack!r} has no transparency log: clients install only logged releases")
    parse_verifier_key(args.log_key)
    pools = [p for p in config.build.pools if p.purpose == args.signing_class]
    if len(pools) != 1:
        raise InputError(f"{len(pools)} build pools build {args.signing_class}; a policy names one pool")
    release_key = _read(args.release_key, "the release key").decode()
    policy = ClientPolicy(
        args.signing_class, origin, args.log_key, {w.organization: list(w.keys) for w in config.transparency.witnesses},
        config.transparency.verification[args.signing_class], release_key, pools[0].name,
        tuple(f"{pools[0].name}-{n}" for n in range(1, pools[0].builders + 1)), config.signing.min_agreeing_builders)
    data = policy.to_json()
    parse_policy(data, args.signing_class)
    write_atomically(out, data)
    console().print(f"wrote {out}: {args.signing_class} from pool {pools[0].name} ({pools[0].builders} builders, "
                    f"{config.signing.min_agreeing_builders} must agree), log {origin}, {policy.quorum} of "
                    f"{len(policy.witnesses)} witness organizations")
    return 0


def run_init(args: argparse.Namespace) -> int:
    from .keys import public_key
    from .policy import parse_policy
    from .repository import Expiry, Repository, write_atomically

    keys, threshold = _stack_root(args)
    config = _config(args)
    directory = Path(args.dir)
    if directory.exists() and any(directory.iterdir()):
        raise InputError(f"{directory} is not empty; a repository starts in an empty directory")
    policy = _read(args.policy, "the policy")
    parse_policy(policy, args.signing_class)
    online = _online_keys(args.online_key, ONLINE_ROLES + ("targets",))
    missing = sorted({"snapshot", "timestamp", "targets"} - set(online))
    if missing:
        raise UsageError(f"--online-key: give the public keys of {missing} (aws kms get-public-key ...)")
    distribution = config.distribution
    class_keys = [online["targets"]]
    threshold_class, bins = 1, distribution.av_database_bins
    if args.signing_class == "products":
        class_keys += [public_key(r.public_key, r.organization, f"distribution.rebuilders[{r.organization}]")
                       for r in distribution.rebuilders]
        threshold_class, bins = 2, 0
    repo = Repository.create(directory, args.signing_class, root_keys=keys, root_threshold=threshold,
                             online_keys=online, class_keys=class_keys, class_threshold=threshold_class, bins_bits=bins,
                             expiry=Expiry.for_class(args.signing_class, distribution.timestamp_hours[args.signing_class]))
    repo.add_target("policy.json", policy)
    repo.write()  # the policy target; nothing is signed yet
    for role in ("root", "targets"):
        write_atomically(directory / "metadata" / f"1.{role}.json", repo.serialized(role))
    console().print(f"wrote {directory}/metadata/1.root.json and 1.targets.json (unsigned: the ceremony signs them, "
                    f"threshold {threshold}); the {args.signing_class} role needs {threshold_class} of "
                    f"{len(class_keys)} keys" + (f", {2 ** bins} hashed bins" if bins else ""))
    return 0


def run_root_verify(args: argparse.Namespace) -> int:
    from .ceremony import load_metadata, require_verified

    new = load_metadata(_read(args.root, "the root"), args.root)
    previous = load_metadata(_read(args.previous, "the previous root"), args.previous) if args.previous else None
    if new.signed.type != "root":
        raise InputError(f"{args.root} is {new.signed.type} metadata, not a root")
    if previous is None and new.signed.version != 1:
        raise UsageError(f"root version {new.signed.version} is verified against the previous one: give --previous")
    found = require_verified(new, previous)
    console().print(f"root version {found.version}: signed by {', '.join(found.signed_by)}; threshold {found.threshold} "
                    f"met{'' if previous is None else f' and the previous threshold {found.previous_threshold} met'}"
                    + (f"; added {', '.join(found.added)}" if found.added else "")
                    + (f"; removed {', '.join(found.removed)}" if found.removed else ""))
    return 0


def run_sign(args: argparse.Namespace) -> int:
    from .ceremony import load_metadata, sign_metadata
    from .keys import signer_from_file
    from .repository import write_atomically

    path = Path(args.file)
    metadata = load_metadata(_read(args.file, "the metadata"), args.file)
    signer = signer_from_file(Path(args.key), args.holder)
    sign_metadata(metadata, signer)
    write_atomically(path, metadata.to_bytes())
    console().print(f"signed {path} ({metadata.signed.type} version {metadata.signed.version}) as {args.holder} "
                    f"with key {signer.public_key.keyid[:16]}")
    return 0


def run_update(args: argparse.Namespace) -> int:
    from .client import UpdateClient

    root = _read(args.root, "the trusted root") if args.root else None
    client = UpdateClient(Path(args.state), args.url, args.signing_class, trusted_root=root,
                          pinned_revision=args.source_rev)
    installed = client.update(args.name)
    print(installed.path)
    console(stderr=True).print(
        f"installed {installed.signing_class}/{installed.name} (sha256 {installed.sha256[:16]}...): TUF verified, "
        f"log entry {installed.log_index} cosigned by {', '.join(installed.witnesses)}, built by "
        f"{', '.join(installed.builders)} from {installed.source_revision[:12]}"
        + (f", signed by {', '.join(installed.signed_by)}, rebuilt by {', '.join(installed.rebuilt_by)}"
           if installed.rebuilt_by else ""))
    return 0
