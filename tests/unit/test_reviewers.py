"""Reviewer zones as each stack declares them: roles that read their material and are
denied customer data and signing (the declared policy documents, evaluated), logged
sessions, isolated networks, and bad reviewer config rejected with the key to fix."""

from __future__ import annotations

import fnmatch
import ipaddress
import json
from typing import Any

import pytest
import yaml

from components import hosts
from components.config import load_config
from components.layout import S3_GATEWAY, nacl_entries, reviewer_zone_name, zone_flows
from tcenter.core.stackfiles import load_stack_values
from tcenter.plan.engine import S3_PREFIX_LIST_STAND_IN, to_pulumi_config
from tests.helpers import expect_refused, problem_keys

NS = "transparency-center"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ACM = "arn:aws:acm:eu-central-2:111111111111:certificate/"


def config_of(stack: str):
    return load_config(to_pulumi_config(load_stack_values(stack))[0], stack)


def organizations(stack: str):
    return config_of(stack).reviewers.organizations


# --- a small IAM evaluator: explicit deny > boundary > identity allow -------------------

def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _match(patterns: Any, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in _as_list(patterns))


def _conditions_hold(conditions: dict | None, context: dict[str, Any]) -> bool:
    """The operators the kit uses. A missing key fails every operator except ...IfExists."""
    for operator, tests in (conditions or {}).items():
        for key, expected in tests.items():
            expected_values = [str(v).lower() for v in _as_list(expected)]
            if key not in context:
                if operator.endswith("IfExists"):
                    continue
                return False
            actual = [str(v).lower() for v in _as_list(context[key])]
            base = operator.removesuffix("IfExists").split(":")[-1]
            if base in ("StringEquals", "Bool", "ArnEquals"):
                if not any(a in expected_values for a in actual):
                    return False
            elif base in ("StringNotEquals", "ArnNotEquals"):
                if any(a in expected_values for a in actual):
                    return False
            elif base == "StringLike":
                if not any(fnmatch.fnmatchcase(a, e) for a in actual for e in expected_values):
                    return False
            else:
                raise AssertionError(f"operator {operator} not understood by the test evaluator")
    return True


def _applies(statement: dict, action: str, resource: str, context: dict[str, Any]) -> bool:
    covered = (_match(statement["Action"], action) if "Action" in statement
               else not _match(statement["NotAction"], action))
    return covered and _match(statement["Resource"], resource) and _conditions_hold(statement.get("Condition"), context)


def _statements(documents: list[dict]) -> list[dict]:
    return [s for d in documents for s in _as_list(d["Statement"])]


def allowed(identity: list[dict], boundary: dict | None, action: str, resource: str, context: dict | None = None) -> bool:
    context = context or {}
    everything = _statements(identity) + (_statements([boundary]) if boundary else [])
    if any(s["Effect"] == "Deny" and _applies(s, action, resource, context) for s in everything):
        return False
    if boundary is not None and not any(
            s["Effect"] == "Allow" and _applies(s, action, resource, context) for s in _statements([boundary])):
        return False
    return any(s["Effect"] == "Allow" and _applies(s, action, resource, context) for s in _statements(identity))


def role_documents(run, role_name: str) -> tuple[list[dict], dict | None, dict]:
    (role,) = [r for r in run.by_type(ROLE) if r.inputs["name"] == role_name]
    identity = [json.loads(p.inputs["policy"]) for p in run.by_type(ROLE_POLICY) if p.inputs["role"] == role_name]
    boundary_arn = role.inputs.get("permissionsBoundary")
    boundaries = [json.loads(p.inputs["policy"]) for p in run.by_type("aws:iam/policy:Policy")
                  if p.outputs.get("arn") == boundary_arn]
    return identity, (boundaries[0] if boundaries else None), role.inputs


def reviewer_roles(run, stack: str) -> dict[str, str]:
    return dict(run.outputs["reviewerRoleArns"])


