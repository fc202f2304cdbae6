"""The log's checkpoint key in AWS KMS: Ed25519, so checkpoints carry the signature type the
note format and the public witness network expect (C2SP tlog-tiles: a public log's checkpoint
MUST carry an Ed25519 signature).

KMS offers it: key spec `ECC_NIST_EDWARDS25519` (sign and verify only) with signing algorithm
`ED25519_SHA_512`, which KMS requires with `MessageType=RAW`: pure Ed25519 (RFC 8032) over
the message, at most 4,096 bytes (a checkpoint is ~100). `ED25519_PH_SHA_512` (pre-hashed,
`MessageType=DIGEST`) is Ed25519ph, which note verifiers do not accept: never used here.
`GetPublicKey` returns the key as DER SubjectPublicKeyInfo. (Source: the KMS API model in
botocore: KeySpec, SigningAlgorithmSpec and the Sign MessageType documentation.)

`KmsEd25519Signer` is a note `Signer`: `sign(message)` calls kms:Sign and checks the returned
signature against the key's public half before handing it out.
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .errors import Malformed, StorageError, TlogError
from .note import SIG_ED25519, Ed25519Verifier, key_id, valid_name

KEY_SPEC = "ECC_NIST_EDWARDS25519"
SIGNING_ALGORITHM = "ED25519_SHA_512"
MESSAGE_TYPE = "RAW"
MAX_MESSAGE_BYTES = 4096


class KmsEd25519Signer:
    """Signs checkpoints with an Ed25519 KMS key; `client` is a boto3 KMS client."""

    sig_type = SIG_ED25519

    def __init__(self, name: str, kms_key_id: str, client: Any):
        if not valid_name(name):
            raise Malformed(f"key name {name!r} is empty or has a space or '+'")
        self.name = name
        self.kms_key_id = kms_key_id
        self._client = client
        try:
            response = client.get_public_key(KeyId=kms_key_id)
        except Exception as e:  # botocore's ClientError and friends: one line for the user
            raise TlogError(f"kms:GetPublicKey on {kms_key_id} failed: {e}") from e
        if response.get("KeySpec") != KEY_SPEC or SIGNING_ALGORITHM not in response.get("SigningAlgorithms", []):
            raise Malformed(f"KMS key {kms_key_id} is {response.get('KeySpec')}, not an {KEY_SPEC} key that "
                            f"signs with {SIGNING_ALGORITHM}")
        public = serialization.load_der_public_key(response["PublicKey"])
        if not isinstance(public, Ed25519PublicKey):
            raise Malformed(f"KMS key {kms_key_id}'s public key is not Ed25519")
        self._public = public
        self.public_key = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = key_id(name, SIG_ED25519, self.public_key)

    def sign(self, message: bytes) -> bytes:
        if len(message) > MAX_MESSAGE_BYTES:
            raise Malformed(f"KMS signs at most {MAX_MESSAGE_BYTES} bytes raw; the note is {len(message)}")
        try:
            response = self._client.sign(KeyId=self.kms_key_id, Message=message, MessageType=MESSAGE_TYPE,
                                         SigningAlgorithm=SIGNING_ALGORITHM)
        except Exception as e:
            raise TlogError(f"kms:Sign with {self.kms_key_id} failed: {e}") from e
        signature = response.get("Signature", b"")
        try:
            if len(signature) != 64:
                raise InvalidSignature
            self._public.verify(signature, message)
        except InvalidSignature:
            raise StorageError(f"KMS returned a signature that does not verify with {self.kms_key_id}'s public key") from None
        return signature

    def verifier(self) -> Ed25519Verifier:
        return Ed25519Verifier(self.name, self.public_key)


def kms_verifier(name: str, kms_key_id: str, client: Any) -> Ed25519Verifier:
    """The note verifier of the KMS checkpoint key (kms:GetPublicKey only: what a signer host or
    a reviewer with the verify grant may call), checked to be an Ed25519 signing key."""
    return KmsEd25519Signer(name, kms_key_id, client).verifier()
