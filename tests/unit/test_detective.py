"""Detective controls, judged against sources the kit did not write: moto's copy of AWS
Config's managed-rule catalogue (which rules exist, in which regions, with which
parameters), the CIS v3 section 4 control list, and the archive's own policies read the way
S3 and KMS would read them for AWS Config's deliveries."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import moto
import pytest

from components import detective
from components.awsfacts import METRIC_FILTER_PATTERN_MAX
from components.config import ConfigError, load_config
from tcenter import guardrails as rules
from tcenter.plan.engine import to_pulumi_config

from tests.unit.s3_policy import _applies

PROD = "zurich-prod"
ZURICH = "Europe (Zurich)"
CIS_V3_MONITORING = {f"CIS 4.{n}" for n in range(1, 16)}
"""CIS AWS Foundations v3.0.0, section 4 (monitoring): 4.1-4.15 are metric filters and alarms
(4.16, Security Hub enabled, is the Security Hub account itself)."""


@pytest.fixture(scope="module")
def managed_rules() -> dict:
    path = Path(moto.__file__).parent / "config" / "resources" / "aws_managed_rules.json.gz"
    return json.loads(gzip.decompress(path.read_bytes()))["ManagedRules"]


def _available_in_zurich(entry: dict) -> bool:
    regions = entry["AWS Region"]
    if regions.startswith("All supported AWS regions"):
        return ZURICH not in regions  # "All ... except A, B, Europe (Zurich) Region"
    return ZURICH in regions


def test_every_kit_rule_has_its_config_mirror_or_a_reason():
    mirrored = {m.kit_rule for m in detective.KIT_RULE_MIRRORS}
    assert mirrored == {r.id for r in rules.RULES}, "a tcenter rule without a line in KIT_RULE_MIRRORS"
    for mirror in detective.KIT_RULE_MIRRORS:
        assert mirror.managed_rules or mirror.why_none, mirror.kit_rule


def test_every_declared_config_rule_exists_in_zurich_with_valid_parameters(declared, managed_rules):
    declared_rules = declared(PROD).by_type("aws:cfg/rule:Rule")
    identifiers = [r.inputs["source"]["sourceIdentifier"] for r in declared_rules]
    assert sorted(identifiers) == sorted(detective.config_rule_identifiers())
    assert len(set(identifiers)) == len(identifiers)
    for rule in declared_rules:
        identifier = rule.inputs["source"]["sourceIdentifier"]
        assert rule.inputs["source"]["owner"] == "AWS"
        entry = managed_rules.get(identifier)
        assert entry is not None, f"{identifier} is not an AWS Config managed rule"
        assert _available_in_zurich(entry), f"{identifier} is not available in eu-central-2: {entry['AWS Region']}"
        known = {p["Name"]: p for p in entry["Parameters"]}
        given = json.loads(rule.inputs.get("inputParameters") or "{}")
        assert set(given) <= set(known), (identifier, set(given) - set(known))
        required = {name for name, p in known.items() if not p.get("Optional", True) and "Default" not in p}
        assert required <= set(given), (identifier, required - set(given))
        assert len(rule.inputs["name"]) <= 128


def test_the_zurich_check_would_have_caught_rules_aws_does_not_offer_there(managed_rules):
    """IAM_ROOT_ACCESS_KEY_CHECK exists elsewhere but not in Zurich: the check above must say so."""
    assert not _available_in_zurich(managed_rules["IAM_ROOT_ACCESS_KEY_CHECK"])
    assert _available_in_zurich(managed_rules["EC2_IMDSV2_CHECK"])


def test_the_lock_rule_judges_exactly_the_locked_buckets(declared):
    run = declared(PROD)
    (lock_rule,) = [r for r in run.by_type("aws:cfg/rule:Rule")
                    if r.inputs["source"]["sourceIdentifier"] == "S3_BUCKET_DEFAULT_LOCK_ENABLED"]
    tag = lock_rule.inputs["scope"]["tagKey"]
    for bucket in run.by_type("aws:s3/bucket:Bucket"):
        tagged = tag in (bucket.inputs.get("tags") or {})
        assert tagged == bool(bucket.inputs.get("objectLockEnabled")), bucket.name


def test_recorder_records_everything_and_delivers_to_the_locked_archive(declared):
    run = declared(PROD)
    (recorder,) = run.by_type("aws:cfg/recorder:Recorder")
    assert recorder.inputs["recordingGroup"] == {"allSupported": True, "includeGlobalResourceTypes": True}
    (channel,) = run.by_type("aws:cfg/deliveryChannel:DeliveryChannel")
    assert channel.inputs["s3BucketName"] == run.outputs["auditArchiveBucket"]
    assert channel.inputs["s3KmsKeyArn"] == run.outputs["auditKeyArn"]
    (status,) = run.by_type("aws:cfg/recorderStatus:RecorderStatus")
    assert status.inputs["isEnabled"] is True and status.inputs["name"] == recorder.inputs["name"]
    (role,) = run.by_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert recorder.inputs["roleArn"] == role.outputs["arn"]
    assert role.outputs["arn"].endswith("/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")


def _archive_policy(run) -> dict:
    bucket = run.outputs["auditArchiveBucket"]
    (policy,) = [p for p in run.by_type("aws:s3/bucketPolicy:BucketPolicy") if p.inputs["bucket"] == bucket]
    return json.loads(policy.inputs["policy"])


def _service_may(document: dict, action: str, resource: str, context: dict, service: str) -> bool:
    """S3's reading of a bucket policy for a request by an AWS service principal."""
    applicable = []
    for s in document["Statement"]:
        principal = s.get("Principal", {})
        named = principal == "*" or principal.get("AWS") == "*" or service in (
            principal.get("Service") if isinstance(principal.get("Service"), list) else [principal.get("Service")])
        if named and _applies({k: v for k, v in s.items() if k != "Principal"}, action, resource, context, None):
            applicable.append(s)
    return not any(s["Effect"] == "Deny" for s in applicable) and any(s["Effect"] == "Allow" for s in applicable)


