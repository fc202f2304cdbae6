"""The transparency log's infrastructure (components/transparency.py), read from the plan.

Who may write which object and sign checkpoints is decided by evaluating the declared
documents (tests/unit/policy_eval.py) for every role the plan declares, plus principals the
plan does not show: an administrator of the account with AdministratorAccess (`*`), and root.
The expectation comes from the layout (tlog-tiles, one prefix per organization), not from the
component: exactly the sequencer writes tiles and the checkpoint, exactly an organization's
witness role writes its prefix, nobody deletes, and only the sequencer signs."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json

import botocore.session
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from components import awsfacts
from components.config import ConfigError, load_config
from components.config.transparency import vkey_key_id, vkey_problem
from tcenter.core.stackfiles import load_stack_values
from tcenter.plan.engine import to_pulumi_config
from tests.conftest import STACKS, _declared

from tests.unit.policy_eval import Request, allowed
from tests.unit.test_signing import user_data_of

ADMIN = "arn:aws:iam::{account}:role/SomeAdministrator"
ROOT = "arn:aws:iam::{account}:root"
EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
"""An identity policy like AdministratorAccess: what an owner's administrator has, outside the plan."""
INSIDE = "inside"
OUTSIDE = "outside"


class Plan:
    """The documents of one stack's plan, by role name and resource."""

    def __init__(self, stack: str):
        run = _declared(stack)
        self.run = run
        self.outputs = run.outputs
        self.account = run.outputs["auditKeyArn"].split(":")[4]
        self.bucket = run.outputs["transparencyLogBucket"]
        (bucket_policy,) = [p for p in run.by_type("aws:s3/bucketPolicy:BucketPolicy")
                            if p.inputs["bucket"] == self.bucket]
        self.bucket_policy = json.loads(bucket_policy.inputs["policy"])
        keys = {k.outputs["arn"]: k for k in run.by_type("aws:kms/key:Key")}
        self.checkpoint_key = keys[run.outputs["transparencyCheckpointKeyArn"]]
        self.checkpoint_key_policy = json.loads(self.checkpoint_key.inputs["policy"])
        self.log_key_policy = json.loads(keys[run.outputs["transparencyLogKeyArn"]].inputs["policy"])
        self.s3_endpoint = run.outputs["s3GatewayEndpointId"]
        self.kms_endpoint = run.outputs["interfaceEndpointIds"]["kms"]
        self.roles = {r.inputs["name"]: r for r in run.by_type("aws:iam/role:Role")}
        managed = {p.outputs["arn"]: json.loads(p.inputs["policy"]) for p in run.by_type("aws:iam/policy:Policy")}
        self.identity: dict[str, list[dict]] = {}
        for policy in run.by_type("aws:iam/rolePolicy:RolePolicy"):
            self.identity.setdefault(policy.inputs["role"], []).append(json.loads(policy.inputs["policy"]))
        self.boundary = {name: managed.get(r.inputs.get("permissionsBoundary")) for name, r in self.roles.items()}

    def arn(self, role_name: str) -> str:
        return f"arn:aws:iam::{self.account}:role/{role_name}"

    def principals(self) -> dict[str, tuple[list[dict], dict | None]]:
        """Every role of the plan, an administrator outside it, and root: (identity, boundary)."""
        out = {self.arn(name): (self.identity.get(name, []), self.boundary[name]) for name in self.roles}
        out[ADMIN.format(account=self.account)] = ([EVERYTHING], None)
        out[ROOT.format(account=self.account)] = ([EVERYTHING], None)
        return out

    def request(self, principal: str, action: str, key: str, where: str = INSIDE, **context: str) -> Request:
        base = {"aws:principalarn": principal, "aws:securetransport": "true", "aws:principalaccount": self.account,
                "aws:principalisawsservice": "false", "s3:objectcreationoperation": "true"}
        if where == INSIDE:
            base["aws:sourcevpce"] = self.s3_endpoint
        base.update({k.lower().replace("_", "-"): v for k, v in context.items()})
        return Request(principal, action, f"arn:aws:s3:::{self.bucket}/{key}", base)

    def may(self, principal: str, action: str, key: str, where: str = INSIDE, **context: str) -> bool:
        identity, boundary = self.principals()[principal]
        return allowed(self.request(principal, action, key, where, **context), account=self.account,
                       identity=identity, boundary=boundary, resource_policy=self.bucket_policy)

    def writers(self, key: str, **context: str) -> set[str]:
        """Every principal that may create `key` (If-None-Match: *), from inside or outside the center."""
        context = {"s3:if-none-match": "*", **context}
        return {p for p in self.principals() for where in (INSIDE, OUTSIDE)
                if self.may(p, "s3:PutObject", key, where, **context)}


