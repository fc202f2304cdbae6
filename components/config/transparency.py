"""`transparency-center:transparency`: the transparency log of everything the center signs.

The log is static files in one bucket (C2SP tlog-tiles); its checkpoints are signed by a KMS
Ed25519 key only the sequencer may use, and cosigned by the reviewer organizations' own
witness keys, which never enter the center: the config holds their public keys only, as C2SP
verifier keys (`<name>+<hex key id>+<base64(type || public key)>`, c2sp.org/signed-note).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import ObjectLockMode, Slug, StrictModel, environment_of, is_prod
from .build import InstanceType
from .signing import SIGNING_CLASSES

COSIGNATURE_ED25519 = 0x04
"""Signature type of a timestamped Ed25519 checkpoint cosignature (c2sp.org/tlog-cosignature),
what `tcenter witness` produces; the vkey's key material is the 32-byte Ed25519 public key."""
ED25519_PUBLIC_KEY_BYTES = 32
WITNESS_KEY_TYPES = {COSIGNATURE_ED25519: ("timestamped Ed25519 cosignature", ED25519_PUBLIC_KEY_BYTES)}

PROD_MIN_WITNESS_ORGANIZATIONS = 2
PROD_MIN_COSIGNATURES = 2
PROD_LOCK_MODE = "COMPLIANCE"
PROD_MIN_RETENTION_DAYS = 365
DEFAULT_RETENTION_DAYS = {"prod": 3650, "staging": 30, "dev": 30}
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")

_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_KEY_ID = re.compile(r"^[0-9a-f]{8}$")


def vkey_key_id(name: str, material: bytes) -> str:
    """A verifier key's id: hex(SHA-256(key name || 0x0A || signature type || public key)[:4])."""
    return hashlib.sha256(name.encode() + b"\n" + material).digest()[:4].hex()


def vkey_problem(vkey: str) -> str | None:
    """Why `vkey` is not a C2SP verifier key of a witness cosigner (None when it is one).
    Format: `<key name>+<hex(32-bit key ID)>+<base64(signature type || public key)>`, with
    key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]."""
    parts = vkey.split("+", 2)  # the base64 may hold "+" too (Go: golang.org/x/mod/sumdb/note chops twice)
    if len(parts) != 3:
        return "not a verifier key <name>+<8 hex digits key id>+<base64(type || public key)>"
    name, key_id, material = parts
    if not name or any(c.isspace() for c in name) or not name.isprintable():
        return "the key name must be non-empty, printable and without spaces"
    if not _KEY_ID.match(key_id):
        return f"the key id {key_id!r} must be 8 lowercase hex digits"
    if not _BASE64.match(material):
        return "the key material is not standard base64"
    try:
        raw = base64.b64decode(material, validate=True)
    except (binascii.Error, ValueError):
        return "the key material is not standard base64"
    if not raw or raw[0] not in WITNESS_KEY_TYPES:
        got = f"0x{raw[0]:02x}" if raw else "nothing"
        allowed = ", ".join(f"0x{t:02x} ({what})" for t, (what, _) in WITNESS_KEY_TYPES.items())
        return f"signature type {got}; a witness key has type {allowed}"
    what, size = WITNESS_KEY_TYPES[raw[0]]
    if len(raw) - 1 != size:
        return f"a {what} key is {size} bytes, got {len(raw) - 1}"
    expected = vkey_key_id(name, raw)
    if expected != key_id:
        return f"the key id {key_id} does not match the key (SHA-256(name || 0x0A || type || key)[:4] is {expected})"
    return None


class WitnessConfig(StrictModel):
    """A reviewer organization that runs a witness: the public keys its cosignatures verify with."""

    organization: Slug
    keys: list[str] = Field(min_length=1, description="C2SP verifier keys of the organization's witness (public only).")

    @field_validator("keys")
    @classmethod
    def _keys(cls, keys: list[str]) -> list[str]:
        for key in keys:
            problem = vkey_problem(key)
            if problem is not None:
                raise ValueError(f"{key[:60]!r}: {problem}")
        if len(set(keys)) != len(keys):
            raise ValueError("a witness key is listed twice")
        return sorted(keys)


class LogLockConfig(StrictModel):
    mode: ObjectLockMode
    retention_days: int = Field(ge=1, le=36500)

    @field_validator("mode")
    @classmethod
    def _prod_mode(cls, mode: str, info: ValidationInfo) -> str:
        if is_prod(info) and mode != PROD_LOCK_MODE:
            raise ValueError(f"prod locks the transparency log in {PROD_LOCK_MODE} mode: nobody, root included, "
                             f"may shorten it (got {mode})")
        return mode

    @field_validator("retention_days")
    @classmethod
    def _prod_retention(cls, days: int, info: ValidationInfo) -> int:
        if is_prod(info) and days < PROD_MIN_RETENTION_DAYS:
            raise ValueError(f"prod keeps the transparency log locked at least {PROD_MIN_RETENTION_DAYS} days (got {days})")
        return days


