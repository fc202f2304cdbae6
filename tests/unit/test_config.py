"""The config model: every stack validates; each kind of bad input fails before any
resource is declared, with a message that names the key and what is allowed."""

from __future__ import annotations

import pytest

from components.config import load_config
from tcenter.plan.engine import to_pulumi_config
from tests.helpers import expect_refused, problem_keys

NS = "transparency-center"






@pytest.mark.parametrize("stack", ["dev", "staging", "zurich-prod"])
def test_every_stack_file_is_valid(stack_values, stack):
    config = load_config(to_pulumi_config(stack_values(stack))[0], stack)
    assert config.region == "eu-central-2"


def test_unknown_top_level_key_is_rejected(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:netwrk"] = {"supernet": "10.0.0.0/16"}
    error = expect_refused(declare_with, values)
    assert problem_keys(error) == [f"{NS}:netwrk"]
    assert f"{NS}:network" in str(error)  # says which keys exist


def test_unknown_nested_key_is_rejected(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:network"]["flowLogRetentionDay"] = 30
    error = expect_refused(declare_with, values)
    assert f"{NS}:network.flowLogRetentionDay" in problem_keys(error)


def test_wrong_type_names_key_and_value(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:network"]["flowLogRetentionDays"] = "a month"
    error = expect_refused(declare_with, values)
    assert problem_keys(error) == [f"{NS}:network.flowLogRetentionDays"]
    assert "a month" in str(error)


@pytest.mark.parametrize("region", ["eu-central-1", "us-east-1", "eu-west-2"])
def test_region_other_than_zurich_is_rejected_with_the_reason(declare_with, stack_values, region):
    values = stack_values("dev")
    values["aws:region"] = region
    error = expect_refused(declare_with, values)
    assert problem_keys(error) == ["aws:region"]
    assert "residency" in str(error) and region in str(error)


def test_overlapping_reviewer_cidr_is_rejected(declare_with, stack_values):
    values = stack_values("zurich-prod")
    orgs = values[f"{NS}:reviewers"]["organizations"]
    orgs[1]["cidr"] = "10.42.16.0/20"  # the build zone's slot
    error = expect_refused(declare_with, values, "zurich-prod")
    key = f"{NS}:reviewers.organizations[{orgs[1]['name']}].cidr"
    assert key in problem_keys(error)
    assert "overlaps" in str(error)


def test_cidr_outside_supernet_is_rejected(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:network"]["zoneCidrs"] = {"build": "10.99.0.0/20"}
    error = expect_refused(declare_with, values)
    assert f"{NS}:network.zoneCidrs.build" in problem_keys(error)
    assert "not inside the supernet" in str(error)


def test_public_supernet_is_rejected(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:network"]["supernet"] = "8.8.0.0/16"
    error = expect_refused(declare_with, values)
    assert problem_keys(error) == [f"{NS}:network.supernet"]


def test_prod_needs_two_availability_zones(declare_with, stack_values):
    values = stack_values("zurich-prod")
    values[f"{NS}:network"]["availabilityZones"] = ["euc2-az1"]
    values[f"{NS}:signing"]["cloudhsm"]["hsms"] = 2
    error = expect_refused(declare_with, values, "zurich-prod")
    assert f"{NS}:network.availabilityZones" in problem_keys(error)
    assert "at least 2" in str(error)


def test_unknown_availability_zone_is_rejected(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:network"]["availabilityZones"] = ["euc1-az1"]
    error = expect_refused(declare_with, values)
    assert "euc2-az1" in str(error)  # lists what is allowed


def test_prod_log_retention_below_a_year_is_rejected(declare_with, stack_values):
    values = stack_values("zurich-prod")
    values[f"{NS}:network"]["flowLogRetentionDays"] = 90
    error = expect_refused(declare_with, values, "zurich-prod")
    assert problem_keys(error) == [f"{NS}:network.flowLogRetentionDays"]
    assert "365" in str(error)


def test_key_administrator_in_another_account_is_rejected(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:access"]["keyAdministrators"] = ["arn:aws:iam::999999999999:role/admin"]
    error = expect_refused(declare_with, values)
    assert f"{NS}:access" in problem_keys(error)[0]


def test_wildcard_key_administrator_is_rejected(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:access"]["keyAdministrators"] = ["*"]
    expect_refused(declare_with, values)


def test_missing_section_is_named(declare_with, stack_values):
    values = stack_values("dev")
    del values[f"{NS}:network"]
    error = expect_refused(declare_with, values)
    assert problem_keys(error) == [f"{NS}:network"]


def test_every_problem_is_reported_at_once(declare_with, stack_values):
    values = stack_values("dev")
    values["aws:region"] = "us-east-1"
    values[f"{NS}:network"]["supernet"] = "10.0.0.0/33"
    error = expect_refused(declare_with, values)
    assert {"aws:region", f"{NS}:network.supernet"} <= set(problem_keys(error))


def test_environment_outside_the_list_is_rejected(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:environment"] = "production"
    error = expect_refused(declare_with, values)
    assert problem_keys(error) == [f"{NS}:environment"]
    assert "'prod'" in str(error)


def test_reordering_config_lists_changes_nothing():
    from components.config import load_config as load
    from tcenter.core.stackfiles import load_stack_values

    values = load_stack_values("zurich-prod")
    reordered = {**values}
    reordered[f"{NS}:network"] = {**values[f"{NS}:network"], "availabilityZones": ["euc2-az3", "euc2-az1", "euc2-az2"]}
    reviewers = values[f"{NS}:reviewers"]
    reordered[f"{NS}:reviewers"] = {**reviewers, "organizations": list(reversed(reviewers["organizations"]))}
    a = load(to_pulumi_config(values)[0], "zurich-prod")
    b = load(to_pulumi_config(reordered)[0], "zurich-prod")
    assert a == b


def test_reviewer_trusted_principal_of_another_account_is_rejected(declare_with, stack_values):
    values = stack_values("dev")
    org = values[f"{NS}:reviewers"]["organizations"][0]
    org["trustedPrincipals"] = ["arn:aws:iam::999999999999:role/outsider"]
    error = expect_refused(declare_with, values)
    assert problem_keys(error) == [f"{NS}:reviewers.organizations[{org['name']}].trustedPrincipals"]
    assert "999999999999" in str(error)
