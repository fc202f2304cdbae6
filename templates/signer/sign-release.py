#!/usr/bin/python3
"""Sign a release only when enough distinct builder identities produced the same bytes.

Installed verbatim on signer hosts as /usr/local/lib/tc-signer/sign-release (not a jinja
template: the host's values come from /etc/tc-signer/signer.json). The signing backend is
a command, so KMS, the CloudHSM or (in tests) a local openssl key can sign:

  sign-release --name NAME --release-version VERSION --pool POOL --builder POOL-1=PATH \
      --builder POOL-2=PATH --release-dir DIR --key-id ID --digest sha384 --min-builders 2 \
      --sign-command 'CMD ... {digest_file} ...'

Each builder's output sits next to its `build-info.json` (source repository, commit and
tree digest, pinned toolchain, SOURCE_DATE_EPOCH, build command, base image), written by
the build agent; all builders must agree on the bytes and on the build info. The command
gets `{digest_file}` (the raw digest of what is signed) substituted, runs without a shell,
and prints the signature (raw DER bytes, or base64 with --signature-encoding base64).

On success DIR holds NAME, NAME.sig (signature over NAME), NAME.cdx.json (CycloneDX SBOM
of the build environment) and NAME.intoto.json (a DSSE envelope, signed by the same key,
of an in-toto Statement v1 with a SLSA Provenance v1 predicate naming every agreeing
builder identity, the SBOM's digest and the release version, which `tcenter verify
--not-older-than/--state` compares to refuse rollbacks); nothing is written otherwise. It prints
the release record (JSON: digests, source revision, builders, version, the envelope itself in
base64) that the host's wrapper archives and the transparency log's sequencer logs; the wrapper
hands the release out only with its NAME.tlog-proof (docs/transparency-log.md). The statement's
bytes depend only on the inputs (determinism). Exit codes: 2 usage, 3 missing builder
output, 4 outputs or build infos differ, 5 backend failed, 6 release exists.

Needs python3-protobuf, in-toto-attestation, securesystemslib and cyclonedx-python-lib
(docs/releases.md: the signer image installs them pinned).
"""

import argparse
import base64
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import uuid
from datetime import datetime, timezone

try:
    from google.protobuf import json_format
    from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
    from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
    from in_toto_attestation.v1.statement import Statement
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import Signature
except ImportError as missing_library:  # the signer image lacks the pinned libraries (docs/releases.md)
    print(f"sign-release: {missing_library}; install /usr/local/lib/tc-signer/requirements.txt in the signer image",
          file=sys.stderr)
    sys.exit(5)

MISSING, MISMATCH, BACKEND, EXISTS = 3, 4, 5, 6
CHUNK = 1 << 20
BUILD_INFO = "build-info.json"
BUILD_INFO_KEYS = ("baseImage", "buildCommand", "source", "sourceDateEpoch", "toolchain")
PAYLOAD_TYPE = "application/vnd.in-toto+json"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://github.com/transparency-center/kit/blob/main/docs/releases.md#build-type-v1"
SUFFIXES = (".sig", ".cdx.json", ".intoto.json", "")
"""Bundle files; written in this order so that a release never appears unsigned."""


def fail(code, message):
    print(f"sign-release: {message}", file=sys.stderr)
    sys.exit(code)


def digest_of(path, algorithm):
    h = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            h.update(chunk)
    return h


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def parse_args(argv):
    p = argparse.ArgumentParser(prog="sign-release", description=__doc__.split("\n")[0])
    p.add_argument("--config", help="JSON file with defaults for the options below (signer hosts)")
    p.add_argument("--name", required=True, help="release file name")
    p.add_argument("--release-version", required=True,
                   help="the release's version: 1 to 6 dot-separated numbers (2.4.1; 2025.01.31.2 for an AV database)")
    p.add_argument("--pool", required=True, help="the build pool; builder identities are POOL-<n>")
    p.add_argument("--builder", action="append", default=[], metavar="IDENTITY=PATH", help="one builder's output")
    p.add_argument("--min-builders", type=int, help="distinct builder identities that must agree (default 2)")
    p.add_argument("--signing-class", help="products or av-databases (recorded in the provenance)")
    p.add_argument("--release-dir", required=True)
    p.add_argument("--key-id")
    p.add_argument("--signing-algorithm", default="")
    p.add_argument("--digest", choices=("sha256", "sha384", "sha512"))
    p.add_argument("--sign-command")
    p.add_argument("--signature-encoding", choices=("raw", "base64"))
    args = p.parse_args(argv)
    defaults = {"digest": "sha384", "signature_encoding": "raw", "min_builders": 2, "signing_class": "products"}
    if args.config:
        with open(args.config) as stream:
            defaults.update({k.replace("-", "_"): v for k, v in json.load(stream).items()})
    for key, value in defaults.items():
        if getattr(args, key, None) in (None, ""):
            setattr(args, key, value)
    if not args.key_id or not args.sign_command:
        p.error("--key-id and --sign-command are required (or set them in --config)")
    if os.path.basename(args.name) != args.name or args.name in ("", ".", ".."):
        p.error(f"--name must be a plain file name, not {args.name!r}")
    if not re.fullmatch(r"[0-9]{1,9}(\.[0-9]{1,9}){0,5}", args.release_version):
        p.error(f"--release-version must be 1 to 6 dot-separated numbers, not {args.release_version!r}")
    if int(args.min_builders) < 2:
        p.error(f"--min-builders must be at least 2 (one builder cannot vouch for itself); got {args.min_builders}")
    identity = re.compile(rf"{re.escape(args.pool)}-[1-9][0-9]*")
    builders = []
    for spec in args.builder:
        label, sep, path = spec.partition("=")
        if not sep or not label or not path:
            p.error(f"--builder takes IDENTITY=PATH, not {spec!r}")
        if not identity.fullmatch(label):
            p.error(f"builder {label!r} is not a builder identity of pool {args.pool} ({args.pool}-<n>)")
        builders.append((label, path))
    labels = [label for label, _ in builders]
    if len(set(labels)) != len(labels):
        p.error(f"builder identities must be distinct: {labels}; one builder cannot vouch for itself")
    if len(builders) < int(args.min_builders):
        p.error(f"at least {args.min_builders} builder identities must agree; got {len(builders)}")
    if len({os.path.realpath(path) for _, path in builders}) != len(builders):
        p.error("builder outputs must be different files: one builder cannot vouch for itself")
    args.builders = sorted(builders)
    return args


