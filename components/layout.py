"""Pure planning: CIDRs per zone and availability zone, resource names and tags.

Nothing here declares a resource. Everything is deterministic: the same inputs, in any
order, give the same plan (property-tested in tests/unit/test_layout.py).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Mapping, Sequence

from .config.base import AVAILABILITY_ZONE_IDS, PROJECT
from .config.network import CORE_ZONES
from .awsfacts import CLOUDHSM_PORTS, EPHEMERAL_PORTS, HTTPS, bucket_name_problem  # noqa: F401 - ports re-exported

CORE_ZONE_SLOTS = {zone: index for index, zone in enumerate(CORE_ZONES)}
"""Core zones take the first slots of the supernet, in this fixed order."""

SUBNETS_PER_ZONE = 4
"""A zone's CIDR is cut in four: one quarter per availability zone id (az1..az3), one spare."""

REVIEWER_ZONE_PREFIX = "reviewer-"
ANALYSIS_ZONE = "analysis"
"""The analysis cells' zone (components/analysis.py): its own S3 gateway endpoint, its own SQS
endpoint inside it, and no flow to any other zone (`zone_flows`)."""
OWN_S3_GATEWAY_ZONES = (ANALYSIS_ZONE,)
"""Zones whose route table carries their own S3 gateway endpoint instead of the center's."""