def role_name_of(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


# --- material per scope, from what the other zones export --------------------------------

def material(run) -> dict[str, list[tuple[str, str]]]:
    """(action, resource) pairs a reviewer of each scope must be able to do."""
    out = run.outputs
    account = json.loads(run.by_type("pulumi:providers:aws")[0].inputs["allowedAccountIds"])[0]
    trail_group = f"arn:aws:logs:eu-central-2:{account}:log-group:{out['trailLogGroup']}"
    signatures = [("s3:GetObject", f"arn:aws:s3:::{out['releaseBucket']}/products/release.tar.zst")]
    for key_arn in (out.get("signingKeyArns") or {}).values():
        signatures += [("kms:GetPublicKey", key_arn), ("kms:Verify", key_arn)]
    return {
        "sources": [("s3:GetObject", f"arn:aws:s3:::{out['sourceMirrorBucket']}/product/src.tar"),
                    ("s3:ListBucket", f"arn:aws:s3:::{out['sourceMirrorBucket']}")],
        "builds": [("s3:GetObject", f"arn:aws:s3:::{out['buildArtifactsBucket']}/products/build.tar")],
        "signatures": signatures,
        "audit-logs": [("s3:GetObject", f"arn:aws:s3:::{out['auditArchiveBucket']}/cloudtrail/AWSLogs/x.json.gz"),
                       ("logs:FilterLogEvents", trail_group)],
    }


def customer_data(run) -> list[tuple[str, str, dict]]:
    """(action, resource, context) a reviewer must never be allowed, for every store."""
    out = run.outputs
    account = json.loads(run.by_type("pulumi:providers:aws")[0].inputs["allowedAccountIds"])[0]
    denied = []
    for region, bucket in sorted(out["dataStoreBuckets"].items()):
        table = f"arn:aws:dynamodb:eu-central-2:{account}:table/{out['dataStoreTables'][region]}"
        key = out["dataStoreKeyArns"][region]
        denied += [
            ("s3:GetObject", f"arn:aws:s3:::{bucket}/telemetry/2026/sample.bin", {}),
            ("s3:ListBucket", f"arn:aws:s3:::{bucket}", {}),
            ("dynamodb:GetItem", table, {}),
            ("dynamodb:Query", f"{table}/index/by-time", {}),
            # A request on a key carries its aliases (kms:ResourceAliases).
            ("kms:Decrypt", key, {"kms:ResourceAliases": [f"alias/tc/{run.stack}/data-{region}"]}),
        ]
    assert denied, "every stack has customer data stores"
    return denied


def test_prod_declares_two_or_more_reviewer_zones(declared):
    run = declared("zurich-prod")
    assert len(run.outputs["reviewerRoleArns"]) >= 2
    assert len(run.by_type("transparency-center:reviewers:ReviewerZone")) == len(organizations("zurich-prod"))


def test_each_reviewer_role_reads_exactly_the_material_of_its_scopes(each_stack):
    needs = material(each_stack)
    for org in organizations(each_stack.stack):
        identity, boundary, _ = role_documents(each_stack, role_name_of(each_stack.outputs["reviewerRoleArns"][org.name]))
        assert boundary is not None, f"{org.name}: no permission boundary"
        for scope, checks in needs.items():
            for action, resource in checks:
                # From a workstation: through the center's endpoints.
                inside = {"aws:SourceVpce": each_stack.outputs["interfaceEndpointIds"]["logs"]}
                verdict = allowed(identity, boundary, action, resource, inside)
                assert verdict == (scope in org.scopes), (org.name, scope, action, resource)
                # ... and never from a laptop, unless the organization has no workstation and reads
                # from its own account (issue 29: it can still read its scopes).
                remote = org.own_account and not org.workstations
                if action.startswith("logs:") and verdict:
                    assert allowed(identity, boundary, action, resource, {"aws:SourceVpce": "vpce-elsewhere"}) == remote


def test_reviewer_roles_are_denied_customer_data_and_signing_even_when_widened(each_stack):
    """Deny wins over anything later attached, and the boundary caps it: add AdministratorAccess."""
    administrator = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    signing_keys = list((each_stack.outputs.get("signingKeyArns") or {}).values()) or ["arn:aws:kms:eu-central-2:1:key/any"]
    for org in organizations(each_stack.stack):
        identity, boundary, _ = role_documents(each_stack, role_name_of(each_stack.outputs["reviewerRoleArns"][org.name]))
        for documents in (identity, identity + [administrator]):
            for action, resource, context in customer_data(each_stack):
                assert not allowed(documents, boundary, action, resource, context), (org.name, action, resource)
            for key in signing_keys:
                assert not allowed(documents, boundary, "kms:Sign", key), org.name
                assert not allowed(documents, boundary, "kms:CreateGrant", key), org.name
        # The role's own denies hold even with the boundary detached.
        for action, resource, context in customer_data(each_stack):
            assert not allowed(identity + [administrator], None, action, resource, context), (org.name, action, resource)
        for key in signing_keys:
            assert not allowed(identity + [administrator], None, "kms:Sign", key), org.name
        widened = identity + [administrator]
        source = f"arn:aws:s3:::{each_stack.outputs['sourceMirrorBucket']}/product/src.tar"
        for action in ("s3:PutObject", "s3:DeleteObject", "iam:AttachRolePolicy", "iam:PutRolePolicy", "sts:AssumeRole"):
            assert not allowed(widened, boundary, action, source if action.startswith("s3") else "*"), (org.name, action)
        # Resources of the data zone not listed by ARN: denied by their zone tag.
        tagged = {"aws:ResourceTag/zone": "data"}
        assert not allowed(widened, boundary, "kms:Decrypt", "arn:aws:kms:eu-central-2:1:key/new-store", tagged)


def test_workstation_roles_share_the_reviewer_denies(declared):
    run = declared("zurich-prod")
    workstation_roles = [r.inputs["name"] for r in run.by_type(ROLE) if r.inputs["name"].endswith("-workstation")
                         and "-reviewer-" in r.inputs["name"]]
    assert workstation_roles
    for name in workstation_roles:
        identity, boundary, _ = role_documents(run, name)
        assert boundary is not None
        for action, resource, context in customer_data(run):
            assert not allowed(identity, boundary, action, resource, context), (name, action, resource)
        assert not allowed(identity, boundary, "kms:Sign", "*")


def test_trust_is_the_organizations_own_account_or_outside_prod_configured_roles(each_stack):
    """An organization with its own account (prod: every one) is trusted as that account, never
    as roles of the center's account, whose owner controls them; every session names its person."""
    account = json.loads(each_stack.by_type("pulumi:providers:aws")[0].inputs["allowedAccountIds"])[0]
    for org in organizations(each_stack.stack):
        _, _, role = role_documents(each_stack, role_name_of(each_stack.outputs["reviewerRoleArns"][org.name]))
        (statement,) = json.loads(role["assumeRolePolicy"])["Statement"]
        assert statement["Effect"] == "Allow"
        assert "*" not in json.dumps(statement["Principal"])
        if org.account_id:
            assert org.account_id != account
            expected = sorted(org.trusted_principals) or [f"arn:aws:iam::{org.account_id}:root"]
            assert sorted(_as_list(statement["Principal"]["AWS"])) == expected
            assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": org.account_id},
                                              "Null": {"sts:SourceIdentity": "false"}}
        else:
            assert each_stack.stack != "zurich-prod"
            assert sorted(_as_list(statement["Principal"]["AWS"])) == sorted(org.trusted_principals)
            assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": account}}


