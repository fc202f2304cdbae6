"""NetworkZones as declared by each stack: no internet path, zones isolated, endpoints
private, flow logs encrypted; every resource through a pinned Zurich provider."""

from __future__ import annotations

import fnmatch
import json

import pytest

from components.awsfacts import ENDPOINT_ACTIONS_WITHOUT_RESOURCE_ACCOUNT
from components.network import INTERFACE_ENDPOINT_SERVICES

FORBIDDEN_TYPES = {
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
    "aws:ec2/eip:Eip",
    "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment",
    "aws:ec2/vpnGateway:VpnGateway",
    "aws:ec2/transitGatewayVpcAttachment:TransitGatewayVpcAttachment",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
}


def test_no_internet_gateway_nat_or_public_address_anywhere(each_stack):
    found = sorted({r.type for r in each_stack.resources} & FORBIDDEN_TYPES)
    assert found == []
    for r in each_stack.resources:
        assert r.inputs.get("associatePublicIpAddress") in (None, False), r.urn
        assert r.inputs.get("mapPublicIpOnLaunch") in (None, False), r.urn
        for route in r.inputs.get("routes") or []:
            assert route.get("cidrBlock") != "0.0.0.0/0", r.urn
    assert not each_stack.by_type("aws:ec2/route:Route"), "routes are never added outside the kit's route tables"


def test_every_zone_has_a_subnet_per_az_that_never_maps_public_ips(each_stack, declared):
    zones = each_stack.outputs["zoneCidrs"]
    subnets = each_stack.by_type("aws:ec2/subnet:Subnet")
    azs = {s.inputs["availabilityZoneId"] for s in subnets}
    assert len(subnets) == len(zones) * len(azs)
    for subnet in subnets:
        assert subnet.inputs["mapPublicIpOnLaunch"] is False
        assert subnet.inputs["tags"]["zone"] in zones
    assert {"build", "signing", "data", "endpoints"} <= set(zones)


def test_route_tables_have_no_routes_and_only_s3_and_dynamodb_gateways(each_stack):
    tables = each_stack.by_type("aws:ec2/routeTable:RouteTable")
    assert len(tables) == len(each_stack.outputs["zoneCidrs"])
    for table in tables:
        assert not table.inputs.get("routes")
    default = each_stack.by_type("aws:ec2/defaultRouteTable:DefaultRouteTable")
    assert len(default) == 1 and default[0].inputs["routes"] == []
    gateway = [e for e in each_stack.by_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] == "Gateway"]
    assert sorted(g.inputs["serviceName"] for g in gateway if g.inputs["tags"]["zone"] == "endpoints") == [
        "com.amazonaws.eu-central-2.dynamodb", "com.amazonaws.eu-central-2.s3"]
    # the analysis zone (issue 28) has an S3 gateway of its own, on its route table alone
    own = [g for g in gateway if g.inputs["tags"]["zone"] != "endpoints"]
    if "analysis" not in each_stack.outputs["routeTableIds"]:
        assert own == []
        return
    assert [(g.inputs["tags"]["zone"], g.inputs["serviceName"]) for g in own] == [("analysis", "com.amazonaws.eu-central-2.s3")]
    assert own[0].inputs["routeTableIds"] == [each_stack.outputs["routeTableIds"]["analysis"]]
    assert not any(each_stack.outputs["routeTableIds"]["analysis"] in g.inputs["routeTableIds"]
                   for g in gateway if g.inputs["tags"]["zone"] == "endpoints")


def test_default_security_group_and_nacl_allow_nothing(each_stack):
    (sg,) = each_stack.by_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg.inputs["ingress"] == [] and sg.inputs["egress"] == []
    (nacl,) = each_stack.by_type("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl")
    assert nacl.inputs["ingress"] == [] and nacl.inputs["egress"] == []


def test_one_nacl_per_zone_covering_exactly_its_subnets(each_stack):
    subnets_by_zone = each_stack.outputs["subnetIds"]
    nacls = each_stack.by_type("aws:ec2/networkAcl:NetworkAcl")
    assert sorted(n.inputs["tags"]["zone"] for n in nacls) == sorted(subnets_by_zone)
    for nacl in nacls:
        assert sorted(nacl.inputs["subnetIds"]) == sorted(subnets_by_zone[nacl.inputs["tags"]["zone"]])
        for rule in nacl.inputs["ingress"] + nacl.inputs["egress"]:
            assert rule["cidrBlock"] != "0.0.0.0/0"
            assert rule["action"] == "allow" and rule["protocol"] == "tcp"


