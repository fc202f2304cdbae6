"""SigningService as each stack declares it: KMS signing keys whose policies let exactly
the class's signer role sign (proved by evaluating the declared key policy), a CloudHSM
cluster in FIPS mode with an HSM per AZ reachable only from signer hosts, the release
bucket and the signer hosts; and bad signing config rejected before anything is declared."""

from __future__ import annotations

import fnmatch
import ipaddress
import json
from typing import Any

import pytest
import yaml

from components import hosts
from components.config.signing import SIGNING_CLASSES
from tests.helpers import expect_refused

NS = "transparency-center"
KMS_STACKS = ("dev", "staging")
TRUST_ANCHOR = "-----BEGIN CERTIFICATE-----\nMIIBfakeTrustAnchorForTests\n-----END CERTIFICATE-----"


# --- a small key policy evaluator: explicit deny wins, then any matching allow ---------------

def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _principal_matches(statement: dict, principal: str, account: str) -> bool:
    principals = statement.get("Principal", {})
    assert principals != "*", "wildcard principal"
    arns = _as_list(principals.get("AWS", []))
    # The account root as principal stands for every principal of the account whose IAM
    # policies allow the action (the tests grant "kms:*" by IAM: the worst case).
    return principal in arns or f"arn:aws:iam::{account}:root" in arns


def _condition_holds(conditions: dict, context: dict[str, str]) -> bool:
    for operator, pairs in conditions.items():
        for key, expected in pairs.items():
            actual = context.get(key)
            expected = _as_list(expected)
            if operator in ("StringEquals", "ArnEquals"):
                ok = actual in expected
            elif operator in ("StringNotEquals", "ArnNotEquals"):
                ok = actual not in expected
            elif operator == "StringLike":
                ok = actual is not None and any(fnmatch.fnmatchcase(actual, pattern) for pattern in expected)
            elif operator == "Bool":
                ok = actual in [str(e).lower() for e in expected]
            else:
                raise AssertionError(f"evaluator does not know condition operator {operator}")
            if not ok:
                return False
    return True


def _action_matches(statement: dict, action: str) -> bool:
    return any(fnmatch.fnmatch(action.lower(), pattern.lower()) for pattern in _as_list(statement["Action"]))


def allowed(policy: dict, principal: str, action: str, account: str, context: dict[str, str]) -> bool:
    context = {"aws:PrincipalArn": principal, "kms:CallerAccount": account, **context}
    matching = [s for s in policy["Statement"]
                if _action_matches(s, action) and _principal_matches(s, principal, account)
                and _condition_holds(s.get("Condition", {}), context)]
    if any(s["Effect"] == "Deny" for s in matching):
        return False
    return any(s["Effect"] == "Allow" for s in matching)


# --- helpers over the declared plan ---------------------------------------------------------

def signing_keys(run) -> dict[str, Any]:
    """Signing class -> declared KMS key (SIGN_VERIFY) of the release signers, found through the
    key's alias (the transparency log's checkpoint key and the update repositories' online TUF
    keys are not release signing keys)."""
    online = set(run.outputs.get("distributionOnlineKeyArns", {}).values())  # the update repositories' TUF keys
    keys = {r.urn.rsplit("::", 1)[1]: r for r in run.by_type("aws:kms/key:Key") if r.inputs["keyUsage"] == "SIGN_VERIFY"
            and r.outputs["arn"] != run.outputs.get("transparencyCheckpointKeyArn") and r.outputs["arn"] not in online}
    by_class = {}
    for alias in run.by_type("aws:kms/alias:Alias"):
        for _name, key in keys.items():
            if alias.inputs["targetKeyId"] == key.outputs["keyId"]:
                by_class[alias.inputs["name"].rsplit("/", 1)[1]] = key
    assert len(by_class) == len(keys), "every signing key has an alias naming its class"
    return by_class


def policy_of(resource) -> dict:
    return json.loads(resource.inputs["policy"])


def account_of(run) -> str:
    return run.outputs["signerRoleArns"]["products"].split(":")[4]


