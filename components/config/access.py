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
    deploy_role: str | None = Field(
        default=None,
        description="The IAM role ARN that runs `pulumi up` (the deploy workflow's role): one of keyAdministrators "
                    "(KMS's lockout check), and the only principal that may pass the center's roles, launch into its "
                    "subnets and rewrite its resource policies (organization SCPs). Required in prod; elsewhere the "
                    "single key administrator.",
    )
    data_deletion_role: str | None = Field(
        default=None,
        description="The IAM role ARN that carries out customer deletion requests: it may delete (never read) "
                    "customer data and bypass GOVERNANCE retention. Unset: nobody may.",
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
        for key in ("deploy_role", "data_deletion_role"):
            arn = getattr(self, key)
            if arn is None:
                continue
            label = "deployRole" if key == "deploy_role" else "dataDeletionRole"
            match = ROLE_ARN.match(arn)
            if match is None:
                raise ValueError(f"{label} {arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>); "
                                 "wildcards are never allowed")
            if match.group(1) != self.account_id:
                raise ValueError(f"{label} {arn} is not in the stack's account {self.account_id}")
        if self.deploy_role is not None and self.deploy_role not in self.key_administrators:
            raise ValueError(f"deployRole {self.deploy_role} is not one of keyAdministrators: KMS refuses a key policy "
                             "that the deploying role could not change later (PutKeyPolicy lockout check)")
        if self.deploy_role is None and len(self.key_administrators) > 1:
            raise ValueError("several keyAdministrators: name the one that deploys as deployRole "
                             "(prod always names it)")
        if self.data_deletion_role is not None and self.data_deletion_role in (
                *self.key_administrators, self.break_glass_role, self.deploy_role):
            raise ValueError(f"dataDeletionRole {self.data_deletion_role} is also a key administrator, the deploy role "
                             "or the break-glass role; use a role that does nothing but deletion requests")
        return self

    @property
    def deployer(self) -> str:
        """The role that deploys: deployRole, or the single key administrator."""
        return self.deploy_role or self.key_administrators[0]

    def account_root(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"