@pytest.fixture(scope="module", params=STACKS)
def plan(request) -> Plan:
    return Plan(request.param)


TILES = ("tile/0/000", "tile/0/x001/234.p/17", "tile/2/000.p/3", "tile/entries/000", "tile/entries/x012/345.p/255")


def test_only_the_sequencer_creates_tiles_and_only_through_the_center(plan):
    sequencer = plan.outputs["transparencySequencerRoleArn"]
    for key in TILES:
        assert plan.writers(key) == {sequencer}, key
        assert not plan.may(sequencer, "s3:PutObject", key, OUTSIDE, **{"s3:if-none-match": "*"}), key


def test_tiles_are_create_only_even_for_the_sequencer(plan):
    sequencer = plan.outputs["transparencySequencerRoleArn"]
    assert plan.may(sequencer, "s3:PutObject", TILES[0], **{"s3:if-none-match": "*"})
    assert not plan.may(sequencer, "s3:PutObject", TILES[0])  # no If-None-Match: could overwrite
    # The steps of a multipart upload take no condition header; CompleteMultipartUpload does.
    assert plan.may(sequencer, "s3:PutObject", TILES[0], **{"s3:objectcreationoperation": "false"})
    assert not plan.may(sequencer, "s3:PutObject", TILES[0], **{"s3:objectcreationoperation": "true"})


def test_the_checkpoint_is_replaced_only_by_the_sequencer_and_only_with_a_precondition(plan):
    sequencer = plan.outputs["transparencySequencerRoleArn"]
    assert plan.writers("checkpoint") == {sequencer}
    assert plan.writers("checkpoint", **{"s3:if-none-match": None, "s3:if-match": '"etag-of-the-current"'}) == {sequencer}
    assert not plan.may(sequencer, "s3:PutObject", "checkpoint")  # a blind overwrite could race another sequencer


def test_each_organization_writes_only_its_own_cosignatures_from_anywhere(plan):
    witnesses = plan.outputs["transparencyWitnessRoleArns"]
    organizations = [o["name"] for o in _organizations(plan.run.stack)]
    assert sorted(witnesses) == sorted(organizations), "one witness role per reviewer organization"
    for org, role in witnesses.items():
        key = f"cosignatures/{org}/4096"
        assert plan.writers(key) == {role}, org
        assert plan.may(role, "s3:PutObject", key, OUTSIDE, **{"s3:if-none-match": "*"}), "the witness runs outside"
        assert not plan.may(role, "s3:PutObject", key, OUTSIDE), "cosignatures are create-only"
        for other in witnesses:
            if other != org:
                assert not plan.may(role, "s3:PutObject", f"cosignatures/{other}/4096", OUTSIDE,
                                    **{"s3:if-none-match": "*"}), (org, other)


def test_nothing_outside_the_layout_is_writable(plan):
    for key in ("index.html", "tile", "cosignatures/someone-else/1", "checkpoint.bak", "proof/7"):
        assert plan.writers(key) == set(), key


def test_nobody_deletes_or_unlocks_a_log_object_not_even_root(plan):
    for principal in plan.principals():
        for action in ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention",
                       "s3:PutObjectRetention", "s3:PutObjectLegalHold"):
            for key in ("checkpoint", TILES[0], "cosignatures/x/1"):
                assert not plan.may(principal, action, key), (principal, action, key)


