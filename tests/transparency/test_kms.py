"""The KMS checkpoint signer. moto (5.2, the version the project pins) has no
ECC_NIST_EDWARDS25519 keys, so the calls are checked with botocore's Stubber, which validates
every request against the KMS service model, and the constants against the model's enums."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tcenter.transparency import kms
from tcenter.transparency.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from tcenter.transparency.errors import Malformed, StorageError

from .conftest import ORIGIN, seed

KEY = "arn:aws:kms:eu-central-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def client():
    return boto3.client("kms", region_name="eu-central-2", aws_access_key_id="x", aws_secret_access_key="x")


def test_constants_are_in_the_kms_model(client):
    model = client.meta.service_model
    assert kms.KEY_SPEC in model.shape_for("KeySpec").enum
    assert kms.SIGNING_ALGORITHM in model.shape_for("SigningAlgorithmSpec").enum
    assert kms.MESSAGE_TYPE in model.shape_for("MessageType").enum


def _public_key_response(private: Ed25519PrivateKey, spec=kms.KEY_SPEC):
    der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"KeyId": KEY, "PublicKey": der, "KeySpec": spec, "KeyUsage": "SIGN_VERIFY",
            "SigningAlgorithms": [kms.SIGNING_ALGORITHM, "ED25519_PH_SHA_512"]}


def test_signs_checkpoints_through_kms(client):
    private = Ed25519PrivateKey.from_private_bytes(seed("kms"))
    body = Checkpoint(ORIGIN, 42, bytes(range(32))).body()
    with Stubber(client) as stub:
        stub.add_response("get_public_key", _public_key_response(private), {"KeyId": KEY})
        stub.add_response("sign", {"KeyId": KEY, "Signature": private.sign(body), "SigningAlgorithm": kms.SIGNING_ALGORITHM},
                          {"KeyId": KEY, "Message": body, "MessageType": "RAW", "SigningAlgorithm": "ED25519_SHA_512"})
        signer = kms.KmsEd25519Signer(ORIGIN, KEY, client)
        signed = sign_checkpoint(Checkpoint(ORIGIN, 42, bytes(range(32))), [signer])
        stub.assert_no_pending_responses()
    opened = open_checkpoint(signed, signer.verifier())
    assert opened.size == 42


def test_refuses_other_keys_and_bad_signatures(client):
    private = Ed25519PrivateKey.from_private_bytes(seed("kms"))
    with Stubber(client) as stub:
        stub.add_response("get_public_key", _public_key_response(private, "ECC_NIST_P256"), {"KeyId": KEY})
        with pytest.raises(Malformed, match="ECC_NIST_P256"):
            kms.KmsEd25519Signer(ORIGIN, KEY, client)
    with Stubber(client) as stub:
        stub.add_response("get_public_key", _public_key_response(private), {"KeyId": KEY})
        stub.add_response("sign", {"KeyId": KEY, "Signature": bytes(64), "SigningAlgorithm": kms.SIGNING_ALGORITHM})
        signer = kms.KmsEd25519Signer(ORIGIN, KEY, client)
        with pytest.raises(StorageError, match="does not verify"):
            signer.sign(b"checkpoint\n")
        with pytest.raises(Malformed):
            signer.sign(bytes(4097))
