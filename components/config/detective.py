"""`transparency-center:detective`: the account's detective controls and baselines.

On by default in every stack. Only a dev stack may switch them off, and only because it
must (the `local` stack: LocalStack emulates neither Security Hub nor GuardDuty).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import StrictModel, environment_of, is_prod
from .reviewers import EMAIL


class DetectiveConfig(StrictModel):
    enabled: bool = Field(default=True, description="Config, Security Hub, GuardDuty, Access Analyzer, alarms, baselines.")
    security_contact: str | None = Field(
        default=None, description="The vendor's security contact: subscribed to every alarm (each reviewer "
                                  "organization's contact is subscribed too).")
    unused_access_age_days: int = Field(default=90, ge=1, le=365,
                                        description="IAM Access Analyzer reports access unused for this long.")
    finding_publishing_frequency: Literal["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"] = "FIFTEEN_MINUTES"

    @field_validator("security_contact")
    @classmethod
    def _contact(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.match(value):
            raise ValueError(f"{value!r} is not an email address")
        return value

    @model_validator(mode="after")
    def _only_dev_goes_without(self, info: ValidationInfo) -> "DetectiveConfig":
        if not self.enabled and environment_of(info) != "dev":
            raise ValueError("detective controls are switched off only in dev (the LocalStack stack); "
                             f"{environment_of(info)} keeps Config, Security Hub, GuardDuty and the alarms")
        if self.enabled and is_prod(info) and self.security_contact is None:
            raise ValueError("securityContact is required in prod: someone must receive the alarms")
        return self
