"""DynamoDB through the center: a gateway endpoint routed for the data zone only, whose
policy (evaluated here) admits this account's principals on the center's tables only."""

from __future__ import annotations

import fnmatch
import json

from moto.iam.policy_validation import IAMPolicyDocumentValidator

PROD = "zurich-prod"


def _endpoint(run):
    (endpoint,) = [e for e in run.by_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["serviceName"].endswith(".dynamodb")]
    return endpoint


def admits(policy: dict, principal_account: str, action: str, resource: str) -> bool:
    for s in policy["Statement"]:
        if s["Effect"] != "Allow" or not any(fnmatch.fnmatchcase(action, a) for a in s["Action"]):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in s["Resource"]):
            continue
        wanted = s.get("Condition", {}).get("StringEquals", {})
        context = {"aws:PrincipalAccount": principal_account, "aws:ResourceAccount": resource.split(":")[4]}
        if all(context.get(k) == v for k, v in wanted.items()):
            return True
    return False


def test_dynamodb_gateway_serves_the_data_zone_and_the_centers_tables_only(declared):
    run = declared(PROD)
    endpoint = _endpoint(run)
    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    zones = {t.outputs["id"]: t.inputs["tags"]["zone"] for t in run.by_type("aws:ec2/routeTable:RouteTable")}
    assert sorted(zones[t] for t in endpoint.inputs["routeTableIds"]) == ["data"]
    policy = json.loads(endpoint.inputs["policy"])
    IAMPolicyDocumentValidator(json.dumps({**policy, "Statement": [
        {k: v for k, v in s.items() if k != "Principal"} for s in policy["Statement"]]})).validate()
    account = endpoint.inputs["policy"] and run.by_type("aws:dynamodb/table:Table")[0].outputs["arn"].split(":")[4]
    for table in run.by_type("aws:dynamodb/table:Table"):
        assert admits(policy, account, "dynamodb:GetItem", table.outputs["arn"]), table.name
        assert not admits(policy, "999999999999", "dynamodb:GetItem", table.outputs["arn"]), "another account's principal"
    elsewhere = "arn:aws:dynamodb:eu-central-2:999999999999:table/tc-zurich-prod-exfil"
    assert not admits(policy, account, "dynamodb:PutItem", elsewhere), "writing to another account's table"
    assert not admits(policy, account, "dynamodb:DeleteTable", run.by_type("aws:dynamodb/table:Table")[0].outputs["arn"])
