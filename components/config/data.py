"""`transparency-center:dataStores`: one customer data store per customer region, all in Zurich."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from .base import REGION, ObjectLockMode, StrictModel, is_prod

CUSTOMER_REGIONS = ("europe", "north-america", "australia", "japan", "south-korea", "singapore")
"""Where the customers are. Their data is stored in eu-central-2 whatever the customer region."""

CustomerRegion = Literal["europe", "north-america", "australia", "japan", "south-korea", "singapore"]

PROD_MIN_LOCK_DAYS = 30
"""prod keeps every customer object locked (undeletable) at least this long."""

DATA_CLASS = "customer-data"
"""The data class tag of every store: reviewers' policies deny anything carrying it."""


class ObjectLockConfig(StrictModel):
    mode: ObjectLockMode = "GOVERNANCE"
    retention_days: int = Field(default=30, ge=1, le=36500)

    @field_validator("retention_days")
    @classmethod
    def _prod_minimum(cls, value: int, info: ValidationInfo) -> int:
        if is_prod(info) and value < PROD_MIN_LOCK_DAYS:
            raise ValueError(f"prod keeps customer objects locked at least {PROD_MIN_LOCK_DAYS} days; got {value}")
        return value


class LifecycleConfig(StrictModel):
    noncurrent_version_expiration_days: int = Field(default=90, ge=1, le=3650)
    transition_to_infrequent_access_days: int | None = Field(default=None, ge=30, le=3650)
    abort_incomplete_multipart_upload_days: int = Field(default=7, ge=1, le=30)


class DataStoresConfig(StrictModel):
    customer_regions: list[CustomerRegion] = Field(min_length=1)
    storage_region: str = Field(default=REGION, description="Where the stores live: always eu-central-2.")
    object_lock: ObjectLockConfig = ObjectLockConfig()
    lifecycle: LifecycleConfig = LifecycleConfig()
    replication_regions: list[str] = Field(
        default_factory=list, description="Never allowed; present so a request for replication is refused with a reason."
    )
    multi_region_keys: bool = Field(default=False, description="Never allowed (residency).")

    @field_validator("customer_regions")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"{value} lists a customer region twice")
        return sorted(value, key=CUSTOMER_REGIONS.index)

    @field_validator("storage_region")
    @classmethod
    def _resident(cls, value: str) -> str:
        if value != REGION:
            raise ValueError(f"{value!r}: customer data of every region is stored in {REGION} (Zurich) only (data residency)")
        return value

    @field_validator("replication_regions")
    @classmethod
    def _no_replication(cls, value: list[str]) -> list[str]:
        if value:
            raise ValueError(f"{value}: replication copies customer data out of Zurich; it is never allowed (data residency)")
        return value

    @field_validator("multi_region_keys")
    @classmethod
    def _no_multi_region(cls, value: bool) -> bool:
        if value:
            raise ValueError("multi-Region KMS keys replicate key material out of Zurich; never allowed (data residency)")
        return value
