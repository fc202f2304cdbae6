"""Shared pieces of the config model: strict camelCase models and allow-lists."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo
from pydantic.alias_generators import to_camel

from ..awsfacts import AVAILABILITY_ZONE_IDS, REGION  # noqa: F401 - re-exported for the config sections

PROJECT = "transparency-center"
"""The Pulumi project name, and the namespace of every config key the kit reads."""

Environment = Literal["dev", "staging", "prod"]


class StrictModel(BaseModel):
    """Every stack config section: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=False,
        validate_default=True,
    )


def environment_of(info: ValidationInfo) -> Environment:
    """The stack's environment, handed to every section validator through the context."""
    context = info.context or {}
    return context.get("environment", "prod")


def is_prod(info: ValidationInfo) -> bool:
    return environment_of(info) == "prod"


SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")


def check_slug(value: str) -> str:
    if not SLUG_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a name of 3-32 lowercase letters, digits and dashes")
    return value


Slug = Annotated[str, AfterValidator(check_slug)]
"""A name that becomes part of resource names: lowercase, digits, dashes."""


def unique_names(items: list, what: str) -> None:
    names = [item.name for item in items]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{what} names must be unique; repeated: {repeated}")


# --- Object Lock modes -----------------------------------------------------------------------

LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")


def _lock_mode_checker(archive: bool):
    def check(value: str, info: ValidationInfo) -> str:
        from ..teardown import object_lock_problem

        problem = object_lock_problem(environment_of(info), value, archive=archive)
        if problem is not None:
            raise ValueError(problem)
        return value
    return check


ObjectLockMode = Annotated[Literal["GOVERNANCE", "COMPLIANCE"], AfterValidator(_lock_mode_checker(archive=False))]
"""Every Object Lock setting of the config model: the teardown rule decides which modes the
stack's environment may use (COMPLIANCE never where `pulumi destroy` must be able to empty
the bucket). Using this type is what makes a setting a lock setting (tests find them by it)."""

ArchiveLockMode = Annotated[Literal["GOVERNANCE", "COMPLIANCE"], AfterValidator(_lock_mode_checker(archive=True))]
"""The audit archive's lock: as ObjectLockMode, and COMPLIANCE in prod."""

LOCK_MODE_TYPES = (ObjectLockMode, ArchiveLockMode)
