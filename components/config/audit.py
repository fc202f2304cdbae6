"""`transparency-center:audit`: CloudTrail, log groups and the locked archive."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import ArchiveLockMode, StrictModel, is_prod
from .network import check_log_retention

PROD_MIN_ARCHIVE_RETENTION_DAYS = 365
"""prod keeps the audit archive (CloudTrail, session logs) locked at least a year."""


class LogArchiveConfig(StrictModel):
    """The organization's log-archive account (organization/ project outputs), by reference."""

    account: str = Field(pattern=r"^\d{12}$", description="Log-archive account id.")
    bucket: str = Field(min_length=3, max_length=63, description="The organization trail's archive bucket.")
    key: str = Field(pattern=r"^arn:aws:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]+$", description="Archive KMS key ARN.")
    trail: str = Field(pattern=r"^arn:aws:cloudtrail:[a-z0-9-]+:\d{12}:trail/[A-Za-z0-9._-]+$")


class AuditConfig(StrictModel):
    log_retention_days: int = Field(default=365, description="CloudTrail and session log groups.")
    archive_lock_mode: ArchiveLockMode = "COMPLIANCE"
    archive_retention_days: int = Field(default=365, ge=1, le=36500)
    organization: bool = Field(default=False, description="An organization (organization/ project) is deployed.")
    log_archive: LogArchiveConfig | None = None

    @model_validator(mode="after")
    def _prod_uses_the_log_archive(self, info: ValidationInfo) -> "AuditConfig":
        """Single-account audit stays for dev; prod in an organization must deliver to its archive."""
        if is_prod(info) and self.organization and self.log_archive is None:
            raise ValueError("logArchive (account, bucket, key, trail) is required in prod once organization is true;"
                             " single-account audit is for dev")
        return self

    @model_validator(mode="before")
    @classmethod
    def _lock_mode_default(cls, data: object, info: ValidationInfo) -> object:
        """Left out, the archive's lock mode follows the teardown rule: COMPLIANCE in prod,
        GOVERNANCE where the stack must stay destroyable."""
        if isinstance(data, dict) and not {"archiveLockMode", "archive_lock_mode"} & set(data):
            default = "COMPLIANCE" if is_prod(info) else "GOVERNANCE"
            return {**data, "archiveLockMode": default}
        return data

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int, info: ValidationInfo) -> int:
        return check_log_retention(value, info)

    @field_validator("archive_retention_days")
    @classmethod
    def _prod_archive_retention(cls, value: int, info: ValidationInfo) -> int:
        if is_prod(info) and value < PROD_MIN_ARCHIVE_RETENTION_DAYS:
            raise ValueError(f"prod keeps the audit archive at least {PROD_MIN_ARCHIVE_RETENTION_DAYS} days; got {value}")
        return value