def test_an_administrator_outside_the_plan_cannot_write_but_can_read_the_public_log(plan):
    admin = ADMIN.format(account=plan.account)
    for key in ("checkpoint", *TILES, *(f"cosignatures/{o}/1" for o in plan.outputs["transparencyWitnessRoleArns"])):
        for context in ({"s3:if-none-match": "*"}, {"s3:if-match": "x"}, {}):
            assert not plan.may(admin, "s3:PutObject", key, **context), (key, context)
    assert plan.may(admin, "s3:GetObject", "checkpoint")  # public by design: no fence on reads
    # Bucket settings that could expire or publish the log: only the named key administrators.
    bucket = Request(admin, "s3:PutLifecycleConfiguration", f"arn:aws:s3:::{plan.bucket}",
                     {"aws:principalarn": admin, "aws:securetransport": "true"})
    assert not allowed(bucket, account=plan.account, identity=[EVERYTHING], resource_policy=plan.bucket_policy)
    deployer = _config(plan.run.stack).access.key_administrators[0]
    bucket.principal = deployer
    bucket.context["aws:principalarn"] = deployer
    assert allowed(bucket, account=plan.account, identity=[EVERYTHING], resource_policy=plan.bucket_policy)


def _kms(plan: Plan, principal: str, action: str, *, algorithm: str = awsfacts.ED25519_SIGNING_ALGORITHM,
         through: str | None = "center") -> bool:
    identity, boundary = plan.principals()[principal]
    context = {"aws:principalarn": principal, "kms:callerAccount": plan.account, "kms:signingalgorithm": algorithm,
               "aws:principalaccount": plan.account}
    context = {k.lower(): v for k, v in context.items()}
    if through == "center":
        context["aws:sourcevpce"] = plan.kms_endpoint
    return allowed(Request(principal, action, plan.checkpoint_key.outputs["arn"], context), account=plan.account,
                   identity=identity, boundary=boundary, resource_policy=plan.checkpoint_key_policy, kms=True)


def test_only_the_sequencer_signs_checkpoints_only_pure_ed25519_only_through_the_center(plan):
    sequencer = plan.outputs["transparencySequencerRoleArn"]
    signers = {p for p in plan.principals() if _kms(plan, p, "kms:Sign")}
    assert signers == {sequencer}
    assert not _kms(plan, sequencer, "kms:Sign", through=None)
    assert not _kms(plan, sequencer, "kms:Sign", algorithm="ED25519_PH_SHA_512")


def test_witnesses_fetch_the_checkpoint_public_key(plan):
    for role in plan.outputs["transparencyWitnessRoleArns"].values():
        assert _kms(plan, role, "kms:GetPublicKey", through=None)
        assert not _kms(plan, role, "kms:Sign")


def test_the_checkpoint_key_is_ed25519_single_region_and_protected_in_prod(plan):
    key = plan.checkpoint_key
    assert key.inputs["keyUsage"] == "SIGN_VERIFY"
    assert key.inputs["customerMasterKeySpec"] == "ECC_NIST_EDWARDS25519"
    assert key.inputs["multiRegion"] is False and key.inputs["enableKeyRotation"] is False
    assert key.options["protect"] == (plan.run.stack == "zurich-prod")


def test_key_specs_are_ones_the_kms_api_knows():
    """awsfacts.KEY_SPECS_BY_USAGE against the KMS API model botocore ships (independent of the kit)."""
    model = botocore.session.get_session().get_service_model("kms")
    specs = set(model.shape_for("KeySpec").enum)
    for usage, allowed_specs in awsfacts.KEY_SPECS_BY_USAGE.items():
        assert set(allowed_specs) <= specs, (usage, set(allowed_specs) - specs)
    assert awsfacts.ED25519_SIGNING_ALGORITHM in model.shape_for("SigningAlgorithmSpec").enum