def user_data_of(instance) -> str:
    """The cloud-init text with its provisioning script as the host gets it."""
    text = hosts.user_data_text(instance.inputs["userDataBase64"])
    return "\n".join([text] + [entry["content"] for entry in yaml.safe_load(text)["write_files"]])


def signer_instances(run) -> dict[str, Any]:
    return {i.inputs["tags"]["signing-class"]: i for i in run.by_type("aws:ec2/instance:Instance")
            if "signing-class" in (i.inputs.get("tags") or {})}


def without_cloudhsm(values: dict) -> dict:
    values[f"{NS}:signing"] = {"backend": "kms", "releaseLock": values[f"{NS}:signing"].get("releaseLock", {"retentionDays": 365})}
    return values


def initialized(values: dict) -> dict:
    values[f"{NS}:signing"]["cloudhsm"]["initialized"] = True
    values[f"{NS}:signing"]["cloudhsm"]["trustAnchorCertificate"] = TRUST_ANCHOR
    return values


# --- KMS backend ----------------------------------------------------------------------------

@pytest.mark.parametrize("stack", KMS_STACKS)
def test_kms_stacks_declare_one_sign_verify_key_per_class(declared, stack_values, stack):
    run = declared(stack)
    keys = signing_keys(run)
    assert sorted(keys) == sorted(SIGNING_CLASSES)
    spec = stack_values(stack)[f"{NS}:signing"]["kms"]["keySpec"]
    for key in keys.values():
        assert key.inputs["customerMasterKeySpec"] == spec
        assert key.inputs["deletionWindowInDays"] == 30
        assert key.inputs["multiRegion"] is False
        assert key.inputs.get("enableKeyRotation") in (None, False)  # KMS cannot rotate asymmetric keys
    assert keys["products"].outputs["keyId"] != keys["av-databases"].outputs["keyId"]
    assert run.outputs["signingBackend"] == "kms"
    assert run.outputs["signingKeyArns"] == {c: k.outputs["arn"] for c, k in keys.items()}


@pytest.mark.parametrize("stack", KMS_STACKS)
def test_each_key_policy_lets_exactly_its_signer_role_sign(declared, stack_values, stack):
    run = declared(stack)
    account = account_of(run)
    endpoint = run.outputs["interfaceEndpointIds"]["kms"]
    signers = run.outputs["signerRoleArns"]
    admins = stack_values(stack)[f"{NS}:access"]["keyAdministrators"]
    others = [
        *admins, *(arn for arn in signers.values()), *run.outputs.get("builderRoleArns", {}).values(),
        f"arn:aws:iam::{account}:role/some-reviewer", f"arn:aws:iam::{account}:root",
        "arn:aws:iam::999999999999:role/outsider",
    ]
    for signing_class, key in signing_keys(run).items():
        policy = policy_of(key)
        through_endpoint = {"aws:SourceVpce": endpoint}
        # Who may sign, with IAM granting everything and the call coming through the endpoint:
        who_can_sign = sorted({p for p in others if allowed(policy, p, "kms:Sign", account, through_endpoint)})
        assert who_can_sign == [signers[signing_class]]
        # ... and not even the signer role outside the center's KMS endpoint.
        assert not allowed(policy, signers[signing_class], "kms:Sign", account, {"aws:SourceVpce": "vpce-elsewhere"})
        assert not allowed(policy, signers[signing_class], "kms:Sign", account, {})
        # No grant can hand signing to someone the policy does not name.
        assert not any(allowed(policy, p, "kms:CreateGrant", account, through_endpoint) for p in others)


