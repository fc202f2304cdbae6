"""`transparency-center:signing`: how products and AV databases are signed."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, model_validator

from .base import StrictModel, is_prod
from .build import InstanceType

SIGNING_CLASSES = ("products", "av-databases")
"""Each class has its own key (or HSM key label) and its own signer role."""

KMS_SIGNING_KEY_SPECS = (
    "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
    "RSA_2048", "RSA_3072", "RSA_4096",
    "ML_DSA_44", "ML_DSA_65", "ML_DSA_87",
)

KmsKeySpec = Literal[
    "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
    "RSA_2048", "RSA_3072", "RSA_4096",
    "ML_DSA_44", "ML_DSA_65", "ML_DSA_87",
]


class KmsSigningConfig(StrictModel):
    key_spec: KmsKeySpec = "ECC_NIST_P384"


class CloudHsmSigningConfig(StrictModel):
    hsm_type: Literal["hsm2m.medium"] = "hsm2m.medium"
    hsms: int = Field(default=3, ge=1, le=6, description="HSMs, spread one per availability zone.")
    backup_retention_days: int = Field(default=90, ge=7, le=379)
    initialized: bool = Field(
        default=False,
        description="Set once the ceremony in docs/cloudhsm-ceremony.md is done; gates what needs a live cluster.",
    )
    signer_instance_type: InstanceType = "c6i.large"


class SigningConfig(StrictModel):
    backend: Literal["kms", "cloudhsm"] = "kms"
    kms: KmsSigningConfig = KmsSigningConfig()
    cloudhsm: CloudHsmSigningConfig | None = None

    @model_validator(mode="after")
    def _backend_settings(self, info: ValidationInfo) -> "SigningConfig":
        if self.backend == "cloudhsm" and self.cloudhsm is None:
            raise ValueError("backend 'cloudhsm' needs a 'cloudhsm' block (hsms, backupRetentionDays, initialized)")
        if self.backend == "kms" and self.cloudhsm is not None:
            raise ValueError("a 'cloudhsm' block is only read with backend 'cloudhsm'; remove it or change the backend")
        if self.cloudhsm is not None and is_prod(info) and self.cloudhsm.hsms < 2:
            raise ValueError(f"prod needs at least 2 HSMs in 2 availability zones; got cloudhsm.hsms={self.cloudhsm.hsms}")
        return self
