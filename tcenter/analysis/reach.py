"""Zone reachability computed from what a plan declares, never from the kit's layout code.

A connection from zone A to destination B on TCP port P is reachable when every layer
that AWS evaluates lets it through:

- routing: B is in the VPC (local route), or A's route table sends B's addresses
  somewhere (the S3 gateway endpoint's route, an internet or NAT gateway route);
- NACLs (stateless, first matching rule by number wins, default deny): A's NACL egress
  to B on P and ingress from B on the return ports, B's NACL ingress from A on P and
  egress back to A on the return ports (`RETURN_PORTS`);
- security groups (stateful): some target in B (host, HSM, endpoint) has a group whose
  ingress admits A (its CIDR, or a group attached in A), and, when A has hosts, one of
  their groups lets the connection out.

A zone with no target to check security groups against is judged on routes and NACLs
only; such cells are marked `nacl-only`. The subnets carry the zone in tag `zone`.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from components.awsfacts import HTTPS

from ..core.planview import zone_tag
from .ports import ALL_PORTS, EVERY_PORT, NO_PORTS, Ports  # noqa: F401 (re-exported: the port sets live there)
from .ports import rule_ports as _rule_ports

IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network

RETURN_PORTS = (32768, 60999)
"""Linux's ephemeral ports: replies to a connection come back on them."""

INTERNET = "internet"
S3 = "s3 (gateway)"
AWS_APIS = "aws apis (endpoints)"
INTERNET_PROBES = tuple(ipaddress.ip_network(a) for a in ("1.1.1.1/32", "8.8.8.8/32", "9.9.9.9/32", "198.51.100.7/32"))
"""Public addresses standing in for 'the internet' when matching rules and routes."""


def _net(text: Any) -> IPNet | None:
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        return None


def _span(net: IPNet) -> tuple[int, int, int]:
    """(version, first, last address) as integers: comparing these is what ipaddress does, minus its cost."""
    return net.version, int(net.network_address), int(net.broadcast_address)


def _overlaps(rule: IPNet, peers: Iterable[IPNet]) -> bool:
    version, lo, hi = _span(rule)
    return any(v == version and p_lo <= hi and lo <= p_hi for v, p_lo, p_hi in map(_span, peers))


def _covers(rule: IPNet, peers: Iterable[IPNet]) -> bool:
    version, lo, hi = _span(rule)
    spans = [_span(p) for p in peers]
    return bool(spans) and all(v == version and lo <= p_lo and p_hi <= hi for v, p_lo, p_hi in spans)


def _tcp(protocol: Any) -> bool:
    return str(protocol).lower() in ("tcp", "6", "-1", "all")


# --- NACLs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class NaclRule:
    number: int
    egress: bool
    allow: bool
    cidr: IPNet
    ports: Ports


def nacl_ports(rules: list[NaclRule], egress: bool, peers: list[IPNet]) -> Ports:
    """Ports a NACL lets through to/from `peers` (first match by rule number wins).

    An allow rule counts when it overlaps the peer (some of its addresses get through);
    a deny rule only when it covers the whole peer."""
    undecided, allowed = EVERY_PORT, NO_PORTS
    for rule in sorted((r for r in rules if r.egress == egress), key=lambda r: r.number):
        if rule.allow and _overlaps(rule.cidr, peers):
            allowed |= rule.ports & undecided
            undecided -= rule.ports
        elif not rule.allow and _covers(rule.cidr, peers):
            undecided -= rule.ports
    return allowed


def _inline_nacl_rules(entries: Any, egress: bool) -> list[NaclRule]:
    rules = []
    for entry in entries or []:
        cidr = _net(entry.get("cidrBlock") or entry.get("ipv6CidrBlock"))
        if cidr is None or not _tcp(entry.get("protocol")):
            continue
        rules.append(NaclRule(int(entry.get("ruleNo", 0)), egress, str(entry.get("action", "")).lower() == "allow",
                              cidr, _rule_ports(entry.get("protocol"), entry.get("fromPort"), entry.get("toPort"))))
    return rules


# --- security groups --------------------------------------------------------------------------

@dataclass
class SgRule:
    ports: Ports
    cidrs: list[IPNet] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)
    prefix_lists: set[str] = field(default_factory=set)


