"""Plans of the real program for the review tool's tests (one mock-engine run per stack)."""

from __future__ import annotations

import copy
import functools
import json
from typing import Any, Callable

import pytest

from tcenter.plan.format import build_plan, dumps


@pytest.fixture(scope="session")
def plan_of(declared) -> Callable[[str], dict[str, Any]]:
    """A fresh deep copy of a stack's plan, safe to edit (plant a change, delete a store)."""
    @functools.lru_cache(maxsize=None)
    def text(stack: str) -> str:
        return dumps(build_plan(declared(stack)))

    return lambda stack: json.loads(text(stack))


def find(plan: dict[str, Any], type_: str, predicate=lambda r: True) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == type_ and predicate(r)]


def edited(plan: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(plan)
