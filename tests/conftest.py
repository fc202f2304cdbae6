"""The mock-engine harness every test uses.

`declared(stack)` runs the real program (`__main__.py`) for a stack of `stacks/` on
Pulumi's mock engine and returns every resource it declared, with parent, provider,
dependencies, resource options, inputs and the stack outputs. Runs are cached per
stack for the session; `declare_with(values)` runs an edited config.
"""

from __future__ import annotations

import copy
import functools
import os
from typing import Any, Callable

import pytest

from tcenter.core.stackfiles import load_stack_values
from tcenter.plan.engine import ProgramRun, run_program

STACKS = ("dev", "local", "staging", "zurich-prod")
"""Every stack file in stacks/; `local` is dev against a LocalStack emulator."""


@functools.lru_cache(maxsize=None)
def _declared(stack: str) -> ProgramRun:
    return run_program(stack)


@pytest.fixture(scope="session")
def declared() -> Callable[[str], ProgramRun]:
    return _declared


@pytest.fixture(params=STACKS)
def each_stack(request: pytest.FixtureRequest) -> ProgramRun:
    """One run per stack: a test using it runs for every stack of STACKS."""
    return _declared(request.param)


@pytest.fixture
def stack_values() -> Callable[[str], dict[str, Any]]:
    """A deep copy of a stack file's config, to edit and feed to `declare_with`."""
    return lambda stack: copy.deepcopy(load_stack_values(stack))


@pytest.fixture
def declare_with() -> Callable[..., ProgramRun]:
    def run(values: dict[str, Any], stack: str = "dev") -> ProgramRun:
        return run_program(stack, config_values=values)
    return run


@pytest.fixture(scope="session", autouse=True)
def _tcenter_cache_of_this_session(tmp_path_factory):
    """tcenter's cache (plans of git revisions, IAM action lists: tcenter/core/cachedir.py) in a
    folder of this test session, never the user's; subprocesses inherit it."""
    os.environ["TCENTER_CACHE_DIR"] = str(tmp_path_factory.mktemp("tcenter-cache"))
