"""signing.minAgreeingBuilders: at least two distinct builder identities, in every stack; the
value reaches each signer host's sign-release config."""

from __future__ import annotations

import copy
import json

import pytest

from tests.helpers import expect_refused, problem_keys

NS = "transparency-center"


@pytest.mark.parametrize("stack", ["dev", "zurich-prod"])
@pytest.mark.parametrize("value", [0, 1, 9, "two"])
def test_fewer_than_two_agreeing_builders_is_refused(declare_with, stack_values, stack, value):
    values = copy.deepcopy(stack_values(stack))
    values[f"{NS}:signing"]["minAgreeingBuilders"] = value
    error = expect_refused(declare_with, values, stack)
    assert problem_keys(error) == [f"{NS}:signing.minAgreeingBuilders"]


def test_the_configured_minimum_reaches_the_signer_config():
    from tests.hosts.roles import render_signer

    for stack in ("dev", "zurich-prod"):
        files = {f.path: f.content for f in render_signer(stack).profile.files}
        config = json.loads(files["/etc/tc-signer/signer.json"])
        assert config["min-builders"] == 2 and config["signing-class"] == "products"


def test_a_pool_smaller_than_the_agreeing_minimum_is_refused():
    """A pool that could never release is a config error naming the pool, not a silent dead end."""
    import copy

    from components.config import ConfigError, load_config
    from tcenter.core.stackfiles import load_stack_values

    values = copy.deepcopy(load_stack_values("dev"))
    values["transparency-center:build"]["pools"][0]["builders"] = 1
    with pytest.raises(ConfigError) as caught:
        load_config(values, "dev")
    pool = values["transparency-center:build"]["pools"][0]["name"]
    assert [key for key, _ in caught.value.problems] == [f"transparency-center:build.pools[{pool}].builders"]
