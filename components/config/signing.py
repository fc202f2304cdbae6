"""`transparency-center:signing`: how products and AV databases are signed."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ..awsfacts import SIGNING_CLASSES  # noqa: F401 - re-exported for the signing component
from .base import ObjectLockMode, StrictModel, is_prod
from .build import InstanceType

"""Each class has its own key (or HSM key label) and its own signer role."""

SIGNING_BACKENDS = ("kms", "cloudhsm")

KMS_SIGNING_KEY_SPECS = (
    "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
    "RSA_2048", "RSA_3072", "RSA_4096",
)
"""Asymmetric SIGN_VERIFY key specs the signing flow implements: it signs a SHA-2 digest of
the artifact (KMS MessageType DIGEST). ML-DSA keys are left out: KMS signs large messages
with them only as EXTERNAL_MU, which the signer script does not compute."""

CERTIFICATE_PEM_HEADER = "-----BEGIN CERTIFICATE-----"


class KmsSigningConfig(StrictModel):
    key_spec: str = "ECC_NIST_P384"

    @field_validator("key_spec")
    @classmethod
    def _spec(cls, value: str) -> str:
        if value not in KMS_SIGNING_KEY_SPECS:
            raise ValueError(f"{value!r} is not an allowed signing key spec; allowed: {list(KMS_SIGNING_KEY_SPECS)}")
        return value


class CloudHsmSigningConfig(StrictModel):
    hsm_type: Literal["hsm2m.medium"] = "hsm2m.medium"
    hsms: int = Field(default=3, ge=1, le=6, description="HSMs, spread one per availability zone.")
    backup_retention_days: int = Field(default=90, ge=7, le=379)
    initialized: bool = Field(
        default=False,
        description="Set once the ceremony in docs/cloudhsm-ceremony.md is done; gates what needs a live cluster.",
    )
    trust_anchor_certificate: str | None = Field(
        default=None,
        description="PEM of the CA certificate that signed the cluster CSR (public); signer hosts trust the HSMs through it.",
    )

    @field_validator("trust_anchor_certificate")
    @classmethod
    def _pem(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().startswith(CERTIFICATE_PEM_HEADER):
            raise ValueError(f"must be a PEM certificate starting with {CERTIFICATE_PEM_HEADER}")
        return None if value is None else value.strip() + "\n"

    @model_validator(mode="after")
    def _initialized_needs_trust_anchor(self) -> "CloudHsmSigningConfig":
        if self.initialized and self.trust_anchor_certificate is None:
            raise ValueError("initialized: true needs trustAnchorCertificate (the CA certificate the ceremony used to sign the cluster CSR)")
        return self


class ReleaseLockConfig(StrictModel):
    mode: ObjectLockMode = "GOVERNANCE"
    retention_days: int = Field(default=365, ge=1, le=36500)


class SigningConfig(StrictModel):
    backend: str = "kms"
    kms: KmsSigningConfig = KmsSigningConfig()
    cloudhsm: CloudHsmSigningConfig | None = None
    signer_instance_type: InstanceType = "c6i.large"
    release_lock: ReleaseLockConfig = ReleaseLockConfig()
    min_agreeing_builders: int = Field(
        default=2, ge=2, le=8,
        description="Distinct builder identities of a pool whose outputs must be identical before a release is signed.",
    )

    @field_validator("backend")
    @classmethod
    def _backend(cls, value: str) -> str:
        if value not in SIGNING_BACKENDS:
            raise ValueError(f"unknown signing backend {value!r}; allowed: {list(SIGNING_BACKENDS)}")
        return value

    @model_validator(mode="after")
    def _backend_settings(self, info: ValidationInfo) -> "SigningConfig":
        if self.backend == "cloudhsm" and self.cloudhsm is None:
            raise ValueError("backend 'cloudhsm' needs a 'cloudhsm' block (hsms, backupRetentionDays, initialized)")
        if self.backend == "kms" and self.cloudhsm is not None:
            raise ValueError("a 'cloudhsm' block is only read with backend 'cloudhsm'; remove it or change the backend")
        if self.cloudhsm is not None and is_prod(info) and self.cloudhsm.hsms < 2:
            raise ValueError(f"prod needs at least 2 HSMs in 2 availability zones; got cloudhsm.hsms={self.cloudhsm.hsms}")
        if is_prod(info) and self.release_lock.retention_days < 365:
            raise ValueError(f"prod keeps signed releases locked at least 365 days; got releaseLock.retentionDays={self.release_lock.retention_days}")
        return self
