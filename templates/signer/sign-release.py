#!/usr/bin/python3
"""Sign an artifact only when two independent builders produced the same bytes.

Installed verbatim on signer hosts as /usr/local/lib/tc-signer/sign-release (not a jinja
template: the host's values come from /etc/tc-signer/signer.json). The signing backend is
a command, so KMS, the CloudHSM or (in tests) a local openssl key can sign:

  sign-release --name NAME --builder b1=PATH --builder b2=PATH --release-dir DIR \
      --key-id ID --digest sha384 --sign-command 'CMD ... {digest_file} ...'

The command gets `{digest_file}` (the raw digest of the artifact) and `{artifact}` (its
path) substituted, runs without a shell, and prints the signature (raw bytes, or base64
with --signature-encoding base64). On success DIR holds NAME, NAME.sig and
NAME.provenance.json (both builders' digests, the key id, the signature); nothing is
written otherwise. Exit codes: 2 usage, 3 missing builder output, 4 outputs differ,
5 backend failed, 6 release exists.
"""

import argparse
import base64
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile

MISSING, MISMATCH, BACKEND, EXISTS = 3, 4, 5, 6
CHUNK = 1 << 20


def fail(code, message):
    print(f"sign-release: {message}", file=sys.stderr)
    sys.exit(code)


def digest_of(path, algorithm):
    h = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            h.update(chunk)
    return h


def parse_args(argv):
    p = argparse.ArgumentParser(prog="sign-release", description=__doc__.split("\n")[0])
    p.add_argument("--config", help="JSON file with defaults for the options below (signer hosts)")
    p.add_argument("--name", required=True, help="release file name")
    p.add_argument("--builder", action="append", default=[], metavar="LABEL=PATH", help="one builder's output (at least 2)")
    p.add_argument("--release-dir", required=True)
    p.add_argument("--key-id")
    p.add_argument("--signing-algorithm", default="")
    p.add_argument("--digest", choices=("sha256", "sha384", "sha512"))
    p.add_argument("--sign-command")
    p.add_argument("--signature-encoding", choices=("raw", "base64"))
    args = p.parse_args(argv)
    defaults = {"digest": "sha384", "signature_encoding": "raw"}
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
    builders = []
    for spec in args.builder:
        label, sep, path = spec.partition("=")
        if not sep or not label or not path:
            p.error(f"--builder takes LABEL=PATH, not {spec!r}")
        builders.append((label, path))
    labels = [label for label, _ in builders]
    if len(builders) < 2 or len(set(labels)) != len(labels):
        p.error("at least two --builder outputs with distinct labels are needed")
    if len({os.path.realpath(path) for _, path in builders}) != len(builders):
        p.error("builder outputs must be different files: one builder cannot vouch for itself")
    args.builders = builders
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    missing = [f"{label} ({path})" for label, path in args.builders if not os.path.isfile(path)]
    if missing:
        fail(MISSING, f"builder output missing: {', '.join(missing)}; nothing signed")
    records = [{"builder": label, "sha256": digest_of(path, "sha256").hexdigest()} for label, path in args.builders]
    if len({r["sha256"] for r in records}) != 1:
        detail = ", ".join(f"{r['builder']}={r['sha256']}" for r in records)
        fail(MISMATCH, f"builder outputs differ ({detail}); the build is not reproducible, nothing signed")

    artifact = args.builders[0][1]
    release = os.path.join(args.release_dir, args.name)
    outputs = [release, release + ".sig", release + ".provenance.json"]
    existing = [path for path in outputs if os.path.exists(path)]
    if existing:
        fail(EXISTS, f"release files already exist: {existing}; a release is never re-signed in place")

    digest = digest_of(artifact, args.digest)
    # The artifact may change between hashing and signing only if a builder output is
    # mutable; sign a private copy so that what is signed is what is released.
    os.makedirs(args.release_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".sign-release-", dir=args.release_dir) as work:
        copy = os.path.join(work, args.name)
        with open(artifact, "rb") as source, open(copy, "wb") as target:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                target.write(chunk)
        if digest_of(copy, "sha256").hexdigest() != records[0]["sha256"]:
            fail(MISMATCH, "artifact changed while it was being signed; nothing signed")
        digest_file = os.path.join(work, "digest")
        with open(digest_file, "wb") as stream:
            stream.write(digest.digest())
        command = [part.format(digest_file=digest_file, artifact=copy) for part in shlex.split(args.sign_command)]
        try:
            result = subprocess.run(command, capture_output=True, check=False, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as error:
            fail(BACKEND, f"signing backend could not run: {error}")
        if result.returncode != 0 or not result.stdout.strip():
            fail(BACKEND, f"signing backend failed (exit {result.returncode}): {result.stderr.decode(errors='replace').strip()}")
        signature = result.stdout
        if args.signature_encoding == "base64":
            try:
                signature = base64.b64decode(b"".join(result.stdout.split()), validate=True)
            except ValueError:
                fail(BACKEND, "signing backend did not print base64")
        provenance = {
            "name": args.name,
            "sha256": records[0]["sha256"],
            "builders": records,
            "digest": {"algorithm": args.digest, "value": digest.hexdigest()},
            "keyId": args.key_id,
            "signingAlgorithm": args.signing_algorithm,
            "signature": base64.b64encode(signature).decode(),
        }
        with open(copy + ".sig", "wb") as stream:
            stream.write(signature)
        with open(copy + ".provenance.json", "w") as stream:
            json.dump(provenance, stream, indent=2, sort_keys=True)
            stream.write("\n")
        # The signature and provenance first, the release last: a release never appears unsigned.
        for suffix in (".sig", ".provenance.json", ""):
            os.link(copy + suffix, release + suffix)
    print(json.dumps({"release": release, "sha256": provenance["sha256"], "keyId": args.key_id}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
