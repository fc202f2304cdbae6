"""`transparency-center:audit`: CloudTrail, log groups and the locked archive."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import ArchiveLockMode, StrictModel, is_prod
from .network import check_log_retention

PROD_MIN_ARCHIVE_RETENTION_DAYS = 365
"""prod keeps the audit archive (CloudTrail, session logs) locked at least a year."""


class AuditConfig(StrictModel):
    log_retention_days: int = Field(default=365, description="CloudTrail and session log groups.")
    archive_lock_mode: ArchiveLockMode = "COMPLIANCE"
    archive_retention_days: int = Field(default=365, ge=1, le=36500)

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
