"""Every layer guards on its own: for every asset class x layer kind of the model
(tcenter/analysis/layers.py), a widening planted into the real zurich-prod plan exits 2, names
the layer, and names what still blocks it. The cells come from the model, the plants from one
planter per layer kind and one target per asset class; the issue's four weakenings are spelled
out by hand with what an independent reader expects to still block them (on 16cdbdd, before
this test, all four exited 1: "nothing dangerous")."""

from __future__ import annotations

import fnmatch
import json

import pytest

from tcenter.analysis import access, layers
from tcenter.analysis.diff import as_json, diff_plans
from tcenter.render.diff_text import render_markdown
from tests.review.conftest import find

STACK = "zurich-prod"


def reviewer(plan: dict) -> str:
    """A reviewer organization's role (not a workstation's): the principal every IAM cell widens a
    layer for, since the kit walls reviewers off customer data, signing and administration."""
    return sorted(r["inputs"]["name"] for r in find(plan, "aws:iam/role:Role", lambda r: "-reviewer-" in r["inputs"].get("name", "")
                                                    and r["inputs"].get("permissionsBoundary") and "workstation" not in r["name"]))[0]


def reviewer_denies_naming(plan: dict, arn: str) -> list[str]:
    """`Sid in policy` of the reviewer's own role-policy Deny statements whose Resource names ARN
    (read from the plan: what an independent reader expects to still block)."""
    out = []
    for rp in find(plan, "aws:iam/rolePolicy:RolePolicy", lambda r: r["inputs"]["role"] == reviewer(plan)):
        for s in json.loads(rp["inputs"]["policy"])["Statement"]:
            resources = s.get("Resource") if isinstance(s.get("Resource"), list) else [s.get("Resource")]
            if s.get("Effect") == "Deny" and any(r and (r == arn or arn.startswith(r.rstrip("*"))) and r != "*" for r in resources):
                out.append(f"{s['Sid']} in {rp['name']}")
    return out


def key_denies_of(key: dict, action: str) -> list[str]:
    """`Sid in key` of the key policy's own Deny statements covering ACTION (read from the plan)."""
    out = []
    for s in json.loads(key["inputs"]["policy"])["Statement"]:
        actions = s.get("Action") if isinstance(s.get("Action"), list) else [s.get("Action")]
        if s.get("Effect") == "Deny" and any(a and fnmatch.fnmatch(action.lower(), a.lower()) for a in actions):
            out.append(f"{s['Sid']} in {key['name']}")
    return out


def _resource(type_: str, name: str, inputs: dict, outputs: dict | None = None) -> dict:
    return {"urn": f"urn:pulumi:{STACK}::transparency-center::{type_}::{name}", "type": type_, "name": name,
            "custom": True, "parent": "", "provider": "", "dependencies": [], "propertyDependencies": {},
            "options": {}, "inputs": inputs, "outputs": outputs or {}}


def _doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _edit_policy(resource: dict, prop: str, statement: dict) -> None:
    document = json.loads(resource["inputs"][prop])
    document["Statement"].append(statement)
    resource["inputs"][prop] = json.dumps(document)


# --- targets: one per asset class ----------------------------------------------------------

LAYER_ASSET_KINDS = {"resource-policy": ("bucket", "table"), "key-policy": ("key", "signing-key"),
                     "grant": ("key", "signing-key")}
"""Which assets a layer kind can name (the others name any)."""
GRANT_OPERATIONS = {"Decrypt", "Encrypt", "GenerateDataKey", "ReEncryptFrom", "ReEncryptTo", "Sign", "Verify",
                    "GetPublicKey", "CreateGrant", "RetireGrant", "DescribeKey", "GenerateMac", "VerifyMac"}
"""KMS grant operations (AWS KMS API reference, CreateGrant)."""


