"""Rules about evidence: CloudTrail validation and coverage, detective controls, the account
baseline."""

from __future__ import annotations

import re
from typing import Iterator

from components import awsfacts

from .model import (
    Context,
    Resource,
    Rule,
    Stack,
    as_list,
    dig,
    is_off,
    truthy,
)


def check_cloudtrail(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type != "aws:cloudtrail/trail:Trail":
        return
    if is_off(resource.inputs.get("enableLogFileValidation")):
        yield "enableLogFileValidation is off: nobody can prove the log files were not altered (CloudTrail.4)"
    if is_off(resource.inputs.get("isMultiRegionTrail")):
        yield "isMultiRegionTrail is off: calls in other regions go unrecorded (CloudTrail.1)"


CLOUDTRAIL_VALIDATION = Rule(
    "cloudtrail-validation", "FSBP CloudTrail.1, CloudTrail.4; CIS 3.1, 3.2; CKV_AWS_67, CKV_AWS_36",
    "Trails are multi-Region with log file validation.",
    resource_check=check_cloudtrail,
)


# --- detective controls ---------------------------------------------------------------------

ALARMED_EVENTS = ("StopLogging", "DeleteTrail", "PutEventSelectors", "PutKeyPolicy", "CreateGrant", "DisableKey",
                  "ScheduleKeyDeletion", "UpdateDocument", "PutBucketPolicy", "StopConfigurationRecorder",
                  "DeleteDetector", "DisableSecurityHub")
"""Events that quietly weaken the center's evidence or keys: each must fire an alarm that notifies someone."""
SECURITY_HUB_STANDARD_PATHS = tuple(f"standards/{s}" for s in awsfacts.SECURITY_HUB_STANDARDS.values())


def _detective_gaps(stack: Stack) -> Iterator[str]:
    recorders = [r for r in stack.of_type("aws:cfg/recorder:Recorder")
                 if dig(r.inputs, "recordingGroup", "allSupported") is True
                 and dig(r.inputs, "recordingGroup", "includeGlobalResourceTypes") is True]
    if not recorders:
        yield "no AWS Config recorder records all supported resource types, global ones included"
    if not any(truthy(s.inputs.get("isEnabled")) is True for s in stack.of_type("aws:cfg/recorderStatus:RecorderStatus")):
        yield "the AWS Config recorder is not switched on (aws:cfg/recorderStatus isEnabled)"
    if not stack.of_type("aws:cfg/deliveryChannel:DeliveryChannel"):
        yield "AWS Config has no delivery channel: its history goes nowhere"
    if not any(truthy(d.inputs.get("enable")) is not False for d in stack.of_type("aws:guardduty/detector:Detector")):
        yield "no enabled GuardDuty detector"
    if not any(f.inputs.get("name") == "S3_DATA_EVENTS" and f.inputs.get("status") == "ENABLED"
               for f in stack.of_type("aws:guardduty/detectorFeature:DetectorFeature")):
        yield "GuardDuty S3 protection (S3_DATA_EVENTS) is not enabled"
    if not stack.of_type("aws:securityhub/account:Account"):
        yield "Security Hub is not enabled"
    subscribed = [str(s.inputs.get("standardsArn", "")) for s in
                  stack.of_type("aws:securityhub/standardsSubscription:StandardsSubscription")]
    for standard in SECURITY_HUB_STANDARD_PATHS:
        if not any(standard in arn for arn in subscribed):
            yield f"Security Hub is not subscribed to {standard.removeprefix('standards/')} (FSBP and CIS v3 are required)"
    analyzers = {a.inputs.get("type") for a in stack.of_type("aws:accessanalyzer/analyzer:Analyzer")}
    for kind in ("ACCOUNT", "ACCOUNT_UNUSED_ACCESS"):
        if kind not in analyzers:
            yield f"no IAM Access Analyzer of type {kind}"
    alarmed_metrics = {(a.inputs.get("namespace"), a.inputs.get("metricName")) for a in
                       stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if as_list(a.inputs.get("alarmActions"))}
    patterns = " ".join(str(f.inputs.get("pattern", "")) for f in stack.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
                        if (dig(f.inputs, "metricTransformation", "namespace"),
                            dig(f.inputs, "metricTransformation", "name")) in alarmed_metrics)
    silent = [e for e in ALARMED_EVENTS if not re.search(rf"\b{e}\b", patterns)]
    if silent:
        yield f"no metric filter with an alarm that notifies anyone fires on {', '.join(silent)}"


def _baseline_gaps(stack: Stack) -> Iterator[str]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    if not any(all(truthy(b.inputs.get(f)) is True for f in flags)
               for b in stack.of_type("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock")):
        yield "no S3 account-level public access block with all four flags (S3.1)"
    if not any(truthy(e.inputs.get("enabled")) is not False for e in stack.of_type("aws:ebs/encryptionByDefault:EncryptionByDefault")):
        yield "EBS encryption by default is off (EC2.7)"
    if not stack.of_type("aws:ebs/defaultKmsKey:DefaultKmsKey"):
        yield "EBS encryption by default uses the AWS managed key, not a center key"
    if not any(d.inputs.get("httpTokens") == "required" for d in
               stack.of_type("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults")):
        yield "IMDSv2 is not the account default (instance metadata defaults httpTokens: required)"
    if not stack.of_type("aws:iam/accountPasswordPolicy:AccountPasswordPolicy"):
        yield "no IAM account password policy (IAM.7, CIS 1.8)"


def _center_account(stack: Stack) -> Resource | None:
    """The center's own trail: what marks a stack as the center's account (not the organization's)."""
    trails = [t for t in stack.of_type("aws:cloudtrail/trail:Trail") if not truthy(t.inputs.get("isOrganizationTrail"))]
    return trails[0] if trails and stack.environment != "dev" else None


def stack_detective_controls(stack: Stack) -> Iterator[tuple[Resource, str]]:
    anchor = _center_account(stack)
    if anchor is not None:
        for gap in _detective_gaps(stack):
            yield anchor, gap


def stack_account_baseline(stack: Stack) -> Iterator[tuple[Resource, str]]:
    anchor = _center_account(stack)
    if anchor is not None:
        for gap in _baseline_gaps(stack):
            yield anchor, gap


DETECTIVE_CONTROLS = Rule(
    "detective-controls", "FSBP Config.1, GuardDuty.1, SecurityHub.1, IAM.28; CIS v3 3.3, 4.1-4.16",
    "Outside dev the center's account records with AWS Config, runs GuardDuty (S3 protection), Security Hub "
    "(FSBP, CIS v3) and Access Analyzer (external, unused), and alarms on every event that weakens its evidence or keys.",
    stack_check=stack_detective_controls,
)

ACCOUNT_BASELINE = Rule(
    "account-baseline", "FSBP S3.1, EC2.7, IAM.7; CIS v3 1.8, 2.2.1, 5.6",
    "Outside dev the center's account blocks public S3 access, encrypts EBS by default with a center key, "
    "defaults to IMDSv2 and has a password policy.",
    stack_check=stack_account_baseline,
)

