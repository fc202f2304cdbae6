"""`tc-organization:*` stack config, validated like components/config/ (camelCase, strict)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from pydantic import Field, field_validator

from components.config.base import StrictModel, validate_project_config

if TYPE_CHECKING:
    from components.config import CenterConfig

PROJECT = "tc-organization"
ACCOUNT_ID = re.compile(r"^\d{12}$")
OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
ROOT_ID = re.compile(r"^r-[0-9a-z]{4,32}$")
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
CENTER_STACKS = Path(__file__).resolve().parent.parent / "stacks"


class OrganizationConfigError(ValueError):
    def __init__(self, stack: str, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"Pulumi.{stack}.yaml: {key}: {msg}" for key, msg in problems))


class OrganizationConfig(StrictModel):
    root_id: str = Field(description="The organization root (r-...), parent of the center OU.")
    center_ou_id: str | None = Field(default=None, description="Adopt an existing OU; left out, one is created.")
    management_account_id: str
    log_archive_account_id: str
    center_account_id: str
    security_tooling_account_id: str | None = Field(
        default=None, description="Delegated administrator of GuardDuty, Security Hub, Access Analyzer and Config.")
    center_stack: str = Field(
        description="The center stack (stacks/Pulumi.<name>.yaml) whose plan names the principals the SCPs exempt "
                    "and the reviewer organizations' accounts: generated from its config, never typed here.")
    trail_name: str = "tc-organization-trail"
    archive_bucket: str
    archive_retention_days: int = Field(default=365, ge=365, le=36500)
    log_archive_role: str = Field(default="OrganizationAccountAccessRole",
                                  description="Role the deployer assumes in the log-archive account.")

    @field_validator("management_account_id", "log_archive_account_id", "center_account_id", "security_tooling_account_id")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is not None and not ACCOUNT_ID.match(value):
            raise ValueError("must be a 12-digit AWS account id")
        return value

    @field_validator("center_stack")
    @classmethod
    def _center_stack(cls, value: str) -> str:
        if not STACK_NAME.match(value) or not (CENTER_STACKS / f"Pulumi.{value}.yaml").is_file():
            known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in CENTER_STACKS.glob("Pulumi.*.yaml"))
            raise ValueError(f"{value!r} is not a center stack of this kit (stacks/): one of {known}")
        return value

    @field_validator("root_id")
    @classmethod
    def _root(cls, value: str) -> str:
        if not ROOT_ID.match(value):
            raise ValueError("must be an organization root id (r-...)")
        return value

    @field_validator("center_ou_id")
    @classmethod
    def _ou(cls, value: str | None) -> str | None:
        if value is not None and not OU_ID.match(value):
            raise ValueError("must be an OU id (ou-...-...)")
        return value


def center_config(config: OrganizationConfig, stack: str = "") -> "CenterConfig":
    """The center stack's validated config (its plan's principals and reviewer accounts), checked
    against this organization's: the center account must be the one the center stack deploys to."""
    from components.config import ConfigError, load_stack_file

    try:
        center = load_stack_file(CENTER_STACKS / f"Pulumi.{config.center_stack}.yaml")
    except ConfigError as error:
        raise OrganizationConfigError(stack, [(f"{PROJECT}:centerStack", f"{config.center_stack}: {error}")]) from None
    if center.access.account_id != config.center_account_id:
        raise OrganizationConfigError(stack, [(f"{PROJECT}:centerAccountId",
                                               f"{config.center_account_id} is not the account of center stack "
                                               f"{config.center_stack} ({center.access.account_id})")])
    return center


def load_config(raw: Mapping[str, Any], stack: str) -> OrganizationConfig:
    config, problems = validate_project_config(raw, PROJECT, OrganizationConfig)
    if config is None:
        raise OrganizationConfigError(stack, problems)
    return config


def load_from_pulumi() -> OrganizationConfig:
    import pulumi
    from pulumi.runtime import config as runtime_config

    raw: dict[str, Any] = dict(runtime_config.get_config_env())
    raw.update(runtime_config.CONFIG.get())
    return load_config(raw, pulumi.get_stack())
