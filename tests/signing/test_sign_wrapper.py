"""The signer host's wrapper (templates/signer/tc-sign-release.sh.j2) end to end on this
machine: a stand-in `aws` command serves S3 from a folder and answers `aws kms sign` with
a local openssl key, so the real rendered KMS sign command and the real signer.json of the
dev stack are exercised; only the host's absolute paths and its user are redirected.

The transparency log is real too: the wrapper runs the real `tcenter log release-proof` with
the dev stack's rendered transparency.json (its log location and key swapped for a log in the
same folder and a test key, its witness keys for a test witness), and the test plays the
sequencer and the reviewer organization's witness in between."""

from __future__ import annotations

import base64
import dataclasses
import getpass
import hashlib
import json
import shutil
import subprocess
import sys
from types import SimpleNamespace

import os

import pytest

import components.config  # noqa: F401 - first: components.layout and components.config import each other
from components import hosts
from components.layout import bucket_name
from components.signing import SIGNER_SCRIPT, signer_host_values
from tcenter.cli import main
from tcenter.core.errors import ExitCode
from tcenter.plan.engine import S3_PREFIX_LIST_STAND_IN
from components.transparency import log_bucket_name
from tcenter.transparency.cosignature import CosignatureSigner
from tcenter.transparency.log import LocalDirectoryStorage
from tcenter.transparency.note import Ed25519Signer
from tcenter.transparency.releases import class_policy, verify_release
from tcenter.transparency.sequencer import Sequencer
from tcenter.transparency.witness import Witness
from tcenter.transparency.witnessing import run_witness
from tests.hosts.roles import render_signer, signer_log, stack_config
from tests.signing.release_kit import BUILD_INFO

pytestmark = pytest.mark.skipif(not os.environ.get("CI") and (shutil.which("openssl") is None or shutil.which("bash") is None),
                                reason="(never skipped under CI) needs openssl (stand-in for KMS) and bash")

FAKE_AWS = r'''#!/usr/bin/env python3
"""Stand-in for the AWS CLI: s3 cp against $FAKE_S3, kms sign with $FAKE_KEY."""
import base64, os, shutil, subprocess, sys
args = sys.argv[1:]
def path_of(url):
    return os.path.join(os.environ["FAKE_S3"], url[len("s3://"):])
if args[:2] == ["s3", "cp"]:
    src, dst = [a for a in args[2:] if not a.startswith("--")][:2]
    src = path_of(src) if src.startswith("s3://") else src
    if not os.path.isfile(src):
        print(f"fatal error: {src} not found", file=sys.stderr); sys.exit(1)
    dst = path_of(dst) if dst.startswith("s3://") else dst
    os.makedirs(os.path.dirname(dst), exist_ok=True); shutil.copyfile(src, dst); sys.exit(0)
if args[:2] == ["s3api", "put-object"]:
    opts = dict(zip(args[2::2], args[3::2]))
    if opts.get("--if-none-match") != "*":
        print("fake aws: the release bucket denies PutObject without If-None-Match: *", file=sys.stderr); sys.exit(255)
    dst = os.path.join(os.environ["FAKE_S3"], opts["--bucket"], opts["--key"])
    if os.path.exists(dst):
        print("An error occurred (PreconditionFailed)", file=sys.stderr); sys.exit(254)
    os.makedirs(os.path.dirname(dst), exist_ok=True); shutil.copyfile(opts["--body"], dst); sys.exit(0)
if args[:2] == ["kms", "sign"]:
    opts = dict(zip(args[2::2], args[3::2]))
    with open(os.environ["FAKE_KMS_LOG"], "a") as log:
        log.write(" ".join(args) + "\n")
    assert opts["--message-type"] == "DIGEST" and opts["--query"] == "Signature"
    digest = opts["--message"].removeprefix("fileb://")
    sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", os.environ["FAKE_KEY"], "-in", digest],
                         check=True, capture_output=True).stdout
    print(base64.b64encode(sig).decode()); sys.exit(0)
print("fake aws: unsupported " + " ".join(args), file=sys.stderr); sys.exit(2)
'''


