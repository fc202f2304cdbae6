"""Export a plan in Terraform's plan JSON shape, so that scanners built for Terraform
(checkov's `terraform_plan` framework) read what the Pulumi program declares.

pulumi-aws is bridged from the Terraform AWS provider, so each Pulumi type has a
Terraform twin (`TERRAFORM_TYPES`), camelCase inputs are snake_case attributes, and a
single nested block (an object in Pulumi) is a one-element list in Terraform. Component
resources and providers have no Terraform twin and are left out. Cross-resource
references (a bucket's versioning resource naming the bucket) come from the plan's
property dependencies and are written under `configuration` so that checkov's graph
checks connect them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..core.planview import resource_key

TERRAFORM_VERSION = "1.9.8"
"""The Terraform version the shape follows (plan `format_version` 1.2)."""

TERRAFORM_TYPES: dict[str, str] = {
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketV2:BucketV2": "aws_s3_bucket",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2": "aws_s3_bucket_versioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "aws_s3_bucket_server_side_encryption_configuration",
    "aws:s3/bucketLogging:BucketLogging": "aws_s3_bucket_logging",
    "aws:s3/bucketLoggingV2:BucketLoggingV2": "aws_s3_bucket_logging",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "aws_s3_bucket_lifecycle_configuration",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "aws_s3_bucket_object_lock_configuration",
    "aws:s3/bucketNotification:BucketNotification": "aws_s3_bucket_notification",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "aws_s3_bucket_replication_configuration",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/route:Route": "aws_route",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "aws_route_table_association",
    "aws:ec2/networkAcl:NetworkAcl": "aws_network_acl",
    "aws:ec2/networkAclRule:NetworkAclRule": "aws_network_acl_rule",
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "aws_default_network_acl",
    "aws:ec2/defaultRouteTable:DefaultRouteTable": "aws_default_route_table",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "aws_security_group_rule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "aws_vpc_security_group_ingress_rule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": "aws_route53_resolver_firewall_domain_list",
    "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": "aws_route53_resolver_firewall_rule_group",
    "aws:route53/resolverFirewallRule:ResolverFirewallRule": "aws_route53_resolver_firewall_rule",
    "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": "aws_route53_resolver_firewall_rule_group_association",
    "aws:route53/resolverFirewallConfig:ResolverFirewallConfig": "aws_route53_resolver_firewall_config",
    "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": "aws_route53_resolver_query_log_config",
    "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation": "aws_route53_resolver_query_log_config_association",
    "aws:ec2/instance:Instance": "aws_instance",
    "aws:ec2/launchTemplate:LaunchTemplate": "aws_launch_template",
    "aws:ec2/networkInterface:NetworkInterface": "aws_network_interface",
    "aws:ec2/keyPair:KeyPair": "aws_key_pair",
    "aws:ec2/eip:Eip": "aws_eip",
    "aws:ec2/internetGateway:InternetGateway": "aws_internet_gateway",
    "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
    "aws:ec2/ebsEncryptionByDefault:EbsEncryptionByDefault": "aws_ebs_encryption_by_default",
    "aws:ebs/encryptionByDefault:EncryptionByDefault": "aws_ebs_encryption_by_default",
    "aws:ebs/defaultKmsKey:DefaultKmsKey": "aws_ebs_default_kms_key",
    "aws:ebs/volume:Volume": "aws_ebs_volume",
    "aws:ec2clientvpn/endpoint:Endpoint": "aws_ec2_client_vpn_endpoint",
    "aws:ec2clientvpn/networkAssociation:NetworkAssociation": "aws_ec2_client_vpn_network_association",
    "aws:ec2clientvpn/authorizationRule:AuthorizationRule": "aws_ec2_client_vpn_authorization_rule",
    "aws:kms/key:Key": "aws_kms_key",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:kms/grant:Grant": "aws_kms_grant",
    "aws:kms/customKeyStore:CustomKeyStore": "aws_kms_custom_key_store",
    "aws:cloudhsmv2/cluster:Cluster": "aws_cloudhsm_v2_cluster",
    "aws:cloudhsmv2/hsm:Hsm": "aws_cloudhsm_v2_hsm",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:iam/instanceProfile:InstanceProfile": "aws_iam_instance_profile",
    "aws:iam/policy:Policy": "aws_iam_policy",
    "aws:iam/accountPasswordPolicy:AccountPasswordPolicy": "aws_iam_account_password_policy",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": "aws_cloudwatch_log_metric_filter",
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:ssm/document:Document": "aws_ssm_document",
    "aws:ssm/parameter:Parameter": "aws_ssm_parameter",
    "aws:dynamodb/table:Table": "aws_dynamodb_table",
    "aws:dynamodb/resourcePolicy:ResourcePolicy": "aws_dynamodb_resource_policy",
    "aws:secretsmanager/secret:Secret": "aws_secretsmanager_secret",
    "aws:sns/topic:Topic": "aws_sns_topic",
    "aws:cfg/rule:Rule": "aws_config_config_rule",
    "aws:cfg/recorder:Recorder": "aws_config_configuration_recorder",
    "aws:cfg/recorderStatus:RecorderStatus": "aws_config_configuration_recorder_status",
    "aws:cfg/deliveryChannel:DeliveryChannel": "aws_config_delivery_channel",
    "aws:accessanalyzer/analyzer:Analyzer": "aws_accessanalyzer_analyzer",
    "aws:guardduty/detector:Detector": "aws_guardduty_detector",
    "aws:securityhub/account:Account": "aws_securityhub_account",
    "aws:cloudwatch/eventRule:EventRule": "aws_cloudwatch_event_rule",
    "aws:cloudwatch/eventTarget:EventTarget": "aws_cloudwatch_event_target",
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": "aws_s3_account_public_access_block",
    "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults": "aws_ec2_instance_metadata_defaults",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": "aws_iam_service_linked_role",
    "aws:securityhub/standardsSubscription:StandardsSubscription": "aws_securityhub_standards_subscription",
    "aws:guardduty/detectorFeature:DetectorFeature": "aws_guardduty_detector_feature",
    "aws:sns/topicPolicy:TopicPolicy": "aws_sns_topic_policy",
    "aws:sns/topicSubscription:TopicSubscription": "aws_sns_topic_subscription",
    "aws:backup/vault:Vault": "aws_backup_vault",
    "aws:backup/plan:Plan": "aws_backup_plan",
    "aws:sqs/queue:Queue": "aws_sqs_queue",
    # the sample intake (components/intake.py)
    "aws:apigateway/account:Account": "aws_api_gateway_account",
    "aws:apigateway/restApi:RestApi": "aws_api_gateway_rest_api",
    "aws:apigateway/resource:Resource": "aws_api_gateway_resource",
    "aws:apigateway/method:Method": "aws_api_gateway_method",
    "aws:apigateway/integration:Integration": "aws_api_gateway_integration",
    "aws:apigateway/model:Model": "aws_api_gateway_model",
    "aws:apigateway/requestValidator:RequestValidator": "aws_api_gateway_request_validator",
    "aws:apigateway/deployment:Deployment": "aws_api_gateway_deployment",
    "aws:apigateway/stage:Stage": "aws_api_gateway_stage",
    "aws:apigateway/methodSettings:MethodSettings": "aws_api_gateway_method_settings",
    "aws:apigateway/domainName:DomainName": "aws_api_gateway_domain_name",
    "aws:apigateway/basePathMapping:BasePathMapping": "aws_api_gateway_base_path_mapping",
    "aws:lambda/function:Function": "aws_lambda_function",
    "aws:lambda/permission:Permission": "aws_lambda_permission",
    "aws:s3/bucketObjectv2:BucketObjectv2": "aws_s3_object",
    "aws:servicequotas/serviceQuota:ServiceQuota": "aws_servicequotas_service_quota",
    "aws:sqs/queuePolicy:QueuePolicy": "aws_sqs_queue_policy",
    "aws:autoscaling/group:Group": "aws_autoscaling_group",
}
"""Pulumi type token -> Terraform resource type, for the types the kit declares and their
neighbours. Unlisted `aws:` types fall back to `aws_<module>_<snake kind>`."""

MAP_ATTRIBUTES = {"tags", "tags_all", "default_tags", "variables", "parameters", "environment", "options"}
"""Attributes that are maps in Terraform (arbitrary keys): kept as objects, keys untouched."""

PLURAL_BLOCKS = {
    "rules": "rule", "transitions": "transition", "noncurrentVersionTransitions": "noncurrent_version_transition",
    "routes": "route", "ebsBlockDevices": "ebs_block_device", "ephemeralBlockDevices": "ephemeral_block_device",
    "attributes": "attribute", "globalSecondaryIndexes": "global_secondary_index",
    "localSecondaryIndexes": "local_secondary_index", "eventSelectors": "event_selector",
    "advancedEventSelectors": "advanced_event_selector", "dataResources": "data_resource",
    "insightSelectors": "insight_selector", "fieldSelectors": "field_selector", "inlinePolicies": "inline_policy",
    "replicas": "replica", "grants": "grant", "corsRules": "cors_rule", "lifecycleRules": "lifecycle_rule",
    "attachmentsSources": "attachments_source", "targetGrants": "target_grant",
}
"""Repeated blocks: Pulumi names them in the plural, Terraform in the singular."""

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake(name: str) -> str:
    if name in PLURAL_BLOCKS:
        return PLURAL_BLOCKS[name]
    return _CAMEL.sub(r"_\1", name).lower()


def terraform_type(pulumi_type: str) -> str | None:
    if pulumi_type in TERRAFORM_TYPES:
        return TERRAFORM_TYPES[pulumi_type]
    parts = pulumi_type.split(":")
    if len(parts) != 3 or parts[0] != "aws":
        return None  # components and providers
    module = parts[1].split("/")[0]
    kind = snake(parts[2])
    return f"aws_{kind}" if module == "ec2" else f"aws_{snake(module)}_{kind}"


def to_terraform_values(value: Any, attribute: str = "") -> Any:
    """camelCase objects -> snake_case attributes; nested single blocks -> one-element lists."""
    if isinstance(value, dict):
        if attribute in MAP_ATTRIBUTES:
            return dict(sorted(value.items()))
        return {snake(k): _attribute_value(v, snake(k)) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [to_terraform_values(v, attribute) for v in value]
    return value


def _attribute_value(value: Any, attribute: str) -> Any:
    if isinstance(value, dict) and attribute not in MAP_ATTRIBUTES:
        return [to_terraform_values(value, attribute)]
    return to_terraform_values(value, attribute)


def _tf_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name) or "unnamed"


def _exported(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in plan.get("resources", []) if r.get("custom") and terraform_type(r["type"])]


def _addresses(resources: list[dict[str, Any]]) -> dict[str, str]:
    """A Terraform address per resource key (type chain and name, the same in every stack)."""
    address: dict[str, str] = {}
    taken: set[str] = set()
    for resource in resources:
        key = resource_key(resource["urn"])
        if key in address:
            continue
        base = f"{terraform_type(resource['type'])}.{_tf_name(resource['name'])}"
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        taken.add(candidate)
        address[key] = candidate
    return address


def _values(resource: dict[str, Any]) -> dict[str, Any]:
    values = {snake(k): _attribute_value(v, snake(k)) for k, v in sorted(resource.get("inputs", {}).items())}
    values.setdefault("tags_all", values.get("tags") or {})
    return values


def _planned(resource: dict[str, Any], tf_address: str) -> dict[str, Any]:
    return {
        "address": tf_address,
        "mode": "managed",
        "type": terraform_type(resource["type"]),
        "name": tf_address.split(".", 1)[1],
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "schema_version": 0,
        "values": _values(resource),
        "sensitive_values": {},
    }


def _actions(base: dict[str, Any] | None, head: dict[str, Any] | None, action: str | None) -> list[str]:
    """Terraform's action list for one resource, as `terraform show -json` gives it."""
    if base is None:
        return ["create"]
    if head is None:
        return ["delete"]
    if action == "replace":
        return ["delete", "create"] if (head.get("options") or {}).get("deleteBeforeReplace") else ["create", "delete"]
    return ["update"] if action == "update" else ["no-op"]