def iam_target(plan: dict, asset_class: str, layer: str) -> tuple[access.Asset, str]:
    """An asset of the class the layer can name (the kinds the class claims most of first: a signing
    key before any key), and one action of the first access class that counts."""
    model = access.collect_model(plan)
    claimed = layers.ASSETS[asset_class].access
    assets = sorted(model.assets, key=lambda a: (-len(claimed.get(a.kind, claimed.get("*", ()))), a.name))
    for cls in dict.fromkeys(c for classes in claimed.values() for c in classes):
        for asset in assets:
            if layer in LAYER_ASSET_KINDS and asset.kind not in LAYER_ASSET_KINDS[layer]:
                continue
            if layers.asset_class_of(asset.kind, asset.name, asset.customer_data, cls) != asset_class:
                continue
            actions = access.class_actions(asset.service)[cls]
            if layer == "grant":
                actions = tuple(a for a in actions if a.split(":")[1] in GRANT_OPERATIONS)
            if actions:
                return asset, actions[0]
    raise AssertionError(f"the prod plan has no {asset_class} asset that {layer} can name")


def reviewer_arn(plan: dict) -> str:
    (role,) = find(plan, "aws:iam/role:Role", lambda r: r["inputs"].get("name") == reviewer(plan))
    return role["outputs"]["arn"]


# --- planters: one per layer kind (base, head) -> the resource that carries the widening ------

def plant_identity(base, head, asset, action):
    planted = _resource("aws:iam/rolePolicy:RolePolicy", "planted-identity",
                        {"name": "planted", "role": reviewer(head),
                         "policy": _doc({"Sid": "Planted", "Effect": "Allow", "Action": action, "Resource": list(asset.arns)})})
    head["resources"].append(planted)
    return planted


def plant_resource_policy(base, head, asset, action):
    if asset.kind == "table":
        (policy,) = find(head, "aws:dynamodb/resourcePolicy:ResourcePolicy", lambda r: r["inputs"]["resourceArn"] == asset.arns[0])
    else:
        bucket = asset.arns[0].split(":::")[1]
        (policy,) = find(head, "aws:s3/bucketPolicy:BucketPolicy", lambda r: r["inputs"]["bucket"] == bucket)
    _edit_policy(policy, "policy", {"Sid": "Planted", "Effect": "Allow", "Principal": {"AWS": reviewer_arn(head)},
                                    "Action": action, "Resource": list(asset.arns)})
    return policy


def plant_key_policy(base, head, asset, action):
    (key,) = find(head, "aws:kms/key:Key", lambda r: r["name"] == asset.name)
    _edit_policy(key, "policy", {"Sid": "Planted", "Effect": "Allow", "Principal": {"AWS": reviewer_arn(head)},
                                 "Action": action, "Resource": "*"})
    return key


def plant_grant(base, head, asset, action):
    planted = _resource("aws:kms/grant:Grant", "planted-grant",
                        {"name": "planted", "keyId": asset.arns[0], "granteePrincipal": reviewer_arn(head),
                         "operations": [action.split(":")[1]]})
    head["resources"].append(planted)
    return planted


def plant_permissions_boundary(base, head, asset, action):
    (role,) = find(head, "aws:iam/role:Role", lambda r: r["inputs"].get("name") == reviewer(head))
    (boundary,) = find(head, "aws:iam/policy:Policy", lambda r: r["outputs"].get("arn") == role["inputs"]["permissionsBoundary"])
    _edit_policy(boundary, "policy", {"Sid": "Planted", "Effect": "Allow", "Action": action, "Resource": list(asset.arns)})
    return boundary


def plant_scp(base, head, asset, action):
    """SCPs only take away: the wall is a Deny the base has and the head drops (the kit's SCPs
    live in the organization project; this one is attached the same way)."""
    keep = {"Sid": "DenyLeavingOrganization", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}
    wall = {"Sid": "PlantedWall", "Effect": "Deny", "Action": action, "Resource": list(asset.arns),
            "Condition": {"ArnEquals": {"aws:PrincipalArn": reviewer_arn(base)}}}
    for plan, statements in ((base, [keep, wall]), (head, [keep])):
        plan["resources"] += [
            _resource("aws:organizations/policy:Policy", "planted-scp",
                      {"name": "planted", "type": "SERVICE_CONTROL_POLICY", "content": _doc(*statements)}, {"id": "p-planted"}),
            _resource("aws:organizations/policyAttachment:PolicyAttachment", "planted-scp-attachment",
                      {"policyId": "p-planted", "targetId": "ou-center"})]
    return plan["resources"][-2]