def _session_document(run, org: str) -> tuple[Any, dict]:
    name = run.outputs["reviewerSessionDocuments"][org]
    (document,) = [d for d in run.by_type("aws:ssm/document:Document") if d.inputs["name"] == name]
    return document, json.loads(document.inputs["content"])


def test_sessions_are_logged_encrypted_with_the_configured_timeouts(each_stack):
    session = config_of(each_stack.stack).reviewers.session
    keys = {k.outputs["arn"] for k in each_stack.by_type("aws:kms/key:Key")}
    buckets = {b.inputs["bucket"] for b in each_stack.by_type("aws:s3/bucket:Bucket")}
    groups = {g.inputs["name"]: g for g in each_stack.by_type("aws:cloudwatch/logGroup:LogGroup")}
    encrypted = {e.inputs["bucket"] for e in each_stack.by_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
                 if e.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"}
    names = set()
    for org in organizations(each_stack.stack):
        document, content = _session_document(each_stack, org.name)
        names.add(document.inputs["name"])
        assert document.inputs["documentType"] == "Session"
        inputs = content["inputs"]
        assert inputs["s3EncryptionEnabled"] is True and inputs["cloudWatchEncryptionEnabled"] is True
        assert inputs["s3BucketName"] in buckets and inputs["s3BucketName"] in encrypted
        assert inputs["s3KeyPrefix"].endswith(f"{org.name}/")
        assert groups[inputs["cloudWatchLogGroupName"]].inputs["kmsKeyId"] in keys
        assert inputs["kmsKeyId"] in keys
        assert inputs["idleSessionTimeout"] == str(session.idle_timeout_minutes)
        assert inputs["maxSessionDuration"] == str(session.max_session_minutes)
        assert inputs["runAsEnabled"] is True and inputs["runAsDefaultUser"] not in ("root", "ssm-user")
    assert len(names) == len(organizations(each_stack.stack)), "one session document per organization"


def test_sessions_start_only_on_own_workstations_with_own_preferences(declared):
    run = declared("zurich-prod")
    instances = {i.id: i for i in run.by_type("aws:ec2/instance:Instance")}
    for org in organizations("zurich-prod"):
        identity, boundary, _ = role_documents(run, role_name_of(run.outputs["reviewerRoleArns"][org.name]))
        document_arn_suffix = f":document/{run.outputs['reviewerSessionDocuments'][org.name]}"
        own = run.outputs["reviewerWorkstationIds"][org.name]
        assert len(own) == org.workstations
        others = [i for i in instances if i not in own]
        for instance_id in own:
            arn = instances[instance_id].outputs["arn"]
            assert allowed(identity, boundary, "ssm:StartSession", arn, {"ssm:SessionDocumentAccessCheck": "true"})
        for instance_id in others:
            assert not allowed(identity, boundary, "ssm:StartSession", instances[instance_id].outputs["arn"],
                               {"ssm:SessionDocumentAccessCheck": "true"}), (org.name, instance_id)
        default_document = "arn:aws:ssm:eu-central-2::document/SSM-SessionManagerRunShell"
        assert not allowed(identity, boundary, "ssm:StartSession", default_document)
        if own:
            assert any(_match(s["Resource"], f"arn:aws:ssm:eu-central-2:333333333333{document_arn_suffix}")
                       for s in _statements(identity) if s["Effect"] == "Allow" and "ssm:StartSession" in _as_list(s["Action"]))


def test_workstations_are_hardened_hosts_in_their_own_zone(declared):
    run = declared("zurich-prod")
    subnets = run.outputs["subnetIds"]
    groups = run.outputs["reviewerSecurityGroupIds"]
    instances = {i.id: i for i in run.by_type("aws:ec2/instance:Instance")}
    for org in organizations("zurich-prod"):
        for instance_id in run.outputs["reviewerWorkstationIds"][org.name]:
            instance = instances[instance_id]
            assert instance.inputs["subnetId"] in subnets[reviewer_zone_name(org.name)]
            assert instance.inputs["vpcSecurityGroupIds"] == [groups[org.name]]
            assert instance.inputs["associatePublicIpAddress"] is False
            assert "keyName" not in instance.inputs
            assert instance.inputs["metadataOptions"]["httpTokens"] == "required"
            text = hosts.user_data_text(instance.inputs["userDataBase64"])
            user_data = yaml.safe_load(text)
            assert 'role "workstation"' in text
            (script,) = [f for f in user_data["write_files"] if f["path"] == "/usr/local/sbin/tc-provision-host"]
            provision = script["content"]
            assert "systemctl enable tc-review-user.service" in provision
            assert "systemctl mask ssh.service" in provision or "mask ssh.service" in provision
            assert f'"organization": "{org.name}"' in provision
            assert "/bin/bash" in provision and "--lock" in provision  # a shell for sessions, no password


def _rule_targets(rule: dict) -> list[str]:
    return rule.get("cidrBlocks", []) + rule.get("prefixListIds", []) + rule.get("securityGroups", [])


def test_security_groups_agree_with_the_zone_flows(each_stack):
    config = config_of(each_stack.stack)
    plan = config.network_plan()
    flows = zone_flows(plan)
    (gateway,) = [e for e in each_stack.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                  if e.inputs["vpcEndpointType"] == "Gateway" and e.inputs["serviceName"].endswith(".s3")
                  and e.inputs["tags"]["zone"] == "endpoints"]  # not the analysis cells' own gateway
    groups = {g.id: g for g in each_stack.by_type("aws:ec2/securityGroup:SecurityGroup")}
    for org in config.reviewers.organizations:
        zone = reviewer_zone_name(org.name)
        if not org.workstations and org.client_vpn is None:
            assert org.name not in each_stack.outputs["reviewerSecurityGroupIds"], "a group attached to nothing"
            continue
        group = groups[each_stack.outputs["reviewerSecurityGroupIds"][org.name]]
        expected_egress = set()
        for flow in flows:
            if flow.source == zone:
                target = gateway.outputs["prefixListId"] if flow.destination == S3_GATEWAY else str(plan.zone(flow.destination).cidr)
                expected_egress.add((target, int(flow.ports[0]), int(flow.ports[1])))
        egress = {(t, int(r["fromPort"]), int(r["toPort"])) for r in group.inputs["egress"] for t in _rule_targets(r)}
        assert egress == expected_egress, org.name
        if org.client_vpn is None:
            assert group.inputs["ingress"] == [], org.name


def test_reviewer_nacls_and_reach_allow_only_endpoints_s3_and_the_zone_itself(each_stack):
    config = config_of(each_stack.stack)
    plan = config.network_plan()
    flows = zone_flows(plan)
    nacls = {n.inputs["tags"]["zone"]: n for n in each_stack.by_type("aws:ec2/networkAcl:NetworkAcl")}
    for org in config.reviewers.organizations:
        zone = reviewer_zone_name(org.name)
        own = ipaddress.ip_network(each_stack.outputs["zoneCidrs"][zone])
        endpoints = ipaddress.ip_network(each_stack.outputs["zoneCidrs"]["endpoints"])
        s3 = {ipaddress.ip_network(c) for c in S3_PREFIX_LIST_STAND_IN}
        nacl = nacls[zone]
        for rule in nacl.inputs["ingress"] + nacl.inputs["egress"]:
            cidr = ipaddress.ip_network(rule["cidrBlock"])
            assert cidr in {own, endpoints} | s3, (zone, rule)
        # The declared NACL is the one the flows give, rule for rule.
        expected = nacl_entries(zone, plan, flows, list(S3_PREFIX_LIST_STAND_IN))
        declared_rules = sorted((r["ruleNo"], r["cidrBlock"], r["fromPort"], r["toPort"]) for r in nacl.inputs["egress"])
        assert declared_rules == sorted((e.rule_no, e.cidr_block, e.from_port, e.to_port) for e in expected if e.egress)
        # The reach shown to reviewers: nothing but the endpoints, S3 and the zone itself.
        reach = each_stack.outputs["reviewerReach"][org.name]
        assert reach, zone
        for entry in reach:
            assert {entry["from"], entry["to"]} <= {zone, f"{zone}:client-vpn", "endpoints", S3_GATEWAY}, entry
        assert {(e["to"], int(e["ports"][0])) for e in reach if e["from"] == zone} == {("endpoints", 443), (S3_GATEWAY, 443)}


def test_no_other_zone_may_reach_a_reviewer_zone(each_stack):
    config = config_of(each_stack.stack)
    for flow in zone_flows(config.network_plan()):
        if flow.destination.startswith("reviewer-"):
            assert flow.source == flow.destination, flow
        if flow.source.startswith("reviewer-"):
            assert flow.destination in ("endpoints", S3_GATEWAY, flow.source), flow


def test_reviewer_exports(each_stack):
    names = sorted(org.name for org in organizations(each_stack.stack))
    for key in ("reviewerRoleArns", "reviewerSessionDocuments", "reviewerWorkstationIds", "reviewerReach"):
        assert sorted(each_stack.outputs[key]) == names, key
    # A group only where something uses it: workstations or a Client VPN.
    with_hosts = sorted(org.name for org in organizations(each_stack.stack) if org.workstations or org.client_vpn)
    assert sorted(each_stack.outputs["reviewerSecurityGroupIds"]) == with_hosts


# --- Client VPN (off unless an organization asks for it) -----------------------------------

def _with_client_vpn(stack_values, cidr="172.16.0.0/22"):
    values = stack_values("dev")
    org = values[f"{NS}:reviewers"]["organizations"][0]
    org["workstations"] = 1
    org["clientVpn"] = {"serverCertificateArn": ACM + "0" * 8 + "-0000-0000-0000-" + "0" * 12,
                        "clientRootCertificateArn": ACM + "1" * 8 + "-1111-1111-1111-" + "1" * 12,
                        "clientCidr": cidr}
    return values, org["name"]


def test_no_client_vpn_unless_configured(each_stack):
    assert not each_stack.by_type("aws:ec2clientvpn/endpoint:Endpoint")


def test_client_vpn_is_mutual_tls_logged_split_tunnel_into_its_own_zone_only(declare_with, stack_values):
    values, org = _with_client_vpn(stack_values)
    run = declare_with(values)
    zone = reviewer_zone_name(org)
    (endpoint,) = run.by_type("aws:ec2clientvpn/endpoint:Endpoint")
    assert [o["type"] for o in endpoint.inputs["authenticationOptions"]] == ["certificate-authentication"]
    assert endpoint.inputs["authenticationOptions"][0]["rootCertificateChainArn"].startswith(ACM)
    assert endpoint.inputs["connectionLogOptions"]["enabled"] is True
    # Connection logs go to the organization's own session log group, which it alone reads.
    own_group = endpoint.inputs["connectionLogOptions"]["cloudwatchLogGroup"]
    assert own_group.endswith(f"/ssm-sessions/{org}")
    assert own_group in {g.inputs["name"] for g in run.by_type("aws:cloudwatch/logGroup:LogGroup")}
    assert endpoint.inputs["splitTunnel"] is True
    associations = run.by_type("aws:ec2clientvpn/networkAssociation:NetworkAssociation")
    assert sorted(a.inputs["subnetId"] for a in associations) == sorted(run.outputs["subnetIds"][zone])
    (rule,) = run.by_type("aws:ec2clientvpn/authorizationRule:AuthorizationRule")
    assert rule.inputs["targetNetworkCidr"] == run.outputs["zoneCidrs"][zone]
    # The zone's group admits HTTPS from the VPN endpoint's group and nothing else.
    groups = {g.id: g for g in run.by_type("aws:ec2/securityGroup:SecurityGroup")}
    group = groups[run.outputs["reviewerSecurityGroupIds"][org]]
    (vpn_group_id,) = endpoint.inputs["securityGroupIds"]
    assert [(_rule_targets(r), r["fromPort"], r["toPort"]) for r in group.inputs["ingress"]] == [([vpn_group_id], 443, 443)]


def test_client_vpn_cidr_overlapping_the_vpc_is_rejected(declare_with, stack_values):
    values, org = _with_client_vpn(stack_values, cidr="10.40.0.0/22")
    error = expect_refused(declare_with, values)
    assert f"{NS}:reviewers.organizations[{org}].clientVpn.clientCidr" in problem_keys(error)


# --- bad reviewer config ---------------------------------------------------------------------





def test_unknown_scope_is_rejected_naming_it(declare_with, stack_values):
    values = stack_values("dev")
    org = values[f"{NS}:reviewers"]["organizations"][0]
    org["scopes"] = ["sources", "customer-data"]
    error = expect_refused(declare_with, values)
    assert problem_keys(error) == [f"{NS}:reviewers.organizations[{org['name']}].scopes"]
    assert "customer-data" in str(error) and "audit-logs" in str(error)


def test_duplicate_organization_name_is_rejected(declare_with, stack_values):
    values = stack_values("staging")
    orgs = values[f"{NS}:reviewers"]["organizations"]
    orgs[1]["name"] = orgs[0]["name"]
    orgs[1]["trustedPrincipals"] = ["arn:aws:iam::222222222222:role/another-reviewer"]
    orgs[1]["cidr"] = "10.41.160.0/20"
    error = expect_refused(declare_with, values, "staging")
    assert problem_keys(error) == [f"{NS}:reviewers.organizations"]
    assert "unique" in str(error) and orgs[0]["name"] in str(error)


@pytest.mark.parametrize("cidr, other", [("10.42.128.0/21", "reviewer-swiss-review-lab"), ("10.42.48.0/20", "data")])
def test_cidr_overlapping_another_zone_is_rejected(declare_with, stack_values, cidr, other):
    values = stack_values("zurich-prod")
    orgs = values[f"{NS}:reviewers"]["organizations"]
    next(o for o in orgs if o["name"] == "eu-certification-body")["cidr"] = cidr
    error = expect_refused(declare_with, values, "zurich-prod")
    assert any(key.startswith(f"{NS}:reviewers.organizations[") and key.endswith("].cidr") for key in problem_keys(error))
    assert "overlaps" in str(error) and other in str(error)


@pytest.mark.parametrize("principal, message", [
    ("arn:aws:iam::111111111111:user/alice", "not an IAM role ARN"),
    ("*", "not an IAM role ARN"),
])
def test_trusted_principal_that_is_not_a_role_is_rejected(declare_with, stack_values, principal, message):
    values = stack_values("dev")
    org = values[f"{NS}:reviewers"]["organizations"][0]
    org["trustedPrincipals"] = [principal]
    error = expect_refused(declare_with, values)
    assert problem_keys(error) == [f"{NS}:reviewers.organizations[{org['name']}].trustedPrincipals"]
    assert message in str(error)


def test_one_role_trusted_by_two_organizations_is_rejected(declare_with, stack_values):
    values = stack_values("staging")
    orgs = values[f"{NS}:reviewers"]["organizations"]
    orgs[1]["trustedPrincipals"] = list(orgs[0]["trustedPrincipals"])
    error = expect_refused(declare_with, values, "staging")
    assert problem_keys(error) == [f"{NS}:reviewers.organizations"]
    assert "trusted by both" in str(error)


def test_sessions_never_run_as_root(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:reviewers"]["session"]["runAsUser"] = "root"
    error = expect_refused(declare_with, values)
    assert problem_keys(error) == [f"{NS}:reviewers.session.runAsUser"]


def test_trusted_principals_of_another_account_are_reported():
    """`reviewer_account_problems` (for the loader's cross-section rules): roles of an
    account other than the stack's are named with the key to fix."""
    from components.config.reviewers import reviewer_account_problems

    config = config_of("staging")
    assert reviewer_account_problems(config.reviewers, config.access.account_id) == []
    problems = reviewer_account_problems(config.reviewers, "999999999999")
    assert [key for key, _ in problems] == [
        f"reviewers.organizations[{org.name}].trustedPrincipals" for org in config.reviewers.organizations]
    assert all("222222222222" in message for _, message in problems)


def test_the_boundary_caps_every_verification_read_and_no_value_read():
    """The boundary's wildcard cap (reviewers.VERIFY_BOUNDARY_ACTIONS) must allow every action the
    verify-evidence-metadata policy grants, and expand (policy_sentry's catalogue) to no action that
    reads a value: an object, an item, a secret, a parameter, a log event."""
    from policy_sentry.querying.all import get_all_actions

    from components.reviewers import VERIFY_BOUNDARY_ACTIONS, VERIFY_READS

    granted = {a for _, actions, _ in VERIFY_READS for a in actions}
    cap = list(VERIFY_BOUNDARY_ACTIONS)
    assert all(_match(cap, a) for a in granted), sorted(a for a in granted
                                                        if not _match(cap, a))
    capped = {a for a in get_all_actions() if _match(cap, a)}
    assert capped and not {a for a in capped if a.lower() in {"s3:getobject", "dynamodb:getitem", "dynamodb:query",
                                                              "secretsmanager:getsecretvalue", "ssm:getparameter",
                                                              "logs:getlogevents", "kms:decrypt"}}
    assert not [a for a in capped if a.split(":")[1].startswith(("Put", "Create", "Delete", "Update", "Set"))]
