"""The update repositories' infrastructure (components/distribution.py) as the plan declares it,
judged by evaluating the declared documents (tests/unit/policy_eval.py) for every role of the
plan, an administrator outside it and root; the online keys against securesystemslib's AWS KMS
signer and the KMS API model; the config's refusals."""

from __future__ import annotations

import json

import botocore.session
import pytest

from components.config import ConfigError
from tcenter.core.stackfiles import load_stack_values
from tests.conftest import _declared
from tests.unit.policy_eval import Request, allowed
from tests.unit.test_transparency import ADMIN, EVERYTHING, INSIDE, OUTSIDE, ROOT, _config

CLASSES = ("products", "av-databases")


class Repositories:
    def __init__(self, run):
        self.run = run
        self.outputs = run.outputs
        self.account = run.outputs["auditKeyArn"].split(":")[4]
        self.buckets = run.outputs["distributionBuckets"]
        self.policies = {c: json.loads(next(p for p in run.by_type("aws:s3/bucketPolicy:BucketPolicy")
                                            if p.inputs["bucket"] == b).inputs["policy"]) for c, b in self.buckets.items()}
        self.s3_endpoint = run.outputs["s3GatewayEndpointId"]
        self.kms_endpoint = run.outputs["interfaceEndpointIds"]["kms"]
        self.roles = {r.inputs["name"]: r for r in run.by_type("aws:iam/role:Role")}
        managed = {p.outputs["arn"]: json.loads(p.inputs["policy"]) for p in run.by_type("aws:iam/policy:Policy")}
        self.identity: dict[str, list[dict]] = {}
        for policy in run.by_type("aws:iam/rolePolicy:RolePolicy"):
            self.identity.setdefault(policy.inputs["role"], []).append(json.loads(policy.inputs["policy"]))
        self.boundary = {name: managed.get(r.inputs.get("permissionsBoundary")) for name, r in self.roles.items()}
        self.keys = {k.outputs["arn"]: k for k in run.by_type("aws:kms/key:Key")}

    def principals(self) -> dict[str, tuple[list[dict], dict | None]]:
        out = {f"arn:aws:iam::{self.account}:role/{n}": (self.identity.get(n, []), self.boundary[n]) for n in self.roles}
        out[ADMIN.format(account=self.account)] = ([EVERYTHING], None)
        out[ROOT.format(account=self.account)] = ([EVERYTHING], None)
        return out

    def may(self, principal: str, action: str, signing_class: str, key: str, where: str = INSIDE, **context) -> bool:
        identity, boundary = self.principals()[principal]
        base = {"aws:principalarn": principal, "aws:securetransport": "true", "aws:principalaccount": self.account,
                "aws:principalisawsservice": "false", "s3:objectcreationoperation": "true"}
        if where == INSIDE:
            base["aws:sourcevpce"] = self.s3_endpoint
        base.update({k.lower(): v for k, v in context.items()})
        request = Request(principal, action, f"arn:aws:s3:::{self.buckets[signing_class]}/{key}", base)
        return allowed(request, account=self.account, identity=identity, boundary=boundary,
                       resource_policy=self.policies[signing_class])

    def signs(self, principal: str, key_arn: str, algorithm: str = "ECDSA_SHA_256", through: bool = True) -> bool:
        identity, boundary = self.principals()[principal]
        context = {"aws:principalarn": principal, "kms:calleraccount": self.account, "kms:signingalgorithm": algorithm,
                   "aws:principalaccount": self.account}
        if through:
            context["aws:sourcevpce"] = self.kms_endpoint
        return allowed(Request(principal, "kms:Sign", key_arn, context), account=self.account, identity=identity,
                       boundary=boundary, resource_policy=json.loads(self.keys[key_arn].inputs["policy"]), kms=True)


@pytest.fixture(scope="module")
def prod() -> Repositories:
    return Repositories(_declared("zurich-prod"))


FILES = ("metadata/timestamp.json", "metadata/12.snapshot.json", "metadata/3.root.json",
         "targets/products/0a1b.product.tar", "targets/0a1b.policy.json")


@pytest.mark.parametrize("signing_class", CLASSES)
def test_only_the_publisher_writes_a_repository_and_only_from_inside_the_center(prod, signing_class):
    publisher = prod.outputs["distributionPublisherRoleArn"]
    for key in FILES:
        writers = {p for p in prod.principals() for where in (INSIDE, OUTSIDE)
                   if prod.may(p, "s3:PutObject", signing_class, key, where, **{"s3:if-none-match": "*"})}
        assert writers == {publisher}, key
        assert not prod.may(publisher, "s3:PutObject", signing_class, key, OUTSIDE, **{"s3:if-none-match": "*"})


