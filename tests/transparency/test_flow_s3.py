"""The whole transparency flow against moto's S3 server on 127.0.0.1 (a free port, started and
stopped here, every request counted against a budget and bounded in time by the kit's client
config): sign releases with the real signer script, the sequencer logs them to the log bucket
(its rendered dev config, a local log key standing in for KMS, which moto lacks for Ed25519),
two organizations' witnesses cosign with their own keys, the signer makes the .tlog-proof and
a client accepts the release with k=2; a release signed but never logged is refused, k-1
cosignatures are refused, a fork shown to a witness is refused with the evidence, and the
audit finds the published release that was never logged.

moto 5.2 implements S3's conditional writes on PutObject (If-None-Match: * and If-Match answer
412 PreconditionFailed): `test_moto_honours_conditional_writes` checks that first, so the
create-only and compare-and-swap tests below test the kit, not a mock that accepts anything."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tcenter.cli import main
from tcenter.core.errors import ExitCode
from tcenter.transparency.errors import AlreadyExists, ChangedConcurrently
from tests import moto_server
from tcenter.transparency.releases import class_policy, verify_release
from tcenter.transparency.s3 import S3Storage, client_config

from .flow_kit import ORGS, make_keys, rendered_sequencer_config, sign_release

pytest.importorskip("moto.server", reason="moto[server] is a test dependency (pyproject.toml)")

REQUEST_BUDGET = 1500
CONFIG = rendered_sequencer_config()
LOG, ARCHIVE, RELEASES = CONFIG["log-bucket"], CONFIG["release-record-bucket"], CONFIG["release-bucket"]
ORIGIN = CONFIG["origin"]


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server.running() as endpoint:
        yield endpoint

class Budget:
    def __init__(self) -> None:
        self.calls: list[str] = []


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    """A fresh moto account with the dev stack's log, archive and release buckets; every AWS
    call anyone in this process makes is counted."""
    import urllib.request

    import boto3
    import botocore.client

    for variable in [v for v in os.environ if v.startswith("AWS_")]:
        monkeypatch.delenv(variable)
    for variable, value in {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-central-2",
                            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}.items():
        monkeypatch.setenv(variable, value)
    with urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=10):
        pass
    budget = Budget()
    real = botocore.client.BaseClient._make_api_call

    def counted(self, operation, params):
        budget.calls.append(operation)
        assert len(budget.calls) <= REQUEST_BUDGET, "request budget exceeded"
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)
    client = boto3.Session(region_name="eu-central-2").client("s3", config=client_config())
    for bucket in (LOG, ARCHIVE, RELEASES, "fork-of-the-log"):
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-2"})
    yield client, budget


def run(*argv: str, capsys) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_moto_honours_conditional_writes(s3):
    client, _ = s3
    client.put_object(Bucket=LOG, Key="tile/0/000.p/1", Body=b"a", IfNoneMatch="*")
    with pytest.raises(client.exceptions.ClientError) as refused:
        client.put_object(Bucket=LOG, Key="tile/0/000.p/1", Body=b"b", IfNoneMatch="*")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    etag = client.put_object(Bucket=LOG, Key="checkpoint", Body=b"1", IfNoneMatch="*")["ETag"]
    client.put_object(Bucket=LOG, Key="checkpoint", Body=b"2", IfMatch=etag)
    with pytest.raises(client.exceptions.ClientError) as stale:
        client.put_object(Bucket=LOG, Key="checkpoint", Body=b"3", IfMatch=etag)
    assert stale.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert client.get_object(Bucket=LOG, Key="checkpoint")["Body"].read() == b"2"


def test_s3_storage_create_only_and_compare_and_swap(s3):
    client, _ = s3
    storage = S3Storage(client, LOG)
    storage.put("tile/0/000.p/2", b"tile", create_only=True)
    storage.put("tile/0/000.p/2", b"tile", create_only=True)  # a retried write of the same bytes
    with pytest.raises(AlreadyExists):
        storage.put("tile/0/000.p/2", b"other", create_only=True)
    assert storage.get("tile/0/000.p/2") == b"tile" and storage.get("tile/0/001") is None
    one, two = S3Storage(client, LOG), S3Storage(client, LOG)
    one.put("checkpoint", b"first", create_only=False)  # none read: If-None-Match
    assert two.get("checkpoint") == b"first"
    one.put("checkpoint", b"second", create_only=False)  # If-Match on its own write's ETag
    with pytest.raises(ChangedConcurrently):
        two.put("checkpoint", b"stale view", create_only=False)  # two sequencers: the second loses
    assert one.get("checkpoint") == b"second"
    assert storage.list("tile/") == ["tile/0/000.p/2"]
    head = client.head_object(Bucket=LOG, Key="checkpoint")
    assert head["ContentType"] == CONFIG["content-types"]["checkpoint"]
    assert client.head_object(Bucket=LOG, Key="tile/0/000.p/2")["ContentType"] == CONFIG["content-types"]["tile/"]


def _sequencer_config(tmp_path: Path, keys) -> Path:
    """The rendered dev config; only the witnesses are this test's organizations."""
    config = dict(CONFIG, **{"witness-keys": keys.witness_keys()})
    path = tmp_path / "sequencer.json"
    path.write_text(json.dumps(config))
    return path


