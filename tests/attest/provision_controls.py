"""Detective controls and account settings: metric filters, alarms, the alert topic and its
subscriptions, event rules, AWS Config, GuardDuty, Security Hub, EBS defaults, the account's S3
public access block, SSM documents. What moto does not implement (Access Analyzer, Route 53
Resolver DNS Firewall, IMDS defaults, the EBS default key, Security Hub standards, CloudHSM HSMs)
is left out: attest reports those APIs as unsupported there (docs/review.md)."""

from __future__ import annotations

import json
from typing import Any

from tests.attest import provision_storage
from tests.attest.provision import Provisioner, of, tag_list

NOT_PROVISIONED_IN_MOTO = (
    "aws:accessanalyzer/analyzer:Analyzer", "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults",
    "aws:ebs/defaultKmsKey:DefaultKmsKey", "aws:securityhub/standardsSubscription:StandardsSubscription",
    "aws:route53/resolverFirewallConfig:ResolverFirewallConfig",
    "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList", "aws:route53/resolverFirewallRule:ResolverFirewallRule",
    "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup",
    "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation",
)


def run(p: Provisioner) -> None:
    c = p.c
    for config in of(p.plan, "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig"):
        i = config["inputs"]
        created = c["route53resolver"].create_resolver_query_log_config(
            Name=i["name"], DestinationArn=p.live(i["destinationArn"]), CreatorRequestId=config["name"])["ResolverQueryLogConfig"]
        p.assign(config, id=created["Id"], arn=created["Arn"])
    for association in of(p.plan, "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation"):
        i = association["inputs"]
        c["route53resolver"].associate_resolver_query_log_config(ResolverQueryLogConfigId=p.live(i["resolverQueryLogConfigId"]),
                                                                ResourceId=p.live(i["resourceId"]))
    hsms(p)
    for topic in of(p.plan, "aws:sns/topic:Topic"):
        i = topic["inputs"]
        arn = c["sns"].create_topic(Name=i["name"], Attributes={"KmsMasterKeyId": p.live(i["kmsMasterKeyId"])}
                                    if i.get("kmsMasterKeyId") else {})["TopicArn"]
        p.assign(topic, arn=arn)
    for subscription in of(p.plan, "aws:sns/topicSubscription:TopicSubscription"):
        i = subscription["inputs"]
        created = c["sns"].subscribe(TopicArn=p.live(i["topic"]), Protocol=i["protocol"], Endpoint=i["endpoint"], ReturnSubscriptionArn=True)
        p.assign(subscription, arn=created["SubscriptionArn"], id=created["SubscriptionArn"])
    for metric_filter in of(p.plan, "aws:cloudwatch/logMetricFilter:LogMetricFilter"):
        i = metric_filter["inputs"]
        t = i["metricTransformation"]
        c["logs"].put_metric_filter(logGroupName=i["logGroupName"], filterName=i["name"], filterPattern=i["pattern"],
                                    metricTransformations=[{"metricName": t["name"], "metricNamespace": t["namespace"],
                                                            "metricValue": t["value"]}])
    for alarm in of(p.plan, "aws:cloudwatch/metricAlarm:MetricAlarm"):
        i = alarm["inputs"]
        c["cloudwatch"].put_metric_alarm(
            AlarmName=i["name"], AlarmDescription=i.get("alarmDescription", ""), ComparisonOperator=i["comparisonOperator"],
            EvaluationPeriods=i["evaluationPeriods"], MetricName=i["metricName"], Namespace=i["namespace"], Period=i["period"],
            Statistic=i["statistic"], Threshold=float(i["threshold"]), TreatMissingData=i.get("treatMissingData", "missing"),
            AlarmActions=p.live(i.get("alarmActions") or []))
    for rule in of(p.plan, "aws:cloudwatch/eventRule:EventRule"):
        i = rule["inputs"]
        arn = c["events"].put_rule(Name=i["name"], EventPattern=i["eventPattern"], Description=i.get("description", ""))["RuleArn"]
        p.assign(rule, arn=arn)
    for target in of(p.plan, "aws:cloudwatch/eventTarget:EventTarget"):
        i = target["inputs"]
        role = {"RoleArn": p.live(i["roleArn"])} if i.get("roleArn") else {}
        c["events"].put_targets(Rule=i["rule"], Targets=[{"Id": i.get("targetId") or target["name"], "Arn": p.live(i["arn"]),
                                                          **role}])
    for recorder in of(p.plan, "aws:cfg/recorder:Recorder"):
        i = recorder["inputs"]
        group = i.get("recordingGroup") or {}
        c["config"].put_configuration_recorder(ConfigurationRecorder={
            "name": i["name"], "roleARN": p.live(i["roleArn"]),
            "recordingGroup": {"allSupported": bool(group.get("allSupported")),
                               "includeGlobalResourceTypes": bool(group.get("includeGlobalResourceTypes"))}})
    for channel in of(p.plan, "aws:cfg/deliveryChannel:DeliveryChannel"):
        i = channel["inputs"]
        c["config"].put_delivery_channel(DeliveryChannel={
            "name": i["name"], "s3BucketName": i["s3BucketName"], "s3KeyPrefix": i.get("s3KeyPrefix", ""),
            **({"s3KmsKeyArn": p.live(i["s3KmsKeyArn"])} if i.get("s3KmsKeyArn") else {}),
            **({"configSnapshotDeliveryProperties": {"deliveryFrequency": i["snapshotDeliveryProperties"]["deliveryFrequency"]}}
               if i.get("snapshotDeliveryProperties") else {})})
    for status in of(p.plan, "aws:cfg/recorderStatus:RecorderStatus"):
        if status["inputs"].get("isEnabled"):
            c["config"].start_configuration_recorder(ConfigurationRecorderName=status["inputs"]["name"])
    for rule in of(p.plan, "aws:cfg/rule:Rule"):
        i = rule["inputs"]
        source = i["source"]
        body: dict[str, Any] = {"ConfigRuleName": i["name"], "Source": {"Owner": source["owner"],
                                                                          "SourceIdentifier": source["sourceIdentifier"]}}
        if i.get("inputParameters"):
            body["InputParameters"] = i["inputParameters"]
        if i.get("scope"):
            body["Scope"] = {("ComplianceResourceTypes" if k == "complianceResourceTypes" else k[0].upper() + k[1:]): v
                             for k, v in i["scope"].items()}
        c["config"].put_config_rule(ConfigRule=body)
    for detector in of(p.plan, "aws:guardduty/detector:Detector"):
        i = detector["inputs"]
        features = [{"Name": f["inputs"]["name"], "Status": f["inputs"]["status"]}
                    for f in of(p.plan, "aws:guardduty/detectorFeature:DetectorFeature")]
        detector_id = c["guardduty"].create_detector(Enable=bool(i.get("enable", True)),
                                                     FindingPublishingFrequency=i.get("findingPublishingFrequency", "SIX_HOURS"),
                                                     Features=features)["DetectorId"]
        p.assign(detector, id=detector_id)
    for hub in of(p.plan, "aws:securityhub/account:Account"):
        i = hub["inputs"]
        c["securityhub"].enable_security_hub(EnableDefaultStandards=bool(i.get("enableDefaultStandards")),
                                             ControlFindingGenerator=i.get("controlFindingGenerator", "SECURITY_CONTROL"))
    for setting in of(p.plan, "aws:ebs/encryptionByDefault:EncryptionByDefault"):
        if setting["inputs"].get("enabled"):
            c["ec2"].enable_ebs_encryption_by_default()
    for block in of(p.plan, "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"):
        i = block["inputs"]
        c["s3control"].put_public_access_block(AccountId=p.account, PublicAccessBlockConfiguration={
            k[0].upper() + k[1:]: bool(i.get(k)) for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")})
    for document in of(p.plan, "aws:ssm/document:Document"):
        i = document["inputs"]
        c["ssm"].create_document(Name=i["name"], Content=p.live(i["content"]), DocumentType=i["documentType"],
                                 DocumentFormat=i.get("documentFormat", "JSON"), Tags=tag_list(i.get("tags")))


def hsms(p: Provisioner) -> None:
    """moto has no CreateHsm: the HSMs the plan declares are put into moto's cluster as CloudHSM's
    DescribeClusters shows them (HsmId, SubnetId, EniIp, EniId, State)."""
    from tests.attest.provision_network import moto_cluster

    for n, hsm in enumerate(of(p.plan, "aws:cloudhsmv2/hsm:Hsm")):
        i = hsm["inputs"]
        cluster = moto_cluster(p.live(i["clusterId"]))
        subnet = p.c["ec2"].describe_subnets(SubnetIds=[p.live(i["subnetId"])])["Subnets"][0]
        hsm_id = f"hsm-{n:011d}"
        cluster.hsms.append({"AvailabilityZone": subnet["AvailabilityZone"], "ClusterId": cluster.cluster_id, "SubnetId": subnet["SubnetId"],
                             "EniId": f"eni-{n:017d}", "EniIp": i.get("ipAddress"), "HsmId": hsm_id, "State": "ACTIVE"})
        p.assign(hsm, id=hsm_id, hsmId=hsm_id)


def documents(p: Provisioner) -> None:
    for policy in of(p.plan, "aws:sns/topicPolicy:TopicPolicy"):
        p.c["sns"].set_topic_attributes(TopicArn=p.live(policy["inputs"]["arn"]), AttributeName="Policy",
                                        AttributeValue=p.live(policy["inputs"]["policy"]))
    provision_storage.documents(p)


def json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
