"""Reachability computed from the declared SGs, NACLs, routes and endpoints."""

from __future__ import annotations

from tcenter.analysis import reach

from .conftest import edited, find


def _cell(result, src, dst):
    return result.cells[(src, dst)]


def test_no_zone_reaches_or_is_reached_from_the_internet(each_stack, plan_of):
    result = reach.compute(plan_of(each_stack.stack))
    for (src, dst), cell in result.cells.items():
        if reach.INTERNET in (src, dst):
            assert not cell.ports, (src, dst)


def test_workload_zones_reach_aws_apis_and_s3_only_on_https(each_stack, plan_of):
    result = reach.compute(plan_of(each_stack.stack))
    zones = [z for z in result.sources if z != reach.INTERNET]
    assert set(each_stack.outputs["zoneCidrs"]) == set(zones)
    for zone in zones:
        if zone == "endpoints":
            continue
        if zone == "analysis":  # issue 28: S3 through its own gateway, its own SQS endpoint, nothing else
            assert str(_cell(result, zone, reach.S3).ports) == "443"
            assert {dst for (src, dst), cell in result.cells.items() if src == zone and cell.ports} == {
                reach.S3, "analysis", reach.AWS_APIS}
            assert result.services[zone] == ["sqs"]
            continue
        assert str(_cell(result, zone, reach.S3).ports) == "443", zone
        # A zone whose only workload needs the gateway endpoints alone (the data zone's intake brokers:
        # DynamoDB and S3) reaches no interface endpoint; any zone that does reaches them on 443 only.
        endpoints = str(_cell(result, zone, "endpoints").ports)
        assert endpoints in ("443", "-"), zone
        assert bool(result.services[zone]) == (endpoints == "443"), zone


def test_data_and_reviewer_zones_are_reached_by_no_zone(each_stack, plan_of):
    result = reach.compute(plan_of(each_stack.stack))
    isolated = [z for z in result.sources if z == "data" or z.startswith("reviewer-")]
    for dst in isolated:
        for src in result.sources:
            assert not _cell(result, src, dst).ports, (src, dst)


def test_prod_signers_reach_their_hsms_on_the_cloudhsm_ports_only(declared, plan_of):
    result = reach.compute(plan_of("zurich-prod"))
    assert str(_cell(result, "signing", "signing").ports) == "2223-2225"
    assert not _cell(result, "build", "signing").ports


def test_a_planted_internet_route_with_open_nacls_shows_up(plan_of):
    plan = edited(plan_of("dev"))
    (table,) = find(plan, "aws:ec2/routeTable:RouteTable", lambda r: r["inputs"]["tags"]["zone"] == "build")
    table["inputs"]["routes"] = [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-planted"}]
    (nacl,) = find(plan, "aws:ec2/networkAcl:NetworkAcl", lambda r: r["inputs"]["tags"]["zone"] == "build")
    nacl["inputs"]["egress"].append({"action": "allow", "cidrBlock": "0.0.0.0/0", "fromPort": 443, "protocol": "tcp",
                                     "ruleNo": 900, "toPort": 443})
    nacl["inputs"]["ingress"].append({"action": "allow", "cidrBlock": "0.0.0.0/0", "fromPort": 1024,
                                      "protocol": "tcp", "ruleNo": 900, "toPort": 65535})
    (sg,) = find(plan, "aws:ec2/securityGroup:SecurityGroup", lambda r: r["inputs"]["tags"].get("zone") == "build")
    sg["inputs"]["egress"].append({"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]})
    result = reach.compute(plan)
    assert str(_cell(result, "build", reach.INTERNET).ports) == "443"
    assert not _cell(result, "data", reach.INTERNET).ports


def test_a_deny_rule_before_an_allow_rule_wins():
    import ipaddress

    rules = [reach.NaclRule(100, True, False, ipaddress.ip_network("10.0.0.0/8"), reach.Ports.of((443, 443))),
             reach.NaclRule(200, True, True, ipaddress.ip_network("10.0.0.0/8"), reach.Ports.of((0, 65535)))]
    allowed = reach.nacl_ports(rules, True, [ipaddress.ip_network("10.1.0.0/16")])
    assert not allowed.covers(443, 443) and allowed.covers(444, 65535) and allowed.covers(0, 442)