def plant_endpoint_policy(base, head, asset, action):
    """An endpoint policy is a cap: the wall is a Deny for the reviewer the base has and the head drops."""
    (endpoint,) = find(base, "aws:ec2/vpcEndpoint:VpcEndpoint",  # the center's (the analysis zone has its own S3 gateway)
                       lambda r: r["inputs"]["serviceName"].endswith("." + asset.service) and r["inputs"].get("policy")
                       and r["inputs"]["tags"]["zone"] == "endpoints")
    _edit_policy(endpoint, "policy", {"Sid": "PlantedWall", "Effect": "Deny", "Principal": {"AWS": reviewer_arn(base)},
                                      "Action": action, "Resource": list(asset.arns)})
    return next(r for r in head["resources"] if r["urn"] == endpoint["urn"])


def _zone_cidr(plan, zone):
    """The zone's subnets as one /20 (the kit gives each zone one: four /22 slots)."""
    import ipaddress

    nets = [ipaddress.ip_network(s["inputs"]["cidrBlock"]) for s in find(plan, "aws:ec2/subnet:Subnet", lambda r: r["inputs"]["tags"].get("zone") == zone)]
    return str(ipaddress.ip_network(f"{nets[0].network_address}/20", strict=False))


def plant_security_group(base, head, src, dst):
    """The destination's group admits SSH from the source; a zone without a group (data) gets the
    group its hosts would have, in base and head, so the wall exists to be widened."""
    groups = find(head, "aws:ec2/securityGroup:SecurityGroup", lambda r: r["inputs"].get("tags", {}).get("zone") == dst)
    if not groups:
        for plan in (base, head):
            plan["resources"].append(_resource("aws:ec2/securityGroup:SecurityGroup", f"planted-{dst}-sg",
                                               {"name": f"planted-{dst}", "ingress": [], "egress": [],
                                                "tags": {"zone": dst}}, {"id": f"sg-planted-{dst}"}))
        groups = find(head, "aws:ec2/securityGroup:SecurityGroup", lambda r: r["name"] == f"planted-{dst}-sg")
    groups[0]["inputs"]["ingress"].append({"protocol": "tcp", "fromPort": 22, "toPort": 22,
                                           "cidrBlocks": [_zone_cidr(head, src)], "description": "planted SSH"})
    return groups[0]


def plant_nacl(base, head, src, dst):
    """The destination's NACL admits SSH from the source, and lets the replies out."""
    (nacl,) = find(head, "aws:ec2/networkAcl:NetworkAcl", lambda r: r["inputs"]["tags"].get("zone") == dst)
    cidr = _zone_cidr(head, src)
    nacl["inputs"]["ingress"].insert(0, {"action": "allow", "cidrBlock": cidr, "fromPort": 22, "toPort": 22,
                                         "protocol": "tcp", "ruleNo": 90})
    nacl["inputs"]["egress"].insert(0, {"action": "allow", "cidrBlock": cidr, "fromPort": 1024, "toPort": 65535,
                                        "protocol": "tcp", "ruleNo": 90})
    return nacl