def export_terraform_plan(plan: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The plan as Terraform's plan JSON. Without BASE every resource is a creation (what a
    scanner of the whole configuration wants); with BASE, each resource carries the action
    a deploy from BASE would take (create, update, replace, delete, no-op) with `before` and
    `after`, and BASE is the prior state: what change-aware tools read."""
    from ..analysis.diff import diff_plans

    head_resources = _exported(plan)
    base_resources = _exported(base) if base is not None else []
    address = _addresses(head_resources + base_resources)
    planned = [_planned(r, address[resource_key(r["urn"])]) for r in head_resources]

    configured = []
    for resource in head_resources:
        tf_address = address[resource_key(resource["urn"])]
        expressions: dict[str, Any] = {}
        for prop, urns in sorted(resource.get("propertyDependencies", {}).items()):
            refs = []
            for urn in urns:
                if resource_key(urn) in address:
                    refs += [f"{address[resource_key(urn)]}.id", address[resource_key(urn)]]
            if refs:
                expressions[snake(prop)] = {"references": refs}
        configured.append({
            "address": tf_address,
            "mode": "managed",
            "type": terraform_type(resource["type"]),
            "name": tf_address.split(".", 1)[1],
            "provider_config_key": "aws",
            "expressions": expressions,
            "schema_version": 0,
        })

    before = {resource_key(r["urn"]): r for r in base_resources}
    after = {resource_key(r["urn"]): r for r in head_resources}
    actions = {} if base is None else {c.key: c.action for c in diff_plans(base, plan).resources}
    changes = []
    for key in sorted(set(after) | (set(before) if base is not None else set()), key=lambda k: address[k]):
        old, new = (before.get(key) if base is not None else None), after.get(key)
        source = new or old
        changes.append({
            "address": address[key], "mode": "managed", "type": terraform_type(source["type"]),
            "name": address[key].split(".", 1)[1], "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": _actions(old, new, actions.get(key)),
                       "before": _values(old) if old is not None else None,
                       "after": _values(new) if new is not None else None,
                       "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}},
        })
    document: dict[str, Any] = {
        "format_version": "1.2",
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}},
            "root_module": {"resources": configured},
        },
        "transparency_center": {"project": plan.get("project"), "stack": plan.get("stack"),
                                "note": "exported by tcenter from a transparency-center-plan; values are the declared inputs"},
    }
    if base is not None:
        document["prior_state"] = {
            "format_version": "1.0", "terraform_version": TERRAFORM_VERSION,
            "values": {"root_module": {"resources": [_planned(r, address[resource_key(r["urn"])])
                                                    for r in base_resources]}},
        }
    return document


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
