"""`transparency-center:reviewers`: independent reviewer organizations and their sessions."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .access import ACCOUNT_ID, ROLE_ARN
from .base import Slug, StrictModel, unique_names
from .build import AmiId, InstanceType
from .network import parse_network

ReviewScope = Literal["sources", "builds", "signatures", "audit-logs"]
REVIEW_SCOPES = ("sources", "builds", "signatures", "audit-logs")
"""What a reviewer may read. Customer data is not a scope and never can be."""

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
ACM_ARN = re.compile(r"^arn:aws:acm:eu-central-2:\d{12}:certificate/[0-9a-f-]{36}$")
IDENTITY_CENTER_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"
"""IAM Identity Center creates its permission-set roles under this path."""

CLIENT_VPN_SESSION_HOURS = (8, 10, 12, 24)
"""The only session timeouts Client VPN accepts."""


class ClientVpnConfig(StrictModel):
    """Mutual TLS only: the server certificate and the CA that issued the reviewers' client
    certificates are both in ACM. Client VPN's availability in eu-central-2 is not verified
    by the kit: it stays off unless an organization asks for it."""

    server_certificate_arn: str
    client_root_certificate_arn: str
    client_cidr: str = Field(description="Addresses handed to VPN clients; /12 to /22, must not overlap the VPC.")
    session_timeout_hours: Literal[8, 10, 12, 24] = 8

    @field_validator("server_certificate_arn", "client_root_certificate_arn")
    @classmethod
    def _acm(cls, value: str) -> str:
        if not ACM_ARN.match(value):
            raise ValueError(f"{value!r} is not an ACM certificate ARN in eu-central-2")
        return value

    @field_validator("client_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        network = parse_network(value)
        if not 12 <= network.prefixlen <= 22:
            raise ValueError(f"{value}: Client VPN needs a client CIDR of /12 to /22")
        if not network.is_private:
            raise ValueError(f"{value} is not a private range (RFC 1918)")
        return str(network)


class ReviewerOrgConfig(StrictModel):
    name: Slug
    contact: str
    scopes: list[ReviewScope] = Field(min_length=1)
    account_id: str | None = Field(
        default=None,
        description="The organization's own AWS account: its reviewer role trusts that account (the organization "
                    "decides who of its people may assume it), and the center delivers its evidence (CloudTrail, "
                    "security events) there. Required in prod.",
    )
    trusted_principals: list[str] = Field(
        default_factory=list,
        description="Narrows the trust to these IAM role ARNs of accountId. Without accountId (dev and staging "
                    "only): roles of the stack's own account, e.g. an IAM Identity Center permission-set role.",
    )
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

    @field_validator("scopes", mode="before")
    @classmethod
    def _known_scopes(cls, value: object) -> object:
        # Said here rather than by the Literal so that the error names the one bad scope.
        if isinstance(value, list):
            unknown = [scope for scope in value if scope not in REVIEW_SCOPES]
            if unknown:
                raise ValueError(f"unknown scope {unknown}; a reviewer may read only {list(REVIEW_SCOPES)} "
                                 "(customer data is never a scope)")
        return value

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"{value} lists a scope twice")
        return sorted(value, key=REVIEW_SCOPES.index)

    @field_validator("trusted_principals")
    @classmethod
    def _principals(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not ROLE_ARN.match(arn):
                raise ValueError(f"{arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<path/name>); "
                                 "users, root and wildcards are never trusted")
        if len(set(value)) != len(value):
            raise ValueError("a trusted principal is listed twice")
        return sorted(value)

    @field_validator("account_id", mode="before")
    @classmethod
    def _account_id(cls, value: object) -> str | None:
        if value is None:
            return None
        text = str(value)
        if not ACCOUNT_ID.match(text):
            raise ValueError(f"{value!r} is not a 12-digit AWS account id (quote it in YAML to keep leading zeros)")
        return text

    @model_validator(mode="after")
    def _who_signs_in(self) -> "ReviewerOrgConfig":
        if self.account_id is None and not self.trusted_principals:
            raise ValueError("name the organization's own AWS account (accountId) or, outside prod, trustedPrincipals")
        if self.account_id is not None:
            foreign = [arn for arn in self.trusted_principals if ROLE_ARN.match(arn).group(1) != self.account_id]  # type: ignore[union-attr]
            if foreign:
                raise ValueError(f"trustedPrincipals {foreign} are not roles of the organization's account {self.account_id}")
        return self

    @property
    def own_account(self) -> bool:
        """The organization signs in from its own AWS account (and receives the evidence there)."""
        return self.account_id is not None

    @field_validator("cidr")
    @classmethod
    def _zone_cidr(cls, value: str | None) -> str | None:
        return None if value is None else str(parse_network(value))

    def principal_accounts(self) -> list[str]:
        return sorted({ROLE_ARN.match(arn).group(1) for arn in self.trusted_principals})  # type: ignore[union-attr]


class SessionConfig(StrictModel):
    idle_timeout_minutes: int = Field(default=20, ge=1, le=60)
    max_session_minutes: int = Field(default=240, ge=1, le=1440)
    run_as_user: str = Field(default="reviewer", pattern=r"^[a-z_][a-z0-9_-]{0,31}$",
                             description="The unprivileged OS user sessions run as on workstations (never root).")

    @field_validator("run_as_user")
    @classmethod
    def _not_root(cls, value: str) -> str:
        if value in ("root", "ssm-user"):
            raise ValueError(f"{value!r}: reviewer sessions run as an unprivileged user created by the workstation template")
        return value


class ReviewersConfig(StrictModel):
    organizations: list[ReviewerOrgConfig] = Field(default_factory=list)
    session: SessionConfig = SessionConfig()
    workstation_ami_id: AmiId | None = Field(default=None, description="Workstation image; the build image when absent.")

    @field_validator("organizations")
    @classmethod
    def _orgs(cls, value: list[ReviewerOrgConfig]) -> list[ReviewerOrgConfig]:
        unique_names(value, "reviewer organization")
        owners: dict[str, str] = {}
        for org in sorted(value, key=lambda org: org.name):
            for arn in org.trusted_principals:
                if arn in owners:
                    raise ValueError(f"{arn} is trusted by both {owners[arn]} and {org.name}: each organization "
                                     "signs in with its own roles, or one could read the other's material")
                owners[arn] = org.name
            if org.account_id is not None:
                if org.account_id in owners:
                    raise ValueError(f"account {org.account_id} is named by both {owners[org.account_id]} and {org.name}: "
                                     "each organization signs in from its own account")
                owners[org.account_id] = org.name
        return sorted(value, key=lambda org: org.name)


EVIDENCE_TRAILS_MAX = 4
"""CloudTrail allows 5 trails per region and account: the center's own and one per organization
that receives its evidence in its own account."""


def reviewer_account_problems(reviewers: ReviewersConfig, account_id: str, prod: bool = False) -> list[tuple[str, str]]:
    """An organization with its own account (accountId) signs in from there and never from the
    center's account, whose roles the center's owner controls; prod requires that. Without one
    (dev, staging), trusted principals are roles of the stack's own account.
    Returns (key relative to the project namespace, message) pairs for `cross_section_problems`."""
    problems = []
    for org in reviewers.organizations:
        key = f"reviewers.organizations[{org.name}]"
        if org.account_id == account_id:
            problems.append((f"{key}.accountId", f"{account_id} is the center's own account: the center's owner "
                             "controls its roles; name the organization's own AWS account"))
        elif org.account_id is None and prod:
            problems.append((f"{key}.accountId", "prod: every reviewer organization signs in from, and receives its "
                             "evidence in, its own AWS account (the center's owner controls the center's roles)"))
        elif org.account_id is None:
            foreign = [account for account in org.principal_accounts() if account != account_id]
            if foreign:
                problems.append((f"{key}.trustedPrincipals",
                                 f"roles of account(s) {foreign} are not in the stack's account {account_id}; "
                                 "an organization signing in from its own account names it as accountId"))
    own = [org.name for org in reviewers.organizations if org.own_account]
    if len(own) > EVIDENCE_TRAILS_MAX:
        problems.append(("reviewers.organizations", f"{len(own)} organizations with their own account: at most "
                         f"{EVIDENCE_TRAILS_MAX} (one evidence trail each, CloudTrail's 5 trails per region)"))
    return problems