def test_the_log_bucket_keeps_every_version_is_locked_and_stays_in_zurich(plan):
    run = plan.run
    locks = [r for r in run.by_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
             if r.inputs["bucket"] == plan.bucket]
    (lock,) = locks
    mode = lock.inputs["rule"]["defaultRetention"]["mode"]
    assert mode == ("COMPLIANCE" if run.stack == "zurich-prod" else "GOVERNANCE")
    (lifecycle,) = [r for r in run.by_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
                    if r.inputs["bucket"] == plan.bucket]
    for rule in lifecycle.inputs["rules"]:
        assert "noncurrentVersionExpiration" not in rule and "expiration" not in rule
    (sse,) = [r for r in run.by_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        if r.inputs["bucket"] == plan.bucket]
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == plan.outputs["transparencyLogKeyArn"]
    assert run.by_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig") == []
    assert plan.outputs["transparencyLogOrigin"] == f"{plan.bucket}.s3.eu-central-2.amazonaws.com"


def test_the_trail_records_the_logs_reads_and_writes(plan):
    """The center's trail, and every reviewer organization's evidence trail, record the log's objects."""
    trails = plan.run.by_type("aws:cloudtrail/trail:Trail")
    assert trails
    for trail in trails:
        selectors = json.dumps(trail.inputs["advancedEventSelectors"])
        assert f"arn:aws:s3:::{plan.bucket}/" in selectors, trail.name


def test_the_sequencer_runs_in_the_signing_zone_and_reads_what_it_logs(plan):
    run = plan.run
    (instance_id,) = plan.outputs["transparencySequencerInstanceIds"]
    (instance,) = [i for i in run.by_type("aws:ec2/instance:Instance") if i.outputs["id"] == instance_id]
    assert instance.inputs["subnetId"] in plan.outputs["subnetIds"]["signing"]
    assert instance.inputs["tags"]["zone"] == "signing"
    assert instance.inputs.get("associatePublicIpAddress") in (None, False)
    user_data = user_data_of(instance)
    assert plan.bucket in user_data and plan.outputs["transparencyCheckpointKeyAlias"] in user_data
    name = plan.outputs["transparencySequencerRoleArn"].rsplit("/", 1)[1]
    grants = json.dumps(plan.identity[name])
    assert f"{plan.outputs['auditArchiveBucket']}/release-records/*" in grants
    assert plan.outputs["releaseBucket"] in grants


def test_witness_roles_are_trusted_like_their_organizations_reviewer_role_and_denied_data_and_signing(plan):
    for org in _organizations(plan.run.stack):
        role = plan.roles[f"tc-{plan.run.stack}-witness-{org['name']}"]
        reviewer = plan.roles[f"tc-{plan.run.stack}-reviewer-{org['name']}"]
        assert json.loads(role.inputs["assumeRolePolicy"]) == json.loads(reviewer.inputs["assumeRolePolicy"])
        if org.get("accountId"):  # the organization's own account decides who acts for it
            trusted = json.dumps(json.loads(role.inputs["assumeRolePolicy"]))
            assert org["accountId"] in trusted and "sts:SourceIdentity" in trusted
        documents = plan.identity[role.inputs["name"]] + [plan.boundary[role.inputs["name"]]]
        denies = [s for d in documents for s in d["Statement"] if s["Effect"] == "Deny"]
        assert any("kms:Sign" in s["Action"] and s["Resource"] == "*" and "Condition" not in s for s in denies)


def test_publication_is_off_by_default_and_the_bucket_is_never_public(each_stack):
    assert each_stack.by_type("aws:cloudfront/distribution:Distribution") == []
    assert "transparencyPublicUrl" not in each_stack.outputs


@pytest.fixture(scope="module")
def published():
    from tcenter.plan.engine import run_program

    values = load_stack_values("zurich-prod")
    values["transparency-center:transparency"]["publication"] = {"enabled": True}
    return run_program("zurich-prod", config_values=values)