def test_sign_log_cosign_verify(s3, tmp_path, capsys):
    client, budget = s3
    keys = make_keys(tmp_path / "keys", ORIGIN)
    config = _sequencer_config(tmp_path, keys)
    sequence = ["log", "sequence", "--config", str(config), "--signer-key", str(keys.log_key_file),
                "--state-dir", str(tmp_path / "sequencer")]

    def witness(org: str, log: str = f"s3://{LOG}/") -> tuple[int, str, str]:
        return run("witness", "--org", org, "--key", str(keys.witness_key_files[org]), "--log", log,
                   "--log-key", keys.log_vkey, "--upload", f"s3://{LOG}/", "--state-dir", str(tmp_path / org), capsys=capsys)

    def archive(release) -> None:  # what tc-sign-release does with the signer's record
        client.put_object(Bucket=ARCHIVE, Key=f"{CONFIG['release-record-prefix']}{release.record_path}",
                          Body=release.record, IfNoneMatch="*")

    def prove(release, *extra: str) -> tuple[int, str, str]:
        return run("log", "release-proof", str(release.envelope), "--release", str(release.file), "--out",
                   str(release.file) + ".tlog-proof", "--log", f"s3://{LOG}/", "--log-key", keys.log_vkey,
                   *keys.witness_args(), *extra, capsys=capsys)

    def verify(release, quorum: int = 2) -> tuple[int, str, str]:
        return run("log", "verify-release", str(release.file), "--log-key", keys.log_vkey, *keys.witness_args(),
                   "--quorum", str(quorum), "--class", "products", capsys=capsys)

    # 1. A release is signed and its record archived; the sequencer logs it and signs checkpoint 1.
    first = sign_release(tmp_path / "releases", "job-1")
    archive(first)
    code, out, err = run(*sequence, capsys=capsys)
    assert code == 0 and "1 appended, size 1" in out, (out, err)
    assert run(*sequence, capsys=capsys)[1].count("0 appended, size 1") == 1  # idempotent
    # Not yet cosigned: the signer cannot make a proof, so nothing is handed out.
    code, _, err = prove(first)
    assert code == ExitCode.NOT_LOGGED and "cosigned by 2 organizations" in err

    # 2. Two organizations' witnesses cosign with their own keys and upload to their prefixes.
    for org in ORGS:
        code, out, err = witness(org)
        assert code == 0 and f"uploaded cosignatures/{org}/1" in out, (out, err)
    assert witness("org-a")[1].startswith("unchanged")  # a second run cosigns nothing new
    code, out, _ = run(*sequence, capsys=capsys)
    assert "merged cosignatures of org-a, org-b" in out
    published = client.get_object(Bucket=LOG, Key="checkpoint")["Body"].read().decode()
    assert published.count("\n— witness.org-") == 2

    # 3. The signer's proof, and the client's check with k = 2.
    code, out, err = prove(first)
    assert code == 0, err
    code, out, err = verify(first)
    assert code == 0 and "cosigned by org-a, org-b" in out, (out, err)
    proven = verify_release(sha256=first.sha256(), envelope_sha256=first.envelope_sha256(),
                            proof=Path(str(first.file) + ".tlog-proof").read_bytes(), log_key=keys.log_vkey,
                            policy=class_policy(keys.witness_keys(), {"products": 2}, "products"), signing_class="products")
    assert (proven.index, proven.size, proven.organizations) == (0, 1, ORGS)

    # 4. Signed but never logged: no proof can be made, and the client refuses it either way.
    unlogged = sign_release(tmp_path / "releases", "job-2", content=b"a targeted build\n" * 512)
    assert prove(unlogged)[0] == ExitCode.NOT_LOGGED
    assert verify(unlogged)[0] == ExitCode.NOT_LOGGED  # no .tlog-proof
    shutil.copy(str(first.file) + ".tlog-proof", str(unlogged.file) + ".tlog-proof")
    code, _, err = verify(unlogged)
    assert code == ExitCode.NOT_LOGGED and "another release" in err  # a proof of another release

    # 5. k - 1: a release whose checkpoint only org-a cosigned does not verify with k = 2.
    third = sign_release(tmp_path / "releases", "job-3", content=b"third release\n" * 700)
    archive(third)
    run(*sequence, capsys=capsys)
    assert witness("org-a")[0] == 0
    run(*sequence, capsys=capsys)
    assert prove(third)[0] == ExitCode.NOT_LOGGED  # the signer holds it back at k = 2
    assert prove(third, "--quorum", "1")[0] == 0   # a proof with one organization's cosignature ...
    code, _, err = verify(third)
    assert code == ExitCode.WITNESSES and "cosigned by 1 of the 2" in err, err  # ... is refused with k = 2
    assert verify(third, quorum=1)[0] == 0

    # 6. A fork shown to org-a: the same log key signs another history; the witness refuses it,
    # exits EQUIVOCATION and keeps both signed checkpoints.
    from tcenter.transparency.log import TransparencyLog

    fork = TransparencyLog(S3Storage(client, "fork-of-the-log"), ORIGIN, keys.log, keys.log.verifier())
    fork.append([b'{"forged":1}', b'{"forged":2}', b'{"forged":3}'])
    code, out, err = witness("org-a", log="s3://fork-of-the-log/")
    assert code == ExitCode.EQUIVOCATION and "not proven consistent" in err, (out, err)
    evidence = json.loads(Path(out.split("evidence: ")[1].strip()).read_text())
    assert evidence["kind"] == "ForkError"
    assert evidence["offeredCheckpoint"] == fork.checkpoint().decode()
    assert evidence["cosignedCheckpoint"].startswith(f"{ORIGIN}\n2\n")
    assert witness("org-a")[0] == 0  # the real log is still fine for it

    # 7. The monitor: published releases must be logged; the one that was not is found.
    for release in (first, third, unlogged):
        for suffix in ("", ".intoto.json"):
            client.put_object(Bucket=RELEASES, Key=f"releases/products/products/{release.job}/{release.name}{suffix}",
                              Body=Path(str(release.file) + suffix).read_bytes(), IfNoneMatch="*")
    code, out, err = run("log", "audit", "--log", f"s3://{LOG}/", "--log-key", keys.log_vkey, *keys.witness_args(),
                         "--releases", f"s3://{RELEASES}/releases/", "--key", f"products={first.public_key}",
                         capsys=capsys)
    assert code == ExitCode.NOT_LOGGED, (out, err)
    assert f"not logged: products/products/job-2/{unlogged.name}.intoto.json" in out
    assert "3 envelopes published, 2 match their entries, 2 signatures verified, 1 NOT LOGGED" in out
    assert "reviewed by org-a: up to size 2" in out and "reviewed by org-b: up to size 1" in out
    assert "not yet reviewed: 0 entries" in out and "PROBLEM" not in out
    assert len(budget.calls) < REQUEST_BUDGET


