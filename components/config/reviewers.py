"""`transparency-center:reviewers`: independent reviewer organizations and their sessions."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from .base import Slug, StrictModel, unique_names
from .build import InstanceType
from .network import parse_network

ReviewScope = Literal["sources", "builds", "signatures", "audit-logs"]
REVIEW_SCOPES = ("sources", "builds", "signatures", "audit-logs")
"""What a reviewer may read. Customer data is not a scope and never can be."""

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
ACM_ARN = re.compile(r"^arn:aws:acm:eu-central-2:\d{12}:certificate/[0-9a-f-]{36}$")


class ClientVpnConfig(StrictModel):
    server_certificate_arn: str
    client_root_certificate_arn: str
    client_cidr: str = Field(description="Addresses handed to VPN clients; must not overlap the VPC.")

    @field_validator("server_certificate_arn", "client_root_certificate_arn")
    @classmethod
    def _acm(cls, value: str) -> str:
        if not ACM_ARN.match(value):
            raise ValueError(f"{value!r} is not an ACM certificate ARN in eu-central-2")
        return value

    @field_validator("client_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        return str(parse_network(value))


class ReviewerOrgConfig(StrictModel):
    name: Slug
    contact: str
    scopes: list[ReviewScope] = Field(min_length=1)
    cidr: str | None = Field(default=None, description="The zone's CIDR; allocated from the supernet when absent.")
    workstations: int = Field(default=0, ge=0, le=10)
    workstation_instance_type: InstanceType = "m6i.large"
    client_vpn: ClientVpnConfig | None = None

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError(f"{value!r} is not an email address")
        return value

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"{value} lists a scope twice")
        return sorted(value, key=REVIEW_SCOPES.index)

    @field_validator("cidr")
    @classmethod
    def _zone_cidr(cls, value: str | None) -> str | None:
        return None if value is None else str(parse_network(value))


class SessionConfig(StrictModel):
    idle_timeout_minutes: int = Field(default=20, ge=1, le=60)
    max_session_minutes: int = Field(default=240, ge=1, le=1440)


class ReviewersConfig(StrictModel):
    organizations: list[ReviewerOrgConfig] = Field(default_factory=list)
    session: SessionConfig = SessionConfig()

    @field_validator("organizations")
    @classmethod
    def _orgs(cls, value: list[ReviewerOrgConfig]) -> list[ReviewerOrgConfig]:
        unique_names(value, "reviewer organization")
        return sorted(value, key=lambda org: org.name)