@pytest.mark.parametrize("stack", KMS_STACKS)
def test_key_policies_have_no_wildcard_principal_and_separate_admins_from_users(declared, stack_values, stack):
    run = declared(stack)
    admins = sorted(stack_values(stack)[f"{NS}:access"]["keyAdministrators"])
    account = account_of(run)
    for key in signing_keys(run).values():
        policy = policy_of(key)
        for statement in policy["Statement"]:
            principal = statement["Principal"]
            assert principal != "*" and "*" not in _as_list(principal.get("AWS", [])), statement["Sid"]
            assert "NotPrincipal" not in statement
        admin_statements = [s for s in policy["Statement"] if s["Effect"] == "Allow" and _as_list(s["Principal"]["AWS"]) == admins]
        assert len(admin_statements) == 1
        admin_actions = admin_statements[0]["Action"]
        for use in ("kms:Sign", "kms:CreateGrant", "kms:Verify"):
            assert not any(fnmatch.fnmatch(use.lower(), a.lower()) for a in admin_actions), use
        for admin in admins:
            assert allowed(policy, admin, "kms:ScheduleKeyDeletion", account, {})


@pytest.mark.parametrize("stack", KMS_STACKS)
def test_public_key_and_verify_are_delegated_to_iam_of_the_account(declared, stack):
    run = declared(stack)
    account = account_of(run)
    for key in signing_keys(run).values():
        policy = policy_of(key)
        reviewer = f"arn:aws:iam::{account}:role/some-reviewer"
        for action in ("kms:GetPublicKey", "kms:Verify", "kms:DescribeKey"):
            assert allowed(policy, reviewer, action, account, {})  # once IAM grants it (grant_verify)
            assert not allowed(policy, "arn:aws:iam::999999999999:role/outsider", action, "999999999999", {})


def test_signing_keys_are_protected_in_prod_only(declared, declare_with, stack_values):
    for key in signing_keys(declared("dev")).values():
        assert not key.options["protect"] and not key.options["retainOnDelete"]
    prod_kms = declare_with(without_cloudhsm(stack_values("zurich-prod")), "zurich-prod")
    keys = signing_keys(prod_kms)
    assert sorted(keys) == sorted(SIGNING_CLASSES)
    for key in keys.values():
        assert key.options["protect"] and key.options["retainOnDelete"]


# --- CloudHSM backend -----------------------------------------------------------------------

def test_prod_declares_a_fips_cloudhsm_cluster_in_the_signing_zone(declared):
    run = declared("zurich-prod")
    (cluster,) = run.by_type("aws:cloudhsmv2/cluster:Cluster")
    assert cluster.inputs["hsmType"] == "hsm2m.medium"
    assert cluster.inputs["mode"] == "FIPS"
    assert sorted(cluster.inputs["subnetIds"]) == sorted(run.outputs["subnetIds"]["signing"])
    assert cluster.options["protect"] and cluster.options["retainOnDelete"]
    assert cluster.inputs.get("sourceBackupIdentifier") is None
    assert not signing_keys(run), "the cloudhsm backend declares no KMS signing keys"
    assert run.outputs["cloudHsmClusterId"] == cluster.outputs["clusterId"]


def test_prod_puts_one_hsm_in_each_availability_zone(declared, stack_values):
    run = declared("zurich-prod")
    hsms = run.by_type("aws:cloudhsmv2/hsm:Hsm")
    azs = stack_values("zurich-prod")[f"{NS}:network"]["availabilityZones"]
    assert len(hsms) == stack_values("zurich-prod")[f"{NS}:signing"]["cloudhsm"]["hsms"] == len(azs) == 3
    subnets = {s.outputs["id"]: s for s in run.by_type("aws:ec2/subnet:Subnet")}
    placed = [subnets[h.inputs["subnetId"]] for h in hsms]
    assert sorted(s.inputs["availabilityZoneId"] for s in placed) == sorted(azs)
    for hsm, subnet in zip(hsms, placed):
        assert subnet.inputs["tags"]["zone"] == "signing"
        assert ipaddress.ip_address(hsm.inputs["ipAddress"]) in ipaddress.ip_network(subnet.inputs["cidrBlock"])
        assert hsm.options["protect"]
    assert sorted(run.outputs["cloudHsmHsmIds"]) == sorted(h.outputs["hsmId"] for h in hsms)