def test_config_delivers_to_the_archive_for_this_account_only(declared):
    run = declared(PROD)
    account = run.outputs["trailArn"].split(":")[4]
    archive = f"arn:aws:s3:::{run.outputs['auditArchiveBucket']}"
    policy = _archive_policy(run)
    base = {"aws:SecureTransport": "true", "aws:PrincipalIsAWSService": "true", "s3:x-amz-acl": "bucket-owner-full-control",
            "aws:SourceVpce": None, "aws:SourceArn": None, "aws:PrincipalArn": None}
    snapshot = f"{archive}/config/AWSLogs/{account}/Config/eu-central-2/2026/12/2/ConfigSnapshot/x.json.gz"
    config = "config.amazonaws.com"
    assert _service_may(policy, "s3:PutObject", snapshot, {**base, "aws:SourceAccount": account}, config)
    assert _service_may(policy, "s3:GetBucketAcl", archive, {**base, "aws:SourceAccount": account}, config)
    assert not _service_may(policy, "s3:PutObject", snapshot, {**base, "aws:SourceAccount": "999999999999"}, config), \
        "another account's recorder could write into the center's archive"
    foreign = f"{archive}/config/AWSLogs/999999999999/Config/x.json.gz"
    assert not _service_may(policy, "s3:PutObject", foreign, {**base, "aws:SourceAccount": account}, config)
    assert not _service_may(policy, "s3:PutObject", f"{archive}/cloudtrail/AWSLogs/{account}/forged.json.gz",
                            {**base, "aws:SourceAccount": account}, config), "Config must not write into the trail's prefix"
    key_policy = json.loads(next(k for k in run.by_type("aws:kms/key:Key")
                                 if k.outputs["arn"] == run.outputs["auditKeyArn"]).inputs["policy"])
    (statement,) = [s for s in key_policy["Statement"] if s.get("Principal", {}).get("Service") == config]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": account}}
    assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}


def test_security_services_are_on_with_the_standards_an_auditor_expects(declared):
    run = declared(PROD)
    (hub,) = run.by_type("aws:securityhub/account:Account")
    assert hub.inputs["enableDefaultStandards"] is False  # the two below, explicitly
    standards = sorted(s.inputs["standardsArn"] for s in run.by_type("aws:securityhub/standardsSubscription:StandardsSubscription"))
    assert standards == [
        "arn:aws:securityhub:eu-central-2::standards/aws-foundational-security-best-practices/v/1.0.0",
        "arn:aws:securityhub:eu-central-2::standards/cis-aws-foundations-benchmark/v/3.0.0",
    ]
    (detector,) = run.by_type("aws:guardduty/detector:Detector")
    assert detector.inputs["enable"] is True
    features = {f.inputs["name"]: f.inputs["status"] for f in run.by_type("aws:guardduty/detectorFeature:DetectorFeature")}
    assert features == {"S3_DATA_EVENTS": "ENABLED"}
    analyzers = {a.inputs["type"]: a for a in run.by_type("aws:accessanalyzer/analyzer:Analyzer")}
    assert set(analyzers) == {"ACCOUNT", "ACCOUNT_UNUSED_ACCESS"}
    assert analyzers["ACCOUNT_UNUSED_ACCESS"].inputs["configuration"]["unusedAccess"]["unusedAccessAge"] == 90


