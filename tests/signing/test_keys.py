"""`tcenter keys STACK`: the documented command per class, offline; `--fetch` against moto's
KMS writes a PEM that is the key's real public half."""

from __future__ import annotations

from pathlib import Path

import pytest

from tcenter.cli import main


@pytest.fixture(scope="module")
def printed():
    import contextlib
    import io

    out = {}
    for stack in ("dev", "zurich-prod"):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            assert main(["keys", stack]) == 0
        out[stack] = buffer.getvalue().splitlines()
    return out


def test_kms_stacks_print_get_public_key_per_class(printed):
    commands = [line for line in printed["dev"] if line.startswith("aws ")]
    assert len(commands) == 2
    for signing_class, command in zip(("products", "av-databases"), commands):
        assert command.startswith("aws kms get-public-key --region eu-central-2 ")
        assert f"--key-id alias/tc/dev/signing/{signing_class} " in command
        assert command.endswith(f"openssl pkey -pubin -inform DER -out {signing_class}.pub.pem")


def test_cloudhsm_stacks_print_the_published_public_half(printed, declared):
    releases = declared("zurich-prod").outputs["releaseBucket"]
    commands = [line for line in printed["zurich-prod"] if line.startswith("aws ")]
    assert commands == [f"aws s3 cp --region eu-central-2 s3://{releases}/releases/{c}/public-key.pem {c}.pub.pem"
                        for c in ("products", "av-databases")]


def test_fetch_writes_the_kms_public_key_as_pem(tmp_path, monkeypatch, declared):
    import boto3
    import moto
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key, load_pem_public_key

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-central-2"}.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        kms = boto3.client("kms", region_name="eu-central-2")
        expected = {}
        for signing_class in ("products", "av-databases"):
            key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P384")["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName=f"alias/tc/dev/signing/{signing_class}", TargetKeyId=key_id)
            expected[signing_class] = load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
        # moto's KMS has no Ed25519 keys: the log's checkpoint key is read through a stand-in
        # (tcenter.transparency.kms.kms_verifier has its own tests on AWS-shaped answers).
        from tcenter.transparency import kms as log_kms
        from tcenter.transparency.note import Ed25519Signer

        asked = []

        def verifier(name, key_id, client):
            asked.append((name, key_id))
            return Ed25519Signer.from_seed(name, b"\x07" * 32).verifier()

        monkeypatch.setattr(log_kms, "kms_verifier", verifier)
        assert main(["keys", "dev", "--fetch", str(tmp_path)]) == 0
    assert asked == [(declared("dev").outputs["transparencyLogOrigin"], "alias/tc/dev/transparency/checkpoints")]
    assert (tmp_path / "log.vkey").read_text() == Ed25519Signer.from_seed(asked[0][0], b"\x07" * 32).verifier().vkey + "\n"
    for signing_class, public in expected.items():
        written = load_pem_public_key(Path(tmp_path / f"{signing_class}.pub.pem").read_bytes())
        assert written.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo) == \
            public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize("stack", ["dev", "zurich-prod"])
def test_the_builder_set_is_every_builder_the_stack_config_declares(stack, tmp_path):
    """Published with the keys for `tcenter verify --builders`; expected from the stack file's
    pools (name and count), not from the code that writes it."""
    import json

    from tcenter.core.stackfiles import load_stack_values

    pools = load_stack_values(stack)["transparency-center:build"]["pools"]
    expected = sorted(f"{pool['name']}-{n}" for pool in pools for n in range(1, pool["builders"] + 1))
    out = tmp_path / "builders.json"
    assert main(["keys", stack, "--builders", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document == {"format": "transparency-center-builders", "version": 1, "stack": stack, "builders": expected}


@pytest.mark.parametrize("stack", ["dev", "zurich-prod"])
def test_the_log_trust_printed_is_the_stack_files(printed, stack):
    """What `tcenter verify --witness ... --quorum ...` needs, expected from the stack file's
    transparency section (witness keys per organization, quorum per class), not from the code."""
    from tcenter.core.stackfiles import load_stack_values

    section = load_stack_values(stack)["transparency-center:transparency"]
    witnesses = [line for line in printed[stack] if line.startswith("--witness ")]
    assert witnesses == [" ".join(f"--witness {w['organization']}={key}"
                                  for w in sorted(section["witnesses"], key=lambda w: w["organization"]) for key in w["keys"])]
    quorum = ", ".join(f"{cls}: --quorum {k}" for cls, k in sorted(section["verification"].items()))
    assert f"# {quorum}" in printed[stack]