def test_reviewer_zone_nacls_exclude_data_signing_and_other_zones(each_stack):
    cidrs = each_stack.outputs["zoneCidrs"]
    for nacl in each_stack.by_type("aws:ec2/networkAcl:NetworkAcl"):
        zone = nacl.inputs["tags"]["zone"]
        if not zone.startswith("reviewer-"):
            continue
        allowed = {r["cidrBlock"] for r in nacl.inputs["ingress"] + nacl.inputs["egress"]}
        forbidden = {cidrs[z] for z in cidrs if z not in (zone, "endpoints")}
        assert allowed & forbidden == set(), zone


def test_interface_endpoints_are_private_and_policed(each_stack):
    interface = [e for e in each_stack.by_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] == "Interface"]
    endpoints = [e for e in interface if e.inputs["tags"]["zone"] == "endpoints"]
    services = sorted(e.inputs["serviceName"].rsplit(".", 1)[1] for e in endpoints)
    assert services == sorted(INTERFACE_ENDPOINT_SERVICES)
    # the analysis zone's one interface endpoint (issue 28): SQS, in its own subnets, its job actions only
    for queue_endpoint in [e for e in interface if e.inputs["tags"]["zone"] != "endpoints"]:
        assert (queue_endpoint.inputs["tags"]["zone"], queue_endpoint.inputs["serviceName"]) == (
            "analysis", "com.amazonaws.eu-central-2.sqs")
        assert sorted(queue_endpoint.inputs["subnetIds"]) == sorted(each_stack.outputs["subnetIds"]["analysis"])
        (statement,) = json.loads(queue_endpoint.inputs["policy"])["Statement"]
        assert sorted(statement["Action"]) == ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:ReceiveMessage"]
        queues = [q for q in each_stack.by_type("aws:sqs/queue:Queue")  # the job queues; failed jobs are nobody's
                  if "-failed-jobs-" not in q.inputs["name"]]
        assert queues and sorted(statement["Resource"]) == sorted(  # SQS ARNs: arn:aws:sqs:<region>:<account>:<name>
            f"arn:aws:sqs:eu-central-2:{q.outputs['arn'].split(':')[4]}:{q.inputs['name']}" for q in queues)
        endpoints.append(queue_endpoint)
    (sg,) = [s for s in each_stack.by_type("aws:ec2/securityGroup:SecurityGroup") if s.name.endswith("endpoints-sg")]
    supernet = each_stack.by_type("aws:ec2/vpc:Vpc")[0].inputs["cidrBlock"]
    assert sg.inputs["ingress"] == [{
        "cidrBlocks": [supernet], "description": "HTTPS from the VPC", "fromPort": 443, "protocol": "tcp", "toPort": 443,
    }] or all(rule["fromPort"] == rule["toPort"] == 443 and rule["cidrBlocks"] == [supernet] for rule in sg.inputs["ingress"])
    assert sg.inputs["egress"] == []
    account = each_stack.by_type("pulumi:providers:aws")[0].inputs["allowedAccountIds"]
    account = json.loads(account)[0] if isinstance(account, str) else account[0]
    for endpoint in endpoints:
        assert endpoint.inputs["privateDnsEnabled"] is True
        policy = json.loads(endpoint.inputs["policy"])
        assert policy["Statement"][0]["Condition"] == {"StringEquals": {"aws:PrincipalAccount": account,
                                                                        "aws:ResourceAccount": account}}


FOREIGN = "999999999999"


def _endpoint_admits(policy: dict, action: str, principal_account: str, resource_account: str | None) -> bool:
    """An endpoint policy's decision (Allow statements only; it has no Deny) for one request."""
    context = {"aws:PrincipalAccount": principal_account}
    if resource_account is not None:
        context["aws:ResourceAccount"] = resource_account
    for s in policy["Statement"]:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        if s["Effect"] != "Allow" or not any(fnmatch.fnmatchcase(action, a) for a in actions):
            continue
        if all(context.get(k) == v for k, v in s.get("Condition", {}).get("StringEquals", {}).items()):
            return True
    return False


# A host's request through each endpoint for a resource of another account (a foreign key,
# role, secret or log group): the endpoint refuses it. Actions from IAM's catalogue per service.
FOREIGN_RESOURCE_REQUESTS = {
    "kms": "kms:Decrypt", "sts": "sts:AssumeRole", "secretsmanager": "secretsmanager:GetSecretValue",
    "logs": "logs:PutLogEvents", "ssm": "ssm:GetParameter", "ec2": "ec2:CreateTags",
    "ssmmessages": "ssmmessages:OpenDataChannel", "monitoring": "cloudwatch:PutMetricData",
    "sqs": "sqs:ReceiveMessage",  # the analysis cells' job queue endpoint (issue 28)
}


