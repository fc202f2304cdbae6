"""Shared helpers of the rule tests: plans built from cases, the policy pack module."""

from __future__ import annotations

import copy
import functools
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from tcenter.plan.format import FORMAT, VERSION, build_plan

from ..conftest import _declared
from .cases import Case, aws_provider

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"


def plan_of(stack: str, resources: list[dict[str, Any]], outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "project": "transparency-center", "stack": stack,
            "resources": sorted(resources, key=lambda r: r["urn"]), "outputs": outputs or {}}


def case_resources(case: Case, variant: str) -> list[dict[str, Any]]:
    return [aws_provider(case.stack), *case.extra, *getattr(case, variant)]


@functools.lru_cache(maxsize=None)
def _real_plan(stack: str) -> dict[str, Any]:
    return build_plan(_declared(stack))


def real_plan(stack: str) -> dict[str, Any]:
    """The plan of a stack of stacks/ (a deep copy, free to plant violations in)."""
    return copy.deepcopy(_real_plan(stack))


@pytest.fixture(scope="session")
def pack():
    """policy/pack.py, imported the way the Pulumi CLI's policy host would (without serving it)."""
    spec = importlib.util.spec_from_file_location("transparency_center_policy_pack", POLICY_DIR / "pack.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
