"""`transparency-center:network`: the VPC supernet, zones' CIDRs and availability zones."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from .base import AVAILABILITY_ZONE_IDS, StrictModel, is_prod

CoreZone = Literal["endpoints", "build", "signing", "data"]
CORE_ZONES: tuple[CoreZone, ...] = ("endpoints", "build", "signing", "data")
"""Zones every center has. `endpoints` holds the interface endpoints all other zones use."""

PROD_MIN_LOG_RETENTION_DAYS = 365

LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
    2557, 2922, 3288, 3653,
)
"""The retention periods CloudWatch Logs accepts."""


def check_log_retention(days: int, info: ValidationInfo) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"{days} is not a CloudWatch Logs retention period; allowed: {list(LOG_RETENTION_DAYS)}")
    if is_prod(info) and days < PROD_MIN_LOG_RETENTION_DAYS:
        raise ValueError(f"prod keeps logs at least {PROD_MIN_LOG_RETENTION_DAYS} days (CloudWatch.16, CIS 3.x); got {days}")
    return days


def parse_network(value: str) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"{value!r} is not an IPv4 CIDR with its host bits zero ({error})") from None
    return network


class NetworkConfig(StrictModel):
    supernet: str = Field(description="The VPC CIDR; every zone is carved from it.")
    availability_zones: Annotated[list[str], Field(min_length=1)] = Field(
        description="Availability zone ids (euc2-az1..3) that get one subnet per zone."
    )
    zone_prefix_length: int | None = Field(
        default=None, description="Prefix length of a zone's CIDR; default: supernet + 4 (16 zone slots)."
    )
    zone_cidrs: dict[CoreZone, str] = Field(
        default_factory=dict, description="Pinned CIDRs for core zones; the rest are allocated."
    )
    flow_log_retention_days: int = 365
    flow_log_traffic: Literal["ALL", "REJECT"] = "ALL"

    @field_validator("supernet")
    @classmethod
    def _supernet(cls, value: str) -> str:
        network = parse_network(value)
        if not network.is_private:
            raise ValueError(f"{value} is not a private range (RFC 1918); the center is never addressable from outside")
        if not 16 <= network.prefixlen <= 22:
            raise ValueError(f"{value}: supernet prefix must be /16 to /22 (a VPC allows /16 to /28 and zones need room)")
        return str(network)

    @field_validator("availability_zones")
    @classmethod
    def _zones(cls, value: list[str], info: ValidationInfo) -> list[str]:
        unknown = [az for az in value if az not in AVAILABILITY_ZONE_IDS]
        if unknown:
            raise ValueError(f"{unknown} are not Zurich availability zone ids; allowed: {list(AVAILABILITY_ZONE_IDS)}")
        if len(set(value)) != len(value):
            raise ValueError(f"{value} lists an availability zone twice")
        if is_prod(info) and len(value) < 2:
            raise ValueError(f"prod needs at least 2 availability zones (HSMs and builders are spread); got {len(value)}")
        # Canonical order, so that reordering the list changes nothing that is declared.
        return sorted(value)

    @field_validator("zone_cidrs")
    @classmethod
    def _zone_cidrs(cls, value: dict[str, str]) -> dict[str, str]:
        return {zone: str(parse_network(cidr)) for zone, cidr in sorted(value.items())}

    @field_validator("flow_log_retention_days")
    @classmethod
    def _retention(cls, value: int, info: ValidationInfo) -> int:
        return check_log_retention(value, info)
