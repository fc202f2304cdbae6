"""Config of issue 29 (the center's owner): the deploy role, the data-deletion role, the source
mirror's writer, and reviewer organizations in their own accounts. Each bad value is refused
before anything is declared, with a one-line message naming its key."""

from __future__ import annotations

import pytest

from tests.helpers import expect_refused, problem_keys

NS = "transparency-center"
PROD = "zurich-prod"


def test_prod_names_its_deploy_role(declare_with, stack_values):
    values = stack_values(PROD)
    del values[f"{NS}:access"]["deployRole"]
    error = expect_refused(declare_with, values, PROD)
    assert problem_keys(error) == [f"{NS}:access"] and "deployRole" in str(error)
    values[f"{NS}:access"]["keyAdministrators"] = ["arn:aws:iam::333333333333:role/tc-deployer"]
    error = expect_refused(declare_with, values, PROD)  # one administrator: still named in prod
    assert problem_keys(error) == [f"{NS}:access.deployRole"]


def test_the_deploy_role_is_a_key_administrator(declare_with, stack_values):
    """KMS's PutKeyPolicy lockout check: the deploying role must be able to put the next policy."""
    values = stack_values(PROD)
    values[f"{NS}:access"]["deployRole"] = "arn:aws:iam::333333333333:role/somebody-else"
    error = expect_refused(declare_with, values, PROD)
    assert problem_keys(error) == [f"{NS}:access"]
    assert "lockout" in str(error)


def test_several_key_administrators_outside_prod_need_a_named_deployer(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:access"]["keyAdministrators"].append("arn:aws:iam::111111111111:role/another-admin")
    error = expect_refused(declare_with, values)
    assert "deployRole" in str(error)


@pytest.mark.parametrize("role", ["arn:aws:iam::333333333333:role/tc-platform-admin",
                                  "arn:aws:iam::333333333333:role/tc-break-glass",
                                  "arn:aws:iam::999999999999:role/tc-data-deletion", "tc-data-deletion"])
def test_the_data_deletion_role_is_its_own_role_of_the_account(declare_with, stack_values, role):
    values = stack_values(PROD)
    values[f"{NS}:access"]["dataDeletionRole"] = role
    error = expect_refused(declare_with, values, PROD)
    assert problem_keys(error) == [f"{NS}:access"]


@pytest.mark.parametrize("writer", ["*", "arn:aws:iam::999999999999:role/mirror"])
def test_the_source_mirror_writer_is_a_role_of_the_account(declare_with, stack_values, writer):
    values = stack_values(PROD)
    values[f"{NS}:build"]["sourceMirrorWriter"] = writer
    error = expect_refused(declare_with, values, PROD)
    assert problem_keys(error) == [f"{NS}:build.sourceMirrorWriter"]


def test_prod_reviewers_sign_in_from_their_own_accounts(declare_with, stack_values):
    values = stack_values(PROD)
    org = values[f"{NS}:reviewers"]["organizations"][0]
    del org["accountId"]
    org["trustedPrincipals"] = ["arn:aws:iam::333333333333:role/aws-reserved/sso.amazonaws.com/x"]
    error = expect_refused(declare_with, values, PROD)
    assert problem_keys(error) == [f"{NS}:reviewers.organizations[{org['name']}].accountId"]


def test_a_reviewer_account_is_not_the_centers(declare_with, stack_values):
    values = stack_values(PROD)
    org = values[f"{NS}:reviewers"]["organizations"][0]
    org["accountId"] = "333333333333"
    error = expect_refused(declare_with, values, PROD)
    assert problem_keys(error) == [f"{NS}:reviewers.organizations[{org['name']}].accountId"]
    assert "owner" in str(error)


def test_two_organizations_never_share_an_account(declare_with, stack_values):
    values = stack_values(PROD)
    orgs = values[f"{NS}:reviewers"]["organizations"]
    orgs[1]["accountId"] = orgs[0]["accountId"]
    error = expect_refused(declare_with, values, PROD)
    assert problem_keys(error) == [f"{NS}:reviewers.organizations"]


def test_trusted_principals_narrow_to_roles_of_the_organizations_own_account(declare_with, stack_values):
    values = stack_values(PROD)
    org = values[f"{NS}:reviewers"]["organizations"][0]
    org["trustedPrincipals"] = ["arn:aws:iam::333333333333:role/reviewers"]
    error = expect_refused(declare_with, values, PROD)
    assert problem_keys(error)[0].startswith(f"{NS}:reviewers.organizations")
    ok = stack_values(PROD)
    account = ok[f"{NS}:reviewers"]["organizations"][0]["accountId"]
    ok[f"{NS}:reviewers"]["organizations"][0]["trustedPrincipals"] = [f"arn:aws:iam::{account}:role/reviewers"]
    run = declare_with(ok, PROD)
    assert run.resources


def test_at_most_four_organizations_receive_evidence_trails(declare_with, stack_values):
    """CloudTrail: 5 trails per region and account, the center's own and one per organization."""
    values = stack_values(PROD)
    orgs = values[f"{NS}:reviewers"]["organizations"]
    for n in range(3):
        orgs.append({**orgs[1], "name": f"extra-{n}", "accountId": f"77777777777{n}", "cidr": f"10.42.{160 + 16 * n}.0/20",
                     "contact": f"x{n}@example.org"})
    error = expect_refused(declare_with, values, PROD)
    assert f"{NS}:reviewers.organizations" in problem_keys(error)
