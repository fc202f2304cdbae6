"""Issue 29's nine ways out, each played by an administrator of the center's own account who is
not in the plan, over the real zurich-prod and zurich-org plans: the kit's access evaluation
(tcenter.access), the SCP evaluator (tests/organization/scp_eval.py) and the alarm filter
evaluator (tests/unit/filter_patterns.py). Every expectation below is written from the issue
and AWS's documentation, not read back from the code under test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.organization.scp_eval import denied_by
from tests.review.conftest import find
from tests.unit.filter_patterns import matches

from .conftest import attacker_arn, prod_account, request, scp_denials

USE = {"read", "write", "delete", "decrypt", "sign"}
"""Access classes that use an asset (tcenter.access.CLASSES without `administer`)."""
REPO = Path(__file__).resolve().parents[2]


def role_arns(plan: dict[str, Any], word: str) -> list[str]:
    account = prod_account(plan)
    return sorted(f"arn:aws:iam::{account}:role/{r['inputs']['name']}"
                  for r in find(plan, "aws:iam/role:Role") if word in r["inputs"]["name"])


def stack_config(plan):
    from components.config import load_config
    from tcenter.core.stackfiles import load_stack_values

    return load_config(load_stack_values(plan["stack"]), plan["stack"])


def bucket_policy(plan: dict[str, Any], purpose: str) -> tuple[str, dict[str, Any]]:
    (bp,) = [b for b in find(plan, "aws:s3/bucketPolicy:BucketPolicy") if b["inputs"]["bucket"].endswith(purpose)]
    return f"arn:aws:s3:::{bp['inputs']['bucket']}", json.loads(bp["inputs"]["policy"])


def fired(plan: dict[str, Any], event: dict[str, Any]) -> set[str]:
    """The metric filters (each with an alarm to the reviewers) that fire on a CloudTrail record."""
    return {f["inputs"]["name"] for f in find(plan, "aws:cloudwatch/logMetricFilter:LogMetricFilter")
            if matches(f["inputs"]["pattern"], event)}


def cloudtrail_event(source: str, name: str, principal: str, **extra: Any) -> dict[str, Any]:
    role = principal.rsplit("/", 1)[-1]
    account = principal.split(":")[4]
    return {"eventVersion": "1.09", "eventSource": source, "eventName": name, "eventType": "AwsApiCall",
            "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::{account}:assumed-role/{role}/mallory",
                             "sessionContext": {"sessionIssuer": {"type": "Role", "arn": principal}}},
            "sourceIPAddress": "203.0.113.7", **extra}


# --- 1. RunInstances with a store's role, or the admin's own credentials --------------------------------

def test_way_1_an_account_admin_neither_reads_writes_nor_decrypts_any_customer_data(attacker_access):
    """`s3:GetObject` passed the bucket policy and KMS decrypted through S3 for any principal
    whose IAM policy allowed it; DynamoDB `Scan` the same."""
    customer = [name for name, a in attacker_access["assets"].items() if a["customer_data"]]
    kinds = {attacker_access["assets"][n]["kind"] for n in customer}
    assert {"bucket", "table", "key"} <= kinds and len(customer) >= 18
    leaks = {name: sorted(USE & set(attacker_access["access"].get(name, {}))) for name in customer}
    assert {n: c for n, c in leaks.items() if c} == {}


def test_way_1_nobody_but_the_deployer_passes_a_store_role_or_launches_into_center_subnets(prod, org_plan):
    attacker = attacker_arn(prod)
    store_roles = role_arns(prod, "-data-")
    assert len(store_roles) == 12
    for role in store_roles:
        assert scp_denials(org_plan, "iam:PassRole", role, request(attacker, **{"iam:PassedToService": "ec2.amazonaws.com"})), role
    account = prod_account(prod)
    for subnet in find(prod, "aws:ec2/subnet:Subnet"):
        arn = f"arn:aws:ec2:eu-central-2:{account}:subnet/{subnet['outputs']['id']}"
        assert scp_denials(org_plan, "ec2:RunInstances", arn, request(attacker)), subnet["name"]


def test_way_1_nobody_but_the_deployer_rewrites_a_customer_data_policy(prod, org_plan):
    attacker = attacker_arn(prod)
    buckets = [f"arn:aws:s3:::{b['inputs']['bucket']}" for b in find(prod, "aws:s3/bucket:Bucket", lambda r: "-data-" in r["name"])]
    tables = [t["outputs"]["arn"] for t in find(prod, "aws:dynamodb/table:Table")]
    assert len(buckets) == 6 and len(tables) == 12  # per customer region: its metadata and its intake table
    for bucket in buckets:
        for action in ("s3:PutBucketPolicy", "s3:DeleteBucketPolicy"):
            assert scp_denials(org_plan, action, bucket, request(attacker)), (action, bucket)
    for table in tables:
        for action in ("dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy"):
            assert scp_denials(org_plan, action, table, request(attacker)), (action, table)


# --- 2. DynamoDB leaves directly ----------------------------------------------------------------------

@pytest.mark.parametrize("action", ["dynamodb:ExportTableToPointInTime", "dynamodb:RestoreTableToPointInTime",
                                    "dynamodb:RestoreTableFromBackup", "dynamodb:DeleteResourcePolicy"])
def test_way_2_tables_are_not_exported_restored_or_unguarded_by_an_admin(prod, org_plan, action):
    attacker = attacker_arn(prod)
    for table in find(prod, "aws:dynamodb/table:Table"):
        assert scp_denials(org_plan, action, table["outputs"]["arn"], request(attacker)), (action, table["name"])


# --- 3. Fake builder agreement ------------------------------------------------------------------------

def test_way_3_builder_roles_are_passed_by_the_deployer_only(prod, org_plan):
    attacker = attacker_arn(prod)
    builders = role_arns(prod, "-build-")
    assert len(builders) == 5
    for role in builders:
        assert scp_denials(org_plan, "iam:PassRole", role, request(attacker, **{"iam:PassedToService": "ec2.amazonaws.com"})), role


def test_way_3_a_builders_credentials_write_its_prefix_only_from_its_own_instance(prod):
    """Two owner-launched instances with two builder roles would agree: the bucket policy must
    tie each builder's writes to its instance (aws:userid of an instance role is
    `<role unique id>:<instance id>`, IAM user guide, principal key values)."""
    bucket, policy = bucket_policy(prod, "build-artifacts")
    roles = {r["inputs"]["name"]: r for r in find(prod, "aws:iam/role:Role") if "-build-" in r["inputs"]["name"]}
    instances = {i["inputs"]["tags"]["builder"]: i["outputs"]["id"] for i in find(prod, "aws:ec2/instance:Instance")
                 if "builder" in (i["inputs"].get("tags") or {})}
    endpoint = next(e["outputs"]["id"] for e in find(prod, "aws:ec2/vpcEndpoint:VpcEndpoint")
                    if e["inputs"]["serviceName"].endswith(".s3") and e["inputs"]["tags"]["zone"] == "endpoints")
    assert len(instances) == 5
    for builder, instance in instances.items():
        role = next(r for name, r in roles.items() if name.endswith(builder))
        arn = f"arn:aws:iam::{prod_account(prod)}:role/{role['inputs']['name']}"
        pool = builder.rsplit("-", 1)[0]
        key = f"{bucket}/{pool}/{builder}/job-1/SHA256SUMS"
        base = request(arn, **{"aws:SourceVpce": endpoint, "aws:SecureTransport": "true"})
        own = {**base, "aws:userid": f"{role['outputs']['uniqueId']}:{instance}"}
        other = {**base, "aws:userid": f"{role['outputs']['uniqueId']}:i-0attacker000000000"}
        assert denied_by(policy, "s3:PutObject", key, own) == [], builder
        assert denied_by(policy, "s3:PutObject", key, other), builder


# --- 4. Sign without builders --------------------------------------------------------------------------

def test_way_4_signer_roles_are_passed_by_the_deployer_only_and_hsm_backups_stay(prod, org_plan):
    attacker = attacker_arn(prod)
    signers = role_arns(prod, "-signer-")
    assert len(signers) == 2
    for role in signers:
        assert scp_denials(org_plan, "iam:PassRole", role, request(attacker, **{"iam:PassedToService": "ec2.amazonaws.com"})), role
    cluster = "arn:aws:cloudhsm:eu-central-2:{}:backup/backup-abcdefghijk".format(prod_account(prod))
    assert scp_denials(org_plan, "cloudhsm:CopyBackupToRegion", cluster, request(attacker))


def test_way_4_only_the_signer_reads_its_crypto_user_secret(declare_with, stack_values):
    from tcenter.plan.format import build_plan
    from tests.unit.test_signing import initialized

    plan = build_plan(declare_with(initialized(stack_values("zurich-prod")), "zurich-prod"))
    secrets = find(plan, "aws:secretsmanager/secret:Secret")
    policies = {p["inputs"]["secretArn"]: json.loads(p["inputs"]["policy"])
                for p in find(plan, "aws:secretsmanager/secretPolicy:SecretPolicy")}
    assert len(secrets) == 2
    signer_hosts = {i["inputs"]["tags"]["signing-class"]: i["outputs"]["id"] for i in find(plan, "aws:ec2/instance:Instance")
                    if "signing-class" in (i["inputs"].get("tags") or {})}
    attacker = attacker_arn(plan)
    for secret in secrets:
        arn = secret["outputs"]["arn"]
        assert arn in policies, f"{secret['name']} has no resource policy: any admin may GetSecretValue"
        signing_class = secret["inputs"]["name"].rsplit("/", 1)[-1].removesuffix("-crypto-user")
        (signer,) = [r for r in find(plan, "aws:iam/role:Role") if r["inputs"]["name"].endswith(f"signer-{signing_class}")]
        signer_arn = f"arn:aws:iam::{prod_account(plan)}:role/{signer['inputs']['name']}"
        own = request(signer_arn, **{"aws:userid": f"{signer['outputs']['uniqueId']}:{signer_hosts[signing_class]}"})
        elsewhere = request(signer_arn, **{"aws:userid": f"{signer['outputs']['uniqueId']}:i-0attacker000000000"})
        assert denied_by(policies[arn], "secretsmanager:GetSecretValue", arn, own) == []
        assert denied_by(policies[arn], "secretsmanager:GetSecretValue", arn, elsewhere)
        assert denied_by(policies[arn], "secretsmanager:GetSecretValue", arn, request(attacker))


def test_way_4_the_ceremony_makes_signing_keys_non_extractable_and_says_how_to_check():
    ceremony = (REPO / "docs" / "cloudhsm-ceremony.md").read_text()
    generate = re.findall(r"key generate-asymmetric-pair.*?(?:\n(?!\s)|$)", ceremony, flags=re.S)
    assert generate and all("extractable=false" in g for g in generate), generate
    assert re.search(r"key list .*--verbose", ceremony) and '"extractable": false' in ceremony


# --- 5. Unreviewed source -------------------------------------------------------------------------------

def test_way_5_an_account_admin_cannot_write_the_source_mirror(attacker_access):
    (mirror,) = [n for n in attacker_access["assets"] if n.endswith("build-sources-bucket")]
    assert not {"write", "delete"} & set(attacker_access["access"].get(mirror, {})), attacker_access["access"].get(mirror)


def test_way_5_the_build_agent_verifies_the_tarballs_tree_before_it_builds():
    """The agent copied commit and tree ids from the job file; it must check them against the
    tarball (tests/unit/test_source_verification.py runs the verifier against git itself)."""
    agent = (REPO / "templates" / "files" / "build" / "tc-build-agent.sh.j2").read_text()
    verify = agent.find("tc-verify-source")
    build = agent.find("make -C src")
    assert 0 <= verify < build, "the agent must verify the source before `make`"


# --- 6. Silence, then tamper -----------------------------------------------------------------------------

SILENCING: dict[str, tuple[str, tuple[str, ...]]] = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("monitoring.amazonaws.com", ("DisableAlarmActions", "SetAlarmState", "DeleteAlarms", "PutMetricAlarm")),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": ("logs.amazonaws.com", ("DeleteMetricFilter", "PutMetricFilter")),
    "aws:cloudwatch/logGroup:LogGroup": ("logs.amazonaws.com", ("DeleteLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy", "DisassociateKmsKey")),
    "aws:sns/topic:Topic": ("sns.amazonaws.com", ("DeleteTopic", "SetTopicAttributes")),
    "aws:sns/topicPolicy:TopicPolicy": ("sns.amazonaws.com", ("SetTopicAttributes",)),
    "aws:sns/topicSubscription:TopicSubscription": ("sns.amazonaws.com", ("Unsubscribe", "SetSubscriptionAttributes")),
    "aws:cloudwatch/eventRule:EventRule": ("events.amazonaws.com", ("DisableRule", "DeleteRule", "PutRule")),
    "aws:cloudwatch/eventTarget:EventTarget": ("events.amazonaws.com", ("RemoveTargets", "PutTargets")),
    "aws:cfg/rule:Rule": ("config.amazonaws.com", ("DeleteConfigRule", "PutConfigRule")),
    "aws:cfg/recorder:Recorder": ("config.amazonaws.com", ("StopConfigurationRecorder", "DeleteConfigurationRecorder", "PutConfigurationRecorder")),
    "aws:cfg/recorderStatus:RecorderStatus": ("config.amazonaws.com", ("StopConfigurationRecorder",)),
    "aws:cfg/deliveryChannel:DeliveryChannel": ("config.amazonaws.com", ("DeleteDeliveryChannel", "PutDeliveryChannel")),
    "aws:securityhub/account:Account": ("securityhub.amazonaws.com", ("DisableSecurityHub", "CreateAutomationRule", "BatchUpdateAutomationRules", "BatchDeleteAutomationRules")),
    "aws:securityhub/standardsSubscription:StandardsSubscription": ("securityhub.amazonaws.com", ("BatchDisableStandards", "UpdateStandardsControl", "BatchUpdateStandardsControlAssociations")),
    "aws:guardduty/detector:Detector": ("guardduty.amazonaws.com", ("DeleteDetector", "UpdateDetector", "CreateFilter", "UpdateFilter", "CreateIPSet", "UpdateIPSet", "CreateThreatIntelSet", "UpdateThreatIntelSet")),
    "aws:guardduty/detectorFeature:DetectorFeature": ("guardduty.amazonaws.com", ("UpdateDetector",)),
    "aws:accessanalyzer/analyzer:Analyzer": ("access-analyzer.amazonaws.com", ("DeleteAnalyzer", "CreateArchiveRule", "UpdateArchiveRule")),
    "aws:cloudtrail/trail:Trail": ("cloudtrail.amazonaws.com", ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors")),
    "aws:ec2/flowLog:FlowLog": ("ec2.amazonaws.com", ("DeleteFlowLogs",)),
}
"""Per detective resource type: the APIs that disable, edit or delete it (AWS API references),
and the CloudTrail event source that records them. Written here, independently of the kit."""
NOT_SILENCEABLE_HERE = {
    "aws:kms/key:Key", "aws:kms/alias:Alias",  # key tampering: the key SCP and key policies (way 9)
    "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/serviceLinkedRole:ServiceLinkedRole",  # role SCP
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "aws:ebs/defaultKmsKey:DefaultKmsKey",
    "aws:ebs/encryptionByDefault:EncryptionByDefault", "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults",
    "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",  # account baselines: Config rules judge them
}
IAM_PREFIX = {"monitoring.amazonaws.com": "cloudwatch"}


def detective_resources(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """What tells anyone that something happened: everything the detective controls and the trail
    declare, and every log group and flow log anywhere."""
    return [r for r in plan["resources"] if r.get("custom", True) and not r["type"].startswith("pulumi:")
            and ("DetectiveControls" in r["urn"] or "AuditTrail" in r["urn"] or "Evidence" in r["urn"]
                 or r["type"] in ("aws:cloudwatch/logGroup:LogGroup", "aws:ec2/flowLog:FlowLog"))]


def test_way_6_every_detective_resource_type_is_known_to_this_test(prod):
    unknown = {r["type"] for r in detective_resources(prod)} - set(SILENCING) - NOT_SILENCEABLE_HERE
    assert unknown == set(), "a new kind of detective resource: add the APIs that silence it to SILENCING"


def test_way_6_no_account_admin_silences_any_alarm_subscription_rule_or_log_group(prod, org_plan):
    attacker = attacker_arn(prod)
    declared = {r["type"] for r in detective_resources(prod)}
    missed = []
    for resource_type in sorted(declared & set(SILENCING)):
        source, events = SILENCING[resource_type]
        for event in events:
            action = f"{IAM_PREFIX.get(source, source.split('.')[0])}:{event}"
            if not scp_denials(org_plan, action, "*", request(attacker)):
                missed.append(action)
    assert missed == []


def test_way_6_every_silencing_call_sets_off_an_alarm_to_the_reviewers(prod):
    attacker = attacker_arn(prod)
    declared = {r["type"] for r in detective_resources(prod)}
    silent = [f"{source}:{event}" for t in sorted(declared & set(SILENCING)) for source, events in [SILENCING[t]]
              for event in events if not fired(prod, cloudtrail_event(source, event, attacker))]
    assert silent == []


# --- 7. Rewrite evidence ------------------------------------------------------------------------------

def test_way_7_an_account_admin_neither_writes_nor_deletes_in_the_archive(attacker_access):
    (archive,) = [n for n in attacker_access["assets"] if n.endswith("audit-archive-bucket")]
    assert not {"write", "delete"} & set(attacker_access["access"].get(archive, {})), attacker_access["access"].get(archive)


def test_way_7_archive_writes_are_recorded(prod):
    (archive,) = [b["inputs"]["bucket"] for b in find(prod, "aws:s3/bucket:Bucket") if b["inputs"]["bucket"].endswith("audit-archive")]
    trail = next(t for t in find(prod, "aws:cloudtrail/trail:Trail") if t["inputs"]["name"].endswith("audit-trail"))
    recorded_writes = set()
    for selector in trail["inputs"]["advancedEventSelectors"]:
        fields = {f["field"]: f for f in selector["fieldSelectors"]}
        if fields.get("readOnly", {}).get("equals") == ["true"] or fields.get("eventCategory", {}).get("equals") != ["Data"]:
            continue
        recorded_writes |= set(fields.get("resources.ARN", {}).get("startsWiths", []))
    for prefix in ("ssm-sessions/", "release-records/"):
        assert any(f"arn:aws:s3:::{archive}/{prefix}".startswith(p) for p in recorded_writes), prefix


def test_way_7_reviewers_list_versions_and_fetch_digest_keys(prod):
    reviewers = [r["inputs"]["name"] for r in find(prod, "aws:iam/role:Role") if re.search(r"-reviewer-[a-z-]+$", r["inputs"]["name"])
                 and not r["inputs"]["name"].endswith("-workstation")]
    assert len(reviewers) == 2
    for reviewer in reviewers:
        actions = {a for p in find(prod, "aws:iam/rolePolicy:RolePolicy", lambda p, r=reviewer: p["inputs"]["role"] == r)
                   for s in json.loads(p["inputs"]["policy"])["Statement"] if s["Effect"] == "Allow"
                   for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
        assert {"s3:ListBucketVersions", "cloudtrail:ListPublicKeys"} <= actions, (reviewer, sorted(actions))


# --- 8. Root on builders and signers without a transcript ----------------------------------------------

def test_way_8_the_zone_tag_is_not_removed_or_changed_by_an_admin(prod, org_plan):
    attacker = attacker_arn(prod)
    account = prod_account(prod)
    for instance in find(prod, "aws:ec2/instance:Instance"):
        arn = f"arn:aws:ec2:eu-central-2:{account}:instance/{instance['outputs']['id']}"
        zone = instance["inputs"]["tags"].get("zone")
        for action in ("ec2:DeleteTags", "ec2:CreateTags"):
            assert scp_denials(org_plan, action, arn, request(attacker, **{"aws:TagKeys": ["zone"],
                                                                           "aws:ResourceTag/zone": zone})), (action, arn)


def test_way_8_run_command_on_an_untagged_host_is_denied(prod, org_plan):
    attacker = attacker_arn(prod)
    arn = f"arn:aws:ec2:eu-central-2:{prod_account(prod)}:instance/i-0123456789abcdef0"
    assert scp_denials(org_plan, "ssm:SendCommand", arn, request(attacker))


# --- 9. The organization's controls are the owner's too ------------------------------------------------

def test_way_9_the_key_scp_exempts_exactly_the_stacks_key_administrators(prod, org_plan):
    """Read both: the key administrators the prod key policies name, and the SCP. Each may
    PutKeyPolicy (KMS's lockout check needs the deploy role to), the attacker may not."""
    admins = set()
    for key in find(prod, "aws:kms/key:Key"):
        for statement in json.loads(key["inputs"]["policy"])["Statement"]:
            if statement.get("Sid") == "KeyAdministration":
                principals = statement["Principal"]["AWS"]
                admins |= set([principals] if isinstance(principals, str) else principals)
    assert admins
    key = find(prod, "aws:kms/key:Key")[0]["outputs"]["arn"]
    for admin in sorted(admins):
        assert scp_denials(org_plan, "kms:PutKeyPolicy", key, request(admin)) == [], admin
    assert scp_denials(org_plan, "kms:PutKeyPolicy", key, request(attacker_arn(prod)))


def test_way_9_an_exemption_is_one_role_of_the_center_account_not_a_name(prod, org_plan):
    config = stack_config(prod)
    break_glass = config.access.break_glass_role
    name = break_glass.split(":role/", 1)[1]
    namesake = f"arn:aws:iam::999999999999:role/{name}"
    assert scp_denials(org_plan, "cloudtrail:StopLogging", "*", request(namesake))
    assert scp_denials(org_plan, "cloudtrail:StopLogging", "*", request(break_glass)) == []


def test_way_9_a_role_named_like_an_exempt_one_cannot_be_made_and_making_roles_is_alarmed(prod, org_plan):
    config = stack_config(prod)
    attacker = attacker_arn(prod)
    exempt = [config.access.break_glass_role, *config.access.key_administrators]
    for arn in exempt:
        for action in ("iam:CreateRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy",
                       "iam:AttachRolePolicy"):
            assert scp_denials(org_plan, action, arn, request(attacker)), (action, arn)
    assert fired(prod, cloudtrail_event("iam.amazonaws.com", "CreateRole", attacker))


def test_way_9_the_management_accounts_residual_powers_are_written_down():
    architecture = (REPO / "docs" / "ARCHITECTURE.md").read_text()
    rows = [line for line in architecture.splitlines() if line.startswith("|") and "management account" in line.lower()]
    assert any("detach" in row.lower() and "reviewer" in row.lower() for row in rows), rows


# --- done when: `tcenter access zurich-prod` names exactly the plan's principals on customer data ---

def test_access_lists_exactly_the_named_principals_and_the_account_root_without_use(prod):
    """Every principal with a use (read, write, delete, decrypt, sign) of a customer data asset is
    one the stack's config names for that store (its ingest and analyze roles, the data-deletion
    and break-glass roles); the account root, standing for every administrator the plan does not
    declare, is listed and uses nothing."""
    from components.principals import center_principals
    from tcenter.analysis.access import effective_access

    result = effective_access(prod)
    principals = center_principals(stack_config(prod))
    root = f"arn:aws:iam::{prod_account(prod)}:root"
    assert root in result["principals"] and result["principals"][root]["kind"] == "account"
    customer = {name for name, a in result["assets"].items() if a["customer_data"]}
    # 6 stores x (bucket, table, key, intake table, intake key) and the bucket's samples/ and
    # verdicts/, judged apart (issues 27, 28)
    assert len(customer) == 30 + 12
    av_builders = {arn for builder, arn in principals.builders.items() if builder.startswith("av-databases-")}
    assert av_builders
    for asset in sorted(customer):
        region = next(r for r in principals.ingest if f"-data-{r}-" in asset)
        named = {principals.ingest[region], principals.analyze[region], principals.intake_brokers[region],
                 principals.data_deletion, principals.break_glass,
                 principals.cells[region], *av_builders}  # the analysis flow: cells and AV-database builders
        users = {key for key, entry in result["principals"].items()
                 if not entry["via"] and USE & set(entry["access"].get(asset, {}))}
        assert users and users <= named, (asset, users - named)
        assert not USE & set(result["principals"][root]["access"].get(asset, {})), asset
    analyze = result["principals"][principals.analyze["europe"]]["access"]
    assert analyze["tc-data-europe-objects-bucket"].get("read") and analyze["tc-data-europe-metadata"].get("read")
    assert result["principals"][principals.ingest["europe"]]["access"]["tc-data-europe-objects-bucket"].get("write")


def test_the_principals_the_config_names_are_the_roles_the_plan_declares(prod):
    """components.principals computes names from the config; the plan declares roles. They must be
    the same, or a fence would exempt (or admit) a role that is not there."""
    from components.principals import center_principals

    principals = center_principals(stack_config(prod))
    declared = {f"arn:aws:iam::{prod_account(prod)}:role/{r['inputs']['name']}" for r in find(prod, "aws:iam/role:Role")}
    generated = {*principals.instance_roles(), *principals.function_roles(), *principals.reviewers.values(),
                 *principals.witnesses.values(), *principals.service_roles, principals.rule_publisher}
    assert generated == declared
    assert not set(principals.privileged()) & declared, "a privileged role the config names is declared by the plan"


def test_every_read_a_role_is_granted_is_one_the_fences_let_through(prod):
    """The other side of the named-principal fences: each S3 read a role policy in the plan grants
    (s3:GetObject on a declared bucket) is effective. A grant a bucket's Deny silently cancels is a
    broken flow (the transparency log's sequencer reading the release records it logs was one)."""
    from tcenter.analysis.access import effective_access

    result = effective_access(prod)
    bucket_assets = {r["inputs"]["bucket"]: r["name"] for r in find(prod, "aws:s3/bucket:Bucket") if r["inputs"].get("bucket")}
    granted = set()
    for policy in find(prod, "aws:iam/rolePolicy:RolePolicy"):
        role = f"arn:aws:iam::{prod_account(prod)}:role/{policy['inputs']['role']}"
        for statement in json.loads(policy["inputs"]["policy"])["Statement"]:
            actions = statement.get("Action") if isinstance(statement.get("Action"), list) else [statement.get("Action")]
            resources = statement.get("Resource") if isinstance(statement.get("Resource"), list) else [statement.get("Resource")]
            if statement.get("Effect") != "Allow" or "s3:GetObject" not in actions or "Condition" in statement:
                continue
            for resource in resources:
                bucket = str(resource).removeprefix("arn:aws:s3:::").split("/")[0]
                if bucket in bucket_assets:
                    granted.add((role, bucket_assets[bucket]))
    assert len(granted) > 20
    dead = sorted(f"{role.split('/')[-1]} -> {asset}" for role, asset in granted
                  if "read" not in result["principals"].get(role, {}).get("access", {}).get(asset, {}))
    assert dead == [], "granted, but a fence denies it:\n" + "\n".join(dead)
