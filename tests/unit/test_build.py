"""BuildFleet as each stack declares it: builders spread over AZs, hardened instances and
launch templates, least-privilege roles, endpoint-only buckets, a security group that
only reaches the endpoints, user data rendered from the stack's config; bad build config
refused with its key path."""

from __future__ import annotations

import base64
import gzip
import ipaddress
import json

import pytest
import yaml

from components import hosts
from components.config.build import BUILD_INSTANCE_TYPES
from tests.helpers import expect_refused

NS = "transparency-center"
BUILDFLEET = "transparency-center:build:BuildFleet"
INSTANCE = "aws:ec2/instance:Instance"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def build_resources(run, type_=None):
    return [r for r in run.resources if BUILDFLEET in r.urn and (type_ is None or r.type == type_)]


def build_config(stack_values, run):
    return stack_values(run.stack)[f"{NS}:build"]


def subnet_azs(run) -> dict[str, str]:
    return {s.id: s.inputs["availabilityZoneId"] for s in run.by_type("aws:ec2/subnet:Subnet")}


def policy_of(resource) -> dict:
    return json.loads(resource.inputs["policy"])


# --- builders: count, spread, pinned image, allowed types ----------------------------------

def test_each_pool_has_its_builders_spread_over_distinct_azs(each_stack, stack_values):
    config = build_config(stack_values, each_stack)
    azs = subnet_azs(each_stack)
    zone_of_subnet = {s.id: s.inputs["tags"]["zone"] for s in each_stack.by_type("aws:ec2/subnet:Subnet")}
    available = len(stack_values(each_stack.stack)[f"{NS}:network"]["availabilityZones"])
    for pool in config["pools"]:
        builders = [i for i in build_resources(each_stack, INSTANCE) if i.inputs["tags"]["pool"] == pool["name"]]
        assert len(builders) == pool["builders"], pool["name"]
        assert {zone_of_subnet[b.inputs["subnetId"]] for b in builders} == {"build"}
        placed = [azs[b.inputs["subnetId"]] for b in builders]
        assert len(set(placed)) == min(pool["builders"], available), (pool["name"], placed)
        assert set(each_stack.outputs["builderInstanceIds"][pool["name"]]) == {b.id for b in builders}


def test_prod_runs_two_or_more_builders_per_pool_in_distinct_azs(declared):
    run = declared("zurich-prod")
    azs = subnet_azs(run)
    pools = {i.inputs["tags"]["pool"] for i in build_resources(run, INSTANCE)}
    assert {"products", "av-databases"} <= pools
    for pool in pools:
        placed = [azs[i.inputs["subnetId"]] for i in build_resources(run, INSTANCE) if i.inputs["tags"]["pool"] == pool]
        assert len(placed) >= 2 and len(set(placed)) >= 2, (pool, placed)


def test_builders_run_the_pinned_ami_and_allowed_types(each_stack, stack_values):
    config = build_config(stack_values, each_stack)
    types = {pool["name"]: pool.get("instanceType", "c6i.xlarge") for pool in config["pools"]}
    for resource in build_resources(each_stack, INSTANCE):
        assert resource.inputs["ami"] == config["amiId"]
        assert resource.inputs["instanceType"] == types[resource.inputs["tags"]["pool"]]
        assert resource.inputs["instanceType"] in BUILD_INSTANCE_TYPES
    for template in build_resources(each_stack, TEMPLATE):
        assert template.inputs["imageId"] == config["amiId"]


# --- every host of the stack, whichever zone declares it ------------------------------------

