"""`transparency-center:distribution`: the update repositories customers' products read (one TUF
repository per signing class, docs/distribution.md).

The root (and the top-level targets role) is a threshold over keys the reviewer organizations
hold plus the vendor's: the config refuses a threshold the vendor's keys meet alone. The
config holds public keys only (PEM); the private keys never enter the center.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import Slug, StrictModel, is_prod
from .build import InstanceType
from .signing import SIGNING_CLASSES

VENDOR = "vendor"
"""The holder name of the vendor's root keys; every other holder is a reviewer organization."""
PROD_MIN_ROOT_ORGANIZATIONS = 2
ONLINE_KEY_SPEC = "ECC_NIST_P256"
"""The online roles' KMS key spec: securesystemslib's AWS KMS signer (1.6) signs ECDSA P-256/P-384
and RSA (PSS, PKCS#1 v1.5), never Ed25519 or P-521; P-256 keeps the timestamp smallest."""
DEFAULT_TIMESTAMP_HOURS = {"products": 24, "av-databases": 4}
PEM_PUBLIC = "-----BEGIN PUBLIC KEY-----"


def public_key_problem(pem: str) -> str | None:
    """Why `pem` is not a TUF key the kit accepts (None when it is one): ECDSA P-256, P-384 or Ed25519."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if not pem.strip().startswith(PEM_PUBLIC):
        return f"not a PEM public key (it must start with {PEM_PUBLIC})"
    try:
        key = load_pem_public_key(pem.strip().encode())
    except (ValueError, TypeError):
        return "not a readable PEM public key"
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in ("secp256r1", "secp384r1"):
        return None
    if isinstance(key, ed25519.Ed25519PublicKey):
        return None
    return f"{type(key).__name__.removeprefix('_')}: a TUF key here is ECDSA P-256, P-384 or Ed25519"


class HeldKey(StrictModel):
    holder: str = Field(description="'vendor' or the reviewer organization that holds the private key.")
    public_key: str

    @field_validator("holder")
    @classmethod
    def _holder(cls, value: str) -> str:
        from .base import check_slug

        return value if value == VENDOR else check_slug(value)

    @field_validator("public_key")
    @classmethod
    def _pem(cls, value: str) -> str:
        problem = public_key_problem(value)
        if problem:
            raise ValueError(problem)
        return value.strip() + "\n"


class RootConfig(StrictModel):
    keys: list[HeldKey] = Field(min_length=2)
    threshold: int = Field(ge=1, le=16)

    @field_validator("keys")
    @classmethod
    def _keys(cls, keys: list[HeldKey], info: ValidationInfo) -> list[HeldKey]:
        if len({k.public_key for k in keys}) != len(keys):
            raise ValueError("a public key is listed twice (it would count twice toward the threshold)")
        organizations = {k.holder for k in keys if k.holder != VENDOR}
        if is_prod(info) and len(organizations) < PROD_MIN_ROOT_ORGANIZATIONS:
            raise ValueError(f"prod's root is held by at least {PROD_MIN_ROOT_ORGANIZATIONS} reviewer organizations "
                             f"(got {sorted(organizations)})")
        return keys

    @field_validator("threshold")
    @classmethod
    def _not_the_vendor_alone(cls, threshold: int, info: ValidationInfo) -> int:
        keys = info.data.get("keys")
        if keys is None:
            return threshold
        vendor = [k for k in keys if k.holder == VENDOR]
        if threshold <= len(vendor):
            raise ValueError(f"{threshold} is met by the vendor's {len(vendor)} key(s) alone; it must be more than "
                             f"{len(vendor)} so that reviewer organizations always sign a new root")
        if threshold > len(keys):
            raise ValueError(f"{threshold} is more than the {len(keys)} keys: no root could ever be signed")
        return threshold


class RebuilderConfig(StrictModel):
    """A reviewer organization whose rebuild attestations (and signature on the products role) count."""

    organization: Slug
    public_key: str

    @field_validator("public_key")
    @classmethod
    def _pem(cls, value: str) -> str:
        problem = public_key_problem(value)
        if problem:
            raise ValueError(problem)
        return value.strip() + "\n"


class CdnConfig(StrictModel):
    """Off by default. On: a CloudFront distribution per class reads the private bucket through
    Origin Access Control and serves the repository to anyone over HTTPS."""

    enabled: bool = False
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = "PriceClass_100"
    timestamp_max_age_seconds: int = Field(default=60, ge=0, le=300)


class DistributionConfig(StrictModel):
    enabled: bool = False
    root: RootConfig | None = None
    rebuilders: list[RebuilderConfig] = Field(default_factory=list)
    timestamp_hours: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_TIMESTAMP_HOURS))
    av_database_bins: int = Field(default=8, ge=0, le=14, description="Hashed bins: 2**n bins (TAP 15); 0 for none.")
    online_key_spec: Literal["ECC_NIST_P256"] = ONLINE_KEY_SPEC
    cdn: CdnConfig = CdnConfig()
    publisher_instance_type: InstanceType = "t3.medium"

    @field_validator("timestamp_hours")
    @classmethod
    def _hours(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(SIGNING_CLASSES))
        if unknown:
            raise ValueError(f"unknown class {unknown}; the classes are {list(SIGNING_CLASSES)}")
        merged = {**DEFAULT_TIMESTAMP_HOURS, **value}
        for signing_class, hours in merged.items():
            if not 1 <= hours <= 168:
                raise ValueError(f"{signing_class}: {hours} hours; a timestamp expires within 1 to 168 hours")
        if merged["av-databases"] > 24:
            raise ValueError(f"av-databases: {merged['av-databases']} hours; AV databases change hourly, their "
                             "timestamp expires within a day (a frozen client must notice)")
        return merged

    @field_validator("rebuilders")
    @classmethod
    def _rebuilders(cls, value: list[RebuilderConfig]) -> list[RebuilderConfig]:
        names = [r.organization for r in value]
        if len(set(names)) != len(names):
            raise ValueError("an organization is listed twice; one rebuild key per organization")
        return sorted(value, key=lambda r: r.organization)

    @model_validator(mode="after")
    def _enabled_needs_keys(self) -> DistributionConfig:
        if self.enabled and self.root is None:
            raise ValueError("root: an enabled distribution needs the root keys and threshold")
        if self.enabled and not self.rebuilders:
            raise ValueError("rebuilders: products install only with a reviewer organization's rebuild attestation; "
                             "list at least one organization's rebuild key")
        return self
