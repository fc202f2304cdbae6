"""Property tests of the pure layout: inside the supernet, no overlaps, order-independent."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.base import AVAILABILITY_ZONE_IDS
from components.layout import (
    LayoutError, S3_GATEWAY, nacl_entries, plan_network, reviewer_zone_name, spread, zone_flows,
)

private_supernets = st.builds(
    lambda base, octet2, prefix: str(ipaddress.IPv4Network(f"{base}.{octet2}.0.0/{prefix}", strict=False)),
    st.sampled_from(["10"]), st.integers(0, 255), st.integers(16, 22),
)
az_subsets = st.lists(st.sampled_from(AVAILABILITY_ZONE_IDS), min_size=1, max_size=3, unique=True)
org_names = st.lists(st.from_regex(r"[a-z][a-z0-9]{2,10}", fullmatch=True), max_size=6, unique=True)


def _all_cidrs(plan):
    return [zone.cidr for zone in plan.zones] 


@settings(max_examples=200, deadline=None)
@given(private_supernets, az_subsets, org_names)
def test_zones_and_subnets_fit_and_never_overlap(supernet, azs, orgs):
    plan = plan_network(supernet, azs, {org: None for org in orgs})
    network = ipaddress.IPv4Network(supernet)
    zones = _all_cidrs(plan)
    for index, cidr in enumerate(zones):
        assert cidr.subnet_of(network)
        assert not any(cidr.overlaps(other) for other in zones[index + 1:])
    subnets = [subnet.cidr for zone in plan.zones for subnet in zone.subnets]
    for index, cidr in enumerate(subnets):
        assert not any(cidr.overlaps(other) for other in subnets[index + 1:])
    for zone in plan.zones:
        assert [s.az_id for s in zone.subnets] == sorted(azs)
        assert all(s.cidr.subnet_of(zone.cidr) for s in zone.subnets)
    assert {z.name for z in plan.zones} == {"endpoints", "build", "signing", "data"} | {reviewer_zone_name(o) for o in orgs}


@settings(max_examples=100, deadline=None)
@given(private_supernets, az_subsets, org_names, st.randoms(use_true_random=False))
def test_plan_is_independent_of_input_order(supernet, azs, orgs, rnd):
    shuffled_azs, shuffled_orgs = list(azs), list(orgs)
    rnd.shuffle(shuffled_azs)
    rnd.shuffle(shuffled_orgs)
    a = plan_network(supernet, azs, {org: None for org in orgs})
    b = plan_network(supernet, shuffled_azs, {org: None for org in shuffled_orgs})
    assert a == b


@settings(max_examples=100, deadline=None)
@given(az_subsets, st.lists(st.sampled_from(AVAILABILITY_ZONE_IDS), min_size=1, max_size=3, unique=True))
def test_adding_an_availability_zone_never_moves_existing_subnets(azs, more):
    before = plan_network("10.50.0.0/16", azs, {})
    after = plan_network("10.50.0.0/16", sorted(set(azs) | set(more)), {})
    for zone_before, zone_after in zip(before.zones, after.zones):
        kept = {s.az_id: s.cidr for s in zone_after.subnets}
        assert all(kept[s.az_id] == s.cidr for s in zone_before.subnets)


def test_pinned_reviewer_cidrs_are_kept_and_others_fill_free_slots():
    plan = plan_network("10.42.0.0/16", ["euc2-az1"], {"pinned": "10.42.128.0/20", "free": None})
    assert str(plan.zone("reviewer-pinned").cidr) == "10.42.128.0/20"
    assert str(plan.zone("reviewer-free").cidr) == "10.42.64.0/20"


@pytest.mark.parametrize("cidr, message", [
    ("10.42.0.0/20", "overlaps"),          # the endpoints zone's slot
    ("10.99.0.0/20", "not inside"),
    ("10.42.128.0/28", "too small"),
])
def test_bad_pinned_cidrs_are_refused_with_the_key(cidr, message):
    with pytest.raises(LayoutError) as caught:
        plan_network("10.42.0.0/16", ["euc2-az1"], {"lab": cidr})
    assert caught.value.key == "reviewers.organizations[lab].cidr"
    assert message in caught.value.message


def test_running_out_of_slots_is_explained():
    with pytest.raises(LayoutError, match="no free"):
        plan_network("10.42.0.0/22", ["euc2-az1"], {f"org{i}": None for i in range(13)})


def test_spread_puts_the_first_builders_in_distinct_zones():
    placed = spread(5, ["euc2-az3", "euc2-az1", "euc2-az2"])
    assert placed[:3] == sorted(set(placed[:3])) and len(set(placed[:3])) == 3
    assert placed == spread(5, ["euc2-az1", "euc2-az2", "euc2-az3"])


@settings(max_examples=50, deadline=None)
@given(az_subsets, org_names, st.lists(st.sampled_from(["3.5.136.0/22", "16.12.32.0/22", "52.95.139.0/24"]), unique=True))
def test_nacls_never_open_anything_to_the_internet(azs, orgs, s3_cidrs):
    plan = plan_network("10.42.0.0/16", azs, {org: None for org in orgs})
    flows = zone_flows(plan)
    for zone in plan.zones:
        entries = nacl_entries(zone.name, plan, flows, s3_cidrs)
        assert entries, f"zone {zone.name} has no NACL entries"
        assert all(e.cidr_block != "0.0.0.0/0" for e in entries)
        assert len({(e.egress, e.rule_no) for e in entries}) == len(entries)  # rule numbers unique per direction
        if zone.is_reviewer:
            # a reviewer zone talks to the endpoints and S3 only: never to data, signing or another reviewer
            peers = {str(plan.zone(n).cidr) for n in ("data", "signing", "build")} | {
                str(z.cidr) for z in plan.zones if z.is_reviewer and z.name != zone.name}
            assert not peers & {e.cidr_block for e in entries}


def test_flows_reach_s3_and_endpoints_from_every_zone_but_endpoints():
    plan = plan_network("10.42.0.0/16", ["euc2-az1"], {"lab": None})
    flows = zone_flows(plan)
    sources = {f.source for f in flows if f.destination == S3_GATEWAY}
    assert sources == {z.name for z in plan.zones} - {"endpoints"}
