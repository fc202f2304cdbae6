"""Public keys as TUF keys (securesystemslib `SSlibKey`), each with the holder it belongs to,
and signers from PEM private keys (reviewers' own keys, tests, the bench).

Schemes: ECDSA P-256 (`ecdsa-sha2-nistp256`, what KMS signs for the online roles), ECDSA P-384
(`ecdsa-sha2-nistp384`) and Ed25519 (`ed25519`). A key's ID is python-tuf's default (SHA-256 of
its canonical JSON without the holder field), so adding the holder changes no signature.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import BadInput
from .names import HOLDER_FIELD, VENDOR

SCHEMES = ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ed25519")


def public_key(pem: bytes | str, holder: str, where: str = "the key") -> Any:
    """An SSlibKey from a PEM SubjectPublicKeyInfo, labelled with its holder."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from securesystemslib.signer import SSlibKey

    data = pem.encode() if isinstance(pem, str) else pem
    try:
        crypto = load_pem_public_key(data)
    except (ValueError, TypeError):
        raise BadInput(f"{where}: not a PEM public key (-----BEGIN PUBLIC KEY-----)") from None
    if isinstance(crypto, ec.EllipticCurvePublicKey) and crypto.curve.name not in ("secp256r1", "secp384r1"):
        raise BadInput(f"{where}: EC curve {crypto.curve.name}; TUF keys here are P-256, P-384 or Ed25519")
    if not isinstance(crypto, (ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey)):
        raise BadInput(f"{where}: {type(crypto).__name__}; TUF keys here are ECDSA P-256, P-384 or Ed25519")
    key = SSlibKey.from_crypto(crypto)
    key.unrecognized_fields[HOLDER_FIELD] = holder
    return key


def holder_of(key: Any) -> str:
    return str(key.unrecognized_fields.get(HOLDER_FIELD, ""))


def is_vendor(key: Any) -> bool:
    return holder_of(key) == VENDOR


def public_pem(key: Any) -> str:
    """The PEM of an SSlibKey (Ed25519 keys store hex; EC keys store PEM)."""
    if key.keytype == "ed25519":
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        raw = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key.keyval["public"]))
        return raw.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return str(key.keyval["public"])


def signer_from_pem(pem: bytes, holder: str, where: str = "the private key") -> Any:
    """A securesystemslib CryptoSigner for a PEM private key (PKCS#8 or traditional)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from securesystemslib.signer import CryptoSigner

    try:
        private = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise BadInput(f"{where}: not an unencrypted PEM private key") from None
    signer = CryptoSigner(private)
    key = public_key(signer.public_key.keyval["public"] if signer.public_key.keytype != "ed25519"
                     else public_pem(signer.public_key), holder, where)
    return CryptoSigner(private, key)


def signer_from_file(path: Path, holder: str) -> Any:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BadInput(f"cannot read the private key {path}: {error.strerror or error}") from None
    return signer_from_pem(data, holder, str(path))


def read_public_key(path: Path, holder: str) -> Any:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BadInput(f"cannot read the public key {path}: {error.strerror or error}") from None
    return public_key(data, holder, str(path))
