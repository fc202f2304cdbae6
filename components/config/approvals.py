"""Who approves a deployment: organizations, their SSH signing keys, and the quorum (issue 15)."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import StrictModel, is_prod

SIGNING_KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256")
PROD_MIN_ORGANIZATIONS = 2
DEFAULT_EXPIRY_DAYS = 3
PROD_MAX_EXPIRY_DAYS = 7
MAX_EXPIRY_DAYS = 30


class ApproverKey(StrictModel):
    """One public key as in an authorized_keys line. Revoked keys stay listed, marked revoked."""

    key: str
    revoked: bool = False

    @field_validator("key")
    @classmethod
    def _key(cls, key: str) -> str:
        parts = key.split()
        if len(parts) < 2 or parts[0] not in SIGNING_KEY_TYPES:
            raise ValueError(f"must be an SSH public key of type {list(SIGNING_KEY_TYPES)} ('TYPE BASE64 [comment]')")
        return " ".join(parts[:2])


class ApprovingOrganization(StrictModel):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    keys: list[ApproverKey] = Field(min_length=1)

    @property
    def active_keys(self) -> list[str]:
        return [k.key for k in self.keys if not k.revoked]


class ApprovalsConfig(StrictModel):
    """`quorum` distinct organizations must sign exactly what will run before `tcenter up`
    deploys it; an approval is valid for at most `expiryDays` (docs/reviewer-access.md)."""

    quorum: int = Field(default=0, ge=0)
    organizations: list[ApprovingOrganization] = Field(default_factory=list)
    expiry_days: int = Field(default=DEFAULT_EXPIRY_DAYS, ge=1, le=MAX_EXPIRY_DAYS)

    @model_validator(mode="after")
    def _consistent(self) -> ApprovalsConfig:
        names = [org.name for org in self.organizations]
        if len(set(names)) != len(names):
            raise ValueError(f"organization names must be unique (got {names})")
        # One key, one organization: a key listed twice would let one signer count twice.
        owners: dict[str, str] = {}
        for org in self.organizations:
            for key in org.keys:
                if key.key in owners:
                    where = "twice" if owners[key.key] == org.name else f"under {owners[key.key]} and {org.name}"
                    raise ValueError(f"the key {key.key[:40]}... is listed {where}; one key, one organization")
                owners[key.key] = org.name
        with_keys = [org for org in self.organizations if org.active_keys]
        if self.quorum > len(with_keys):
            raise ValueError(f"quorum {self.quorum} exceeds the {len(with_keys)} organizations with an unrevoked key")
        return self

    @field_validator("quorum")
    @classmethod
    def _prod_quorum(cls, quorum: int, info: ValidationInfo) -> int:
        if is_prod(info) and quorum < PROD_MIN_ORGANIZATIONS:
            raise ValueError(f"prod needs approvals from at least {PROD_MIN_ORGANIZATIONS} distinct organizations (got {quorum})")
        return quorum

    @field_validator("expiry_days")
    @classmethod
    def _prod_expiry(cls, days: int, info: ValidationInfo) -> int:
        if is_prod(info) and days > PROD_MAX_EXPIRY_DAYS:
            raise ValueError(f"prod approvals expire within {PROD_MAX_EXPIRY_DAYS} days at most (got {days})")
        return days

    def organization(self, name: str) -> ApprovingOrganization | None:
        return next((org for org in self.organizations if org.name == name), None)