def test_no_backup_leaves_zurich(declared):
    run = declared("zurich-prod")
    for resource in run.resources:
        assert "copyBackup" not in resource.type.lower()
        assert resource.inputs.get("destinationRegion") is None
        assert resource.inputs.get("region") in (None, "eu-central-2"), resource.urn


def test_only_signer_hosts_reach_the_hsms(declared):
    run = declared("zurich-prod")
    (cluster,) = run.by_type("aws:cloudhsmv2/cluster:Cluster")
    cluster_sg = cluster.outputs["securityGroupId"]
    instances = signer_instances(run)
    signer_sgs = {sg for i in instances.values() for sg in i.inputs["vpcSecurityGroupIds"]}
    assert len(signer_sgs) == 1
    rules = [r for r in run.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r.inputs["securityGroupId"] == cluster_sg]
    assert len(rules) == 1
    (rule,) = rules
    assert rule.inputs["referencedSecurityGroupId"] in signer_sgs
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (2223, 2225, "tcp")
    assert "cidrIpv4" not in rule.inputs and "prefixListId" not in rule.inputs
    # Nothing else is given the cluster's group.
    for resource in run.resources:
        if resource.type in ("aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate"):
            assert cluster_sg not in (resource.inputs.get("vpcSecurityGroupIds") or []), resource.urn
    (signer_sg,) = [sg for sg in run.by_type("aws:ec2/securityGroup:SecurityGroup") if sg.outputs["id"] in signer_sgs]
    assert signer_sg.inputs["ingress"] == []


def test_prod_declares_signer_hosts_without_the_hsm_client_until_initialized(declared, declare_with, stack_values):
    run = declared("zurich-prod")
    instances = signer_instances(run)
    assert sorted(instances) == sorted(SIGNING_CLASSES)
    signing_subnets = set(run.outputs["subnetIds"]["signing"])
    for signing_class, instance in instances.items():
        assert instance.inputs["subnetId"] in signing_subnets
        assert instance.inputs["iamInstanceProfile"] == f"tc-zurich-prod-signer-{signing_class}"
        user_data = user_data_of(instance)
        assert "/usr/local/lib/tc-signer/sign-release" in user_data
        assert "customerCA.crt" not in user_data and "configure-pkcs11" not in user_data
        assert "not initialized yet" in user_data  # the signer refuses to sign, and says why
    assert not [s for s in run.by_type("aws:secretsmanager/secret:Secret") if "cloudhsm" in s.inputs["name"]]

    ready = declare_with(initialized(stack_values("zurich-prod")), "zurich-prod")
    addresses = ready.outputs["cloudHsmHsmAddresses"]
    for signing_class, instance in signer_instances(ready).items():
        user_data = user_data_of(instance)
        assert "configure-pkcs11 -a " + " ".join(addresses) in user_data
        assert "MIIBfakeTrustAnchorForTests" in user_data
        assert f"tc-zurich-prod-{signing_class}" in user_data  # the class's own key label
    secrets = {s.inputs["name"]: s for s in ready.by_type("aws:secretsmanager/secret:Secret") if "cloudhsm" in s.inputs["name"]}
    assert sorted(secrets) == sorted(f"tc/zurich-prod/cloudhsm/{c}-crypto-user" for c in SIGNING_CLASSES)
    # Each signer reads its own crypto user's secret, not the other class's.
    for policy in ready.by_type("aws:iam/rolePolicy:RolePolicy"):
        document = json.loads(policy.inputs["policy"])
        for statement in document["Statement"]:
            if "secretsmanager:GetSecretValue" in statement.get("Action", []):
                (secret_arn,) = statement["Resource"]
                owner = policy.inputs["role"].removeprefix("tc-zurich-prod-signer-")
                assert secret_arn == secrets[f"tc/zurich-prod/cloudhsm/{owner}-crypto-user"].outputs["arn"]


# --- both backends: roles, buckets, hosts ---------------------------------------------------

def role_policies(run, role_name: str) -> list[dict]:
    return [json.loads(p.inputs["policy"]) for p in run.by_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role_name]