class LayoutError(ValueError):
    """A layout that cannot be built; `key` names the config key to fix."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


@dataclass(frozen=True)
class SubnetPlan:
    zone: str
    az_id: str
    cidr: ipaddress.IPv4Network

    @property
    def name(self) -> str:
        return f"{self.zone}-{self.az_id}"


@dataclass(frozen=True)
class ZonePlan:
    name: str
    cidr: ipaddress.IPv4Network
    subnets: tuple[SubnetPlan, ...]

    @property
    def is_reviewer(self) -> bool:
        return self.name.startswith(REVIEWER_ZONE_PREFIX)


@dataclass(frozen=True)
class NetworkPlan:
    supernet: ipaddress.IPv4Network
    zones: tuple[ZonePlan, ...]

    def zone(self, name: str) -> ZonePlan:
        for zone in self.zones:
            if zone.name == name:
                return zone
        raise KeyError(f"no zone {name!r}; zones: {[zone.name for zone in self.zones]}")

    @property
    def az_ids(self) -> tuple[str, ...]:
        return tuple(subnet.az_id for subnet in self.zones[0].subnets)


def reviewer_zone_name(organization: str) -> str:
    return f"{REVIEWER_ZONE_PREFIX}{organization}"


def default_zone_prefix(supernet: ipaddress.IPv4Network) -> int:
    return supernet.prefixlen + 4


def plan_network(
    supernet: str,
    az_ids: Sequence[str],
    reviewer_cidrs: Mapping[str, str | None],
    pinned_core_cidrs: Mapping[str, str] | None = None,
    zone_prefix: int | None = None,
    analysis_cidr: str | None = None,
) -> NetworkPlan:
    """Lay out every zone's CIDR and its per-AZ subnets inside `supernet`.

    Core zones get fixed slots unless pinned; reviewer zones without a pinned CIDR take
    the free slots after the core zones, in organization-name order. `analysis_cidr` adds the
    analysis zone (None: no such zone; "": the last free slot of the supernet).
    """
    network = ipaddress.IPv4Network(supernet)
    prefix = zone_prefix if zone_prefix is not None else default_zone_prefix(network)
    if not network.prefixlen < prefix <= 26:
        raise LayoutError("network.zonePrefixLength", f"/{prefix} must be longer than the supernet /{network.prefixlen} and at most /26")
    unknown_azs = sorted(set(az_ids) - set(AVAILABILITY_ZONE_IDS))
    if unknown_azs:
        raise LayoutError("network.availabilityZones", f"{unknown_azs} are not Zurich availability zone ids")
    slots = list(network.subnets(new_prefix=prefix))
    pinned_core = dict(pinned_core_cidrs or {})

    claimed: dict[str, tuple[str, ipaddress.IPv4Network]] = {}  # zone -> (config key, cidr)
    for zone in CORE_ZONES:
        if zone in pinned_core:
            claimed[zone] = (f"network.zoneCidrs.{zone}", ipaddress.IPv4Network(pinned_core[zone]))
    for organization, cidr in sorted(reviewer_cidrs.items()):
        if cidr is not None:
            claimed[reviewer_zone_name(organization)] = (
                f"reviewers.organizations[{organization}].cidr", ipaddress.IPv4Network(cidr))
    if analysis_cidr:
        claimed[ANALYSIS_ZONE] = ("analysis.cidr", ipaddress.IPv4Network(analysis_cidr))
    _check_pinned(network, claimed)

    taken = [cidr for _, cidr in claimed.values()]
    for zone in CORE_ZONES:
        if zone not in claimed:
            slot = slots[CORE_ZONE_SLOTS[zone]]
            for other_zone, (key, other) in sorted(claimed.items()):
                if slot.overlaps(other):
                    raise LayoutError(key, f"{other} of zone {other_zone} overlaps {slot}, the slot of zone {zone}; "
                                           f"choose a CIDR outside the first {len(CORE_ZONES)} slots")
            claimed[zone] = (f"network.zoneCidrs.{zone}", slot)
            taken.append(slot)
    free = [slot for slot in slots[len(CORE_ZONES):] if not any(slot.overlaps(other) for other in taken)]
    for organization, cidr in sorted(reviewer_cidrs.items()):
        if cidr is None:
            if not free:
                raise LayoutError(f"reviewers.organizations[{organization}].cidr", f"no free /{prefix} left in {network}; pin a CIDR or widen the supernet")
            claimed[reviewer_zone_name(organization)] = (f"reviewers.organizations[{organization}].cidr", free.pop(0))

    if analysis_cidr == "":
        if not free:
            raise LayoutError("analysis.cidr", f"no free /{prefix} left in {network}; pin a CIDR or widen the supernet")
        claimed[ANALYSIS_ZONE] = ("analysis.cidr", free.pop())
    ordered = [zone for zone in CORE_ZONES] + sorted(name for name in claimed if name not in CORE_ZONES)
    zones = tuple(_plan_zone(name, claimed[name][1], az_ids) for name in ordered)
    return NetworkPlan(supernet=network, zones=zones)


def _check_pinned(network: ipaddress.IPv4Network, claimed: Mapping[str, tuple[str, ipaddress.IPv4Network]]) -> None:
    items = sorted(claimed.items())
    for zone, (key, cidr) in items:
        if not cidr.subnet_of(network):
            raise LayoutError(key, f"{cidr} of zone {zone} is not inside the supernet {network}")
        if cidr.prefixlen > 26:
            raise LayoutError(key, f"{cidr} is too small: a zone needs at least a /26 (four /28 subnets)")
    for index, (zone, (key, cidr)) in enumerate(items):
        for other_zone, (_, other) in items[index + 1:]:
            if cidr.overlaps(other):
                raise LayoutError(key, f"{cidr} of zone {zone} overlaps {other} of zone {other_zone}")


def _plan_zone(name: str, cidr: ipaddress.IPv4Network, az_ids: Sequence[str]) -> ZonePlan:
    quarters = list(cidr.subnets(prefixlen_diff=2))
    subnets = tuple(
        SubnetPlan(zone=name, az_id=az, cidr=quarters[AVAILABILITY_ZONE_IDS.index(az)])
        for az in sorted(set(az_ids))
    )
    return ZonePlan(name=name, cidr=cidr, subnets=subnets)


def spread(count: int, az_ids: Sequence[str]) -> list[str]:
    """Place `count` things over the AZs round-robin: distinct AZs for the first len(az_ids)."""
    ordered = sorted(az_ids)
    return [ordered[index % len(ordered)] for index in range(count)]


def resource_name(*parts: str) -> str:
    """A child resource's name: its component's name, then what it is, dash-joined."""
    return "-".join(part for part in parts if part)


def bucket_name(account_id: str, stack: str, *parts: str, max_length: int = 63) -> str:
    """A globally unique bucket name from account, stack and parts: deterministic, no random suffix."""
    name = "-".join(("tc", account_id, stack, *parts)).lower()
    if len(name) > max_length:
        raise LayoutError("stack", f"{name!r} is longer than {max_length} characters; use a shorter stack or component name")
    problem = bucket_name_problem(name)
    if problem is not None:
        raise LayoutError("stack", f"{name!r} is not a valid S3 bucket name: {problem}")
    return name


def account_name(stack: str, *parts: str, max_length: int = 64) -> str:
    """An account-unique AWS name (IAM roles, tables, launch templates, trails, SSM
    documents) from stack and parts: `tc-<stack>-<parts>`, deterministic."""
    name = "-".join(("tc", stack, *parts))
    if len(name) > max_length:
        raise LayoutError("stack", f"{name!r} is longer than {max_length} characters; use a shorter stack or component name")
    return name


def default_tags(stack: str, zone: str) -> dict[str, str]:
    """Tags every resource of a zone carries (set once, on the zone's provider)."""
    return {"project": PROJECT, "stack": stack, "zone": zone, "managed-by": "pulumi"}


# --- zone flows: which zone may reach which, on which ports ---------------------------

S3_GATEWAY = "s3"
"""Pseudo-zone: S3 through the gateway endpoint (the S3 prefix list's addresses)."""
DYNAMODB_GATEWAY = "dynamodb"
"""Pseudo-zone: DynamoDB through its gateway endpoint (the DynamoDB prefix list's addresses)."""
DYNAMODB_ZONES = ("data",)
"""Zones whose hosts use the customer data tables; no other zone has a route to DynamoDB."""



@dataclass(frozen=True)
class Flow:
    """One allowed connection: `source` zone opens TCP to `destination` on `ports`."""

    source: str
    destination: str
    ports: tuple[int, int]
    purpose: str


def zone_flows(plan: NetworkPlan) -> tuple[Flow, ...]:
    """Every connection the center allows between zones. Anything else is denied by the
    zones' NACLs; there is no route to the internet at all."""
    flows: list[Flow] = []
    for zone in plan.zones:
        if zone.name == ANALYSIS_ZONE:
            # Cells reach S3 through their own gateway endpoint and their job queue through the SQS
            # endpoint inside their own zone: nothing of the center, no AWS API else.
            flows.append(Flow(zone.name, S3_GATEWAY, (HTTPS, HTTPS), "samples and verdicts through the cells' own S3 gateway endpoint"))
            flows.append(Flow(zone.name, zone.name, (HTTPS, HTTPS), "cells to the job queue's endpoint in their own zone"))
            continue
        if zone.name == "endpoints":
            continue
        flows.append(Flow(zone.name, "endpoints", (HTTPS, HTTPS), "AWS APIs through the interface endpoints"))
        flows.append(Flow(zone.name, S3_GATEWAY, (HTTPS, HTTPS), "S3 through the gateway endpoint"))
    flows += [Flow(zone, DYNAMODB_GATEWAY, (HTTPS, HTTPS), "customer data tables through the DynamoDB gateway endpoint")
              for zone in DYNAMODB_ZONES if zone in {z.name for z in plan.zones}]
    flows.append(Flow("signing", "signing", CLOUDHSM_PORTS, "signer hosts to the CloudHSM cluster"))
    return tuple(flows)


@dataclass(frozen=True)
class NaclEntry:
    rule_no: int
    egress: bool
    cidr_block: str
    from_port: int
    to_port: int
    protocol: str = "tcp"
    action: str = "allow"

    def as_input(self) -> dict[str, object]:
        return {
            "rule_no": self.rule_no, "action": self.action, "protocol": self.protocol,
            "cidr_block": self.cidr_block, "from_port": self.from_port, "to_port": self.to_port,
        }


def nacl_entries(zone: str, plan: NetworkPlan, flows: Sequence[Flow], s3_cidrs: Sequence[str],
                 dynamodb_cidrs: Sequence[str] = ()) -> list[NaclEntry]:
    """A zone's NACL from the flows: each outgoing flow and its return traffic, each
    incoming flow and its replies. Rule numbers follow the flow order (deterministic)."""
    def cidrs_of(name: str) -> list[str]:
        if name == S3_GATEWAY:
            return sorted(s3_cidrs)
        if name == DYNAMODB_GATEWAY:
            return sorted(dynamodb_cidrs)
        return [str(plan.zone(name).cidr)]

    entries: list[NaclEntry] = []
    rule_no = {False: 100, True: 100}

    def add(egress: bool, cidr: str, ports: tuple[int, int]) -> None:
        if any((e.egress, e.cidr_block, e.from_port, e.to_port) == (egress, cidr, *ports) for e in entries):
            return
        entries.append(NaclEntry(rule_no[egress], egress, cidr, ports[0], ports[1]))
        rule_no[egress] += 10

    if zone == "endpoints":
        # Interface endpoints answer HTTPS from any zone of the VPC, nothing else.
        add(False, str(plan.supernet), (HTTPS, HTTPS))
        add(True, str(plan.supernet), EPHEMERAL_PORTS)
        return entries
    for flow in flows:
        if flow.source == zone:
            for cidr in cidrs_of(flow.destination):
                add(True, cidr, flow.ports)
                add(False, cidr, EPHEMERAL_PORTS)
        if flow.destination == zone:
            for cidr in cidrs_of(flow.source):
                add(False, cidr, flow.ports)
                add(True, cidr, EPHEMERAL_PORTS)
    return entries
