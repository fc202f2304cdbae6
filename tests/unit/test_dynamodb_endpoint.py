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


def _table_policy_denies(policy: dict, action: str, resource: str, source_vpce: str | None, principal: str) -> bool:
    """Does a Deny of the table's resource policy apply to `principal`'s request?"""
    from tests.organization.scp_eval import denied_by

    context = {"aws:PrincipalIsAWSService": "false", "aws:PrincipalArn": principal}
    if source_vpce is not None:
        context["aws:SourceVpce"] = source_vpce
    return bool(denied_by(policy, action, resource, context))


def test_table_items_are_reached_only_through_the_centers_endpoint(declared):
    run = declared(PROD)
    endpoint_id = _endpoint(run).id
    tables = {t.outputs["arn"]: t for t in run.by_type("aws:dynamodb/table:Table")}
    policies_by_table = {p.inputs["resourceArn"]: json.loads(p.inputs["policy"])
                         for p in run.by_type("aws:dynamodb/resourcePolicy:ResourcePolicy")}
    assert tables and set(policies_by_table) == set(tables)
    roles = {r.outputs["name"]: r.outputs["arn"] for r in run.by_type("aws:iam/role:Role")}
    deployer = run.outputs["deployRoleArn"] if "deployRoleArn" in run.outputs else None
    for arn, policy in policies_by_table.items():
        IAMPolicyDocumentValidator(json.dumps(policy)).validate()
        region = tables[arn].inputs["tags"]["customer-region"]
        reader = next(a for n, a in roles.items() if n.endswith(f"data-{region}-analyze"))
        writer = next(a for n, a in roles.items() if n.endswith(f"data-{region}-ingest"))
        reads = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PartiQLSelect")
        if tables[arn].inputs["tags"].get("purpose") == "intake":
            # The intake table (issue 27): its broker puts and updates items; nobody reads one, not even
            # through the endpoint (the broker's conditional put answers "already have it").
            broker = next(a for n, a in roles.items() if n.endswith(f"intake-broker-{region}"))
            pairs = (("dynamodb:PutItem", broker), ("dynamodb:UpdateItem", broker))
            for action in reads:
                assert _table_policy_denies(policy, action, arn, endpoint_id, reader), (arn, action)
                assert _table_policy_denies(policy, action, arn, endpoint_id, broker), (arn, action)
        else:
            pairs = (*((action, reader) for action in reads), ("dynamodb:PutItem", writer))
        for action, who in pairs:
            assert _table_policy_denies(policy, action, arn, "vpce-0elsewhere", who), (arn, action)
            assert _table_policy_denies(policy, action, arn, None, who), (arn, action)
            assert not _table_policy_denies(policy, action, arn, endpoint_id, who), (arn, action)
        # Table management (the deploy role, from outside the VPC) is not the endpoint guard's business.
        if deployer:
            assert not _table_policy_denies(policy, "dynamodb:DescribeTable", arn, None, deployer)


def test_only_the_data_zone_nacl_lets_dynamodb_traffic_out(declared):
    run = declared(PROD)
    dynamodb_cidrs = set(_endpoint(run).outputs["cidrBlocks"])
    (s3_endpoint,) = [e for e in run.by_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["serviceName"].endswith(".s3")
                      and e.inputs["tags"]["zone"] == "endpoints"]  # not the analysis cells' own gateway
    assert dynamodb_cidrs and not dynamodb_cidrs & set(s3_endpoint.outputs["cidrBlocks"])
    for nacl in run.by_type("aws:ec2/networkAcl:NetworkAcl"):
        out = {e["cidrBlock"] for e in nacl.inputs["egress"] if e["fromPort"] <= 443 <= e["toPort"]}
        if nacl.inputs["tags"]["zone"] == "data":
            assert dynamodb_cidrs <= out, "data-zone hosts cannot reach DynamoDB"
        else:
            assert not dynamodb_cidrs & out, nacl.inputs["tags"]["zone"]