@pytest.fixture
def sandbox(tmp_path):
    key = tmp_path / "kms.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", str(key)], check=True)
    public = tmp_path / "kms.pub.pem"
    subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-out", str(public)], check=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(FAKE_AWS.replace("#!/usr/bin/env python3", f"#!{sys.executable}", 1))
    (bin_dir / "aws").chmod(0o755)

    rendered = render_signer("dev", signing_class="products")
    files = {f.path: f.content for f in rendered.profile.files}
    config = tmp_path / "signer.json"
    config.write_text(files["/etc/tc-signer/signer.json"])
    home = tmp_path / "home"
    home.mkdir()
    # The real template, rendered for the dev products signer, with the user and home of this test.
    values = render_values("dev")
    stand_in = SimpleNamespace(**{f.name: getattr(values, f.name) for f in dataclasses.fields(values)},
                               release_prefix=values.release_prefix, release_record_prefix=values.release_record_prefix,
                               signer_user=getpass.getuser(), home=str(home), tcenter=values.tcenter,
                               log_config_path=values.log_config_path)
    wrapper = hosts.render_template("signer/tc-sign-release.sh.j2", {"v": stand_in})
    assert wrapper.replace(str(home), "/var/lib/tc-signer").replace(f"-u {getpass.getuser()}", "-u tc-signer") \
        .replace(f'!= "{getpass.getuser()}"', '!= "tc-signer"') == files["/usr/local/bin/tc-sign-release"]
    wrapper = wrapper.replace("/usr/local/lib/tc-signer/sign-release", f"{sys.executable} {SIGNER_SCRIPT}")
    wrapper = wrapper.replace("/etc/tc-signer/signer.json", str(config))
    script = tmp_path / "tc-sign-release"
    # The log: the rendered config, pointed at a log in the fake S3 folder with a test key.
    log_config = json.loads(files[values.log_config_path])
    assert log_config["log"] == f"s3://{log_bucket_name(stack_config('dev').access.account_id, 'dev')}/"
    log_signer = Ed25519Signer.from_seed(log_config["origin"], hashlib.sha256(b"log").digest())
    witness = CosignatureSigner.from_seed("witness.review-lab.test", hashlib.sha256(b"review-lab").digest())
    log_dir = tmp_path / "s3" / log_config["log"].removeprefix("s3://").strip("/")
    log_dir.mkdir(parents=True)
    log_config.update({"log": str(log_dir), "log-key": log_signer.verifier().vkey, "wait-seconds": 0,
                       "witness-keys": {"review-lab": [witness.verifier().vkey]}})
    (tmp_path / "transparency.json").write_text(json.dumps(log_config))
    wrapper = wrapper.replace(values.log_config_path, str(tmp_path / "transparency.json"))
    wrapper = wrapper.replace(values.tcenter, f"{sys.executable} -m tcenter.cli")
    script.write_text(wrapper)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "FAKE_S3": str(tmp_path / "s3"), "FAKE_KEY": str(key),
           "FAKE_KMS_LOG": str(tmp_path / "kms.log"), "HOME": str(home)}
    return SimpleNamespace(root=tmp_path, script=script, env=env, values=values, public=public, log_dir=log_dir,
                           log_signer=log_signer, witness=witness, log_config=log_config)


def sequence_and_cosign(box, cosign: bool = True):
    """What the sequencer host and the reviewer organization's witness do between two runs."""
    records = LocalDirectoryStorage(box.root / "s3" / box.values.release_record_bucket / "release-records")
    log = LocalDirectoryStorage(box.log_dir)
    origin = box.log_config["origin"]
    sequencer = Sequencer(log, records, origin, box.log_signer, box.log_signer.verifier(),
                          {"review-lab": [box.witness.verifier()]})
    assert sequencer.run().rejected == []
    if cosign:
        witness = Witness(box.root / "witness" / "state.json", box.witness, {origin: [box.log_signer.verifier()]})
        run_witness(witness, "review-lab", log, [box.log_signer.verifier()], origin, log)
        sequencer.run()


def render_values(stack):
    config = stack_config(stack)
    account = config.access.account_id
    return signer_host_values(stack, config.signing, config.network_plan(), "products",
                              [p.name for p in config.build.pools if p.purpose == "products"], S3_PREFIX_LIST_STAND_IN,
                              bucket_name(account, stack, "build-artifacts"), bucket_name(account, stack, "releases"),
                              bucket_name(account, stack, "audit-archive"), signer_log(stack, "products", config))


