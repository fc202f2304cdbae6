"""The `local` stack: the dev shape against LocalStack, validated like every stack, and
refused in prod."""

from __future__ import annotations

import json

import pytest

from components.config import ConfigError, load_config
from tcenter.plan.engine import to_pulumi_config

NS = "transparency-center"
LOCALSTACK = f"{NS}:localstack"


def _providers(run):
    return run.by_type("pulumi:providers:aws")


def test_local_stack_points_every_provider_at_localstack(declared):
    providers = _providers(declared("local"))
    assert providers
    for provider in providers:
        inputs = provider.inputs
        endpoints = json.loads(inputs["endpoints"])[0]
        assert set(endpoints.values()) == {"http://localhost:4566"}
        assert {"ec2", "s3", "kms", "iam", "sts", "ssm", "dynamodb", "cloudtrail"} <= set(endpoints)
        assert inputs["skipCredentialsValidation"] == "true"
        assert inputs["skipRequestingAccountId"] == "true"
        assert inputs["s3UsePathStyle"] == "true"
        assert inputs["region"] == "eu-central-2"  # residency holds locally too


@pytest.mark.parametrize("stack", ["dev", "staging", "zurich-prod"])
def test_real_stacks_talk_to_aws(declared, stack):
    for provider in _providers(declared(stack)):
        assert "endpoints" not in provider.inputs
        assert provider.inputs.get("skipCredentialsValidation") in (None, "false")


def test_localstack_is_refused_in_prod(stack_values):
    values = stack_values("zurich-prod")
    values[LOCALSTACK] = {"endpoint": "http://localhost:4566"}
    with pytest.raises(ConfigError) as caught:
        load_config(to_pulumi_config(values)[0], "zurich-prod")
    [(key, message)] = caught.value.problems
    assert key == LOCALSTACK
    assert "prod" in message


@pytest.mark.parametrize("endpoint", ["localhost:4566", "ftp://localhost:4566", "http://localhost:4566/path", ""])
def test_localstack_endpoint_must_be_a_gateway_url(stack_values, endpoint):
    values = stack_values("local")
    values[LOCALSTACK] = {"endpoint": endpoint}
    with pytest.raises(ConfigError) as caught:
        load_config(to_pulumi_config(values)[0], "local")
    assert [key for key, _ in caught.value.problems] == [f"{LOCALSTACK}.endpoint"]


def test_localstack_section_rejects_unknown_keys(stack_values):
    values = stack_values("local")
    values[LOCALSTACK] = {"endpoint": "http://localhost:4566", "skipChecks": True}
    with pytest.raises(ConfigError) as caught:
        load_config(to_pulumi_config(values)[0], "local")
    assert [key for key, _ in caught.value.problems] == [f"{LOCALSTACK}.skipChecks"]


def test_local_is_dev_with_localstack(stack_values):
    """The local stack differs from dev only in account (LocalStack's default) and the section."""
    config = load_config(to_pulumi_config(stack_values("local"))[0], "local")
    assert config.environment == "dev"
    assert config.localstack is not None and config.localstack.endpoint == "http://localhost:4566"
    assert config.access.account_id == "000000000000"


def test_local_mirrors_dev(stack_values):
    """`local` is dev against an emulator: when a dev section changes, copy it to
    stacks/Pulumi.local.yaml (with account 000000000000), or local stops meaning dev."""
    dev = json.loads(json.dumps(stack_values("dev")).replace(stack_values("dev")[f"{NS}:access"]["accountId"], "000000000000"))
    local = stack_values("local")
    local.pop(LOCALSTACK)
    # LocalStack has no Security Hub, GuardDuty, Access Analyzer or Config: the one other difference.
    assert local.pop(f"{NS}:detective") == {"enabled": False}
    # Nor API Gateway custom domains with mutual TLS: local declares no intake (docs/intake.md), and
    # dev's approvals section exists for the intake's rule sets only (its quorum for plans is 0).
    assert dev.pop(f"{NS}:intake") and dev.pop(f"{NS}:approvals")["quorum"] == 0
    assert local == dev