@pytest.mark.parametrize("signing_class", CLASSES)
def test_everything_but_the_timestamp_is_create_only(prod, signing_class):
    publisher = prod.outputs["distributionPublisherRoleArn"]
    assert prod.may(publisher, "s3:PutObject", signing_class, "metadata/timestamp.json")  # replaced every period
    for key in FILES[1:]:
        assert not prod.may(publisher, "s3:PutObject", signing_class, key), key  # no If-None-Match: could overwrite
        assert prod.may(publisher, "s3:PutObject", signing_class, key, **{"s3:if-none-match": "*"}), key


def test_administrators_outside_the_plan_and_root_neither_write_nor_delete(prod):
    admin, root = ADMIN.format(account=prod.account), ROOT.format(account=prod.account)
    publisher = prod.outputs["distributionPublisherRoleArn"]
    for signing_class in CLASSES:
        for principal in (admin, root):
            for key in FILES:
                assert not prod.may(principal, "s3:PutObject", signing_class, key, **{"s3:if-none-match": "*"})
                assert not prod.may(principal, "s3:DeleteObject", signing_class, key), (principal, key)
        assert prod.may(publisher, "s3:DeleteObject", signing_class, "metadata/1.snapshot.json")  # pruning


def test_the_buckets_are_private_and_the_cdn_is_off_by_default(prod):
    assert prod.run.by_type("aws:cloudfront/distribution:Distribution") == []
    for document in prod.policies.values():
        assert [s for s in document["Statement"] if s["Effect"] == "Allow"] == []
    for bucket in prod.buckets.values():
        (pab,) = [p for p in prod.run.by_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
                  if p.inputs["bucket"] == bucket]
        assert all(pab.inputs[f] for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))


def test_only_the_publisher_signs_with_the_online_keys_through_the_center(prod):
    publisher = prod.outputs["distributionPublisherRoleArn"]
    arns = prod.outputs["distributionOnlineKeyArns"]
    assert sorted(arns) == sorted(f"{c}/{r}" for c in CLASSES for r in ("snapshot", "targets", "timestamp"))
    for arn in arns.values():
        assert {p for p in prod.principals() if prod.signs(p, arn)} == {publisher}
        assert not prod.signs(publisher, arn, through=False)
        assert not prod.signs(publisher, arn, algorithm="ECDSA_SHA_384")
        key = prod.keys[arn]
        assert key.inputs["keyUsage"] == "SIGN_VERIFY" and key.inputs["multiRegion"] is False
        assert key.options["protect"] is True


def test_the_online_key_spec_is_one_kms_offers_and_securesystemslibs_kms_signer_signs(prod):
    """Independent sources: the KMS API model botocore ships, and the signer's own table."""
    from securesystemslib.signer import AWSSigner

    from components.config.distribution import ONLINE_KEY_SPEC
    from components.distribution import ONLINE_SIGNING_ALGORITHM

    model = botocore.session.get_session().get_service_model("kms")
    assert ONLINE_KEY_SPEC in model.shape_for("KeySpec").enum
    assert ONLINE_SIGNING_ALGORITHM in model.shape_for("SigningAlgorithmSpec").enum
    assert ONLINE_SIGNING_ALGORITHM in AWSSigner.aws_algos.values()
    assert "ECDSA_SHA_512" not in AWSSigner.aws_algos.values()  # P-521: not signable by this signer
    specs = {k.inputs["customerMasterKeySpec"] for k in prod.keys.values()
             if (k.inputs.get("tags") or {}).get("distribution") == "online-key"}
    assert specs == {ONLINE_KEY_SPEC}


def test_tcenter_access_classifies_the_repositories_as_distribution_assets(prod):
    from tcenter.analysis.access import effective_access, select
    from tcenter.plan.format import build_plan

    result = select(effective_access(build_plan(prod.run)), only="distribution")
    assets = result["assets"]
    assert {n for n in assets if n.endswith("-bucket")} >= {f"tc-distribution-{c}-bucket" for c in CLASSES}
    assert sum(1 for meta in assets.values() if meta["kind"] == "signing-key") == 6
    publisher = prod.outputs["distributionPublisherRoleArn"]
    writers = {p for p, e in result["principals"].items() if not e["via"]
               for name, access in e["access"].items() if name.endswith("-bucket") and "write" in access}
    assert writers == {publisher}


@pytest.fixture(scope="module")
def with_cdn():
    from tcenter.plan.engine import run_program

    values = load_stack_values("zurich-prod")
    values["transparency-center:distribution"]["cdn"] = {"enabled": True}
    return run_program("zurich-prod", config_values=values)