def test_every_instance_is_hardened(each_stack):
    instances = each_stack.by_type(INSTANCE)
    assert instances, "the stack declares builders"
    key_arns = {k.outputs["arn"] for k in each_stack.by_type("aws:kms/key:Key")}
    profiles = {p.inputs["name"] for p in each_stack.by_type("aws:iam/instanceProfile:InstanceProfile")}
    for instance in instances:
        inputs = instance.inputs
        assert inputs["metadataOptions"]["httpTokens"] == "required", instance.urn
        assert inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1, instance.urn
        assert inputs["associatePublicIpAddress"] is False, instance.urn
        assert "keyName" not in inputs, instance.urn
        assert inputs["rootBlockDevice"]["encrypted"] is True, instance.urn
        assert inputs["rootBlockDevice"]["kmsKeyId"] in key_arns, "a customer managed key of the stack"
        assert inputs["iamInstanceProfile"] in profiles, instance.urn


def test_every_launch_template_is_hardened(each_stack):
    templates = each_stack.by_type(TEMPLATE)
    assert templates
    key_arns = {k.outputs["arn"] for k in each_stack.by_type("aws:kms/key:Key")}
    for template in templates:
        inputs = template.inputs
        assert inputs["metadataOptions"]["httpTokens"] == "required", template.urn
        assert inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1, template.urn
        assert "keyName" not in inputs
        assert inputs["iamInstanceProfile"]["arn"].startswith("arn:aws:iam::")
        for mapping in inputs["blockDeviceMappings"]:
            assert mapping["ebs"]["encrypted"] == "true" and mapping["ebs"]["kmsKeyId"] in key_arns
        for interface in inputs.get("networkInterfaces") or []:
            assert interface.get("associatePublicIpAddress") in (None, "false")


def test_builder_volumes_use_the_build_zone_key_usable_only_via_ec2_and_s3(each_stack):
    key_arn = each_stack.outputs["buildKeyArn"]
    (key,) = [k for k in build_resources(each_stack, "aws:kms/key:Key")]
    assert key.outputs["arn"] == key_arn
    usage = [s for s in policy_of(key)["Statement"] if s["Sid"] == "UseThroughNamedServicesOnly"][0]
    assert sorted(usage["Condition"]["StringLike"]["kms:ViaService"]) == [
        "ec2.eu-central-2.amazonaws.com", "s3.eu-central-2.amazonaws.com"]
    for instance in build_resources(each_stack, INSTANCE):
        assert instance.inputs["rootBlockDevice"]["kmsKeyId"] == key_arn


def test_build_zone_resources_use_the_build_provider(each_stack):
    resources = [r for r in build_resources(each_stack) if r.custom]
    assert resources
    assert {r.provider.rsplit("::", 1)[-1] for r in resources} == {"tc-aws-build"}


# --- security group --------------------------------------------------------------------------