def test_release_bucket_is_versioned_encrypted_and_locked(each_stack, stack_values):
    run = each_stack
    name = run.outputs["releaseBucket"]
    lock_config = stack_values(run.stack)[f"{NS}:signing"]["releaseLock"]
    (bucket,) = [b for b in run.by_type("aws:s3/bucket:Bucket") if b.inputs["bucket"] == name]
    assert bucket.inputs["objectLockEnabled"] is True
    (lock,) = [r for r in run.by_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration") if r.inputs["bucket"] == name]
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": lock_config["mode"], "days": lock_config["retentionDays"]}
    (versioning,) = [r for r in run.by_type("aws:s3/bucketVersioning:BucketVersioning") if r.inputs["bucket"] == name]
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    (sse,) = [r for r in run.by_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
              if r.inputs["bucket"] == name]
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    (policy,) = [p for p in run.by_type("aws:s3/bucketPolicy:BucketPolicy") if p.inputs["bucket"] == name]
    (writers,) = [s for s in json.loads(policy.inputs["policy"])["Statement"] if s["Sid"] == "DenyWritesExceptNamedWriters"]
    assert sorted(writers["Condition"]["StringNotEquals"]["aws:PrincipalArn"]) == sorted(run.outputs["signerRoleArns"].values())


def test_signers_read_only_their_class_artifacts_and_write_only_their_class_releases(each_stack, stack_values):
    run = each_stack
    pools = stack_values(run.stack)[f"{NS}:build"]["pools"]
    artifacts = run.outputs["buildArtifactsBucket"]
    releases = run.outputs["releaseBucket"]
    for signing_class, role_arn in run.outputs["signerRoleArns"].items():
        # Session transcripts are the one other write (tests/unit/test_operator_sessions.py).
        statements = [s for doc in role_policies(run, role_arn.rsplit("/", 1)[1]) for s in doc["Statement"]
                      if s["Sid"] != "WriteSessionTranscripts"]
        reads = sorted(r for s in statements if "s3:GetObject" in s["Action"] for r in s["Resource"])
        expected_pools = sorted(p["name"] for p in pools if p["purpose"] == signing_class)
        # ... plus the transparency log, which is public: the signer makes each release's .tlog-proof.
        log = [f"arn:aws:s3:::{run.outputs['transparencyLogBucket']}/*"] if "transparencyLogBucket" in run.outputs else []
        assert reads == sorted([*(f"arn:aws:s3:::{artifacts}/{pool}/*" for pool in expected_pools), *log])
        writes = sorted(r for s in statements if "s3:PutObject" in s["Action"] for r in s["Resource"])
        # ... plus its release records (envelope digests) in the audit archive.
        assert writes == sorted([f"arn:aws:s3:::{releases}/releases/{signing_class}/*",
                                 f"arn:aws:s3:::{run.outputs['auditArchiveBucket']}/release-records/{signing_class}/*"])
        assert not any(a.startswith("s3:Delete") for s in statements for a in s["Action"])
        assert not any(s["Action"] == ["kms:Sign"] for s in statements), "signing is granted by the key policy alone"


def test_each_signer_host_runs_as_its_own_class(each_stack):
    run = each_stack
    instances = signer_instances(run)
    assert sorted(instances) == sorted(SIGNING_CLASSES)
    keys = signing_keys(run)
    for signing_class, instance in instances.items():
        assert instance.inputs["iamInstanceProfile"] == f"tc-{run.stack}-signer-{signing_class}"
        assert instance.inputs["metadataOptions"]["httpTokens"] == "required"
        assert instance.inputs["rootBlockDevice"]["encrypted"] is True
        assert instance.inputs.get("keyName") is None
        user_data = user_data_of(instance)
        other = next(c for c in SIGNING_CLASSES if c != signing_class)
        if keys:
            assert f"alias/tc/{run.stack}/signing/{signing_class}" in user_data
            assert f"alias/tc/{run.stack}/signing/{other}" not in user_data
        assert f"releases/{signing_class}/" in user_data and f"releases/{other}/" not in user_data
    if len(run.outputs["subnetIds"]["signing"]) > 1:
        assert len({i.inputs["subnetId"] for i in instances.values()}) == 2, "classes sit in different AZs"


# --- bad config -----------------------------------------------------------------------------



def test_unknown_backend_is_rejected(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:signing"]["backend"] = "yubikey"
    error = expect_refused(declare_with, values)
    assert [k for k, _ in error.problems] == [f"{NS}:signing.backend"]
    assert "yubikey" in str(error) and "'kms'" in str(error) and "'cloudhsm'" in str(error)


@pytest.mark.parametrize("spec", ["RSA_1024", "SYMMETRIC_DEFAULT", "HMAC_256", "ECC_SECG_P256K1", "ML_DSA_65"])
def test_key_spec_off_the_allow_list_is_rejected(declare_with, stack_values, spec):
    values = stack_values("dev")
    values[f"{NS}:signing"]["kms"]["keySpec"] = spec
    error = expect_refused(declare_with, values)
    assert [k for k, _ in error.problems] == [f"{NS}:signing.kms.keySpec"]
    assert spec in str(error) and "ECC_NIST_P384" in str(error)


@pytest.mark.parametrize("hsms", [1, 2])
def test_prod_with_fewer_hsms_than_availability_zones_is_rejected(declare_with, stack_values, hsms):
    values = stack_values("zurich-prod")
    values[f"{NS}:signing"]["cloudhsm"]["hsms"] = hsms
    error = expect_refused(declare_with, values, "zurich-prod")
    assert f"{NS}:signing" in " ".join(k for k, _ in error.problems)
    assert "HSM" in str(error)


def test_initialized_cluster_needs_its_trust_anchor(declare_with, stack_values):
    values = stack_values("zurich-prod")
    values[f"{NS}:signing"]["cloudhsm"]["initialized"] = True
    error = expect_refused(declare_with, values, "zurich-prod")
    assert "trustAnchorCertificate" in str(error)


def test_cloudhsm_backend_without_its_block_is_rejected(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:signing"] = {"backend": "cloudhsm"}
    error = expect_refused(declare_with, values)
    assert "cloudhsm" in str(error)


def test_prod_release_lock_shorter_than_a_year_is_rejected(declare_with, stack_values):
    values = stack_values("zurich-prod")
    values[f"{NS}:signing"]["releaseLock"]["retentionDays"] = 30
    error = expect_refused(declare_with, values, "zurich-prod")
    assert "365" in str(error)


def test_dev_may_run_a_small_cloudhsm_cluster(declare_with, stack_values):
    """Below prod, one HSM is allowed (a rehearsal of the ceremony), in the signing zone."""
    values = stack_values("dev")
    values[f"{NS}:signing"] = {"backend": "cloudhsm", "cloudhsm": {"hsms": 1}}
    run = declare_with(values)
    assert len(run.by_type("aws:cloudhsmv2/hsm:Hsm")) == 1
    assert not run.by_type("aws:cloudhsmv2/cluster:Cluster")[0].options["protect"]


@pytest.mark.parametrize("stack", KMS_STACKS)
def test_reviewers_get_public_keys_and_verify_by_grant_never_sign(declared, stack):
    run = declared(stack)
    key_arns = sorted(run.outputs["signingKeyArns"].values())
    signer_names = {arn.rsplit("/", 1)[1] for arn in run.outputs["signerRoleArns"].values()}
    verifiers = {}
    for policy in run.by_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            if statement["Effect"] == "Allow" and "kms:GetPublicKey" in statement["Action"]:
                assert "kms:Sign" not in statement["Action"]
                releases = set(_as_list(statement["Resource"])) - {run.outputs.get("transparencyCheckpointKeyArn")}
                if releases:  # the log's checkpoint key is tested in test_transparency.py
                    verifiers.setdefault(policy.inputs["role"], set()).update(releases)
    assert verifiers, "no role was granted verify (SigningService.grant_verify)"
    assert not set(verifiers) & signer_names
    for role, resources in verifiers.items():
        assert sorted(resources) == key_arns, role
