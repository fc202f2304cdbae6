"""Reading the audit trail and the detective controls: trails (status, selectors, CloudWatch Logs
delivery), log groups, metric filters, alarms and their actions, SNS topics, policies and
subscriptions, EventBridge rules and targets, AWS Config (recorder, status, delivery, rules),
GuardDuty and its features, Security Hub and its standards, IAM Access Analyzer, SSM documents
(the default version's content)."""

from __future__ import annotations

import json
from typing import Any

from .identity import ACCOUNT, key_of
from .read import Live, Reader, Unread, policy_data, tags_of

MANAGED_RULES = "EventBridge rules managed by an AWS service (ManagedBy set)"
SELECTOR_FIELDS = {"Field": "field", "Equals": "equals", "NotEquals": "notEquals", "StartsWith": "startsWiths",
                   "NotStartsWith": "notStartsWiths", "EndsWith": "endsWiths", "NotEndsWith": "notEndsWiths"}


def put(live: Live, kind: str, inputs: dict[str, Any], ids: dict[str, Any] | None = None, **kw: Any) -> None:
    live.put(kind, key_of(kind, inputs), inputs, ids, **kw)


def attempt(step: Any, *args: Any) -> None:
    try:
        step(*args)
    except Unread:
        pass


def read_trails(reader: Reader, live: Live) -> None:
    trails = reader.call("cloudtrail", "describe_trails").get("trailList", [])
    live.read_types.add("aws:cloudtrail/trail:Trail")
    for trail in trails:
        status = reader.call("cloudtrail", "get_trail_status", Name=trail["TrailARN"])
        selectors = reader.call("cloudtrail", "get_event_selectors", TrailName=trail["TrailARN"])
        put(live, "aws:cloudtrail/trail:Trail", {
            "name": trail["Name"], "enableLogging": bool(status.get("IsLogging")),
            "enableLogFileValidation": bool(trail.get("LogFileValidationEnabled")),
            "isMultiRegionTrail": bool(trail.get("IsMultiRegionTrail")), "isOrganizationTrail": bool(trail.get("IsOrganizationTrail")),
            "includeGlobalServiceEvents": bool(trail.get("IncludeGlobalServiceEvents")),
            "s3BucketName": trail.get("S3BucketName"), "s3KeyPrefix": trail.get("S3KeyPrefix", ""), "kmsKeyId": trail.get("KmsKeyId"),
            "cloudWatchLogsGroupArn": trail.get("CloudWatchLogsLogGroupArn"), "cloudWatchLogsRoleArn": trail.get("CloudWatchLogsRoleArn"),
            "advancedEventSelectors": [{"name": s.get("Name"), "fieldSelectors": [
                {SELECTOR_FIELDS.get(k, k): v for k, v in f.items()} for f in s.get("FieldSelectors", [])]}
                for s in selectors.get("AdvancedEventSelectors") or []]},
            {"id": trail["Name"], "arn": trail["TrailARN"]}, label=f"trail {trail['TrailARN']}")


def read_logs(reader: Reader, live: Live) -> None:
    groups = reader.call("logs", "describe_log_groups", "logGroups")
    live.read_types.update(("aws:cloudwatch/logGroup:LogGroup", "aws:cloudwatch/logMetricFilter:LogMetricFilter"))
    for group in groups:
        put(live, "aws:cloudwatch/logGroup:LogGroup", {
            "name": group["logGroupName"], "retentionInDays": group.get("retentionInDays"), "kmsKeyId": group.get("kmsKeyId")},
            {"id": group["logGroupName"], "arn": str(group.get("arn", "")).removesuffix(":*")},
            label=f"log group {group['logGroupName']}")
    for metric_filter in reader.call("logs", "describe_metric_filters", "metricFilters"):
        transformation = (metric_filter.get("metricTransformations") or [{}])[0]
        put(live, "aws:cloudwatch/logMetricFilter:LogMetricFilter", {
            "name": metric_filter["filterName"], "logGroupName": metric_filter.get("logGroupName"),
            "pattern": metric_filter.get("filterPattern"),
            "metricTransformation": {"name": transformation.get("metricName"), "namespace": transformation.get("metricNamespace"),
                                     "value": transformation.get("metricValue")}})


