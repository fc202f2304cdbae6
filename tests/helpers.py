"""Small assertions shared by the test modules."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from components.config import ConfigError


def expect_refused(declare_with: Callable[..., Any], values: dict[str, Any], stack: str = "dev") -> ConfigError:
    """Run the program on `values`: it must fail with a ConfigError before declaring anything."""
    with pytest.raises(ConfigError) as caught:
        declare_with(values, stack)
    assert caught.value.declared_before_failure == [], "a refused config must declare nothing"
    return caught.value


def problem_keys(error: ConfigError) -> list[str]:
    """The config keys a ConfigError names, in order."""
    return [key for key, _ in error.problems]
