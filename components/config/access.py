"""`transparency-center:access`: the one AWS account a stack may touch, and who administers keys."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from .base import StrictModel

ACCOUNT_ID = re.compile(r"^\d{12}$")
ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")


class AccessConfig(StrictModel):
    account_id: str = Field(description="The AWS account; the provider refuses credentials of any other.")
    key_administrators: list[str] = Field(
        min_length=1,
        description="IAM role ARNs that administer (never use) the center's KMS keys; include the deploying role.",
    )

    break_glass_role: str | None = Field(
        default=None,
        description="The one IAM role ARN that may disable or schedule deletion of a prod key; "
                    "not a key administrator. Unset: nobody may (keys outlive the stack).",
    )

    @field_validator("account_id", mode="before")
    @classmethod
    def _account(cls, value: object) -> str:
        text = str(value)
        if not ACCOUNT_ID.match(text):
            raise ValueError(f"{value!r} is not a 12-digit AWS account id (quote it in YAML to keep leading zeros)")
        return text

    @field_validator("key_administrators")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not ROLE_ARN.match(arn):
                raise ValueError(f"{arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>); wildcards are never allowed")
        if len(set(value)) != len(value):
            raise ValueError("a key administrator is listed twice")
        return sorted(value)

    @model_validator(mode="after")
    def _same_account(self) -> "AccessConfig":
        for arn in self.key_administrators:
            account = ROLE_ARN.match(arn).group(1)  # type: ignore[union-attr]
            if account != self.account_id:
                raise ValueError(f"key administrator {arn} is in account {account}, not the stack's account {self.account_id}")
        if self.break_glass_role is not None:
            match = ROLE_ARN.match(self.break_glass_role)
            if match is None:
                raise ValueError(f"breakGlassRole {self.break_glass_role!r} is not an IAM role ARN "
                                 "(arn:aws:iam::<account>:role/<name>); wildcards are never allowed")
            if match.group(1) != self.account_id:
                raise ValueError(f"breakGlassRole {self.break_glass_role} is not in the stack's account {self.account_id}")
            if self.break_glass_role in self.key_administrators:
                raise ValueError(f"breakGlassRole {self.break_glass_role} is also a key administrator; "
                                 "use a separate role so administering a key never includes destroying it")
        return self

    def account_root(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"