def test_with_the_cdn_customers_read_through_origin_access_control_only(with_cdn):
    from tcenter.guardrails.check import check_plan
    from tcenter.plan.format import build_plan

    distributions = with_cdn.by_type("aws:cloudfront/distribution:Distribution")
    mine = [d for d in distributions if (d.inputs.get("tags") or {}).get("distribution") == "cdn"]
    assert len(mine) == 2
    for distribution in mine:
        behaviors = [distribution.inputs["defaultCacheBehavior"], *distribution.inputs["orderedCacheBehaviors"]]
        assert all(b["viewerProtocolPolicy"] == "https-only" and sorted(b["allowedMethods"]) == ["GET", "HEAD"]
                   for b in behaviors)
        (origin,) = distribution.inputs["origins"]
        assert origin["originAccessControlId"] and "s3OriginConfig" not in origin
    arns = {d.outputs["arn"] for d in mine}
    for bucket in with_cdn.outputs["distributionBuckets"].values():
        (policy,) = [p for p in with_cdn.by_type("aws:s3/bucketPolicy:BucketPolicy") if p.inputs["bucket"] == bucket]
        reads = [s for s in json.loads(policy.inputs["policy"])["Statement"] if s["Effect"] == "Allow"]
        assert len(reads) == 1 and reads[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert reads[0]["Condition"]["StringEquals"]["aws:SourceArn"] in arns
    found = check_plan(build_plan(with_cdn))
    assert found == [], "\n".join(map(str, found))


# --- config ------------------------------------------------------------------------------------

def _problems(change) -> list[tuple[str, str]]:
    values = load_stack_values("zurich-prod")
    change(values["transparency-center:distribution"], values)
    with pytest.raises(ConfigError) as caught:
        _config("zurich-prod", values)
    assert all("\n" not in message for _, message in caught.value.problems)
    return caught.value.problems


def test_a_threshold_the_vendor_meets_alone_is_refused_naming_the_key():
    def one(section, _):
        section["root"]["threshold"] = 1
    ((key, message),) = _problems(one)
    assert key == "transparency-center:distribution.root.threshold" and "vendor's 1 key(s) alone" in message

    def vendor_twice(section, _):
        section["root"]["keys"].append({"holder": "vendor", "publicKey": _pem()})
    ((key, message),) = _problems(vendor_twice)
    assert key == "transparency-center:distribution.root.threshold" and "vendor's 2 key(s)" in message


def _pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.mark.parametrize("case, key, says", [
    ("unknown-holder", "distribution.root.keys[someone-else]", "neither 'vendor' nor a reviewer organization"),
    ("rebuilder-without-builds", "distribution.rebuilders[eu-certification-body]", "'sources' and 'builds' scopes"),
    ("av-timestamp-days", "distribution.timestampHours", "within a day"),
    ("rsa-key", "distribution.root.keys[0].publicKey", "ECDSA P-256, P-384 or Ed25519"),
    ("no-rebuilders", "distribution", "rebuild key"),
])
def test_bad_distribution_config_is_one_line_naming_the_key(case, key, says):
    def change(section, values):
        if case == "unknown-holder":
            section["root"]["keys"].append({"holder": "someone-else", "publicKey": _pem()})
        elif case == "rebuilder-without-builds":
            section["rebuilders"].append({"organization": "eu-certification-body", "publicKey": _pem()})
        elif case == "av-timestamp-days":
            section["timestampHours"] = {"av-databases": 48}
        elif case == "rsa-key":
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa

            section["root"]["keys"][0]["publicKey"] = rsa.generate_private_key(65537, 2048).public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        elif case == "no-rebuilders":
            section["rebuilders"] = []
    problems = _problems(change)
    assert any(k == f"transparency-center:{key}" and says in m for k, m in problems), problems


def test_the_host_suite_renders_exactly_the_publisher_the_stack_deploys(prod):
    """tests/hosts/roles.py's `publisher` role is what the testinfra suite provisions."""
    from components.hosts import user_data_text
    from tests.hosts.roles import render_publisher

    (instance,) = [i for i in prod.run.by_type("aws:ec2/instance:Instance")
                   if (i.inputs.get("tags") or {}).get("role") == "publisher"]
    assert user_data_text(instance.inputs["userDataBase64"]) == render_publisher("zurich-prod").user_data
    config = json.loads(next(f for f in render_publisher("zurich-prod").profile.files
                             if f.path == "/etc/tc-publisher/publisher.json").content)
    assert config["buckets"] == prod.buckets and config["signing-algorithm"] == "ECDSA_SHA_256"
