"""The online roles signed the way the publisher signs them: securesystemslib's AWS KMS signer
against moto's KMS (ECC_NIST_P256, ECDSA_SHA_256, MessageType DIGEST), then verified by the
client. What KMS offers and the signer supports is checked in tests/unit/test_distribution.py.

moto 5.2 does not implement Sign's MessageType DIGEST (its docstring says so, and it signs the
digest as if it were the message: checked below). Real KMS signs the given digest. So the test
keeps every call on moto (CreateKey, CreateAlias, GetPublicKey, the Sign request's shape), and
for DIGEST signs the digest as KMS documents it, prehashed, with the private key moto holds."""

from __future__ import annotations

import pytest

from tcenter.distribution.names import HOLDER_FIELD
from tests.distribution.conftest import client
from tests.distribution.kit import NOW
from tests.distribution.test_attacks import PRODUCT, url

moto = pytest.importorskip("moto")


@pytest.fixture
def kms(monkeypatch):
    import boto3

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-2")
    with moto.mock_aws():
        yield boto3.client("kms", region_name="eu-central-2")


class DigestAsKmsDoes:
    """moto's KMS client, except Sign with MessageType DIGEST signs the digest (prehashed)."""

    def __init__(self, client):
        self.client = client
        self.requests: list[dict] = []

    def __getattr__(self, name):
        return getattr(self.client, name)

    def sign(self, **request):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, utils
        from moto.kms.models import kms_backends

        self.requests.append(request)
        assert request["MessageType"] == "DIGEST" and request["SigningAlgorithm"] == "ECDSA_SHA_256"
        assert len(request["Message"]) == 32
        response = self.client.sign(**request)  # the request as moto checks it (key, algorithm, permissions)
        key_arn = response["KeyId"]
        key = kms_backends[key_arn.split(":")[4]]["eu-central-2"].describe_key(key_arn).private_key.private_key
        response["Signature"] = key.sign(request["Message"], ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        return response


def test_moto_signs_a_digest_as_a_message(kms):
    """Why the wrapper above exists (remove it once moto implements DIGEST and this fails)."""
    import hashlib

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["KeyId"]
    public = load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
    digest = hashlib.sha256(b"payload").digest()
    signature = kms.sign(KeyId=key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    public.verify(signature, digest, ec.ECDSA(hashes.SHA256()))  # over SHA-256(digest): moto's behaviour


def test_kms_signs_the_snapshot_and_timestamp_the_client_verifies(center, server, tmp_path, kms):
    from securesystemslib.signer import AWSSigner

    online = {}
    for role in ("snapshot", "timestamp"):
        key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=f"alias/tc/dev/distribution/products/{role}", TargetKeyId=key_id)
        uri, public = AWSSigner.import_(f"alias/tc/dev/distribution/products/{role}")
        assert uri.startswith("awskms:") and public.scheme == "ecdsa-sha2-nistp256"
        public.unrecognized_fields[HOLDER_FIELD] = "vendor"
        online[role] = AWSSigner(f"alias/tc/dev/distribution/products/{role}", public)
        online[role].client = DigestAsKmsDoes(online[role].client)
    saved = center.online
    center.online = online
    try:
        repo = center.repository("products", server.directory / "products")
        center.release(repo, "product-1.tar", PRODUCT)
    finally:
        center.online = saved
    signed = repo.metadata["timestamp"].signed
    assert signed.expires > NOW and repo.metadata["timestamp"].signatures
    installed = client(center, repo, url(server, repo), tmp_path / "state").update("product-1.tar")
    assert installed.metadata_versions["timestamp"] >= 2
    assert all(s.client.requests for s in online.values())