def test_the_sequencer_signs_with_the_kms_key_its_config_names(s3, tmp_path, capsys, monkeypatch):
    """Without --signer-key the sequencer signs through KMS (moto has no Ed25519 keys): a stand-in
    KMS client checks every request against botocore's KMS model and signs with a local key."""
    import boto3
    from botocore.validate import validate_parameters
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tcenter.transparency.checkpoint import open_checkpoint
    from tcenter.transparency.note import Ed25519Verifier

    client, _ = s3
    private = Ed25519PrivateKey.from_private_bytes(b"\x05" * 32)
    model = boto3.Session(region_name="eu-central-2").client("kms").meta.service_model
    calls = []

    class StandInKms:
        def _call(self, operation, params):
            validate_parameters(params, model.operation_model(operation).input_shape)
            calls.append((operation, params))

        def get_public_key(self, **params):
            self._call("GetPublicKey", params)
            der = private.public_key().public_bytes(serialization.Encoding.DER,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
            return {"KeyId": params["KeyId"], "PublicKey": der, "KeySpec": "ECC_NIST_EDWARDS25519",
                    "KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": ["ED25519_SHA_512", "ED25519_PH_SHA_512"]}

        def sign(self, **params):
            self._call("Sign", params)
            return {"KeyId": params["KeyId"], "Signature": private.sign(params["Message"]),
                    "SigningAlgorithm": params["SigningAlgorithm"]}

    real_client = boto3.Session.client

    def client_for(self, service, *args, **kwargs):
        return StandInKms() if service == "kms" else real_client(self, service, *args, **kwargs)

    monkeypatch.setattr(boto3.Session, "client", client_for)
    release = sign_release(tmp_path / "releases", "job-1")
    client.put_object(Bucket=ARCHIVE, Key=f"release-records/{release.record_path}", Body=release.record, IfNoneMatch="*")
    config = tmp_path / "sequencer.json"
    config.write_text(json.dumps(CONFIG))
    code, out, err = run("log", "sequence", "--config", str(config), "--state-dir", str(tmp_path / "state"), capsys=capsys)
    assert code == 0 and "1 appended, size 1" in out, (out, err)
    assert [op for op, _ in calls] == ["GetPublicKey", "Sign"]
    (_, sign), = [c for c in calls if c[0] == "Sign"]
    assert (sign["KeyId"], sign["SigningAlgorithm"], sign["MessageType"]) == (
        CONFIG["signing-key"], CONFIG["signing-algorithm"], CONFIG["message-type"])
    published = client.get_object(Bucket=LOG, Key="checkpoint")["Body"].read()
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert open_checkpoint(published, Ed25519Verifier(ORIGIN, public)).size == 1
