"""`tc-reviewer-account:*` stack config, validated like components/config/ (camelCase, strict).

The organization names itself, its own account and the center stack it reviews; everything it
receives from (the center account, the trails, the forwarder role, the management account) is
read from the center's and the organization's stack files, never typed here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from pydantic import Field, field_validator

from components.config.base import Slug, StrictModel, validate_project_config

if TYPE_CHECKING:
    from components.config import CenterConfig

PROJECT = "tc-reviewer-account"
ACCOUNT_ID = re.compile(r"^\d{12}$")
KIT = Path(__file__).resolve().parent.parent
CENTER_STACKS = KIT / "stacks"
ORGANIZATION_STACKS = KIT / "organization" / "stacks"
MIN_RETENTION_DAYS = 365


class ReviewerAccountConfigError(ValueError):
    def __init__(self, stack: str, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"Pulumi.{stack}.yaml: {key}: {msg}" for key, msg in problems))


def _stack_names(directory: Path) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in directory.glob("Pulumi.*.yaml"))


class ReviewerAccountConfig(StrictModel):
    organization: Slug = Field(description="The reviewer organization, as the center stack names it.")
    account_id: str = Field(description="The organization's own AWS account: where this stack deploys.")
    center_stack: str = Field(description="The center stack (stacks/Pulumi.<name>.yaml) whose evidence this receives.")
    organization_stack: str | None = Field(
        default=None, description="The organization stack (organization/stacks/) whose organization trail also "
                                  "delivers here; left out, only the center account's trail does.")
    retention_days: int = Field(default=2557, ge=MIN_RETENTION_DAYS, le=36500,
                                description="Object Lock COMPLIANCE retention of the trails' files and the event archive.")

    @field_validator("account_id", mode="before")
    @classmethod
    def _account(cls, value: object) -> str:
        text = str(value)
        if not ACCOUNT_ID.match(text):
            raise ValueError(f"{value!r} is not a 12-digit AWS account id (quote it in YAML to keep leading zeros)")
        return text

    @field_validator("center_stack")
    @classmethod
    def _center(cls, value: str) -> str:
        if value not in _stack_names(CENTER_STACKS):
            raise ValueError(f"{value!r} is not a center stack of this kit: one of {_stack_names(CENTER_STACKS)}")
        return value

    @field_validator("organization_stack")
    @classmethod
    def _organization(cls, value: str | None) -> str | None:
        if value is not None and value not in _stack_names(ORGANIZATION_STACKS):
            raise ValueError(f"{value!r} is not an organization stack of this kit: one of {_stack_names(ORGANIZATION_STACKS)}")
        return value


def center_of(config: ReviewerAccountConfig, stack: str = "") -> "CenterConfig":
    """The center stack's config, checked against this one: the center must name this
    organization, with this account as its own."""
    from components.config import ConfigError, load_stack_file

    try:
        center = load_stack_file(CENTER_STACKS / f"Pulumi.{config.center_stack}.yaml")
    except ConfigError as error:
        raise ReviewerAccountConfigError(stack, [(f"{PROJECT}:centerStack", str(error))]) from None
    orgs = {org.name: org for org in center.reviewers.organizations}
    if config.organization not in orgs:
        raise ReviewerAccountConfigError(stack, [(f"{PROJECT}:organization",
                                                  f"{config.organization!r} is not a reviewer organization of "
                                                  f"{config.center_stack}: one of {sorted(orgs)}")])
    if orgs[config.organization].account_id != config.account_id:
        raise ReviewerAccountConfigError(stack, [(f"{PROJECT}:accountId",
                                                  f"{config.center_stack} names {orgs[config.organization].account_id} "
                                                  f"as {config.organization}'s own account, not {config.account_id}")])
    return center


def management_account_of(config: ReviewerAccountConfig, stack: str = "") -> str | None:
    """The organization's management account (its organization trail delivers here too)."""
    if config.organization_stack is None:
        return None
    from organization.config import load_config as load_organization
    import yaml

    path = ORGANIZATION_STACKS / f"Pulumi.{config.organization_stack}.yaml"
    raw = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    organization = load_organization(raw, config.organization_stack)
    if organization.center_stack != config.center_stack:
        raise ReviewerAccountConfigError(stack, [(f"{PROJECT}:organizationStack",
                                                  f"{config.organization_stack} governs center stack "
                                                  f"{organization.center_stack}, not {config.center_stack}")])
    return organization.management_account_id


def load_config(raw: Mapping[str, Any], stack: str) -> ReviewerAccountConfig:
    config, problems = validate_project_config(raw, PROJECT, ReviewerAccountConfig)
    if config is None:
        raise ReviewerAccountConfigError(stack, problems)
    return config


def load_from_pulumi() -> ReviewerAccountConfig:
    import pulumi
    from pulumi.runtime import config as runtime_config

    raw: dict[str, Any] = dict(runtime_config.get_config_env())
    raw.update(runtime_config.CONFIG.get())
    return load_config(raw, pulumi.get_stack())