def put_artifact(box, pool, job, builder, name, content: bytes):
    """Where the build agent of `builder` writes: its own prefix <pool>/<builder>/."""
    path = box.root / "s3" / box.values.artifacts_bucket / pool / builder / job / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    (path.parent / "build-info.json").write_text(json.dumps(BUILD_INFO))


def run(box, *args):
    return subprocess.run(["bash", str(box.script), *args], env=box.env, capture_output=True, text=True)


def test_matching_builds_are_signed_with_the_class_key_and_uploaded(sandbox):
    pool = sandbox.values.pools[0]
    builders = (f"{pool}-1", f"{pool}-2")
    for builder in builders:
        put_artifact(sandbox, pool, "job-7", builder, "product.tar", b"same bytes\n" * 1000)
    released = sandbox.root / "s3" / sandbox.values.release_bucket / "releases" / "products" / pool / "job-7"
    # Signed and recorded, but not in the log yet: nothing is handed out (exit 17, NOT_LOGGED).
    first = run(sandbox, pool, "job-7", "product.tar", "1.0.0", *builders)
    assert first.returncode == 17, first.stderr
    assert "nothing handed out" in first.stderr and not released.exists()
    sequence_and_cosign(sandbox)
    result = run(sandbox, pool, "job-7", "product.tar", "1.0.0", *builders)  # the same command resumes
    assert result.returncode == 0, result.stderr
    assert "resuming" in result.stderr
    assert sorted(p.name for p in released.iterdir()) == [
        "product.tar", "product.tar.cdx.json", "product.tar.intoto.json", "product.tar.sig", "product.tar.tlog-proof"]
    assert not list((sandbox.root / "home" / "pending").rglob("product.tar*")), "published: nothing left pending"
    # The proof is what a customer checks: this release, logged, cosigned by the dev quorum (1).
    proven = verify_release(
        sha256=hashlib.sha256((released / "product.tar").read_bytes()).hexdigest(),
        envelope_sha256=hashlib.sha256((released / "product.tar.intoto.json").read_bytes()).hexdigest(),
        proof=(released / "product.tar.tlog-proof").read_bytes(), log_key=sandbox.log_signer.verifier(),
        policy=class_policy(sandbox.log_config["witness-keys"], {"products": sandbox.log_config["quorum"]}, "products"),
        signing_class="products")
    assert proven.organizations == ("review-lab",) and proven.entry["builders"] == list(builders)
    # The customer's command makes the same check: logged and cosigned, or refused (17, 18).
    builder_set = sandbox.root / "builders.json"
    builder_set.write_text(json.dumps({"format": "transparency-center-builders", "version": 1, "stack": "dev",
                                       "builders": list(builders)}))
    customer = ["verify", str(released / "product.tar"), "--class", "products", "--key", f"products={sandbox.public}",
                "--builders", str(builder_set), "--log-key", sandbox.log_signer.verifier().vkey,
                "--witness", f"review-lab={sandbox.witness.verifier().vkey}"]
    assert main([*customer, "--quorum", "1"]) == 0
    absent = CosignatureSigner.from_seed("witness.other-lab.test", hashlib.sha256(b"other-lab").digest())
    assert main([*customer, "--witness", f"other-lab={absent.verifier().vkey}", "--quorum", "2"]) == ExitCode.WITNESSES, \
        "one organization cosigned, two required"
    other_log = Ed25519Signer.from_seed(sandbox.log_config["origin"], hashlib.sha256(b"another log").digest())
    customer[customer.index("--log-key") + 1] = other_log.verifier().vkey
    assert main([*customer, "--quorum", "1"]) == ExitCode.NOT_LOGGED, "a checkpoint another key signed"
    held_back = sandbox.root / "held-back"
    shutil.copytree(released, held_back)
    (held_back / "product.tar.tlog-proof").unlink()
    customer[1], customer[customer.index("--log-key") + 1] = str(held_back / "product.tar"), sandbox.log_signer.verifier().vkey
    assert main([*customer, "--quorum", "1"]) == ExitCode.NOT_LOGGED, "no proof: not proven logged"
    verify = subprocess.run(["openssl", "dgst", "-sha384", "-verify", str(sandbox.public), "-signature",
                             str(released / "product.tar.sig"), str(released / "product.tar")], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stderr
    envelope = json.loads((released / "product.tar.intoto.json").read_text())
    assert [s["keyid"] for s in envelope["signatures"]] == ["alias/tc/dev/signing/products"]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    agreed = [b["annotations"]["builderIdentity"] for b in statement["predicate"]["runDetails"]["byproducts"] if "annotations" in b]
    assert agreed == list(builders)
    # The audit archive holds the envelope's digest, under this class's record prefix.
    record_path = (sandbox.root / "s3" / sandbox.values.release_record_bucket / "release-records" / "products" / pool
                   / "job-7" / "product.tar.json")
    record = json.loads(record_path.read_text())
    assert record["envelopeSha256"] == hashlib.sha256((released / "product.tar.intoto.json").read_bytes()).hexdigest()
    # Released once: a second run for the same job is refused (another record is archived).
    again = run(sandbox, pool, "job-7", "product.tar", "1.0.0", *builders)
    assert again.returncode == 6, again.stderr
    kms_call = (sandbox.root / "kms.log").read_text()
    assert "--key-id alias/tc/dev/signing/products" in kms_call and "--signing-algorithm ECDSA_SHA_384" in kms_call


def test_a_release_logged_but_not_cosigned_is_not_handed_out(sandbox):
    pool = sandbox.values.pools[0]
    for builder in (f"{pool}-1", f"{pool}-2"):
        put_artifact(sandbox, pool, "job-9", builder, "product.tar", b"other bytes\n" * 100)
    assert run(sandbox, pool, "job-9", "product.tar", "1.0.0", f"{pool}-1", f"{pool}-2").returncode == 17
    sequence_and_cosign(sandbox, cosign=False)  # logged, but no witness has cosigned it
    result = run(sandbox, pool, "job-9", "product.tar", "1.0.0", f"{pool}-1", f"{pool}-2")
    assert result.returncode == 17 and "cosigned by 1 organizations" in result.stderr, result.stderr
    assert not (sandbox.root / "s3" / sandbox.values.release_bucket).exists()
    assert len((sandbox.root / "kms.log").read_text().splitlines()) == 2, "signed once (file and envelope), never again"


def test_differing_or_missing_builds_upload_nothing(sandbox):
    pool = sandbox.values.pools[0]
    put_artifact(sandbox, pool, "job-8", f"{pool}-1", "product.tar", b"one")
    put_artifact(sandbox, pool, "job-8", f"{pool}-2", "product.tar", b"two")
    assert run(sandbox, pool, "job-8", "product.tar", "1.0.0", f"{pool}-1", f"{pool}-2").returncode == 4
    assert run(sandbox, pool, "job-8", "product.tar", "1.0.0", f"{pool}-1", f"{pool}-3").returncode == 3
    assert not (sandbox.root / "s3" / sandbox.values.release_bucket).exists()
    assert not (sandbox.root / "kms.log").exists(), "nothing was sent to KMS"


def test_other_class_pools_and_path_tricks_are_refused(sandbox):
    assert run(sandbox, "av-databases", "job", "f", "1.0", "a", "b").returncode == 2
    pool = sandbox.values.pools[0]
    assert run(sandbox, pool, "..", "f", "1.0", "a", "b").returncode == 2
    assert run(sandbox, pool, "job", "../f", "1.0", "a", "b").returncode == 2
    assert run(sandbox, pool, "job", "f", "1.0", "a").returncode == 2
    # A version is numbers and dots: nothing a later comparison could misread.
    assert run(sandbox, pool, "job", "f", "1.0\n", f"{pool}-1", f"{pool}-2").returncode == 2
    assert run(sandbox, pool, "job", "f", "latest", f"{pool}-1", f"{pool}-2").returncode == 2
    # Only builder identities of the named pool: no instance ids, no other pool's builders.
    assert run(sandbox, pool, "job", "f", "1.0", f"{pool}-1", "i-0abc").returncode == 2
    assert run(sandbox, pool, "job", "f", "1.0", f"{pool}-1", "av-databases-1").returncode == 2
