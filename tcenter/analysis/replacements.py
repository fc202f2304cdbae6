"""What a change does to a live resource: which properties force a replacement, and
which resource types hold state that a delete or a replacement would lose.

Pulumi decides replacements from the provider's schema (Terraform's `ForceNew`), which
is only known to the AWS provider plugin, not to the mock engine. This table copies the
`ForceNew` arguments of the Terraform AWS provider (v5/v6, the base of pulumi-aws 7) for
the resource types the kit declares. A type missing here is reviewed with
`UNKNOWN_TYPE_NOTE`: its changes are shown, but nobody claims they are in-place.

Documented for reviewers in docs/review.md ("Replacement-forcing properties").
"""

from __future__ import annotations
from components.awsfacts import STATEFUL_TYPES, stateful_reason  # noqa: F401 - re-exported

REPLACEMENT_FORCING: dict[str, frozenset[str]] = {
    k: frozenset(v) for k, v in {
        # --- network -------------------------------------------------------------------
        "aws:ec2/vpc:Vpc": {"cidrBlock", "instanceTenancy", "ipv4IpamPoolId", "ipv4NetmaskLength"},
        "aws:ec2/subnet:Subnet": {"vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "outpostArn",
                                  "ipv6Native"},
        "aws:ec2/routeTable:RouteTable": {"vpcId"},
        "aws:ec2/route:Route": {"routeTableId", "destinationCidrBlock", "destinationIpv6CidrBlock",
                                "destinationPrefixListId"},
        "aws:ec2/routeTableAssociation:RouteTableAssociation": {"subnetId", "gatewayId"},
        "aws:ec2/networkAcl:NetworkAcl": {"vpcId"},
        "aws:ec2/networkAclRule:NetworkAclRule": {"networkAclId", "ruleNumber", "egress", "protocol", "ruleAction",
                                                  "cidrBlock", "ipv6CidrBlock", "fromPort", "toPort", "icmpType",
                                                  "icmpCode"},
        "aws:ec2/networkAclAssociation:NetworkAclAssociation": {"subnetId"},
        "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": {"defaultNetworkAclId"},
        "aws:ec2/defaultRouteTable:DefaultRouteTable": {"defaultRouteTableId"},
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {"vpcId"},
        "aws:ec2/securityGroup:SecurityGroup": {"name", "namePrefix", "description", "vpcId"},
        "aws:ec2/securityGroupRule:SecurityGroupRule": {"type", "securityGroupId", "protocol", "fromPort", "toPort",
                                                        "cidrBlocks", "ipv6CidrBlocks", "prefixListIds",
                                                        "sourceSecurityGroupId", "self"},
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {"securityGroupId"},
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {"securityGroupId"},
        "aws:ec2/vpcEndpoint:VpcEndpoint": {"vpcId", "serviceName", "vpcEndpointType", "serviceRegion"},
        "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": {"name"},
        "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": {"name"},
        "aws:route53/resolverFirewallRule:ResolverFirewallRule": {"firewallRuleGroupId", "firewallDomainListId",
                                                                   "firewallThreatProtectionId"},
        "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": {"vpcId",
                                                                                                 "firewallRuleGroupId"},
        "aws:route53/resolverFirewallConfig:ResolverFirewallConfig": {"resourceId"},
        "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": {"name", "destinationArn"},
        "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation": {"resolverQueryLogConfigId",
                                                                                           "resourceId"},
        "aws:ec2/flowLog:FlowLog": {"vpcId", "subnetId", "eniId", "transitGatewayId", "trafficType",
                                    "logDestination", "logDestinationType", "logFormat", "iamRoleArn",
                                    "maxAggregationInterval", "destinationOptions", "deliverCrossAccountRole"},
        "aws:ec2/networkInterface:NetworkInterface": {"subnetId", "privateIp", "interfaceType"},
        "aws:ec2clientvpn/endpoint:Endpoint": {"clientCidrBlock", "transportProtocol"},
        "aws:ec2clientvpn/networkAssociation:NetworkAssociation": {"clientVpnEndpointId", "subnetId"},
        "aws:ec2clientvpn/authorizationRule:AuthorizationRule": {"clientVpnEndpointId", "targetNetworkCidr",
                                                                 "accessGroupId", "authorizeAllGroups",
                                                                 "description"},
        # --- hosts ---------------------------------------------------------------------
        "aws:ec2/instance:Instance": {"ami", "subnetId", "availabilityZone", "keyName", "privateIp",
                                      "secondaryPrivateIps", "associatePublicIpAddress", "ebsBlockDevices",
                                      "ephemeralBlockDevices", "networkInterfaces", "placementGroup",
                                      "placementPartitionNumber", "tenancy", "hostId", "cpuOptions",
                                      "securityGroups", "launchTemplate", "hibernation", "enclaveOptions",
                                      "rootBlockDevice.encrypted", "rootBlockDevice.kmsKeyId",
                                      "rootBlockDevice.deleteOnTermination"},
        "aws:ec2/launchTemplate:LaunchTemplate": {"name", "namePrefix"},
        "aws:ec2/keyPair:KeyPair": {"keyName", "publicKey"},
        "aws:ebs/volume:Volume": {"availabilityZone", "encrypted", "kmsKeyId", "snapshotId", "outpostArn"},
        # --- signing -------------------------------------------------------------------
        "aws:kms/key:Key": {"keyUsage", "customerMasterKeySpec", "keySpec", "multiRegion", "customKeyStoreId",
                            "xksKeyId"},
        "aws:kms/alias:Alias": {"name", "namePrefix"},
        "aws:kms/customKeyStore:CustomKeyStore": {"customKeyStoreType"},
        "aws:cloudhsmv2/cluster:Cluster": {"hsmType", "subnetIds", "sourceBackupIdentifier", "mode"},
        "aws:cloudhsmv2/hsm:Hsm": {"clusterId", "subnetId", "availabilityZone", "ipAddress"},
        # --- stores --------------------------------------------------------------------
        "aws:s3/bucket:Bucket": {"bucket", "bucketPrefix", "objectLockEnabled"},
        "aws:s3/bucketPolicy:BucketPolicy": {"bucket"},
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {"bucket"},
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {"bucket"},
        "aws:s3/bucketVersioning:BucketVersioning": {"bucket", "expectedBucketOwner", "mfa"},
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
            {"bucket", "expectedBucketOwner"},
        "aws:s3/bucketLogging:BucketLogging": {"bucket", "expectedBucketOwner"},
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {"bucket", "expectedBucketOwner"},
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": {"bucket", "expectedBucketOwner",
                                                                               "objectLockEnabled"},
        "aws:s3/bucketNotification:BucketNotification": {"bucket"},
        "aws:dynamodb/table:Table": {"name", "hashKey", "rangeKey", "localSecondaryIndexes"},
        "aws:dynamodb/resourcePolicy:ResourcePolicy": {"resourceArn"},
        "aws:secretsmanager/secret:Secret": {"name", "namePrefix"},
        "aws:backup/vault:Vault": {"name", "kmsKeyArn"},
        # --- identity ------------------------------------------------------------------
        "aws:iam/role:Role": {"name", "namePrefix", "path"},
        "aws:iam/rolePolicy:RolePolicy": {"name", "namePrefix", "role"},
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {"role", "policyArn"},
        "aws:iam/instanceProfile:InstanceProfile": {"name", "namePrefix", "path"},
        "aws:iam/policy:Policy": {"name", "namePrefix", "path", "description"},
        # --- audit and operations ------------------------------------------------------
        "aws:cloudwatch/logGroup:LogGroup": {"name", "namePrefix", "logGroupClass"},
        "aws:cloudtrail/trail:Trail": {"name"},
        "aws:ssm/document:Document": {"name", "documentType"},
        "aws:ssm/parameter:Parameter": {"name"},
        "aws:cfg/rule:Rule": {"name"},
        "aws:cfg/recorder:Recorder": {"name"},
        "aws:cfg/deliveryChannel:DeliveryChannel": {"name"},
        "aws:accessanalyzer/analyzer:Analyzer": {"analyzerName", "type"},
        # --- detective controls and account baselines ----------------------------------
        "aws:cfg/recorderStatus:RecorderStatus": {"name"},
        "aws:ebs/defaultKmsKey:DefaultKmsKey": {"keyArn"},
        "aws:ebs/encryptionByDefault:EncryptionByDefault": set(),
        "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults": set(),
        "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": {"accountId"},
        "aws:iam/accountPasswordPolicy:AccountPasswordPolicy": set(),
        "aws:iam/serviceLinkedRole:ServiceLinkedRole": {"awsServiceName", "customSuffix"},
        "aws:securityhub/account:Account": {"enableDefaultStandards"},
        "aws:securityhub/standardsSubscription:StandardsSubscription": {"standardsArn"},
        "aws:guardduty/detector:Detector": set(),
        "aws:guardduty/detectorFeature:DetectorFeature": {"detectorId", "name"},
        "aws:sns/topic:Topic": {"name", "namePrefix", "fifoTopic"},
        "aws:sns/topicPolicy:TopicPolicy": {"arn"},
        "aws:sns/topicSubscription:TopicSubscription": {"endpoint", "protocol", "topic"},
        "aws:cloudwatch/logMetricFilter:LogMetricFilter": {"logGroupName", "name"},
        "aws:cloudwatch/metricAlarm:MetricAlarm": {"name"},
        "aws:cloudwatch/eventRule:EventRule": {"eventBusName", "name", "namePrefix"},
        "aws:cloudwatch/eventTarget:EventTarget": {"eventBusName", "rule", "targetId"},
        # --- the sample intake ---------------------------------------------------------
        "aws:apigateway/account:Account": set(),
        "aws:apigateway/restApi:RestApi": set(),
        "aws:apigateway/resource:Resource": {"restApi"},
        "aws:apigateway/method:Method": {"restApi", "resourceId", "httpMethod"},
        "aws:apigateway/integration:Integration": {"restApi", "resourceId", "httpMethod"},
        "aws:apigateway/model:Model": {"restApi", "name", "contentType"},
        "aws:apigateway/requestValidator:RequestValidator": {"restApi"},
        "aws:apigateway/deployment:Deployment": {"restApi", "triggers", "variables"},
        "aws:apigateway/stage:Stage": {"restApi", "stageName"},
        "aws:apigateway/methodSettings:MethodSettings": {"restApi", "stageName", "methodPath"},
        "aws:apigateway/domainName:DomainName": {"domainName"},
        "aws:apigateway/basePathMapping:BasePathMapping": {"domainName", "domainNameId"},
        "aws:lambda/function:Function": {"name", "packageType"},
        "aws:lambda/permission:Permission": {"action", "eventSourceToken", "function", "functionUrlAuthType",
                                             "principal", "principalOrgId", "qualifier", "sourceAccount",
                                             "sourceArn", "statementId", "statementIdPrefix"},
        "aws:s3/bucketObjectv2:BucketObjectv2": {"bucket", "key"},
        "aws:servicequotas/serviceQuota:ServiceQuota": {"quotaCode", "serviceCode"},
        # --- analysis cells (issue 28) -------------------------------------------------
        "aws:autoscaling/group:Group": {"name", "namePrefix"},
        "aws:sqs/queue:Queue": {"name", "namePrefix", "fifoQueue"},
        "aws:sqs/queuePolicy:QueuePolicy": {"queueUrl"},
    }.items()
}
"""Per Pulumi type, the input properties whose change replaces the resource (create a new
one, delete the old one). A dotted name (`rootBlockDevice.encrypted`) is a nested field."""



UNKNOWN_TYPE_NOTE = "not in tcenter's replacement table: check the provider docs before assuming in-place"


def forces_replacement(resource_type: str, path: tuple[str | int, ...]) -> bool | None:
    """Whether changing the input at `path` replaces a resource of this type.

    None when the type is not in the table (unknown, not "no")."""
    forcing = REPLACEMENT_FORCING.get(resource_type)
    if forcing is None:
        return None
    names = [part for part in path if isinstance(part, str)]
    if not names:
        return False
    return names[0] in forcing or ".".join(names[:2]) in forcing