def test_endpoints_refuse_other_accounts_resources_and_principals(declared):
    run = declared("zurich-prod")
    account = json.loads(run.by_type("pulumi:providers:aws")[0].inputs["allowedAccountIds"])[0]
    endpoints = {e.inputs["serviceName"].rsplit(".", 1)[1]: json.loads(e.inputs["policy"])
                 for e in run.by_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] == "Interface"}
    assert set(endpoints) == set(FOREIGN_RESOURCE_REQUESTS)
    for service, action in FOREIGN_RESOURCE_REQUESTS.items():
        policy = endpoints[service]
        assert _endpoint_admits(policy, action, account, account), service
        assert not _endpoint_admits(policy, action, FOREIGN, account), f"{service}: a foreign principal gets through"
        exempt = service in ENDPOINT_ACTIONS_WITHOUT_RESOURCE_ACCOUNT and any(
            fnmatch.fnmatchcase(action, a) for a in ENDPOINT_ACTIONS_WITHOUT_RESOURCE_ACCOUNT[service][0])
        # Resource-addressed actions: a foreign resource is refused. The documented exceptions
        # carry no resource at all (no aws:ResourceAccount in the request).
        assert _endpoint_admits(policy, action, account, None if exempt else FOREIGN) == exempt, service


def test_flow_logs_go_to_an_encrypted_log_group(each_stack, declared):
    (flow_log,) = each_stack.by_type("aws:ec2/flowLog:FlowLog")
    (vpc,) = each_stack.by_type("aws:ec2/vpc:Vpc")
    assert flow_log.inputs["vpcId"] == vpc.id
    assert flow_log.inputs["trafficType"] == "ALL"
    group = [g for g in each_stack.by_type("aws:cloudwatch/logGroup:LogGroup") if g.name.endswith("flow-logs")][0]
    assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:eu-central-2:")
    if each_stack.stack == "zurich-prod":
        assert group.inputs["retentionInDays"] >= 365


def test_every_aws_resource_uses_a_pinned_zurich_provider(each_stack):
    providers = {p.urn: p for p in each_stack.by_type("pulumi:providers:aws")}
    assert providers
    for provider in providers.values():
        assert provider.inputs["region"] == "eu-central-2"
        tags = json.loads(provider.inputs["defaultTags"])["tags"] if isinstance(provider.inputs["defaultTags"], str) \
            else provider.inputs["defaultTags"]["tags"]
        assert {"project", "stack", "zone"} <= set(tags)
    for r in each_stack.resources:
        if r.custom and r.type.startswith("aws:"):
            assert r.provider in providers, f"{r.urn} uses the default provider"


def test_components_parent_their_children_and_prefix_their_names(each_stack):
    by_urn = {r.urn: r for r in each_stack.resources}
    roots = [r for r in each_stack.resources if r.parent not in by_urn]
    assert [r.type for r in roots] == ["transparency-center:index:TransparencyCenter"]
    for r in each_stack.resources:
        parent = by_urn.get(r.parent)
        if parent is not None and not parent.type.startswith("transparency-center:index"):
            assert r.name.startswith(parent.name + "-"), f"{r.name} is not prefixed by {parent.name}"


def test_operator_outputs_are_exported(each_stack):
    for key in ("vpcId", "subnetIds", "routeTableIds", "zoneCidrs", "interfaceEndpointIds", "s3GatewayEndpointId"):
        assert key in each_stack.outputs
    assert set(each_stack.outputs["interfaceEndpointIds"]) == set(INTERFACE_ENDPOINT_SERVICES)


def test_same_config_declares_byte_identical_plans():
    from tcenter.plan.format import dumps, plan_stack

    assert dumps(plan_stack("zurich-prod")) == dumps(plan_stack("zurich-prod"))


@pytest.mark.parametrize("stack", ["dev", "local", "staging", "zurich-prod"])
def test_every_security_group_is_attached_to_something(declared, stack):
    """CKV2_AWS_5: a group nothing uses is noise in every review (a reviewer organization without
    workstations once got one). Found from the plan: a group's id must appear in another resource."""
    import json as _json

    run = declared(stack)
    groups = run.by_type("aws:ec2/securityGroup:SecurityGroup")
    assert groups
    others = [_json.dumps(r.inputs, default=str) for r in run.resources if r.type != "aws:ec2/securityGroup:SecurityGroup"]
    unattached = [g.name for g in groups if not any(g.id in text for text in others)]
    assert unattached == []