def read_build_info(path):
    with open(path, "rb") as stream:
        info = json.load(stream)
    missing = [key for key in BUILD_INFO_KEYS if key not in info]
    if missing:
        raise ValueError(f"{path}: build info lacks {missing}")
    source = info["source"]
    if not re.fullmatch(r"[0-9a-f]{40}([0-9a-f]{24})?", str(source.get("commit", ""))) or \
            not re.fullmatch(r"[0-9a-f]{40}([0-9a-f]{24})?", str(source.get("tree", ""))):
        raise ValueError(f"{path}: source.commit and source.tree must be git object ids")
    return {key: info[key] for key in BUILD_INFO_KEYS}


def sbom_json(name, sha256, info):
    """CycloneDX 1.5 of the build environment: the base image and every pinned package."""
    from cyclonedx.model import HashAlgorithm, HashType
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot5
    from packageurl import PackageURL

    bom = Bom(serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"sha256:{sha256}"))
    bom.metadata.timestamp = datetime.fromtimestamp(int(info["sourceDateEpoch"]), tz=timezone.utc)
    bom.metadata.component = Component(name=name, type=ComponentType.APPLICATION, bom_ref=f"release:{name}",
                                       hashes=[HashType(alg=HashAlgorithm.SHA_256, content=sha256)])
    bom.components.add(Component(name=info["baseImage"], type=ComponentType.OPERATING_SYSTEM,
                                 bom_ref=f"base-image:{info['baseImage']}", description="pinned builder base image"))
    for package, version in sorted(info["toolchain"].items()):
        purl = PackageURL(type="deb", namespace="debian", name=package, version=version)
        bom.components.add(Component(name=package, version=version, type=ComponentType.LIBRARY,
                                     purl=purl, bom_ref=purl.to_string()))
    document = json.loads(JsonV1Dot5(bom).output_as_string())
    return json.dumps(document, indent=2, sort_keys=True).encode() + b"\n"


def statement_bytes(args, sha256, records, info, sbom_sha256):
    """The in-toto Statement v1 / SLSA Provenance v1, serialized canonically."""
    source = info["source"]
    provenance = provenance_pb2.Provenance()
    definition = provenance.build_definition
    definition.build_type = BUILD_TYPE
    definition.external_parameters.update({
        "source": {"repository": source["repository"], "commit": source["commit"], "tree": source["tree"]},
        "buildCommand": list(info["buildCommand"]),
        "pool": args.pool,
        "signingClass": args.signing_class,
        "releaseVersion": args.release_version,
    })
    definition.internal_parameters.update({
        "sourceDateEpoch": int(info["sourceDateEpoch"]),
        "toolchain": dict(sorted(info["toolchain"].items())),
        "minBuilders": int(args.min_builders),
    })
    definition.resolved_dependencies.append(ResourceDescriptor(
        name="source", uri=f"git+{source['repository']}@{source['commit']}",
        digest={"gitCommit": source["commit"], "gitTree": source["tree"]}).pb)
    definition.resolved_dependencies.append(ResourceDescriptor(name="base-image", uri=info["baseImage"]).pb)
    for package, version in sorted(info["toolchain"].items()):
        definition.resolved_dependencies.append(ResourceDescriptor(name=package, uri=f"pkg:deb/debian/{package}@{version}").pb)
    run = provenance.run_details
    run.builder.id = f"urn:transparency-center:build-pool:{args.pool}"
    run.metadata.invocation_id = f"{args.pool}/{args.name}/{sha256}"
    for record in records:
        run.byproducts.append(ResourceDescriptor(
            name=f"{record['builder']}/{args.name}", digest={"sha256": record["sha256"]},
            annotations={"builderIdentity": record["builder"]}).pb)
    run.byproducts.append(ResourceDescriptor(name=f"{args.name}.cdx.json", digest={"sha256": sbom_sha256},
                                             media_type="application/vnd.cyclonedx+json").pb)
    statement = Statement([ResourceDescriptor(name=args.name, digest={"sha256": sha256}).pb],
                          SLSA_PROVENANCE_V1, json_format.MessageToDict(provenance))
    statement.validate()
    return canonical(json_format.MessageToDict(statement.pb))


