"""The sample intake under the owner's powers (issues 27 and 29): the brokers are roles the plan
declares and the config names, handed to Lambda by the deploy role only; nobody else replaces
a broker's code, invokes it with a made-up event (skipping mutual TLS) or reopens the API; a
broker only has S3 generate data keys with its store's key and never decrypts. Judged over the
real zurich-prod and zurich-org plans with the SCP evaluator and the kit's access evaluation."""

from __future__ import annotations

import json

import pytest

from tests.review.conftest import find

from .conftest import attacker_arn, prod_account, request, scp_denials
from .test_ways_out import role_arns, stack_config

LAMBDA = {"iam:PassedToService": "lambda.amazonaws.com"}


@pytest.fixture(scope="module")
def principals(prod):
    from components.principals import center_principals

    return center_principals(stack_config(prod))


def _others(prod, principals) -> list[str]:
    """Principals that are not the deploy role: the planted administrator, break-glass, the key
    administrators who are not the deployer, and roles of the center itself."""
    return sorted({attacker_arn(prod), principals.break_glass, *principals.key_administrators,
                   principals.ingest["europe"], principals.rule_publisher, principals.intake_brokers["europe"]}
                  - {principals.deployer})


def test_the_brokers_are_the_function_roles_the_config_names(prod, principals):
    brokers = role_arns(prod, "-intake-broker-")
    assert len(brokers) == 6 and list(principals.function_roles()) == brokers
    for role in find(prod, "aws:iam/role:Role", lambda r: "-intake-broker-" in r["inputs"]["name"]):
        trust = json.loads(role["inputs"]["assumeRolePolicy"])
        assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "lambda.amazonaws.com"}]


def test_only_the_deployer_passes_a_broker_role_to_lambda(prod, org_plan, principals):
    for broker in principals.function_roles():
        assert scp_denials(org_plan, "iam:PassRole", broker, request(principals.deployer, **LAMBDA)) == [], broker
        for who in _others(prod, principals):
            assert scp_denials(org_plan, "iam:PassRole", broker, request(who, **LAMBDA)), (who, broker)
            assert scp_denials(org_plan, "iam:PassRole", broker, request(who, **{"iam:PassedToService": "ec2.amazonaws.com"}))


@pytest.mark.parametrize("action", ["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
                                    "lambda:AddPermission", "lambda:DeleteFunction", "lambda:CreateFunction"])
def test_only_the_deployer_changes_a_broker(prod, org_plan, principals, action):
    account = prod_account(prod)
    for function in find(prod, "aws:lambda/function:Function"):
        arn = f"arn:aws:lambda:eu-central-2:{account}:function:{function['inputs']['name']}"
        assert scp_denials(org_plan, action, arn, request(principals.deployer)) == [], (action, arn)
        for who in _others(prod, principals):
            assert scp_denials(org_plan, action, arn, request(who)), (who, action, arn)


def test_nobody_but_break_glass_invokes_a_broker_by_hand(prod, org_plan, principals):
    account = prod_account(prod)
    for function in find(prod, "aws:lambda/function:Function"):
        arn = f"arn:aws:lambda:eu-central-2:{account}:function:{function['inputs']['name']}"
        for who in {principals.deployer, *_others(prod, principals)} - {principals.break_glass}:
            assert scp_denials(org_plan, "lambda:InvokeFunction", arn, request(who)), (who, arn)
        assert scp_denials(org_plan, "lambda:InvokeFunction", arn, request(principals.break_glass)) == []


@pytest.mark.parametrize("resource", ["/restapis/a1b2c3d4e5", "/restapis/a1b2c3d4e5/stages/v1",
                                      "/domainnames/intake.zurich-prod.transparency-center.example", "/account"])
def test_only_the_deployer_reopens_or_reconfigures_the_intake_api(prod, org_plan, principals, resource):
    arn = f"arn:aws:apigateway:eu-central-2::{resource}"
    for action in ("apigateway:PATCH", "apigateway:DELETE", "apigateway:PUT", "apigateway:POST"):
        assert scp_denials(org_plan, action, arn, request(principals.deployer)) == []
        assert scp_denials(org_plan, action, arn, request(attacker_arn(prod))), (action, arn)
    assert scp_denials(org_plan, "apigateway:GET", arn, request(attacker_arn(prod))) == []


def test_a_broker_has_s3_generate_data_keys_with_its_store_key_and_never_decrypts(prod, principals):
    """The store key names the broker as an encryptor only (issue 29's named-principal model); the
    access evaluation of the plan agrees: data keys through S3, no Decrypt, on its own store only."""
    from tcenter.analysis.access import NEVER, collect, decide

    principals_, assets, account = collect(prod)
    keys = {a.name: a for a in assets if a.kind == "key" and a.customer_data and "-intake-" not in a.name}
    assert len(keys) == 6
    for region, broker in principals.intake_brokers.items():
        for name, key in keys.items():
            own = f"-data-{region}-" in name
            allowed = decide(principals_[broker], key, "kms:GenerateDataKey", account)
            assert (allowed != NEVER) == own, (region, name)
            if own:
                conditions = " ".join(sorted(c for clause in allowed for c in clause))
                assert "kms:ViaService" in conditions and "kms:EncryptionContext:aws:s3:arn" in conditions, conditions
            for action in ("kms:Decrypt", "kms:ReEncryptFrom", "kms:Encrypt", "kms:CreateGrant",
                           "kms:GenerateDataKeyWithoutPlaintext"):
                assert decide(principals_[broker], key, action, account) == NEVER, (region, name, action)