def plant_route(base, head, src, dst):
    """The source zone's route table sends the internet's addresses to a gateway."""
    (table,) = find(head, "aws:ec2/routeTable:RouteTable", lambda r: r["inputs"]["tags"].get("zone") == src)
    table["inputs"]["routes"] = (table["inputs"].get("routes") or []) + [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-planted"}]
    return table


PLANTERS = {"identity": plant_identity, "resource-policy": plant_resource_policy, "key-policy": plant_key_policy,
            "grant": plant_grant, "permissions-boundary": plant_permissions_boundary, "scp": plant_scp,
            "endpoint-policy": plant_endpoint_policy, "security-group": plant_security_group, "nacl": plant_nacl,
            "route": plant_route}


def network_target(plan: dict, asset_class: str, layer: str) -> tuple[str, str]:
    """(source, destination): into the class's zone from a zone of no class (routes: from the
    class's zone to the internet); for a path between zones, between two zones of no class,
    into one whose hosts have a group."""
    zones = sorted({s["inputs"]["tags"]["zone"] for s in find(plan, "aws:ec2/subnet:Subnet")})
    claimed = {z for a in layers.ASSET_CLASSES if "*" not in a.zones for z in a.zones}
    free = [z for z in zones if z not in claimed and z != "endpoints"]
    with_group = [z for z in free if find(plan, "aws:ec2/securityGroup:SecurityGroup",
                                         lambda r, z=z: r["inputs"].get("tags", {}).get("zone") == z)]
    own = layers.ASSETS[asset_class].zones
    if "*" in own:  # a path between two zones of no class
        dst = with_group[0]
        src = next(z for z in free if z != dst)
        return (src, "internet") if layer == "route" else (src, dst)
    return (own[0], "internet") if layer == "route" else (with_group[0], own[0])


@pytest.fixture(scope="module")
def prod(plan_of):
    return plan_of(STACK)


def test_the_model_covers_every_pair_or_says_why_not():
    every = {(a.name, layer.name) for a in layers.ASSET_CLASSES for layer in layers.LAYER_KINDS}
    assert set(layers.guarded_pairs()) | set(layers.NOT_GUARDED) == every
    assert not set(layers.guarded_pairs()) & set(layers.NOT_GUARDED)
    assert all(len(reason) > 30 for reason in layers.NOT_GUARDED.values())
    assert set(PLANTERS) == set(layers.LAYERS), "one planter per layer kind of the model"


@pytest.mark.parametrize("asset_class,layer", layers.guarded_pairs(), ids=lambda v: v)
def test_a_widening_of_one_layer_exits_2_and_names_what_still_blocks(plan_of, asset_class, layer):
    base, head = plan_of(STACK), plan_of(STACK)
    if layers.LAYERS[layer].family == "iam":
        asset, action = iam_target(base, asset_class, layer)
        planted = PLANTERS[layer](base, head, asset, action)
        where = f"{action} on {asset.name}"
    else:
        src, dst = network_target(base, asset_class, layer)
        planted = PLANTERS[layer](base, head, src, dst)
        where = f"{src} -> {dst}"
    d = diff_plans(base, head)
    assert d.exit_code == 2, (where, d.dangers)
    found = [f for f in d.findings if layer in f.layer.split(", ") and f.still_blocked_by]
    assert found, (where, [f.as_dict() for f in d.findings])
    danger = found[0]
    assert danger.urn == planted["urn"], (danger.urn, planted["urn"])
    assert danger.cls in ("layer", "deny-removed") and (danger.asset_class in (asset_class, ""))
    for blocker in danger.still_blocked_by:
        assert blocker in danger.sentence
    names = {r["name"] for r in head["resources"]}
    assert any(name in blocker for blocker in danger.still_blocked_by for name in names), danger.still_blocked_by
    assert json.loads(as_json(d))["dangers"][d.findings.index(danger)]["still_blocked_by"] == list(danger.still_blocked_by)


def test_every_layer_widening_is_judged_for_its_asset_class(plan_of):
    """The IAM cells are `layer` dangers of the right asset class (not a deny removal elsewhere)."""
    for asset_class, layer in layers.guarded_pairs():
        if layer in ("scp", "endpoint-policy") or layers.LAYERS[layer].family != "iam":
            continue
        base, head = plan_of(STACK), plan_of(STACK)
        asset, action = iam_target(base, asset_class, layer)
        PLANTERS[layer](base, head, asset, action)
        classes = {(f.cls, f.layer, f.asset_class) for f in diff_plans(base, head).findings}
        assert ("layer", layer, asset_class) in classes, (asset_class, layer, classes)


def test_a_tag_on_any_layer_resource_is_not_dangerous(prod, plan_of):
    """Tags are no layer: a tag on one resource of every type the model lists exits 1."""
    head = plan_of(STACK)
    types = {t for kind in layers.LAYER_KINDS for t in kind.resources}
    tagged = 0
    for type_ in sorted(types):
        for resource in find(head, type_)[:1]:
            resource["inputs"].setdefault("tags", {})["cost-center"] = "4711"
            tagged += 1
    assert tagged >= 15
    d = diff_plans(prod, head)
    assert d.exit_code == 1, d.dangers


# --- the four, by hand -------------------------------------------------------------

def _one(d, layer):
    found = [f for f in d.findings if f.layer == layer]
    assert d.exit_code == 2 and found, d.dangers
    return found[0]


def test_a_reviewer_given_get_object_on_customer_data(prod, plan_of):
    head = plan_of(STACK)
    (bucket,) = find(head, "aws:s3/bucket:Bucket", lambda r: r["name"] == "tc-data-europe-objects-bucket")
    head["resources"].append(_resource("aws:iam/rolePolicy:RolePolicy", "pr-reads-europe", {
        "name": "read-europe", "role": reviewer(head),
        "policy": _doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket['inputs']['bucket']}/*"})}))
    d = diff_plans(prod, head)
    danger = _one(d, "identity")
    expected = reviewer_denies_naming(head, f"arn:aws:s3:::{bucket['inputs']['bucket']}/x")
    assert expected and set(expected) <= set(danger.still_blocked_by), (expected, danger.still_blocked_by)
    assert danger.asset_class == "customer-data" and danger.effective == "no"
    assert f"still blocked by {danger.still_blocked_by[0]}" in render_markdown(d)
    row = access.effective_access(head)["principals"][reviewer_arn(head)]["access"].get(bucket["name"], {})
    assert "read" not in row, "effective access is unchanged: the deny still holds (why the old diff said harmless)"


def test_a_data_key_policy_given_decrypt_for_a_reviewer(prod, plan_of):
    head = plan_of(STACK)
    (key,) = find(head, "aws:kms/key:Key", lambda r: r["name"] == "tc-data-europe-key-key")
    _edit_policy(key, "policy", {"Sid": "ReviewerDecrypt", "Effect": "Allow", "Principal": {"AWS": reviewer_arn(head)},
                                 "Action": "kms:Decrypt", "Resource": "*"})
    danger = _one(diff_plans(prod, head), "key-policy")
    expected = reviewer_denies_naming(head, key["outputs"]["arn"]) + key_denies_of(key, "kms:Decrypt")
    assert expected and set(expected) <= set(danger.still_blocked_by), (expected, danger.still_blocked_by)
    assert danger.urn == key["urn"] and "ReviewerDecrypt in tc-data-europe-key-key" in danger.sentence


def test_an_ssh_rule_from_the_build_subnet_to_the_signers(prod, plan_of):
    head = plan_of(STACK)
    (signers,) = find(head, "aws:ec2/securityGroup:SecurityGroup", lambda r: r["name"] == "tc-signing-signer-sg")
    signers["inputs"]["ingress"].append({"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.42.16.0/20"]})
    d = diff_plans(prod, head)
    danger = _one(d, "security-group")
    assert d.reach_added == [], "no path opened: the NACLs still block"
    assert danger.asset_class == "signing" and "build -> signing" in danger.sentence and "on 22" in danger.sentence
    assert "tc-network-signing-nacl (ingress and replies)" in danger.still_blocked_by
    assert "tc-network-build-nacl (egress and replies)" in danger.still_blocked_by


def test_a_builder_given_sign_on_a_signing_key(prod, plan_of):
    head = plan_of(STACK)
    (key,) = find(head, "aws:kms/key:Key", lambda r: r["name"] == "tc-signing-key-key")
    head["resources"].append(_resource("aws:iam/rolePolicy:RolePolicy", "pr-builder-signs", {
        "name": "sign", "role": "tc-zurich-prod-build-products-1",
        "policy": _doc({"Effect": "Allow", "Action": "kms:Sign", "Resource": key["outputs"]["arn"]})}))
    danger = _one(diff_plans(prod, head), "identity")
    assert "the key policy of tc-signing-key-key" in danger.still_blocked_by
    assert danger.asset_class == "signing"


def test_a_deny_removed_names_what_still_blocks(prod, plan_of):
    """The reviewer's Deny on a customer-data bucket gone from its role policy: what still holds is
    named (the boundary's Deny naming the bucket too, where it has one)."""
    head = plan_of(STACK)
    (bucket,) = find(head, "aws:s3/bucket:Bucket", lambda r: r["name"] == "tc-data-europe-objects-bucket")
    arn = f"arn:aws:s3:::{bucket['inputs']['bucket']}/x"
    sid, policy_name = reviewer_denies_naming(head, arn)[0].split(" in ")
    (policy,) = find(head, "aws:iam/rolePolicy:RolePolicy", lambda r: r["name"] == policy_name)
    document = json.loads(policy["inputs"]["policy"])
    document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]
    policy["inputs"]["policy"] = json.dumps(document)
    (danger,) = [f for f in diff_plans(prod, head).findings if f.cls == "deny-removed"]
    assert danger.layer == "identity" and danger.still_blocked_by and sid in danger.sentence
    (role,) = find(head, "aws:iam/role:Role", lambda r: r["inputs"].get("name") == reviewer(head))
    (boundary,) = find(head, "aws:iam/policy:Policy", lambda r: r["outputs"].get("arn") == role["inputs"]["permissionsBoundary"])
    in_boundary = [f"{s['Sid']} in {boundary['name']}" for s in json.loads(boundary["inputs"]["policy"])["Statement"]
                   if s.get("Effect") == "Deny" and any(r != "*" and arn.startswith(r.rstrip("*"))
                                                        for r in (s.get("Resource") if isinstance(s.get("Resource"), list) else [s.get("Resource")]))]
    assert set(in_boundary) <= set(danger.still_blocked_by), (in_boundary, danger.still_blocked_by)


def _full_access_dangers(base, head):
    """The access dangers as the whole table compares them (every principal, every asset)."""
    before, after = access.effective_access(base), access.effective_access(head)
    out = set()
    for key, entry in after["principals"].items():
        old = before["principals"].get(key, {}).get("access", {})
        for name, row in entry["access"].items():
            meta = after["assets"][name]
            for cls, text in row.items():
                sensitive = (meta["customer_data"] and cls in ("read", "decrypt", "delete")) or cls == "sign"
                bucket = name.split("/")[0]  # a store's samples/ or verdicts/ (issue 28): said with its bucket when the same
                if bucket != name and (row_of := entry["access"].get(bucket, {})).get(cls) == text \
                        and old.get(bucket, {}).get(cls) == old.get(name, {}).get(cls) and row_of:
                    continue
                if sensitive and old.get(name, {}).get(cls) != text and (old.get(name, {}).get(cls) is None or text == "yes"):
                    out.add(f"[access] {access.principal_name(key)} can newly {cls} {name} ({text})")
    return out


def _drop_named_principal_fences(plan: dict) -> None:
    """Customer data's own policies deny everyone not named by aws:PrincipalArn (issue 29): drop
    those Denies from every data bucket's and key's policy, so an identity grant takes effect."""
    def names_principals(statement: dict) -> bool:
        return statement.get("Effect") == "Deny" and "aws:principalarn" in json.dumps(statement.get("Condition", {})).lower()

    for resource, prop in ([(r, "policy") for r in find(plan, "aws:s3/bucketPolicy:BucketPolicy")]
                           + [(r, "policy") for r in find(plan, "aws:kms/key:Key")]):
        if "-data-" not in resource["name"] or not isinstance(resource["inputs"].get(prop), str):
            continue
        document = json.loads(resource["inputs"][prop])
        kept = [s for s in document["Statement"] if not names_principals(s)]
        assert len(kept) < len(document["Statement"]) or resource["type"] != "aws:kms/key:Key", resource["name"]
        document["Statement"] = kept
        resource["inputs"][prop] = json.dumps(document)


@pytest.mark.parametrize("change", ["builder-reads-data", "key-policy-for-all", "trust", "deny-gone"])
def test_the_diff_evaluates_only_what_a_change_reaches_and_finds_the_same(prod, plan_of, change):
    head = plan_of(STACK)
    if change in ("builder-reads-data", "deny-gone"):
        _drop_named_principal_fences(head)  # else the resources' own fences hold and nothing is granted
    if change == "builder-reads-data":
        buckets = [f"arn:aws:s3:::{b['inputs']['bucket']}/*" for b in find(head, "aws:s3/bucket:Bucket", lambda r: "-data-" in r["name"])]
        head["resources"].append(_resource("aws:iam/rolePolicy:RolePolicy", "pr-read", {
            "name": "read", "role": "tc-zurich-prod-build-products-2",
            "policy": _doc({"Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": buckets + ["*"]})}))
    elif change == "key-policy-for-all":
        for key in find(head, "aws:kms/key:Key", lambda r: "-data-" in r["name"]):
            _edit_policy(key, "policy", {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"},
                                         "Action": "kms:Decrypt", "Resource": "*"})
    elif change == "trust":
        (role,) = find(head, "aws:iam/role:Role", lambda r: r["inputs"].get("name") == "tc-zurich-prod-data-europe-analyze")
        _edit_policy(role, "assumeRolePolicy", {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                                                "Action": "sts:AssumeRole"})
    else:
        for policy in find(head, "aws:iam/rolePolicy:RolePolicy", lambda r: "DenyCustomerData" in r["inputs"]["policy"]):
            document = json.loads(policy["inputs"]["policy"])
            document["Statement"] = [s for s in document["Statement"] if not str(s.get("Sid")).startswith("DenyCustomerData")]
            policy["inputs"]["policy"] = json.dumps(document)
        (role,) = find(head, "aws:iam/role:Role", lambda r: r["inputs"].get("name") == reviewer(head))
        (boundary,) = find(head, "aws:iam/policy:Policy", lambda r: r["outputs"].get("arn") == role["inputs"]["permissionsBoundary"])
        document = json.loads(boundary["inputs"]["policy"])
        document["Statement"] = [s for s in document["Statement"] if not str(s.get("Sid")).startswith("DenyCustomerData")]
        document["Statement"].append({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
        boundary["inputs"]["policy"] = json.dumps(document)
        head["resources"].append(_resource("aws:iam/rolePolicy:RolePolicy", "pr-read", {
            "name": "read", "role": reviewer(head), "policy": _doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})}))
    scoped = {d for d in diff_plans(prod, head).dangers if d.startswith("[access]")}
    assert scoped == _full_access_dangers(prod, head)
    assert scoped, "each change grants some effective access"


def test_the_documented_layer_model_is_the_one_the_diff_uses():
    from tcenter.core.stackfiles import PROJECT_ROOT

    doc = (PROJECT_ROOT / "docs" / "review.md").read_text()
    for kind in layers.LAYER_KINDS:
        row = next((line for line in doc.splitlines() if line.startswith(f"| `{kind.name}` | {kind.label} |")), None)
        assert row is not None, f"docs/review.md lacks layer kind {kind.name}"
        for type_, props in kind.resources.items():
            assert f"`{type_}`: " + ("all" if props == layers.ALL else ", ".join(f"`{p}`" for p in props)) in row, type_
    for asset in layers.ASSET_CLASSES:
        assert any(line.startswith(f"| `{asset.name}` |") for line in doc.splitlines()), asset.name
    for (asset_class, layer), reason in layers.NOT_GUARDED.items():
        assert f"| `{asset_class}` | `{layer}` | {reason} |" in doc