def test_builder_security_group_has_no_ingress_and_reaches_only_endpoints_and_s3(each_stack):
    (sg,) = build_resources(each_stack, "aws:ec2/securityGroup:SecurityGroup")
    assert sg.inputs["ingress"] == []
    (gateway,) = [e for e in each_stack.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                  if e.inputs["vpcEndpointType"] == "Gateway" and e.inputs["serviceName"].endswith(".s3")
                  and e.inputs["tags"]["zone"] == "endpoints"]  # not the analysis cells' own gateway
    endpoints_cidr = each_stack.outputs["zoneCidrs"]["endpoints"]
    egress = sg.inputs["egress"]
    assert len(egress) == 2
    for rule in egress:
        assert (rule["protocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
        assert rule["description"]
    assert [r["cidrBlocks"] for r in egress if r.get("cidrBlocks")] == [[endpoints_cidr]]
    assert [r["prefixListIds"] for r in egress if r.get("prefixListIds")] == [[gateway.outputs["prefixListId"]]]
    assert all(i.inputs["vpcSecurityGroupIds"] == [sg.id] for i in build_resources(each_stack, INSTANCE))


# --- roles: least privilege -------------------------------------------------------------------

def role_policies(run, builder):
    role_name = f"tc-{run.stack}-build-{builder}"
    return {p.inputs["name"]: policy_of(p) for p in build_resources(run, "aws:iam/rolePolicy:RolePolicy")
            if p.inputs["role"] == role_name}


def test_builder_roles_have_no_managed_policies_and_narrow_ssm(each_stack):
    assert not build_resources(each_stack, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    for builder in builder_pools(each_stack):
        policies = role_policies(each_stack, builder)
        ssm = policies["ssm-session-manager"]["Statement"]
        actions = {a for s in ssm for a in s["Action"]}
        assert "ssm:UpdateInstanceInformation" in actions and "ssmmessages:OpenDataChannel" in actions
        assert not any(a.startswith(("ssm:GetParameter", "ec2messages:")) or a.endswith("*") for a in actions)
        for document in policies.values():
            for statement in document["Statement"]:
                if statement["Effect"] == "Deny":  # denies only take away (instance credentials stay home)
                    continue
                assert not any(a in ("*", "s3:*", "kms:*") for a in statement["Action"])


def builder_pools(run) -> dict[str, str]:
    """builder identity -> pool, from the instances' tags (one instance per builder)."""
    return {i.inputs["tags"]["builder"]: i.inputs["tags"]["pool"] for i in build_resources(run, INSTANCE)}


def test_every_builder_is_its_own_identity(each_stack, stack_values):
    config = build_config(stack_values, each_stack)
    expected = {f"{pool['name']}-{n}": pool["name"] for pool in config["pools"] for n in range(1, pool["builders"] + 1)}
    assert builder_pools(each_stack) == expected
    instances = build_resources(each_stack, INSTANCE)
    profiles = [i.inputs["iamInstanceProfile"] for i in instances]
    assert len(set(profiles)) == len(instances) == len(expected)
    assert sorted(each_stack.outputs["builderRoleArns"]) == sorted(expected)
    assert len(set(each_stack.outputs["builderRoleArns"].values())) == len(expected)


def test_builders_write_only_under_their_own_prefix(each_stack):
    artifacts = each_stack.outputs["buildArtifactsBucket"]
    sources = each_stack.outputs["sourceMirrorBucket"]
    for builder, pool in builder_pools(each_stack).items():
        # Session transcripts are the one other write (tests/unit/test_operator_sessions.py).
        statements = [s for doc in role_policies(each_stack, builder).values() for s in doc["Statement"]
                      if s["Sid"] != "WriteSessionTranscripts"]
        writes = [s for s in statements if any(a.startswith("s3:Put") for a in s["Action"])]
        assert [w["Resource"] for w in writes] == [[f"arn:aws:s3:::{artifacts}/{pool}/{builder}/*"]]
        s3_actions = {a for s in statements for a in s["Action"] if a.startswith("s3:")}
        assert not any(a.startswith("s3:Delete") for a in s3_actions)
        reads = [s for s in statements if "s3:GetObject" in s["Action"]]
        # AV-database builders also read the stores' verdicts/ (issue 28), and nothing else of them
        verdicts = [[f"arn:aws:s3:::{bucket}/verdicts/*"] for bucket in each_stack.outputs["dataStoreBuckets"].values()
                    if "analysisCellRoleArns" in each_stack.outputs]
        assert sorted(r["Resource"] for r in reads) == sorted(
            [[f"arn:aws:s3:::{sources}/*"], *(verdicts if pool == "av-databases" else [])])


# --- buckets ------------------------------------------------------------------------------------

@pytest.mark.parametrize("output", ["sourceMirrorBucket", "buildArtifactsBucket"])
def test_build_buckets_are_versioned_kms_tls_and_endpoint_only(each_stack, output):
    name = each_stack.outputs[output]
    (bucket,) = [b for b in each_stack.by_type("aws:s3/bucket:Bucket") if b.inputs["bucket"] == name]
    owned = [r for r in each_stack.resources if r.parent == bucket.parent]
    by_type = {r.type: r for r in owned}
    assert by_type["aws:s3/bucketVersioning:BucketVersioning"].inputs["versioningConfiguration"]["status"] == "Enabled"
    sse = by_type["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"]
    default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": each_stack.outputs["buildKeyArn"]}
    pab = by_type["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"].inputs
    assert all(pab[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    logging = by_type["aws:s3/bucketLogging:BucketLogging"].inputs
    assert logging["targetBucket"] == each_stack.outputs["accessLogBucket"]
    statements = {s["Sid"]: s for s in policy_of(by_type["aws:s3/bucketPolicy:BucketPolicy"])["Statement"]}
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    vpce = statements["DenyObjectAccessOutsideCenterEndpoints"]["Condition"]["StringNotEquals"]["aws:SourceVpce"]
    assert vpce == [each_stack.outputs["s3GatewayEndpointId"]]


def test_only_builder_roles_may_write_artifacts(each_stack):
    name = each_stack.outputs["buildArtifactsBucket"]
    (policy,) = [p for p in build_resources(each_stack, "aws:s3/bucketPolicy:BucketPolicy") if p.inputs["bucket"] == name]
    statements = {s["Sid"]: s for s in policy_of(policy)["Statement"]}
    writers = statements["DenyWritesExceptNamedWriters"]["Condition"]["StringNotEquals"]["aws:PrincipalArn"]
    assert sorted(writers) == sorted(each_stack.outputs["builderRoleArns"].values())


# --- user data rendered from the stack's config ---------------------------------------------

def provisioning_of(instance) -> tuple[dict, str]:
    raw = base64.b64decode(instance.inputs["userDataBase64"])
    assert raw[:2] == b"\x1f\x8b" and len(raw) <= 16 * 1024, "gzip (cloud-init reads it by its magic), within EC2's 16 KiB"
    user_data = gzip.decompress(raw).decode()
    assert user_data.startswith("#cloud-config\n")
    cloud_config = yaml.safe_load(user_data)
    (script_file,) = cloud_config["write_files"]
    assert "encoding" not in script_file
    return cloud_config, script_file["content"]


def test_user_data_runs_the_provisioning_rendered_from_config(each_stack, stack_values):
    config = build_config(stack_values, each_stack)
    (gateway,) = [e for e in each_stack.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                  if e.inputs["vpcEndpointType"] == "Gateway" and e.inputs["serviceName"].endswith(".s3")
                  and e.inputs["tags"]["zone"] == "endpoints"]
    supernet = stack_values(each_stack.stack)[f"{NS}:network"]["supernet"]
    dns = str(ipaddress.IPv4Network(supernet).network_address + 2)
    for instance in build_resources(each_stack, INSTANCE):
        cloud_config, script = provisioning_of(instance)
        assert cloud_config["users"] == [] and cloud_config["ssh_pwauth"] is False
        assert cloud_config["runcmd"] == [["/usr/local/sbin/tc-provision-host"]]
        assert f"SOURCE_DATE_EPOCH={config['sourceDateEpoch']}" in script
        for package, version in config["toolchain"].items():
            assert f'"{package}={version}"' in script
        assert f"ip daddr {{ {each_stack.outputs['zoneCidrs']['endpoints']} }} tcp dport {{ 443 }} accept" in script
        assert f"ip daddr {{ {', '.join(sorted(gateway.outputs['cidrBlocks']))} }} tcp dport {{ 443 }} accept" in script
        assert f"ip daddr {{ {dns}, 169.254.169.253 }} udp dport {{ 53 }} accept" in script
        assert "server 169.254.169.123 prefer" in script
        assert f"TC_POOL={instance.inputs['tags']['pool']}" in script
        # The plain parts: the script's gzip+base64 encoding may spell anything by chance.
        plain = json.dumps({k: v for k, v in cloud_config.items() if k != "write_files"})
        for secret_marker in ("PRIVATE KEY", "aws_secret_access_key", "AKIA", "password="):
            assert secret_marker not in script and secret_marker not in plain
        # The launch template carries the same user data as its instances.
    for template in build_resources(each_stack, TEMPLATE):
        instances = [i for i in build_resources(each_stack, INSTANCE) if i.parent == template.parent]
        assert {i.inputs["userDataBase64"] for i in instances} == {template.inputs["userData"]}


def test_pools_get_different_provisioning(declared):
    run = declared("staging")
    scripts = {i.inputs["tags"]["pool"]: provisioning_of(i)[1] for i in build_resources(run, INSTANCE)}
    assert len(scripts) == 2 and len(set(scripts.values())) == 2


# --- bad build config: refused with the key path, nothing declared --------------------------



@pytest.mark.parametrize("ami", ["ami-latest", "ami-123", "debian-12", "ami-0A1B2C3D4E5F60718"])
def test_ami_that_is_not_a_pinned_id_is_refused(declare_with, stack_values, ami):
    values = stack_values("dev")
    values[f"{NS}:build"]["amiId"] = ami
    error = expect_refused(declare_with, values, "dev")
    assert [key for key, _ in error.problems] == [f"{NS}:build.amiId"]
    assert "pin an image" in str(error) and ami in str(error)


def test_instance_type_off_the_allow_list_is_refused(declare_with, stack_values):
    values = stack_values("staging")
    values[f"{NS}:build"]["pools"][1]["instanceType"] = "p4d.24xlarge"
    error = expect_refused(declare_with, values, "staging")
    assert [key for key, _ in error.problems] == [f"{NS}:build.pools[av-databases].instanceType"]
    assert "c6i.xlarge" in str(error)  # names what is allowed


def test_prod_pool_with_one_builder_is_refused(declare_with, stack_values):
    values = stack_values("zurich-prod")
    values[f"{NS}:build"]["pools"][0]["builders"] = 1
    error = expect_refused(declare_with, values, "zurich-prod")
    assert [key for key, _ in error.problems] == [f"{NS}:build.pools[products].builders"]
    assert "at least 2" in str(error)


def test_builders_may_share_an_availability_zone_outside_prod(declared):
    """dev has one AZ: its two builders per pool (a release needs two agreeing identities) share it;
    a pool of one builder is refused (tests/unit/test_release_config.py)."""
    run = declared("dev")
    assert len(run.outputs["builderInstanceIds"]["products"]) == 2
    assert len(set(run.outputs["builderAvailabilityZones"]["products"])) == 1


@pytest.mark.parametrize("version", ["*", ">= 12", "12.2; rm -rf /", ""])
def test_toolchain_must_be_pinned_to_exact_versions(declare_with, stack_values, version):
    values = stack_values("dev")
    values[f"{NS}:build"]["toolchain"] = {"gcc-12": version}
    error = expect_refused(declare_with, values, "dev")
    assert [key for key, _ in error.problems] == [f"{NS}:build.toolchain"]


def test_privileged_build_user_is_refused(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:build"]["buildUser"] = "root"
    error = expect_refused(declare_with, values, "dev")
    assert [key for key, _ in error.problems] == [f"{NS}:build.buildUser"]


# --- templates: StrictUndefined -----------------------------------------------------------------

def test_a_missing_template_variable_fails_the_render():
    with pytest.raises(hosts.RenderError, match="time_server"):
        hosts.render_template("files/chrony.conf.j2", {})


def test_empty_s3_prefix_list_fails_the_render():
    network = hosts.HostNetwork(vpc_cidr="10.0.0.0/16", endpoints_cidr="10.0.0.0/20", s3_cidrs=())
    with pytest.raises(hosts.RenderError, match="S3 prefix list"):
        hosts.base_profile(network)


def test_other_zones_only_read_build_buckets(each_stack):
    """Signers and reviewers get the build buckets through grant_read_*: read, never write."""
    buckets = [each_stack.outputs["buildArtifactsBucket"], each_stack.outputs["sourceMirrorBucket"]]
    outside = [p for p in each_stack.by_type("aws:iam/rolePolicy:RolePolicy") if BUILDFLEET not in p.urn]
    for policy in outside:
        for statement in policy_of(policy)["Statement"]:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if any(any(f":::{b}" in str(r) for b in buckets) for r in resources):
                assert statement["Effect"] == "Allow"
                assert set(statement["Action"]) <= {"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket",
                                                    "s3:ListBucketVersions"}, policy.urn
