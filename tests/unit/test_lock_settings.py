"""Every Object Lock setting of the config model obeys the teardown rule, found from the model.

A lock setting is a field typed `ObjectLockMode` or `ArchiveLockMode` (components/config/base.py);
the settings are discovered by walking `CenterConfig`, so a new lock setting is tested without
editing this file, and one declared with a plain Literal (the defect that let dev accept a
COMPLIANCE release lock) fails `test_every_lock_mode_field_uses_the_validated_type`.
"""

from __future__ import annotations

import copy
import typing
from typing import Any, Iterator

import pytest
from pydantic import BaseModel

from components.config import CenterConfig, ConfigError, load_config
from components.config.base import LOCK_MODE_TYPES, LOCK_MODES, PROJECT, ArchiveLockMode
from tcenter.core.stackfiles import load_stack_values
from tests.conftest import STACKS, _declared

DESTROYABLE_STACKS = ("dev", "local", "staging")


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _is_lock_literal(annotation: Any) -> bool:
    return typing.get_origin(annotation) is typing.Literal and set(typing.get_args(annotation)) == set(LOCK_MODES)


def lock_fields(model: type[BaseModel] = CenterConfig, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(camelCase key path, field info) of every field whose values are Object Lock modes."""
    for name, info in model.model_fields.items():
        key = (*path, info.alias or name)
        if _is_lock_literal(info.annotation):
            yield key, info
        for nested in _models(info.annotation):
            yield from lock_fields(nested, key)


def _is_validated(info: Any) -> str | None:
    for kind in LOCK_MODE_TYPES:
        if list(typing.get_args(kind)[1:]) == list(info.metadata):
            return "archive" if kind is ArchiveLockMode else "object"
    return None


LOCK_SETTINGS = sorted(lock_fields(), key=lambda item: item[0])


def test_the_model_has_the_lock_settings_the_center_uses():
    keys = {".".join(path) for path, _ in LOCK_SETTINGS}
    assert {"audit.archiveLockMode", "dataStores.objectLock.mode", "signing.releaseLock.mode"} <= keys


@pytest.mark.parametrize("path", [p for p, _ in LOCK_SETTINGS], ids=".".join)
def test_every_lock_mode_field_uses_the_validated_type(path):
    info = dict(LOCK_SETTINGS)[path]
    assert _is_validated(info), f"{'.'.join(path)} is a plain Literal: use ObjectLockMode or ArchiveLockMode"


def _with(values: dict[str, Any], path: tuple[str, ...], value: str) -> dict[str, Any]:
    values = copy.deepcopy(values)
    section = f"{PROJECT}:{path[0]}"
    node = values.setdefault(section, {})
    for part in path[1:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    return values


@pytest.mark.parametrize("stack", DESTROYABLE_STACKS)
@pytest.mark.parametrize("path", [p for p, _ in LOCK_SETTINGS], ids=".".join)
def test_destroyable_stacks_refuse_compliance_in_every_lock_setting(stack, path):
    values = load_stack_values(stack)
    section = next(f for n, f in CenterConfig.model_fields.items() if (f.alias or n) == path[0])
    optional = section.default is None  # a section a stack may leave out (intake)
    if optional and f"{PROJECT}:{path[0]}" not in values:
        pytest.skip(f"{stack} declares no {path[0]} section")
    with pytest.raises(ConfigError) as caught:
        load_config(_with(values, path, "COMPLIANCE"), stack)
    keys = [key for key, _ in caught.value.problems]
    assert keys == [f"{PROJECT}:{'.'.join(path)}"]
    assert "destroy" in caught.value.problems[0][1]


@pytest.mark.parametrize("path", [p for p, i in LOCK_SETTINGS if _is_validated(i) == "archive"], ids=".".join)
def test_prod_refuses_a_bypassable_archive(path):
    with pytest.raises(ConfigError) as caught:
        load_config(_with(load_stack_values("zurich-prod"), path, "GOVERNANCE"), "zurich-prod")
    assert [key for key, _ in caught.value.problems] == [f"{PROJECT}:{'.'.join(path)}"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_declared_lock_follows_the_teardown_rule(stack):
    """From the plan: every Object Lock configuration a destroyable stack declares can be bypassed
    by `pulumi destroy`, and its bucket may be emptied; prod's archive is COMPLIANCE."""
    run = _declared(stack)
    locks = run.by_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert locks, "no Object Lock configuration found: the check would be vacuous"
    buckets = {r.inputs.get("bucket"): r for r in run.by_type("aws:s3/bucket:Bucket")}
    for lock in locks:
        mode = lock.inputs["rule"]["defaultRetention"]["mode"]
        bucket = buckets[lock.inputs["bucket"]]
        if stack in DESTROYABLE_STACKS:
            assert mode == "GOVERNANCE", (lock.name, mode)
            assert bucket.inputs.get("forceDestroy") is True, bucket.name
        elif "audit-archive" in lock.name:
            assert mode == "COMPLIANCE", (lock.name, mode)