def test_publication_serves_the_private_bucket_through_origin_access_control(published):
    (distribution,) = published.by_type("aws:cloudfront/distribution:Distribution")
    (oac,) = published.by_type("aws:cloudfront/originAccessControl:OriginAccessControl")
    assert oac.inputs["signingBehavior"] == "always" and oac.inputs["originAccessControlOriginType"] == "s3"
    (origin,) = distribution.inputs["origins"]
    assert origin["originAccessControlId"] == oac.outputs["id"] and "s3OriginConfig" not in origin
    behaviors = [distribution.inputs["defaultCacheBehavior"], *distribution.inputs["orderedCacheBehaviors"]]
    for behavior in behaviors:
        assert behavior["viewerProtocolPolicy"] == "https-only"
        assert sorted(behavior["allowedMethods"]) == ["GET", "HEAD"]
    (checkpoint,) = [b for b in behaviors if b.get("pathPattern") == "checkpoint"]
    policies = {p.outputs["id"]: p for p in published.by_type("aws:cloudfront/cachePolicy:CachePolicy")}
    assert policies[checkpoint["cachePolicyId"]].inputs["maxTtl"] <= 60  # tlog-tiles: a few seconds
    bucket = published.outputs["transparencyLogBucket"]
    (policy,) = [p for p in published.by_type("aws:s3/bucketPolicy:BucketPolicy") if p.inputs["bucket"] == bucket]
    reads = [s for s in json.loads(policy.inputs["policy"])["Statement"] if s["Effect"] == "Allow"]
    assert reads == [{**reads[0], "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": ["s3:GetObject"],
                      "Condition": {"StringEquals": {"aws:SourceArn": distribution.outputs["arn"]}}}]
    (pab,) = [p for p in published.by_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
              if p.inputs["bucket"] == bucket]
    assert all(pab.inputs[f] for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    assert published.outputs["transparencyPublicUrl"].startswith("https://")


def test_a_published_plan_passes_every_rule(published):
    from tcenter.guardrails.check import check_plan
    from tcenter.plan.format import build_plan

    found = check_plan(build_plan(published))
    assert found == [], "\n".join(map(str, found))


# --- config ---------------------------------------------------------------------------------

def _config(stack: str, values: dict | None = None):
    return load_config(to_pulumi_config(values or load_stack_values(stack))[0], stack)


def _organizations(stack: str) -> list[dict]:
    return load_stack_values(stack)["transparency-center:reviewers"]["organizations"]


def _problems(stack: str, section: dict) -> list[tuple[str, str]]:
    values = load_stack_values(stack)
    values["transparency-center:transparency"] = section
    with pytest.raises(ConfigError) as caught:
        _config(stack, values)
    assert all("\n" not in message for _, message in caught.value.problems)
    return caught.value.problems


def _vkey(name: str, key_type: int = 0x04) -> str:
    public = Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    material = bytes([key_type]) + public
    key_id = hashlib.sha256(name.encode() + b"\n" + material).digest()[:4].hex()
    return f"{name}+{key_id}+{base64.b64encode(material).decode()}"


def test_key_ids_match_the_signed_note_specs_example():
    """c2sp.org/signed-note, "Verifier keys": example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k."""
    material = base64.b64decode("AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    assert vkey_key_id("example.com/foo", material) == "530d903a"
    # A signed-note (0x01) key is a log's key, not a witness's cosignature key (0x04).
    assert "0x01" in vkey_problem("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")


@pytest.mark.parametrize("bad, says", [
    ("witness.example", "not a verifier key"),
    ("witness.example+530d903a", "not a verifier key"),
    ("witness example+530d903a+BAAA", "spaces"),
    ("witness.example+530D903A+BAAA", "8 lowercase hex"),
    ("witness.example+530d903a+!!!!", "base64"),
])
def test_malformed_witness_keys_are_refused(bad, says):
    assert says in vkey_problem(bad)


def test_witness_keys_are_checked_against_their_key_id():
    good = _vkey("witness.lab.example")
    assert vkey_problem(good) is None
    name, key_id, material = good.split("+", 2)
    wrong = f"{name}+{'0' * 8 if key_id != '0' * 8 else '1' * 8}+{material}"
    assert "does not match" in vkey_problem(wrong)
    short = base64.b64encode(bytes([4]) + b"\x01" * 31).decode()
    assert "32 bytes" in vkey_problem(f"w+{vkey_key_id('w', base64.b64decode(short))}+{short}")


def test_prod_needs_two_witness_organizations_and_two_cosignatures():
    orgs = [o["name"] for o in _organizations("zurich-prod")]
    one = [{"organization": orgs[0], "keys": [_vkey("w.one")]}]
    problems = _problems("zurich-prod", {"witnesses": one, "verification": {"products": 1, "av-databases": 1}})
    keys = [k for k, _ in problems]
    assert "transparency-center:transparency.verification" in keys
    problems = _problems("zurich-prod", {"witnesses": one})
    assert any("at least 2 reviewer organizations" in m or "2 cosignatures" in m for _, m in problems), problems


def test_k_never_exceeds_the_witnesses_and_witnesses_are_reviewer_organizations():
    problems = _problems("dev", {"witnesses": [{"organization": "review-lab", "keys": [_vkey("w")]}],
                                 "verification": {"products": 2, "av-databases": 1}})
    assert any("verification.products" in m for _, m in problems), problems
    problems = _problems("dev", {"witnesses": [{"organization": "not-a-reviewer", "keys": [_vkey("w")]}]})
    assert problems[0][0] == "transparency-center:transparency.witnesses[not-a-reviewer]"


def test_one_key_for_two_organizations_is_refused():
    key = _vkey("w.shared")
    problems = _problems("staging", {"witnesses": [{"organization": "review-lab", "keys": [key]},
                                                   {"organization": "audit-firm", "keys": [key]}]})
    assert "listed for both" in problems[0][1]


def test_prod_keeps_the_log_on_and_locked_in_compliance():
    section = load_stack_values("zurich-prod")["transparency-center:transparency"]
    assert _problems("zurich-prod", {**section, "enabled": False})
    problems = _problems("zurich-prod", {**section, "logLock": {"mode": "GOVERNANCE", "retentionDays": 3650}})
    assert problems[0][0] == "transparency-center:transparency.logLock.mode"


@pytest.mark.parametrize("origin", ["", "has space", "a+b", "tab\there"])
def test_origins_are_refused_when_notes_could_not_carry_them(origin):
    section = {**load_stack_values("dev")["transparency-center:transparency"], "origin": origin}
    assert _problems("dev", section)[0][0] == "transparency-center:transparency.origin"


def test_tcenter_access_names_the_logs_writers_and_its_one_signer():
    """`tcenter access` (whole assets): the log bucket is written by the sequencer and the witness
    roles and nobody else in the plan; the checkpoint key is a signing key only the sequencer uses."""
    from tcenter.analysis.access import effective_access
    from tcenter.plan.format import build_plan

    run = _declared("zurich-prod")
    result = effective_access(build_plan(run))
    bucket = next(name for name in result["assets"] if name.endswith("transparency-log-bucket"))
    key = next(name for name in result["assets"] if name.endswith("transparency-checkpoint-key"))
    direct = {k: v["access"] for k, v in result["principals"].items() if not v["via"]}
    writers = {k for k, access in direct.items() if "write" in access.get(bucket, {})}
    assert writers == {run.outputs["transparencySequencerRoleArn"], *run.outputs["transparencyWitnessRoleArns"].values()}
    assert {k for k, access in direct.items() if "sign" in access.get(key, {})} == {run.outputs["transparencySequencerRoleArn"]}
    assert result["assets"][key]["kind"] == "signing-key"
    assert not any("delete" in access.get(bucket, {}) for access in direct.values())


def test_the_host_suite_renders_exactly_the_sequencer_the_stack_deploys():
    """tests/hosts/roles.py's `sequencer` role is what the testinfra suite provisions: it must be
    the user data TransparencyLog gives the sequencer host."""
    from tests.hosts.roles import render_sequencer

    run = _declared("dev")
    (instance_id,) = run.outputs["transparencySequencerInstanceIds"]
    (instance,) = [i for i in run.by_type("aws:ec2/instance:Instance") if i.outputs["id"] == instance_id]
    assert gzip.decompress(base64.b64decode(instance.inputs["userDataBase64"])).decode() == render_sequencer("dev").user_data