class PublicationConfig(StrictModel):
    """Off by default. On: a CloudFront distribution reads the log bucket through Origin
    Access Control and serves checkpoints, tiles and cosignatures to anyone over HTTPS."""

    enabled: bool = False
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = "PriceClass_100"
    checkpoint_max_age_seconds: int = Field(default=5, ge=0, le=60,
                                            description="tlog-tiles: the checkpoint is not cached beyond a few seconds.")


class TransparencyConfig(StrictModel):
    enabled: bool = True
    origin: str | None = Field(default=None, description="The log's checkpoint origin; default: its bucket's S3 host name.")
    log_lock: LogLockConfig
    publication: PublicationConfig = PublicationConfig()
    witnesses: list[WitnessConfig] = Field(default_factory=list)
    verification: dict[str, int] = Field(description="Distinct witness organizations whose cosignatures a release needs, per class.")
    sequencer_instance_type: InstanceType = "t3.medium"

    @model_validator(mode="before")
    @classmethod
    def _environment_defaults(cls, data: object, info: ValidationInfo) -> object:
        """Left out, the lock follows the teardown rule (COMPLIANCE in prod, GOVERNANCE where the
        stack must stay destroyable) and prod needs 2 cosignatures per class, other stacks 1."""
        if not isinstance(data, dict):
            return data
        environment = environment_of(info)
        data = dict(data)
        lock_key = "log_lock" if "log_lock" in data else "logLock"
        lock = data.get(lock_key, {})
        if isinstance(lock, dict):
            lock = dict(lock)
            if not {"mode"} & set(lock):
                lock["mode"] = PROD_LOCK_MODE if environment == "prod" else "GOVERNANCE"
            if not {"retentionDays", "retention_days"} & set(lock):
                lock["retentionDays"] = DEFAULT_RETENTION_DAYS[environment]
            data[lock_key] = lock
        if "verification" not in data:
            k = PROD_MIN_COSIGNATURES if environment == "prod" else 1
            data["verification"] = {c: k for c in SIGNING_CLASSES}
        return data

    @field_validator("origin")
    @classmethod
    def _origin(cls, value: str | None) -> str | None:
        if value is not None and (not value or "+" in value or any(c.isspace() for c in value)
                                  or not value.isprintable() or not value.isascii()):
            raise ValueError(f"{value!r}: an origin is a non-empty scheme-less URL without spaces or '+' "
                             "(c2sp.org/tlog-checkpoint), e.g. transparency.example.com/zurich")
        return value

    @field_validator("witnesses")
    @classmethod
    def _witnesses(cls, witnesses: list[WitnessConfig]) -> list[WitnessConfig]:
        names = [w.organization for w in witnesses]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"an organization is listed twice: {repeated}; list all its keys under one entry")
        owners: dict[str, str] = {}
        for witness in witnesses:
            for key in witness.keys:
                if key in owners:
                    raise ValueError(f"the key {key[:40]}... is listed for both {owners[key]} and {witness.organization}:"
                                     " two organizations' cosignatures would count as two with one key")
                owners[key] = witness.organization
        return sorted(witnesses, key=lambda w: w.organization)

    @field_validator("verification")
    @classmethod
    def _verification(cls, value: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        unknown = sorted(set(value) - set(SIGNING_CLASSES))
        if unknown:
            raise ValueError(f"unknown class {unknown}; the classes are {list(SIGNING_CLASSES)}")
        missing = [c for c in SIGNING_CLASSES if c not in value]
        if missing:
            raise ValueError(f"no cosignature count for {missing}; give every class in {list(SIGNING_CLASSES)}")
        least = PROD_MIN_COSIGNATURES if is_prod(info) else 1
        for signing_class, k in value.items():
            if k < least:
                raise ValueError(f"{signing_class}: {k} cosignature(s); "
                                 + (f"prod needs at least {least} distinct witness organizations" if is_prod(info)
                                    else "at least 1 (a log nobody cosigns proves nothing to anyone)"))
        return {c: value[c] for c in SIGNING_CLASSES}

    @model_validator(mode="after")
    def _enough_witnesses(self, info: ValidationInfo) -> "TransparencyConfig":
        if is_prod(info) and not self.enabled:
            raise ValueError("enabled: prod keeps the transparency log on (it is how customers see that everybody "
                             "got the same release)")
        if is_prod(info) and len(self.witnesses) < PROD_MIN_WITNESS_ORGANIZATIONS:
            raise ValueError(f"witnesses: prod needs at least {PROD_MIN_WITNESS_ORGANIZATIONS} reviewer organizations "
                             f"with a witness key (got {len(self.witnesses)})")
        for signing_class, k in self.verification.items():
            if k > len(self.witnesses):
                raise ValueError(f"verification.{signing_class}: {k} cosignatures needed but only "
                                 f"{len(self.witnesses)} witness organization(s) listed: no release could verify")
        return self

    def witness(self, organization: str) -> WitnessConfig | None:
        return next((w for w in self.witnesses if w.organization == organization), None)