def sign_bytes(args, work, data, label):
    """Sign `data` with the backend (it signs the raw digest, as KMS DIGEST and CKM_ECDSA do)."""
    digest_file = os.path.join(work, f"{label}.digest")
    with open(digest_file, "wb") as stream:
        stream.write(hashlib.new(args.digest, data).digest())
    command = [part.format(digest_file=digest_file, artifact=digest_file) for part in shlex.split(args.sign_command)]
    try:
        result = subprocess.run(command, capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        fail(BACKEND, f"signing backend could not run: {error}")
    if result.returncode != 0 or not result.stdout.strip():
        fail(BACKEND, f"signing backend failed (exit {result.returncode}): {result.stderr.decode(errors='replace').strip()}")
    if args.signature_encoding == "base64":
        try:
            return base64.b64decode(b"".join(result.stdout.split()), validate=True)
        except ValueError:
            fail(BACKEND, "signing backend did not print base64")
    return result.stdout


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    info_paths = [(label, os.path.join(os.path.dirname(path), BUILD_INFO)) for label, path in args.builders]
    missing = [f"{label} ({path})" for label, path in args.builders if not os.path.isfile(path)]
    missing += [f"{label} ({path})" for label, path in info_paths if not os.path.isfile(path)]
    if missing:
        fail(MISSING, f"builder output missing: {', '.join(missing)}; nothing signed")
    records = [{"builder": label, "sha256": digest_of(path, "sha256").hexdigest()} for label, path in args.builders]
    if len({r["sha256"] for r in records}) != 1:
        detail = ", ".join(f"{r['builder']}={r['sha256']}" for r in records)
        fail(MISMATCH, f"builder outputs differ ({detail}); the build is not reproducible, nothing signed")
    try:
        infos = {label: read_build_info(path) for label, path in info_paths}
    except (OSError, ValueError) as error:
        fail(MISSING, f"unreadable build info: {error}; nothing signed")
    if len({canonical(info) for info in infos.values()}) != 1:
        fail(MISMATCH, f"builders disagree on the build inputs ({', '.join(sorted(infos))}); nothing signed")
    info = infos[args.builders[0][0]]

    artifact = args.builders[0][1]
    release = os.path.join(args.release_dir, args.name)
    existing = [release + suffix for suffix in SUFFIXES if os.path.exists(release + suffix)]
    if existing:
        fail(EXISTS, f"release files already exist: {existing}; a release is never re-signed in place")

    os.makedirs(args.release_dir, exist_ok=True)
    # Sign a private copy: what is hashed and signed is what is released.
    with tempfile.TemporaryDirectory(prefix=".sign-release-", dir=args.release_dir) as work:
        copy = os.path.join(work, args.name)
        with open(artifact, "rb") as source, open(copy, "wb") as target:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                target.write(chunk)
        sha256 = digest_of(copy, "sha256").hexdigest()
        if sha256 != records[0]["sha256"]:
            fail(MISMATCH, "artifact changed while it was being signed; nothing signed")
        with open(copy, "rb") as stream:
            signature = sign_bytes(args, work, stream.read(), "release")
        sbom = sbom_json(args.name, sha256, info)
        payload = statement_bytes(args, sha256, records, info, hashlib.sha256(sbom).hexdigest())
        envelope = Envelope(payload=payload, payload_type=PAYLOAD_TYPE, signatures={})
        envelope_signature = sign_bytes(args, work, envelope.pae(), "envelope")
        envelope.signatures[args.key_id] = Signature(keyid=args.key_id, sig=envelope_signature.hex())
        outputs = {
            ".sig": signature,
            ".cdx.json": sbom,
            ".intoto.json": json.dumps(envelope.to_dict(), indent=2, sort_keys=True).encode() + b"\n",
        }
        for suffix, content in outputs.items():
            with open(copy + suffix, "wb") as stream:
                stream.write(content)
        for suffix in SUFFIXES:
            os.link(copy + suffix, release + suffix)
    envelope_sha256 = hashlib.sha256(outputs[".intoto.json"]).hexdigest()
    # The release record: what the sequencer logs. The envelope travels in it (base64, as
    # published) because the release is handed out only once its log entry is cosigned.
    print(json.dumps({"release": release, "name": args.name, "pool": args.pool, "signingClass": args.signing_class,
                      "sha256": sha256, "keyId": args.key_id, "envelopeSha256": envelope_sha256,
                      "version": args.release_version,
                      "sourceRevision": info["source"]["commit"], "sourceTree": info["source"]["tree"],
                      "builders": [r["builder"] for r in records],
                      "envelope": base64.b64encode(outputs[".intoto.json"]).decode()}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
