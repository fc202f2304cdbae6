"""`transparency-center:audit`: CloudTrail, log groups and the locked archive."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import StrictModel, is_prod
from .network import check_log_retention


class AuditConfig(StrictModel):
    log_retention_days: int = 365
    archive_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = "COMPLIANCE"
    archive_retention_days: int = Field(default=365, ge=1, le=36500)

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int, info: ValidationInfo) -> int:
        return check_log_retention(value, info)

    @model_validator(mode="after")
    def _prod_archive(self, info: ValidationInfo) -> "AuditConfig":
        if is_prod(info):
            if self.archive_lock_mode != "COMPLIANCE":
                raise ValueError("prod's audit archive uses Object Lock COMPLIANCE mode: nobody, root included, can shorten it")
            if self.archive_retention_days < 365:
                raise ValueError(f"prod keeps the audit archive at least 365 days; got archiveRetentionDays={self.archive_retention_days}")
        return self
