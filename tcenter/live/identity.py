"""How a declared resource is found in the account: its identity, from inputs that name it
(physical names, `Name` tags, the declared parent's live id), never from the plan's own ids
(the mock engine's stand-ins). Readers build the same identity from what they read, with the
same function: `key_of(type, inputs)`.

Ids in an identity (a VPC's, a subnet's, a topic's ARN) are live ids: a declared resource is
identified once the resources it names are found and its stand-ins resolved (resolve.py);
attest matches in passes until nothing new is found.
"""

from __future__ import annotations

from typing import Any

ACCOUNT = "account"  # the identity of the account's singletons (settings, detectors, hubs)
AUTONAMED = "-*"  # a role policy declared without a name: Pulumi's name + 7 random characters

IDENTITY: dict[str, tuple[str, ...]] = {
    "aws:accessanalyzer/analyzer:Analyzer": ("analyzerName",),
    "aws:autoscaling/group:Group": ("name",),
    "aws:cfg/deliveryChannel:DeliveryChannel": ("name",),
    "aws:cfg/recorder:Recorder": ("name",),
    "aws:cfg/recorderStatus:RecorderStatus": ("name",),
    "aws:cfg/rule:Rule": ("name",),
    "aws:cloudhsmv2/cluster:Cluster": ("tags.Name",),
    "aws:cloudhsmv2/hsm:Hsm": ("clusterId", "ipAddress"),
    "aws:cloudtrail/trail:Trail": ("name",),
    "aws:cloudwatch/eventRule:EventRule": ("name",),
    "aws:cloudwatch/eventTarget:EventTarget": ("rule", "arn"),
    "aws:cloudwatch/logGroup:LogGroup": ("name",),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": ("logGroupName", "name"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name",),
    "aws:dynamodb/resourcePolicy:ResourcePolicy": ("resourceArn",),
    "aws:dynamodb/table:Table": ("name",),
    "aws:ebs/defaultKmsKey:DefaultKmsKey": (),
    "aws:ebs/encryptionByDefault:EncryptionByDefault": (),
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": ("defaultNetworkAclId",),
    "aws:ec2/defaultRouteTable:DefaultRouteTable": ("defaultRouteTableId",),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("vpcId",),
    "aws:ec2/flowLog:FlowLog": ("vpcId", "logDestination"),
    "aws:ec2/instance:Instance": ("tags.Name",),
    "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults": (),
    "aws:ec2/launchTemplate:LaunchTemplate": ("name",),
    "aws:ec2/networkAcl:NetworkAcl": ("tags.Name",),
    "aws:ec2/routeTable:RouteTable": ("tags.Name",),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("subnetId",),
    "aws:ec2/securityGroup:SecurityGroup": ("tags.Name",),
    "aws:ec2/subnet:Subnet": ("tags.Name",),
    "aws:ec2/vpc:Vpc": ("tags.Name",),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("tags.Name",),
    "aws:guardduty/detector:Detector": (),
    "aws:guardduty/detectorFeature:DetectorFeature": ("name",),
    "aws:iam/accountPasswordPolicy:AccountPasswordPolicy": (),
    "aws:iam/instanceProfile:InstanceProfile": ("name",),
    "aws:iam/policy:Policy": ("name",),
    "aws:iam/role:Role": ("name",),
    "aws:iam/rolePolicy:RolePolicy": ("role", "name"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("role", "policyArn"),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": ("awsServiceName",),
    "aws:kms/alias:Alias": ("name",),
    "aws:kms/key:Key": ("alias",),
    "aws:route53/resolverFirewallConfig:ResolverFirewallConfig": ("resourceId",),
    "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": ("name",),
    "aws:route53/resolverFirewallRule:ResolverFirewallRule": ("firewallRuleGroupId", "name"),
    "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": ("name",),
    "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": ("vpcId",),
    "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": ("name",),
    "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation": ("resolverQueryLogConfigId", "resourceId"),
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": (),
    "aws:s3/bucket:Bucket": ("bucket",),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ("bucket",),
    "aws:s3/bucketLogging:BucketLogging": ("bucket",),
    "aws:s3/bucketNotification:BucketNotification": ("bucket",),
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": ("bucket",),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ("bucket",),
    "aws:s3/bucketPolicy:BucketPolicy": ("bucket",),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ("bucket",),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ("bucket",),
    "aws:s3/bucketVersioning:BucketVersioning": ("bucket",),
    "aws:securityhub/account:Account": (),
    "aws:securityhub/standardsSubscription:StandardsSubscription": ("standardsArn",),
    "aws:sns/topic:Topic": ("name",),
    "aws:sns/topicPolicy:TopicPolicy": ("arn",),
    "aws:sns/topicSubscription:TopicSubscription": ("topic", "protocol", "endpoint"),
    "aws:sqs/queue:Queue": ("name",),
    "aws:sqs/queuePolicy:QueuePolicy": ("queueUrl",),
    "aws:ssm/document:Document": ("name",),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "securityGroupId", "ipProtocol", "fromPort", "toPort", "referencedSecurityGroupId", "cidrIpv4"),
}


def field(inputs: dict[str, Any], path: str) -> Any:
    value: Any = inputs
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def key_of(kind: str, inputs: dict[str, Any]) -> str | None:
    """The identity of a resource of KIND with INPUTS (plan-shaped); None when an input it needs
    is missing (not yet resolved, or the type is not attested)."""
    if kind not in IDENTITY:
        return None
    paths = IDENTITY[kind]
    if not paths:
        return ACCOUNT
    values = [field(inputs, p) for p in paths]
    if kind == "aws:iam/rolePolicy:RolePolicy" and values[1] is None:
        return None  # auto-named: see declared_key
    if kind == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        return "|".join("" if v is None else str(v) for v in values)
    if any(v is None or v == "" for v in values):
        return None
    return "|".join(str(v) for v in values)


def declared_key(resource: dict[str, Any], inputs: dict[str, Any], key_aliases: dict[str, list[str]]) -> str | None:
    """A declared resource's identity: `key_of` on its (resolved) inputs, and what the plan
    leaves to Pulumi: auto-named role policies (a name prefix), keys (their first alias, else
    their description: a key has no name of its own)."""
    kind = resource["type"]
    if kind == "aws:iam/rolePolicy:RolePolicy" and not inputs.get("name"):
        return f"{inputs.get('role')}|{resource['name']}{AUTONAMED}" if inputs.get("role") else None
    if kind == "aws:kms/key:Key":
        ids = resource.get("outputs") or {}
        names = sorted(key_aliases.get(ids.get("id", ""), []) + key_aliases.get(ids.get("arn", ""), []))
        return names[0] if names else f"description:{inputs.get('description')}"
    return key_of(kind, inputs)


def matches(declared: str, live: str) -> bool:
    if declared.endswith(AUTONAMED):
        stem = declared[:-1]
        return live.startswith(stem) and len(live) == len(stem) + 7
    return declared == live
