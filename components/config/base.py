"""Shared pieces of the config model: strict camelCase models and allow-lists."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal, Mapping, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, ValidationInfo
from pydantic.alias_generators import to_camel

from ..awsfacts import AVAILABILITY_ZONE_IDS, REGION  # noqa: F401 - re-exported for the config sections

PROJECT = "transparency-center"
"""The Pulumi project name, and the namespace of every config key the kit reads."""

Environment = Literal["dev", "staging", "prod"]
Problem = tuple[str, str]
"""(the config key, what is wrong and what is allowed): one line of a config error."""
Model = TypeVar("Model", bound=BaseModel)


def decode_value(value: Any) -> Any:
    """Pulumi hands structured config to programs as JSON text; plain values as strings."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def problem_message(detail: Mapping[str, Any]) -> str:
    """One pydantic error as a reader wants it: no "Value error," prefix, an unknown key named as such."""
    if detail["type"] == "extra_forbidden":
        return "unknown key; remove it or check its spelling"
    return str(detail["msg"]).removeprefix("Value error, ")


def validate_project_config(raw: Mapping[str, Any], project: str, model: type[Model]) -> tuple[Model | None, list[Problem]]:
    """A Pulumi project's raw config map (`namespace:key` -> value) as MODEL: every key of
    PROJECT's namespace, `aws:*` left to the provider, any other namespace a problem. Returns the
    model, or None with every problem found (keys as `project:camelCase.path`)."""
    data: dict[str, Any] = {}
    problems: list[Problem] = []
    for key in sorted(raw):
        namespace, _, name = key.partition(":")
        if namespace == project:
            data[name] = decode_value(raw[key])
        elif namespace != "aws":
            problems.append((key, f"unknown key; this project reads only {project}:* keys"))
    if problems:
        return None, problems
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        return None, [(f"{project}:{'.'.join(str(p) for p in detail['loc'])}", problem_message(detail))
                      for detail in error.errors(include_url=False)]


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