@dataclass
class SecurityGroup:
    id: str
    name: str
    ingress: list[SgRule] = field(default_factory=list)
    egress: list[SgRule] = field(default_factory=list)
    zone: str | None = None
    """The `zone` tag: where the group's members live."""
    known: bool = True
    """False for groups AWS creates (CloudHSM's): their rules are not in the plan."""


def _sg_rule_from_inline(rule: dict[str, Any], own_id: str) -> SgRule | None:
    if not _tcp(rule.get("protocol")):
        return None
    cidrs = [n for n in (_net(c) for c in (rule.get("cidrBlocks") or []) + (rule.get("ipv6CidrBlocks") or [])) if n]
    groups = set(rule.get("securityGroups") or [])
    if rule.get("self"):
        groups.add(own_id)
    return SgRule(_rule_ports(rule.get("protocol"), rule.get("fromPort"), rule.get("toPort")), cidrs, groups,
                  set(rule.get("prefixListIds") or []))


# --- the model ---------------------------------------------------------------------------------

@dataclass
class Target:
    """Something in a zone that accepts or opens connections, with its security groups."""

    kind: str
    name: str
    zone: str
    groups: list[str]


@dataclass
class Network:
    zones: dict[str, list[IPNet]]
    subnet_zone: dict[str, str]
    nacl_of_zone: dict[str, list[NaclRule] | None]
    route_table_of_zone: dict[str, set[str]]
    internet_route_tables: set[str]
    s3_route_tables: set[str]
    s3_cidrs: list[IPNet]
    s3_prefix_lists: set[str]
    groups: dict[str, SecurityGroup]
    targets: list[Target]
    endpoints: list[tuple[str, str, list[str], list[str]]]
    """(service, name, zones, security group ids) of each interface endpoint."""
    public_zones: set[str]
    endpoint_groups: set[str] = field(default_factory=set)
    """Groups of interface endpoints: they answer, they never open connections."""
    nacl_names: dict[str, list[str]] = field(default_factory=dict)
    """Per zone, the NACLs of its subnets (resource names; `default NACL` for AWS's)."""
    table_names: dict[str, str] = field(default_factory=dict)
    """Route table id -> its resource name."""
    memo: dict[tuple, Ports] = field(default_factory=dict, repr=False, compare=False)


def _id(resource: dict[str, Any]) -> str:
    return str(resource.get("outputs", {}).get("id") or resource.get("inputs", {}).get("id") or resource["name"])