def read_alarms(reader: Reader, live: Live) -> None:
    alarms = reader.call("cloudwatch", "describe_alarms", "MetricAlarms")
    live.read_types.add("aws:cloudwatch/metricAlarm:MetricAlarm")
    for alarm in alarms:
        put(live, "aws:cloudwatch/metricAlarm:MetricAlarm", {
            "name": alarm["AlarmName"], "alarmActions": sorted(alarm.get("AlarmActions") or []),
            "alarmDescription": alarm.get("AlarmDescription", ""), "comparisonOperator": alarm.get("ComparisonOperator"),
            "evaluationPeriods": alarm.get("EvaluationPeriods"), "metricName": alarm.get("MetricName"),
            "namespace": alarm.get("Namespace"), "period": alarm.get("Period"), "statistic": alarm.get("Statistic"),
            "threshold": alarm.get("Threshold"), "treatMissingData": alarm.get("TreatMissingData", "missing"),
            "enabled": alarm.get("ActionsEnabled", True)}, {"arn": alarm.get("AlarmArn", "")})


def read_topics(reader: Reader, live: Live) -> None:
    topics = reader.call("sns", "list_topics", "Topics")
    live.read_types.update(("aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy", "aws:sns/topicSubscription:TopicSubscription"))
    for topic in topics:
        arn = topic["TopicArn"]
        attributes = reader.call("sns", "get_topic_attributes", TopicArn=arn).get("Attributes", {})
        put(live, "aws:sns/topic:Topic", {"name": arn.rsplit(":", 1)[-1], "kmsMasterKeyId": attributes.get("KmsMasterKeyId")},
            {"id": arn, "arn": arn}, label=f"SNS topic {arn}")
        if attributes.get("Policy"):
            put(live, "aws:sns/topicPolicy:TopicPolicy", {"arn": arn, "policy": policy_data(attributes["Policy"])})
    for subscription in reader.call("sns", "list_subscriptions", "Subscriptions"):
        put(live, "aws:sns/topicSubscription:TopicSubscription", {
            "topic": subscription.get("TopicArn"), "protocol": subscription.get("Protocol"), "endpoint": subscription.get("Endpoint")},
            {"id": subscription.get("SubscriptionArn", ""), "arn": subscription.get("SubscriptionArn", "")},
            label=f"subscription of {subscription.get('Protocol')}:{subscription.get('Endpoint')} to {subscription.get('TopicArn')}")


def read_events(reader: Reader, live: Live) -> None:
    rules = reader.call("events", "list_rules", "Rules")
    live.read_types.update(("aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget"))
    for rule in rules:
        managed = "ManagedBy" in rule
        put(live, "aws:cloudwatch/eventRule:EventRule", {
            "name": rule["Name"], "description": rule.get("Description", ""), "eventPattern": policy_data(rule.get("EventPattern")),
            "state": rule.get("State")}, {"id": rule["Name"], "arn": rule.get("Arn", "")},
            exempt=MANAGED_RULES if managed else None, label=f"EventBridge rule {rule['Name']} ({rule.get('EventPattern', '')[:80]})")
        if managed:
            continue
        for target in reader.call("events", "list_targets_by_rule", "Targets", Rule=rule["Name"]):
            put(live, "aws:cloudwatch/eventTarget:EventTarget", {"rule": rule["Name"], "arn": target.get("Arn"), "roleArn": target.get("RoleArn")},
                {"id": target.get("Id", "")}, label=f"target {target.get('Arn')} of rule {rule['Name']}")


def read_config(reader: Reader, live: Live) -> None:
    recorders = reader.call("config", "describe_configuration_recorders").get("ConfigurationRecorders", [])
    live.read_types.update(("aws:cfg/recorder:Recorder", "aws:cfg/recorderStatus:RecorderStatus",
                            "aws:cfg/deliveryChannel:DeliveryChannel", "aws:cfg/rule:Rule"))
    for recorder in recorders:
        group = recorder.get("recordingGroup") or {}
        put(live, "aws:cfg/recorder:Recorder", {"name": recorder["name"], "roleArn": recorder.get("roleARN"), "recordingGroup": {
            "allSupported": bool(group.get("allSupported")), "includeGlobalResourceTypes": bool(group.get("includeGlobalResourceTypes"))}})
    for status in reader.call("config", "describe_configuration_recorder_status").get("ConfigurationRecordersStatus", []):
        put(live, "aws:cfg/recorderStatus:RecorderStatus", {"name": status["name"], "isEnabled": bool(status.get("recording"))})
    for channel in reader.call("config", "describe_delivery_channels").get("DeliveryChannels", []):
        put(live, "aws:cfg/deliveryChannel:DeliveryChannel", {
            "name": channel["name"], "s3BucketName": channel.get("s3BucketName"), "s3KeyPrefix": channel.get("s3KeyPrefix", ""),
            "s3KmsKeyArn": channel.get("s3KmsKeyArn"),
            "snapshotDeliveryProperties": {"deliveryFrequency": (channel.get("configSnapshotDeliveryProperties") or {}).get("deliveryFrequency")}
            if channel.get("configSnapshotDeliveryProperties") else None})
    for rule in reader.call("config", "describe_config_rules", "ConfigRules"):
        source = rule.get("Source") or {}
        scope = rule.get("Scope")
        put(live, "aws:cfg/rule:Rule", {
            "name": rule["ConfigRuleName"], "source": {"owner": source.get("Owner"), "sourceIdentifier": source.get("SourceIdentifier")},
            "inputParameters": policy_data(rule.get("InputParameters")) if rule.get("InputParameters") not in (None, "", "{}") else None,
            "scope": {k[0].lower() + k[1:]: v for k, v in scope.items()} if scope else None, "state": rule.get("ConfigRuleState")},
            {"arn": rule.get("ConfigRuleArn", "")})


