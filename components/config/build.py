"""`transparency-center:build`: the build pools of the software assembly line."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from .base import Slug, StrictModel, is_prod, unique_names

AMI_ID = re.compile(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$")

BUILD_INSTANCE_TYPES = (
    "t3.medium", "t3.large",
    "m6i.large", "m6i.xlarge", "m6i.2xlarge",
    "c6i.large", "c6i.xlarge", "c6i.2xlarge", "c6i.4xlarge",
    "r6i.large", "r6i.xlarge",
)
"""Nitro instance types offered in eu-central-2 that hosts of the center may use."""


def check_instance_type(value: str) -> str:
    if value not in BUILD_INSTANCE_TYPES:
        raise ValueError(f"{value!r} is not an allowed instance type; allowed: {list(BUILD_INSTANCE_TYPES)}")
    return value


def check_ami(value: str) -> str:
    if not AMI_ID.match(value):
        raise ValueError(f"{value!r} is not an AMI id (ami- and 8 or 17 hex digits); pin an image, never 'latest'")
    return value


DEBIAN_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
DEBIAN_VERSION = re.compile(r"^[0-9][A-Za-z0-9.+~:-]*$")
UNIX_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,30}$")


def check_toolchain(value: dict[str, str]) -> dict[str, str]:
    """Pins are written into the provisioning script: only Debian package names and versions pass."""
    for package, version in value.items():
        if not DEBIAN_PACKAGE.match(package):
            raise ValueError(f"{package!r} is not a Debian package name")
        if not DEBIAN_VERSION.match(str(version)):
            raise ValueError(f"{package}: {version!r} is not an exact Debian version (e.g. 12.2.0-14+deb12u1); "
                             "pin every toolchain package, no ranges or wildcards")
    return dict(sorted(value.items()))


InstanceType = Annotated[str, AfterValidator(check_instance_type)]
AmiId = Annotated[str, AfterValidator(check_ami)]
BuildPurpose = Literal["products", "av-databases"]


class BuildPoolConfig(StrictModel):
    name: Slug
    purpose: BuildPurpose
    builders: int = Field(ge=1, le=8, description="Independent builders; their outputs must match before signing.")
    instance_type: InstanceType = "c6i.xlarge"
    root_volume_gib: int = Field(default=100, ge=20, le=2000)

    @field_validator("builders")
    @classmethod
    def _two_in_prod(cls, value: int, info: ValidationInfo) -> int:
        if is_prod(info) and value < 2:
            raise ValueError(f"prod needs at least 2 independent builders per pool (reproducible builds are compared); got {value}")
        return value


class BuildConfig(StrictModel):
    ami_id: AmiId = Field(description="The pinned builder image (Debian 12).")
    pools: list[BuildPoolConfig] = Field(min_length=1)
    source_date_epoch: int = Field(ge=315532800, description="SOURCE_DATE_EPOCH for reproducible builds.")
    toolchain: Annotated[dict[str, str], AfterValidator(check_toolchain)] = Field(
        default_factory=dict, description="Debian packages pinned to exact versions on every builder."
    )
    build_user: str = Field(default="build", description="The locked, sudo-less user the build agent runs as.")
    artifact_noncurrent_days: int = Field(
        default=365, ge=1, le=3650, description="How long overwritten artifact versions are kept."
    )
    source_mirror_writer: str | None = Field(
        default=None,
        description="The IAM role ARN (of the stack's account) that uploads reviewed source archives to the mirror, "
                    "from outside the center (the vendor's repository sync). The only principal that may write there; "
                    "unset: nobody may.",
    )

    @field_validator("source_mirror_writer")
    @classmethod
    def _mirror_writer(cls, value: str | None) -> str | None:
        from .access import ROLE_ARN

        if value is not None and not ROLE_ARN.match(value):
            raise ValueError(f"{value!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>); "
                             "wildcards are never allowed")
        return value

    @field_validator("build_user")
    @classmethod
    def _build_user(cls, value: str) -> str:
        if not UNIX_USER.match(value) or value in {"root", "admin", "ssm-user"}:
            raise ValueError(f"{value!r} is not a plain unprivileged Unix user name")
        return value

    @field_validator("pools")
    @classmethod
    def _pools(cls, pools: list[BuildPoolConfig]) -> list[BuildPoolConfig]:
        unique_names(pools, "build pool")
        missing = sorted({"products", "av-databases"} - {pool.purpose for pool in pools})
        if missing:
            raise ValueError(f"the center builds products and AV databases; no pool has purpose {missing}")
        return sorted(pools, key=lambda pool: pool.name)