def build_network(plan: dict[str, Any]) -> Network:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in plan.get("resources", []):
        by_type.setdefault(resource["type"], []).append(resource)

    def of(type_: str) -> list[dict[str, Any]]:
        return by_type.get(type_, [])

    zones: dict[str, list[IPNet]] = {}
    subnet_zone: dict[str, str] = {}
    public_zones: set[str] = set()
    for subnet in of("aws:ec2/subnet:Subnet"):
        zone = zone_tag(subnet) or f"untagged:{subnet['name']}"
        cidr = _net(subnet["inputs"].get("cidrBlock"))
        zones.setdefault(zone, [])
        if cidr:
            zones[zone].append(cidr)
        subnet_zone[_id(subnet)] = zone
        if subnet["inputs"].get("mapPublicIpOnLaunch"):
            public_zones.add(zone)

    # NACLs: a subnet not associated with a declared NACL uses the VPC's default NACL.
    nacl_of_zone: dict[str, list[NaclRule] | None] = {}
    standalone: dict[str, list[NaclRule]] = {}
    for rule in of("aws:ec2/networkAclRule:NetworkAclRule"):
        i = rule["inputs"]
        cidr = _net(i.get("cidrBlock") or i.get("ipv6CidrBlock"))
        if cidr and _tcp(i.get("protocol")):
            standalone.setdefault(i.get("networkAclId", ""), []).append(NaclRule(
                int(i.get("ruleNumber", 0)), bool(i.get("egress")), str(i.get("ruleAction", "")).lower() == "allow",
                cidr, _rule_ports(i.get("protocol"), i.get("fromPort"), i.get("toPort"))))
    default_rules: list[NaclRule] | None = None  # None: AWS's default NACL, which allows everything
    for default in of("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"):
        default_rules = _inline_nacl_rules(default["inputs"].get("ingress"), False) + \
            _inline_nacl_rules(default["inputs"].get("egress"), True)
    subnet_nacl: dict[str, list[NaclRule]] = {}
    subnet_nacl_name: dict[str, str] = {}
    for nacl in of("aws:ec2/networkAcl:NetworkAcl"):
        rules = _inline_nacl_rules(nacl["inputs"].get("ingress"), False) + \
            _inline_nacl_rules(nacl["inputs"].get("egress"), True) + standalone.get(_id(nacl), [])
        for subnet_id in nacl["inputs"].get("subnetIds") or []:
            subnet_nacl[subnet_id] = rules
            subnet_nacl_name[subnet_id] = nacl["name"]
    for assoc in of("aws:ec2/networkAclAssociation:NetworkAclAssociation"):
        nacl_id = assoc["inputs"].get("networkAclId")
        for nacl in of("aws:ec2/networkAcl:NetworkAcl"):
            if _id(nacl) == nacl_id:
                subnet_nacl[assoc["inputs"].get("subnetId")] = _inline_nacl_rules(nacl["inputs"].get("ingress"), False) + \
                    _inline_nacl_rules(nacl["inputs"].get("egress"), True) + standalone.get(nacl_id, [])
                subnet_nacl_name[assoc["inputs"].get("subnetId")] = nacl["name"]
    nacl_names: dict[str, list[str]] = {}
    for subnet_id, zone in subnet_zone.items():
        rules = subnet_nacl.get(subnet_id, default_rules)
        name = subnet_nacl_name.get(subnet_id) or next((d["name"] for d in of("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl")),
                                                       "default NACL")
        if name not in nacl_names.setdefault(zone, []):
            nacl_names[zone].append(name)
        # A zone is as open as its most open subnet: merge the rules of all its subnets' NACLs.
        if zone not in nacl_of_zone:
            nacl_of_zone[zone] = rules
        elif nacl_of_zone[zone] is not None and rules is not None and rules is not nacl_of_zone[zone]:
            nacl_of_zone[zone] = list(nacl_of_zone[zone]) + [r for r in rules if r not in nacl_of_zone[zone]]
        elif rules is None:
            nacl_of_zone[zone] = None

    # Routes: which zone uses which table; which tables lead to the internet or to S3.
    route_table_of_zone: dict[str, set[str]] = {}
    tables = {_id(t): t for t in of("aws:ec2/routeTable:RouteTable")}
    associated: set[str] = set()
    for assoc in of("aws:ec2/routeTableAssociation:RouteTableAssociation"):
        subnet_id = assoc["inputs"].get("subnetId")
        if subnet_id in subnet_zone:
            associated.add(subnet_id)
            route_table_of_zone.setdefault(subnet_zone[subnet_id], set()).add(assoc["inputs"].get("routeTableId", ""))
    main_tables = {_id(t) for t in of("aws:ec2/defaultRouteTable:DefaultRouteTable")} or {"main"}
    for subnet_id, zone in subnet_zone.items():
        if subnet_id not in associated:
            route_table_of_zone.setdefault(zone, set()).update(main_tables)
    routes: list[tuple[str, dict[str, Any]]] = []
    for table_id, table in tables.items():
        routes += [(table_id, r) for r in table["inputs"].get("routes") or []]
    for default in of("aws:ec2/defaultRouteTable:DefaultRouteTable"):
        routes += [(_id(default), r) for r in default["inputs"].get("routes") or []]
    for route in of("aws:ec2/route:Route"):
        i = route["inputs"]
        routes.append((i.get("routeTableId", ""), {"cidrBlock": i.get("destinationCidrBlock"),
                                                   "ipv6CidrBlock": i.get("destinationIpv6CidrBlock"),
                                                   **{k: v for k, v in i.items() if k.endswith("Id")}}))
    internet_route_tables = set()
    for table_id, route in routes:
        destination = _net(route.get("cidrBlock") or route.get("ipv6CidrBlock") or route.get("destinationCidrBlock"))
        via = [v for k, v in route.items() if k in ("gatewayId", "natGatewayId", "egressOnlyGatewayId",
                                                     "transitGatewayId", "networkInterfaceId",
                                                     "vpcPeeringConnectionId", "carrierGatewayId") and v]
        if destination and via and _overlaps(destination, INTERNET_PROBES):
            internet_route_tables.add(table_id)

    s3_route_tables: set[str] = set()
    s3_cidrs: list[IPNet] = []
    s3_prefix_lists: set[str] = set()
    endpoints: list[tuple[str, str, list[str], list[str]]] = []
    for endpoint in of("aws:ec2/vpcEndpoint:VpcEndpoint"):
        i, o = endpoint["inputs"], endpoint.get("outputs", {})
        service = str(i.get("serviceName", "")).rsplit(".", 1)[-1]
        if i.get("vpcEndpointType") == "Gateway":
            if service == "s3":
                s3_route_tables.update(i.get("routeTableIds") or [])
                s3_cidrs += [n for n in (_net(c) for c in o.get("cidrBlocks") or []) if n]
                if o.get("prefixListId"):
                    s3_prefix_lists.add(o["prefixListId"])
            continue
        ep_zones = sorted({subnet_zone.get(s, "?") for s in i.get("subnetIds") or []})
        endpoints.append((service, endpoint["name"], ep_zones, list(i.get("securityGroupIds") or [])))

    groups: dict[str, SecurityGroup] = {}
    for sg in of("aws:ec2/securityGroup:SecurityGroup") + of("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        sg_id = _id(sg)
        group = SecurityGroup(sg_id, sg["name"], zone=zone_tag(sg))
        for key, bucket in (("ingress", group.ingress), ("egress", group.egress)):
            for rule in sg["inputs"].get(key) or []:
                parsed = _sg_rule_from_inline(rule, sg_id)
                if parsed:
                    bucket.append(parsed)
        groups[sg_id] = group
    for rule in of("aws:ec2/securityGroupRule:SecurityGroupRule"):
        i = rule["inputs"]
        group = groups.setdefault(i.get("securityGroupId", ""), SecurityGroup(i.get("securityGroupId", ""), "?", known=False))
        parsed = _sg_rule_from_inline({**i, "securityGroups": [i["sourceSecurityGroupId"]] if i.get("sourceSecurityGroupId") else []},
                                      group.id)
        if parsed:
            (group.egress if i.get("type") == "egress" else group.ingress).append(parsed)
    for type_, egress in (("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", False),
                          ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", True)):
        for rule in of(type_):
            i = rule["inputs"]
            if not _tcp(i.get("ipProtocol")):
                continue
            group = groups.setdefault(i.get("securityGroupId", ""), SecurityGroup(i.get("securityGroupId", ""), "?", known=False))
            parsed = SgRule(_rule_ports(i.get("ipProtocol"), i.get("fromPort"), i.get("toPort")),
                            [n for n in (_net(i.get("cidrIpv4")), _net(i.get("cidrIpv6"))) if n],
                            {i["referencedSecurityGroupId"]} if i.get("referencedSecurityGroupId") else set(),
                            {i["prefixListId"]} if i.get("prefixListId") else set())
            (group.egress if egress else group.ingress).append(parsed)

    targets: list[Target] = []
    for instance in of("aws:ec2/instance:Instance"):
        i = instance["inputs"]
        zone = subnet_zone.get(i.get("subnetId", ""), "?")
        targets.append(Target("host", instance["name"], zone, list(i.get("vpcSecurityGroupIds") or [])))
        if i.get("associatePublicIpAddress"):
            public_zones.add(zone)
    for eni in of("aws:ec2/networkInterface:NetworkInterface"):
        i = eni["inputs"]
        targets.append(Target("interface", eni["name"], subnet_zone.get(i.get("subnetId", ""), "?"),
                              list(i.get("securityGroups") or [])))
    clusters = {}
    for cluster in of("aws:cloudhsmv2/cluster:Cluster"):
        cluster_sg = cluster.get("outputs", {}).get("securityGroupId") or f"{cluster['name']}-sg"
        clusters[_id(cluster)] = cluster_sg
        # AWS creates it with 2223-2225 open between its members (CloudHSM user guide);
        # rules the plan adds to it (SecurityGroupIngressRule) come on top.
        group = groups.setdefault(cluster_sg, SecurityGroup(cluster_sg, "?", known=False))
        if group.name == "?":  # first met as the target of a rule the plan adds to it
            group.name = f"{cluster['name']} (created by AWS)"
        group.ingress.append(SgRule(Ports.of((2223, 2225)), groups={cluster_sg}))
        group.egress.append(SgRule(EVERY_PORT, groups={cluster_sg}))
    for hsm in of("aws:cloudhsmv2/hsm:Hsm"):
        i = hsm["inputs"]
        sg = clusters.get(i.get("clusterId", ""))
        targets.append(Target("hsm", hsm["name"], subnet_zone.get(i.get("subnetId", ""), "?"), [sg] if sg else []))
    for _service, name, ep_zones, sgs in endpoints:
        for zone in ep_zones:
            targets.append(Target("endpoint", name, zone, sgs))

    return Network(zones=zones, subnet_zone=subnet_zone, nacl_of_zone=nacl_of_zone,
                   route_table_of_zone=route_table_of_zone, internet_route_tables=internet_route_tables,
                   s3_route_tables=s3_route_tables, s3_cidrs=s3_cidrs, s3_prefix_lists=s3_prefix_lists,
                   groups=groups, targets=targets, endpoints=endpoints, public_zones=public_zones,
                   endpoint_groups={sg for _, _, _, sgs in endpoints for sg in sgs}, nacl_names=nacl_names,
                   table_names={**{_id(t): t["name"] for t in of("aws:ec2/defaultRouteTable:DefaultRouteTable")},
                                **{table_id: t["name"] for table_id, t in tables.items()}})


# --- evaluation -----------------------------------------------------------------------------

def _nacl(net: Network, zone: str, egress: bool, peers: list[IPNet]) -> Ports:
    rules = net.nacl_of_zone.get(zone)
    if rules is None:
        return EVERY_PORT
    key = (zone, egress, tuple(peers))
    if key not in net.memo:  # the matrix and each layer alone ask the same questions
        net.memo[key] = nacl_ports(rules, egress, peers)
    return net.memo[key]


def _nacl_path(net: Network, src: str, dst: str | None, dst_peers: list[IPNet], src_peers: list[IPNet]) -> Ports:
    """Ports a TCP connection src -> dst passes through both zones' NACLs, replies included."""
    ports = _nacl(net, src, True, dst_peers)
    if not _nacl(net, src, False, dst_peers).covers(*RETURN_PORTS):
        return NO_PORTS
    if dst is not None:
        ports &= _nacl(net, dst, False, src_peers)
        if not _nacl(net, dst, True, src_peers).covers(*RETURN_PORTS):
            return NO_PORTS
    return ports


def _sg_allows(group: SecurityGroup, egress: bool, peers: list[IPNet], peer_groups: set[str],
               prefix_lists: set[str] = frozenset()) -> Ports:
    ports = NO_PORTS
    for rule in group.egress if egress else group.ingress:
        if _overlaps_any(rule.cidrs, peers) or rule.groups & peer_groups or rule.prefix_lists & prefix_lists:
            ports |= rule.ports
    return ports


def _overlaps_any(cidrs: list[IPNet], peers: list[IPNet]) -> bool:
    return any(_overlaps(c, peers) for c in cidrs)


def _source_groups(net: Network, zone: str) -> set[str]:
    """Groups whose members open connections from `zone`: those of its hosts and network
    interfaces, and the groups tagged with the zone (declared for hosts yet to come,
    e.g. instances an autoscaling group or a runbook will start)."""
    groups = {sg for t in net.targets if t.zone == zone and t.kind in ("host", "interface") for sg in t.groups}
    return groups | {g.id for g in net.groups.values() if g.zone == zone and g.id not in net.endpoint_groups}


def _dest_groups(net: Network, zone: str) -> set[str]:
    """Groups of what accepts connections in `zone`: hosts, HSMs, endpoints, zone-tagged groups."""
    return {sg for t in net.targets if t.zone == zone for sg in t.groups} | \
        {g.id for g in net.groups.values() if g.zone == zone}


def _source_egress(net: Network, src: str, peers: list[IPNet], peer_groups: set[str],
                   prefix_lists: set[str] = frozenset()) -> Ports | None:
    """Ports some source in `src` may open toward the peer; None when `src` has none."""
    sources = _source_groups(net, src)
    if not sources:
        return None
    ports = NO_PORTS
    for sg in sources:
        group = net.groups.get(sg)
        ports |= EVERY_PORT if group is None else _sg_allows(group, True, peers, peer_groups, prefix_lists)
    return ports


def _ingress(net: Network, groups: Iterable[str], peers: list[IPNet], peer_groups: set[str]) -> Ports:
    ports = NO_PORTS
    for sg in groups:
        group = net.groups.get(sg)
        ports |= EVERY_PORT if group is None else _sg_allows(group, False, peers, peer_groups)
    return ports


@dataclass(frozen=True)
class Cell:
    ports: Ports
    nacl_only: bool = False
    detail: str = ""

    def __str__(self) -> str:
        if not self.ports:
            return "-"
        text = str(self.ports) + ("*" if self.nacl_only else "")
        return f"{text} {self.detail}".strip()


@dataclass
class Reachability:
    sources: list[str]
    destinations: list[str]
    cells: dict[tuple[str, str], Cell]
    services: dict[str, list[str]]
    """Per source zone, the interface endpoints (services) it reaches on 443."""

    def edges(self) -> list[str]:
        """Every reachable (source, destination, ports) as a line: what `diff` compares."""
        lines = [f"{src} -> {dst}: {cell.ports}" for (src, dst), cell in sorted(self.cells.items()) if cell.ports]
        for src, services in sorted(self.services.items()):
            lines += [f"{src} -> endpoint {svc}: {HTTPS}" for svc in services]
        return sorted(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"sources": self.sources, "destinations": self.destinations,
                "cells": {f"{s} -> {d}": str(c) for (s, d), c in sorted(self.cells.items())},
                "services": self.services}


def _zone_order(net: Network) -> list[str]:
    def key(zone: str) -> tuple:
        cidrs = sorted(net.zones.get(zone) or [], key=lambda n: (n.version, int(n.network_address)))
        return (0, cidrs[0].version, int(cidrs[0].network_address)) if cidrs else (1, 0, 0, zone)
    return sorted(net.zones, key=lambda z: (key(z), z))


def compute(plan: dict[str, Any]) -> Reachability:
    net = build_network(plan)
    zones = _zone_order(net)
    cells: dict[tuple[str, str], Cell] = {}
    services: dict[str, list[str]] = {}
    for src in zones:
        src_peers = net.zones[src]
        src_groups = _source_groups(net, src)
        for dst in zones:
            dst_peers = net.zones[dst]
            ports = _nacl_path(net, src, dst, dst_peers, src_peers)
            dst_groups = _dest_groups(net, dst)
            nacl_only = False
            if ports and dst_groups:
                ports &= _ingress(net, dst_groups, src_peers, src_groups)
                egress = _source_egress(net, src, dst_peers, dst_groups)
                if egress is not None:
                    ports &= egress
            elif ports:
                nacl_only = True
            cells[(src, dst)] = Cell(ports, nacl_only)

        # AWS APIs through interface endpoints (HTTPS).
        reached = []
        for service, _, ep_zones, sgs in net.endpoints:
            for ep_zone in ep_zones:
                ports = _nacl_path(net, src, ep_zone, net.zones.get(ep_zone, []), src_peers) & Ports.of((HTTPS, HTTPS))
                ports &= _ingress(net, sgs, src_peers, src_groups) if sgs else EVERY_PORT
                egress = _source_egress(net, src, net.zones.get(ep_zone, []), set(sgs))
                if egress is not None:
                    ports &= egress
                if ports:
                    reached.append(service)
                    break
        services[src] = sorted(set(reached))
        cells[(src, AWS_APIS)] = Cell(Ports.of((HTTPS, HTTPS)) if reached else NO_PORTS, False,
                                      f"({len(services[src])}/{len(net.endpoints)})" if reached else "")

        # S3 through the gateway endpoint: needs the gateway's route in the zone's table.
        s3_ports = NO_PORTS
        if net.route_table_of_zone.get(src, set()) & net.s3_route_tables and net.s3_cidrs:
            s3_ports = _nacl_path(net, src, None, net.s3_cidrs, src_peers)
            egress = _source_egress(net, src, net.s3_cidrs, set(), net.s3_prefix_lists)
            if egress is not None:
                s3_ports &= egress
        cells[(src, S3)] = Cell(s3_ports)

        # The internet: a route to a gateway, then NACLs and groups.
        internet_ports = NO_PORTS
        if net.route_table_of_zone.get(src, set()) & net.internet_route_tables:
            internet_ports = _nacl_path(net, src, None, list(INTERNET_PROBES), src_peers)
            egress = _source_egress(net, src, list(INTERNET_PROBES), set())
            if egress is not None:
                internet_ports &= egress
        cells[(src, INTERNET)] = Cell(internet_ports)

        # And back: from the internet into the zone (needs public addresses too).
        inbound = NO_PORTS
        if src in net.public_zones and net.route_table_of_zone.get(src, set()) & net.internet_route_tables:
            inbound = _nacl(net, src, False, list(INTERNET_PROBES))
            if _dest_groups(net, src):
                inbound &= _ingress(net, _dest_groups(net, src), list(INTERNET_PROBES), set())
        cells[(INTERNET, src)] = Cell(inbound)
    return Reachability(sources=zones + [INTERNET], destinations=zones + [AWS_APIS, S3, INTERNET],
                        cells=cells, services=services)


# --- each layer on its own ------------------------------------------------------------------

@dataclass(frozen=True)
class Wall:
    """One layer on one path, alone: the ports it lets through (replies included)."""
    layer: str                    # security-group | nacl | route (tcenter.analysis.layers)
    side: str                     # source | destination | path: which end's layer it is
    detail: str                   # which direction: "ingress from build"
    names: tuple[str, ...]        # the resources making it
    ports: Ports
    parts: tuple[tuple[str, Ports], ...] = ()
    """Security groups: what each group alone lets through (the wall is their union)."""

    @property
    def what(self) -> str:
        return f"{', '.join(self.names) or 'nothing declared'} ({self.detail})"


def _reply(ports: Ports) -> Ports:
    """A stateless rule set's reply direction: every port, or none when the replies cannot pass."""
    return EVERY_PORT if ports.covers(*RETURN_PORTS) else NO_PORTS


def _nacl_walls(net: Network, zone: str, egress_peers: list[IPNet], direction: str, peer: str) -> list[Wall]:
    if net.nacl_of_zone.get(zone) is None:
        return []  # AWS's default NACL: it lets everything through
    out_ports = _nacl(net, zone, direction == "egress", egress_peers)
    back = _reply(_nacl(net, zone, direction != "egress", egress_peers))
    detail = f"{direction} {'to' if direction == 'egress' else 'from'} {peer}, replies"
    return [Wall("nacl", "source" if direction == "egress" else "destination", detail,
                 tuple(net.nacl_names.get(zone, [])), out_ports & back)]


def _sg_wall(net: Network, groups: set[str], egress: bool, peers: list[IPNet], peer_groups: set[str], peer: str,
             prefix_lists: set[str] = frozenset()) -> list[Wall]:
    if not groups:
        return []  # nothing here has a group: the path is judged without this layer
    parts = []
    for sg in sorted(groups):
        group = net.groups.get(sg)
        parts.append((group.name if group else sg,
                      EVERY_PORT if group is None else _sg_allows(group, egress, peers, peer_groups, prefix_lists)))
    ports = NO_PORTS
    for _, allowed in parts:
        ports |= allowed
    parts.sort()
    return [Wall("security-group", "source" if egress else "destination",
                 f"egress to {peer}" if egress else f"ingress from {peer}", tuple(n for n, _ in parts), ports, tuple(parts))]


def _route_wall(net: Network, zone: str, reaches: bool, what: str) -> list[Wall]:
    names = tuple(sorted(net.table_names.get(t, t) for t in net.route_table_of_zone.get(zone, set())))
    return [Wall("route", "path", what, names, EVERY_PORT if reaches else NO_PORTS)]


def path_walls(net: Network, src: str, dst: str) -> list[Wall]:
    """Every layer between SRC and DST (zones, `internet` or `s3 (gateway)`), each alone: what the
    reachability matrix intersects, kept apart so that a diff can see one layer widen while
    another still blocks. A layer with nothing to judge (no group at either end, AWS's default
    NACL) is no wall."""
    if src == INTERNET:
        peers = list(INTERNET_PROBES)
        public = dst in net.public_zones and bool(net.route_table_of_zone.get(dst, set()) & net.internet_route_tables)
        return (_route_wall(net, dst, public, "route from the internet and public addresses")
                + _nacl_walls(net, dst, peers, "ingress", INTERNET)
                + _sg_wall(net, _dest_groups(net, dst), False, peers, set(), INTERNET))
    src_peers = net.zones.get(src, [])
    if dst in (INTERNET, S3):
        peers = list(INTERNET_PROBES) if dst == INTERNET else net.s3_cidrs
        tables = net.internet_route_tables if dst == INTERNET else net.s3_route_tables
        routed = bool(net.route_table_of_zone.get(src, set()) & tables) and bool(peers)
        sources = _source_groups(net, src)
        return (_route_wall(net, src, routed, f"route to {dst}")
                + _nacl_walls(net, src, peers, "egress", dst)
                + _sg_wall(net, sources, True, peers, set(), dst, net.s3_prefix_lists if dst == S3 else frozenset()))
    dst_peers = net.zones.get(dst, [])
    src_groups, dst_groups = _source_groups(net, src), _dest_groups(net, dst)
    walls = _nacl_walls(net, src, dst_peers, "egress", dst) + _nacl_walls(net, dst, src_peers, "ingress", src)
    if dst_groups:  # as the matrix: nothing in DST to connect to yet, so no group is judged ("*" cells)
        walls += _sg_wall(net, src_groups, True, dst_peers, dst_groups, dst) + \
            _sg_wall(net, dst_groups, False, src_peers, src_groups, src)
    return walls


def paths(net: Network) -> list[tuple[str, str]]:
    """Every (source, destination) `path_walls` judges: zone to zone, to and from the internet, to S3."""
    zones = _zone_order(net)
    return [(s, d) for s in zones for d in zones] + [(s, d) for s in zones for d in (INTERNET, S3)] + \
        [(INTERNET, d) for d in zones]


def render_text(reach: Reachability, title: str, width: int) -> str:
    """The matrix when it fits WIDTH; else one row per reachable pair (from, to, ports).
    Headers are never shortened, cells never cut."""
    from ..core.output import fit_table, wrap

    headers = ["from \\ to", *reach.destinations]
    rows = [[src, *(str(reach.cells.get((src, dst), "")) for dst in reach.destinations)] for src in reach.sources]
    columns = [max(len(r[c]) for r in [headers, *rows]) for c in range(len(headers))]
    lines = [title]
    if sum(columns) + 2 * (len(columns) - 1) <= width:
        lines += fit_table(headers, rows, width)
    else:
        pairs = [[src, dst, str(cell)] for (src, dst), cell in sorted(reach.cells.items(), key=lambda kv: (
            reach.sources.index(kv[0][0]) if kv[0][0] in reach.sources else 99,
            reach.destinations.index(kv[0][1]) if kv[0][1] in reach.destinations else 99)) if cell.ports]
        lines += fit_table(["from", "to", "TCP ports"], pairs, width)
        lines.append("every other pair of zones: nothing (-)")
    lines += wrap(LEGEND, width)
    return "\n".join(lines) + "\n"


LEGEND = ("ports a TCP connection can open, replies included; '-' none; '*' judged on routes and NACLs only "
          "(no host, HSM or endpoint in the destination zone yet to check security groups against); "
          "aws apis: interface endpoints reached on 443 (reached/declared).")


def markdown_table(reach: Reachability) -> str:
    head = "| from \\ to | " + " | ".join(reach.destinations) + " |"
    sep = "|---" * (len(reach.destinations) + 1) + "|"
    rows = []
    for src in reach.sources:
        rows.append(f"| {src} | " + " | ".join(str(reach.cells.get((src, d), "")) for d in reach.destinations) + " |")
    return "\n".join([head, sep, *rows])


def dumps(reach: Reachability) -> str:
    return json.dumps(reach.as_dict(), indent=2, sort_keys=True) + "\n"