def read_guardduty(reader: Reader, live: Live) -> None:
    detectors = reader.call("guardduty", "list_detectors", "DetectorIds")
    live.read_types.update(("aws:guardduty/detector:Detector", "aws:guardduty/detectorFeature:DetectorFeature"))
    for detector_id in detectors[:1]:
        detector = reader.call("guardduty", "get_detector", DetectorId=detector_id)
        live.put("aws:guardduty/detector:Detector", ACCOUNT, {
            "enable": detector.get("Status") == "ENABLED", "findingPublishingFrequency": detector.get("FindingPublishingFrequency")},
            {"id": detector_id})
        for feature in detector.get("Features") or []:
            put(live, "aws:guardduty/detectorFeature:DetectorFeature",
                {"detectorId": detector_id, "name": feature.get("Name"), "status": feature.get("Status")})


def read_security_hub(reader: Reader, live: Live) -> None:
    live.read_types.add("aws:securityhub/account:Account")
    hub = reader.optional("securityhub", "describe_hub", ("InvalidAccessException",))
    if not hub:
        return
    live.put("aws:securityhub/account:Account", ACCOUNT, {
        "autoEnableControls": bool(hub.get("AutoEnableControls")), "controlFindingGenerator": hub.get("ControlFindingGenerator")},
        {"id": hub.get("HubArn", ""), "arn": hub.get("HubArn", "")})
    standards = reader.call("securityhub", "get_enabled_standards", "StandardsSubscriptions")
    live.read_types.add("aws:securityhub/standardsSubscription:StandardsSubscription")
    for standard in standards:
        put(live, "aws:securityhub/standardsSubscription:StandardsSubscription", {"standardsArn": standard.get("StandardsArn")},
            {"id": standard.get("StandardsSubscriptionArn", ""), "arn": standard.get("StandardsSubscriptionArn", "")})


def read_analyzers(reader: Reader, live: Live) -> None:
    analyzers = reader.call("accessanalyzer", "list_analyzers", "analyzers")
    live.read_types.add("aws:accessanalyzer/analyzer:Analyzer")
    for analyzer in analyzers:
        configuration = analyzer.get("configuration")
        put(live, "aws:accessanalyzer/analyzer:Analyzer", {
            "analyzerName": analyzer["name"], "type": analyzer.get("type"), "status": analyzer.get("status"),
            "configuration": json.loads(json.dumps(configuration)) if configuration else None},
            {"id": analyzer["name"], "arn": analyzer.get("arn", "")})


def read_documents(reader: Reader, live: Live, declared: set[str]) -> None:
    live.read_types.add("aws:ssm/document:Document")
    for name in sorted(declared):
        document = reader.optional("ssm", "get_document", ("InvalidDocument",), Name=name)
        if not document:
            continue
        tags = reader.call("ssm", "list_tags_for_resource", ResourceType="Document", ResourceId=name).get("TagList", [])
        put(live, "aws:ssm/document:Document", {
            "name": name, "content": policy_data(document.get("Content")), "documentType": document.get("DocumentType"),
            "documentFormat": document.get("DocumentFormat"), "tags": tags_of(tags)},
            {"id": name, "defaultVersion": document.get("DocumentVersion", "")})


def read_audit(reader: Reader, live: Live, documents: set[str]) -> None:
    for step in (read_trails, read_logs, read_alarms, read_topics, read_events, read_config, read_guardduty,
                 read_security_hub, read_analyzers):
        attempt(step, reader, live)
    attempt(read_documents, reader, live, documents)