def test_account_baselines(declared):
    run = declared(PROD)
    (block,) = run.by_type("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock")
    assert all(block.inputs[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                 "restrictPublicBuckets"))
    assert block.inputs["accountId"] == run.outputs["trailArn"].split(":")[4]
    (default_key,) = run.by_type("aws:ebs/defaultKmsKey:DefaultKmsKey")
    assert default_key.inputs["keyArn"] == run.outputs["ebsDefaultKeyArn"]
    key = next(k for k in run.by_type("aws:kms/key:Key") if k.outputs["arn"] == run.outputs["ebsDefaultKeyArn"])
    assert key.options["protect"], "prod's default EBS key is protected like every key"
    (by_default,) = run.by_type("aws:ebs/encryptionByDefault:EncryptionByDefault")
    assert by_default.inputs["enabled"] is True
    (imds,) = run.by_type("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults")
    assert imds.inputs["httpTokens"] == "required" and imds.inputs["httpPutResponseHopLimit"] == 1
    (passwords,) = run.by_type("aws:iam/accountPasswordPolicy:AccountPasswordPolicy")
    assert passwords.inputs["minimumPasswordLength"] >= 14 and passwords.inputs["passwordReusePrevention"] >= 24


def test_cis_section_4_alarms_watch_the_trail_and_reach_the_reviewers(declared, stack_values):
    run = declared(PROD)
    trail_group = run.outputs["trailLogGroup"]
    controls = {a.control for a in detective.CIS_ALARMS}
    assert CIS_V3_MONITORING <= controls, CIS_V3_MONITORING - controls
    filters = run.by_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    alarms = {(a.inputs["namespace"], a.inputs["metricName"]): a for a in run.by_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    break_glass = stack_values(PROD)["transparency-center:access"]["breakGlassRole"]
    assert len(filters) == len(detective.center_alarms(break_glass))
    assert all(len(f.inputs["pattern"]) <= METRIC_FILTER_PATTERN_MAX for f in filters), "CloudWatch Logs refuses it"
    topic_arn = run.outputs["alertTopicArn"]
    for f in filters:
        assert f.inputs["logGroupName"] == trail_group
        pattern = f.inputs["pattern"]
        assert pattern.count("(") == pattern.count(")") and pattern.startswith("{") and pattern.endswith("}")
        metric = f.inputs["metricTransformation"]
        alarm = alarms[(metric["namespace"], metric["name"])]
        assert alarm.inputs["alarmActions"] == [topic_arn]
        assert alarm.inputs["threshold"] == 1 and alarm.inputs["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
    patterns = " ".join(f.inputs["pattern"] for f in filters)
    for event in ("PutKeyPolicy", "CreateGrant", "UpdateDocument", "StopLogging", "PutEventSelectors",
                  "DeleteDetector", "DisableSecurityHub", "StopConfigurationRecorder"):
        assert re.search(rf"\b{event}\b", patterns), f"no alarm fires on {event}"
    values = stack_values(PROD)
    expected = {values["transparency-center:detective"]["securityContact"],
                *(o["contact"] for o in values["transparency-center:reviewers"]["organizations"])}
    subscriptions = run.by_type("aws:sns/topicSubscription:TopicSubscription")
    assert {s.inputs["endpoint"] for s in subscriptions} == expected
    assert all(s.inputs["protocol"] == "email" and s.inputs["topic"] == topic_arn for s in subscriptions)


def test_the_alert_topic_is_encrypted_and_only_this_accounts_alarms_publish(declared):
    run = declared(PROD)
    (topic,) = run.by_type("aws:sns/topic:Topic")
    key = next(k for k in run.by_type("aws:kms/key:Key") if k.outputs["arn"] == topic.inputs["kmsMasterKeyId"])
    account = run.outputs["trailArn"].split(":")[4]
    statements = json.loads(key.inputs["policy"])["Statement"]
    (publishers,) = [s for s in statements if "Service" in s.get("Principal", {})]
    assert publishers["Condition"]["StringEquals"] == {"kms:ViaService": "sns.eu-central-2.amazonaws.com",
                                                       "aws:SourceAccount": account}
    (policy,) = run.by_type("aws:sns/topicPolicy:TopicPolicy")
    document = json.loads(policy.inputs["policy"])
    context = {"aws:SecureTransport": "true", "aws:SourceAccount": account}
    assert _service_may(document, "sns:Publish", topic.outputs["arn"], context, "cloudwatch.amazonaws.com")
    assert not _service_may(document, "sns:Publish", topic.outputs["arn"], {**context, "aws:SourceAccount": "999999999999"},
                            "cloudwatch.amazonaws.com")


def _values(stack_values, stack: str, detective_section: dict | None) -> dict:
    values = stack_values(stack)
    values.pop("transparency-center:detective", None)
    if detective_section is not None:
        values["transparency-center:detective"] = detective_section
    return values


@pytest.mark.parametrize("stack", ["staging", PROD])
def test_only_dev_may_switch_the_detective_controls_off(stack_values, stack):
    with pytest.raises(ConfigError) as error:
        load_config(to_pulumi_config(_values(stack_values, stack, {"enabled": False}))[0], stack)
    assert [key for key, _ in error.value.problems] == ["transparency-center:detective"]


def test_prod_names_a_security_contact(stack_values):
    with pytest.raises(ConfigError) as error:
        load_config(to_pulumi_config(_values(stack_values, PROD, None))[0], PROD)
    assert "securityContact" in str(error.value)


def test_detective_controls_are_on_when_a_stack_says_nothing(stack_values, declare_with):
    values = _values(stack_values, "dev", None)
    assert load_config(to_pulumi_config(values)[0], "dev").detective.enabled
    run = declare_with(values)
    assert run.by_type("aws:guardduty/detector:Detector") and run.by_type("aws:cfg/recorder:Recorder")


def test_local_must_switch_them_off_because_localstack_lacks_them(stack_values):
    values = _values(stack_values, "local", None)
    with pytest.raises(ConfigError) as error:
        load_config(to_pulumi_config(values)[0], "local")
    assert [key for key, _ in error.value.problems] == ["transparency-center:detective.enabled"]


def test_architecture_documents_the_mirror_table_as_built():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "ARCHITECTURE.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in doc.splitlines()
            if line.startswith("| ") and line.count("|") == 4}
    for mirror in detective.KIT_RULE_MIRRORS:
        row = rows.get(mirror.kit_rule)
        assert row is not None, f"docs/ARCHITECTURE.md lacks the Config mirror of {mirror.kit_rule}"
        documented = re.findall(r"`([A-Z0-9_]+)`", row.split("|")[2])
        assert documented == list(mirror.managed_rules), mirror.kit_rule


def test_with_a_log_archive_config_delivers_there_and_the_local_archive_admits_no_config(stack_values, declare_with):
    values = stack_values(PROD)
    log_archive = {"account": "222233334444", "bucket": "tc-zurich-org-trail-archive-222233334444",
                   "key": "arn:aws:kms:eu-central-2:222233334444:key/0b1c2d3e-0000-4000-8000-000000000001",
                   "trail": "arn:aws:cloudtrail:eu-central-2:999988887777:trail/tc-organization-trail"}
    values["transparency-center:audit"].update({"organization": True, "logArchive": log_archive})
    run = declare_with(values, PROD)
    (channel,) = run.by_type("aws:cfg/deliveryChannel:DeliveryChannel")
    assert (channel.inputs["s3BucketName"], channel.inputs["s3KmsKeyArn"]) == (log_archive["bucket"], log_archive["key"])
    assert not any(s.get("Principal", {}).get("Service") == "config.amazonaws.com"
                   for s in _archive_policy(run)["Statement"]), "the center's own archive still admits Config"


def _event(source: str, name: str, *, identity: str = "AssumedRole", invoked_by: str | None = None, **extra) -> dict:
    """A CloudTrail record as it arrives in the trail's log group (the fields the patterns read)."""
    user = {"type": identity, "arn": "arn:aws:sts::333333333333:assumed-role/tc-platform-admin/alice"}
    if invoked_by:
        user["invokedBy"] = invoked_by
    return {"eventVersion": "1.09", "eventSource": source, "eventName": name, "userIdentity": user,
            "eventType": "AwsApiCall", "sourceIPAddress": "10.42.0.10", **extra}


ALARMING = [
    ("key-policy-or-grant-changes", _event("kms.amazonaws.com", "PutKeyPolicy")),
    ("key-policy-or-grant-changes", _event("kms.amazonaws.com", "CreateGrant")),
    ("kms-key-disabled-or-deleted", _event("kms.amazonaws.com", "ScheduleKeyDeletion")),
    ("cloudtrail-changes", _event("cloudtrail.amazonaws.com", "StopLogging")),
    ("cloudtrail-changes", _event("cloudtrail.amazonaws.com", "PutEventSelectors")),
    ("session-document-changes", _event("ssm.amazonaws.com", "UpdateDocument")),
    ("detective-controls-changes", _event("guardduty.amazonaws.com", "DeleteDetector")),
    ("detective-controls-changes", _event("securityhub.amazonaws.com", "DisableSecurityHub")),
    ("config-changes", _event("config.amazonaws.com", "StopConfigurationRecorder")),
    ("s3-bucket-policy-changes", _event("s3.amazonaws.com", "PutBucketPolicy")),
    ("network-gateway-changes", _event("ec2.amazonaws.com", "CreateNatGateway")),
    ("vpc-changes", _event("ec2.amazonaws.com", "ModifyVpcEndpoint")),
    ("route-table-changes", _event("ec2.amazonaws.com", "CreateRoute")),
    ("iam-policy-changes", _event("iam.amazonaws.com", "PutRolePolicy")),
    ("root-usage", _event("signin.amazonaws.com", "ConsoleLogin", identity="Root", eventType="AwsConsoleSignIn")),
    ("unauthorized-api-calls", _event("s3.amazonaws.com", "GetObject", errorCode="AccessDenied")),
    ("console-authentication-failures", _event("signin.amazonaws.com", "ConsoleLogin",
                                               errorMessage="Failed authentication")),
]
QUIET = [
    _event("kms.amazonaws.com", "CreateGrant", invoked_by="ec2.amazonaws.com"),  # EBS attaching a volume
    _event("kms.amazonaws.com", "Decrypt"),
    _event("kms.amazonaws.com", "DescribeKey"),
    _event("s3.amazonaws.com", "HeadBucket", errorCode="AccessDenied"),  # CIS excludes it
    _event("ssm.amazonaws.com", "StartSession"),
    _event("cloudtrail.amazonaws.com", "LookupEvents"),
    _event("ec2.amazonaws.com", "DescribeInstances"),
    _event("kms.amazonaws.com", "GenerateDataKey", identity="Root", invoked_by="cloudtrail.amazonaws.com"),
]


@pytest.mark.parametrize("alarm_id,event", ALARMING, ids=[f"{a}:{e['eventName']}" for a, e in ALARMING])
def test_each_alarm_fires_on_the_events_it_exists_for(declared, alarm_id, event):
    from tests.unit.filter_patterns import matches

    filters = {f.inputs["name"]: f.inputs["pattern"] for f in declared(PROD).by_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")}
    fired = {name for name, pattern in filters.items() if matches(pattern, event)}
    assert any(name.endswith(alarm_id) for name in fired), (alarm_id, fired)


def test_routine_work_sets_off_no_alarm(declared):
    """EBS grants, decrypts, reads and sessions are what the center does all day: alarms on
    them would bury the ones that matter."""
    from tests.unit.filter_patterns import matches

    patterns = [f.inputs["pattern"] for f in declared(PROD).by_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")]
    for event in QUIET:
        assert not any(matches(p, event) for p in patterns), event["eventName"]


def test_the_pattern_evaluator_on_patterns_from_the_cloudwatch_logs_guide():
    """The evaluator itself, on the user guide's own examples, so it can fail apart from the kit."""
    from tests.unit.filter_patterns import matches

    event = {"eventType": "UpdateTrail", "sourceIPAddress": "123.123.123.123", "arrayKey": None,
             "user": {"id": 1, "email": "John.Stiles@example.com"}}
    assert matches('{ $.eventType = "UpdateTrail" }', event)
    assert matches('{ $.sourceIPAddress != 123.123.* }', {"sourceIPAddress": "10.0.0.1"})
    assert not matches('{ $.sourceIPAddress != 123.123.* }', event)
    assert matches('{ ($.user.id = 1) && ($.user.email = "John.Stiles@example.com") }', event)
    assert not matches('{ ($.user.id = 2) || ($.user.email = "someone@example.com") }', event)
    assert matches('{ $.user.name NOT EXISTS }', event) and not matches('{ $.user.id NOT EXISTS }', event)
    with pytest.raises(ValueError):
        matches('{ $.eventType > 3 }', event)
