"""The attacker of issue 29: an administrator of the center's own account, not in the plan.

It reads the plan's documents and the organization's SCPs and uses whatever an IAM policy of
`Action: *` on `Resource: *` (AdministratorAccess) lets it do. The fixtures give the real
zurich-prod plan, the real zurich-org plan and that attacker, planted into a copy of the plan
as a role the program never declares, so that the kit's access evaluation judges it like any
other principal.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tcenter.plan.format import plan_stack
from tests.organization.scp_eval import denied_by

PROD = "zurich-prod"
ORG = "zurich-org"
ORG_PROJECT = Path(__file__).resolve().parents[2] / "organization"
ATTACKER_NAME = "AnyAdmin"


def prod_account(plan: dict[str, Any]) -> str:
    providers = [r for r in plan["resources"] if r["type"] == "pulumi:providers:aws"]
    accounts = {a for p in providers for a in json.loads(p["inputs"]["allowedAccountIds"])}
    (account,) = accounts
    return account


def attacker_arn(plan: dict[str, Any]) -> str:
    return f"arn:aws:iam::{prod_account(plan)}:role/{ATTACKER_NAME}"


def plant(plan: dict[str, Any], type_: str, name: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None) -> None:
    plan["resources"].append({
        "urn": f"urn:pulumi:{PROD}::transparency-center::{type_}::{name}", "type": type_, "name": name,
        "custom": True, "parent": "", "provider": "", "dependencies": [], "propertyDependencies": {},
        "options": {}, "inputs": inputs, "outputs": outputs or {},
    })


def with_attacker(plan: dict[str, Any]) -> dict[str, Any]:
    """A copy of the plan plus an administrator role the plan never declares."""
    planted = copy.deepcopy(plan)
    account = prod_account(plan)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]}
    plant(planted, "aws:iam/role:Role", ATTACKER_NAME, {"name": ATTACKER_NAME, "assumeRolePolicy": json.dumps(trust)},
          {"arn": attacker_arn(plan)})
    admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    plant(planted, "aws:iam/rolePolicy:RolePolicy", f"{ATTACKER_NAME}-administrator-access",
          {"name": "AdministratorAccess", "role": ATTACKER_NAME, "policy": json.dumps(admin)})
    return planted


@pytest.fixture(scope="session")
def prod(declared) -> dict[str, Any]:
    """The real zurich-prod plan (a copy: tests plant things into their own copies)."""
    from tcenter.plan.format import build_plan, dumps

    return json.loads(dumps(build_plan(declared(PROD))))


@pytest.fixture(scope="session")
def org_plan() -> dict[str, Any]:
    return plan_stack(ORG, project_dir=ORG_PROJECT)


@pytest.fixture(scope="session")
def attacker_access(prod) -> dict[str, Any]:
    """What the planted administrator can do to each asset, by the kit's access evaluation."""
    from tcenter.analysis.access import effective_access

    result = effective_access(with_attacker(prod))
    (entry,) = [v for k, v in result["principals"].items() if k == attacker_arn(prod)]
    return {"assets": result["assets"], "access": entry["access"], "all": result}


def scps(org_plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(r["inputs"]["content"]) for r in org_plan["resources"]
            if r["type"] == "aws:organizations/policy:Policy" and r["inputs"]["type"] == "SERVICE_CONTROL_POLICY"]


def scp_denials(org_plan: dict[str, Any], action: str, resource: str, context: dict[str, Any]) -> list[str]:
    """Every SCP statement of the organization plan that denies the request (they all bind the
    center account: attached to its OU or to the account itself)."""
    return [sid for doc in scps(org_plan) for sid in denied_by(doc, action, resource, context)]


def request(principal: str, **extra: Any) -> dict[str, Any]:
    return {"aws:PrincipalArn": principal, "aws:PrincipalAccount": principal.split(":")[4],
            "aws:RequestedRegion": "eu-central-2", "aws:PrincipalIsAWSService": "false", **extra}
