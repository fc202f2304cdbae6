"""Create in a (moto) account what a plan declares for the attested types, the way AWS holds
it after `pulumi up`: generated from the plan's resources, not hand-listed. Stand-in ids in
the plan (key ids, SG ids, profile names) are translated to the ids the account assigns."""

from __future__ import annotations

import hashlib
import json
from typing import Any


MOTO_KEY_SPEC_STAND_INS = {"ECC_NIST_EDWARDS25519": "ECC_NIST_P256"}
"""Key specs AWS has and moto's KMS (5.2.5) refuses: the transparency log's Ed25519 checkpoint key
is created as another signing key. `tcenter attest` compares key policies and rotation, never the
key spec, so the stand-in changes nothing it reads."""


def _tags(tags: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted((tags or {}).items())]


def _of(plan: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == kind]


class Provisioner:
    def __init__(self, session: Any, plan: dict[str, Any]):
        self.session = session
        self.plan = plan
        self.ids: dict[str, str] = {}  # plan stand-in id or ARN -> live id or ARN
        self.c = {s: session.client(s) for s in ("ec2", "iam", "kms", "s3", "cloudtrail", "logs")}

    def live(self, value: Any) -> Any:
        if isinstance(value, str):
            for standin, real in self.ids.items():
                if standin and standin in value:
                    value = value.replace(standin, real)
            return value
        if isinstance(value, list):
            return [self.live(v) for v in value]
        if isinstance(value, dict):
            return {k: self.live(v) for k, v in value.items()}
        return value

    def run(self) -> None:
        self.kms()
        self.iam()
        self.ec2()
        self.s3()
        self.logs()
        self.trail()

    def kms(self) -> None:
        kms = self.c["kms"]
        for key in _of(self.plan, "aws:kms/key:Key"):
            i = key["inputs"]
            meta = kms.create_key(Description=i["description"], KeyUsage=i.get("keyUsage", "ENCRYPT_DECRYPT"),
                                  KeySpec=MOTO_KEY_SPEC_STAND_INS.get(i.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT"),
                                                                      i.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT")),
                                  Policy=i["policy"], BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
            if i.get("enableKeyRotation"):
                kms.enable_key_rotation(KeyId=meta["KeyId"])
            self.ids[key["outputs"]["arn"]] = meta["Arn"]
            self.ids[key["outputs"]["id"]] = meta["KeyId"]
        for alias in _of(self.plan, "aws:kms/alias:Alias"):
            kms.create_alias(AliasName=alias["inputs"]["name"], TargetKeyId=self.live(alias["inputs"]["targetKeyId"]))

    def iam(self) -> None:
        iam = self.c["iam"]
        for policy in _of(self.plan, "aws:iam/policy:Policy"):
            arn = iam.create_policy(PolicyName=policy["inputs"]["name"], PolicyDocument=policy["inputs"]["policy"])["Policy"]["Arn"]
            self.ids[policy["outputs"]["arn"]] = arn
        for role in _of(self.plan, "aws:iam/role:Role"):
            i = role["inputs"]
            extra = {"PermissionsBoundary": self.live(i["permissionsBoundary"])} if i.get("permissionsBoundary") else {}
            iam.create_role(RoleName=i["name"], AssumeRolePolicyDocument=i["assumeRolePolicy"],
                            MaxSessionDuration=i.get("maxSessionDuration", 3600), **extra)
        for policy in _of(self.plan, "aws:iam/rolePolicy:RolePolicy"):
            i = policy["inputs"]
            name = i.get("name") or f"{policy['name']}-{hashlib.sha256(policy['urn'].encode()).hexdigest()[:7]}"  # Pulumi's autoname
            iam.put_role_policy(RoleName=i["role"], PolicyName=name, PolicyDocument=i["policy"])
        for attachment in _of(self.plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
            i = attachment["inputs"]
            arn = self.live(i["policyArn"])
            if arn.startswith("arn:aws:iam::aws:"):
                try:
                    iam.get_policy(PolicyArn=arn)
                except iam.exceptions.NoSuchEntityException:
                    continue
            iam.attach_role_policy(RoleName=i["role"], PolicyArn=arn)
        for profile in _of(self.plan, "aws:iam/instanceProfile:InstanceProfile"):
            i = profile["inputs"]
            iam.create_instance_profile(InstanceProfileName=i["name"])
            iam.add_role_to_instance_profile(InstanceProfileName=i["name"], RoleName=i["role"])

    def ec2(self) -> None:
        ec2 = self.c["ec2"]
        for vpc in _of(self.plan, "aws:ec2/vpc:Vpc"):
            created = ec2.create_vpc(CidrBlock=vpc["inputs"]["cidrBlock"],
                                     TagSpecifications=[{"ResourceType": "vpc", "Tags": _tags(vpc["inputs"].get("tags"))}])["Vpc"]
            self.ids[vpc["outputs"]["id"]] = created["VpcId"]
            default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [created["VpcId"]]},
                                                            {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
            self.ids[vpc["outputs"].get("defaultSecurityGroupId", "?")] = default["GroupId"]
        # The plan declares the default group with no rules: the provider strips AWS's defaults.
        for group in ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]:
            if group["IpPermissions"]:
                ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
            if group["IpPermissionsEgress"]:
                ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])
        for subnet in _of(self.plan, "aws:ec2/subnet:Subnet"):
            i = subnet["inputs"]
            created = ec2.create_subnet(VpcId=self.live(i["vpcId"]), CidrBlock=i["cidrBlock"],
                                        TagSpecifications=[{"ResourceType": "subnet", "Tags": _tags(i.get("tags"))}])["Subnet"]
            self.ids[subnet["outputs"]["id"]] = created["SubnetId"]
        prefix_list = ec2.describe_managed_prefix_lists()["PrefixLists"]
        s3_list = next((p["PrefixListId"] for p in prefix_list if p["PrefixListName"].endswith(".s3")), None)
        # The plan's gateway endpoints name their prefix lists (S3, DynamoDB): map each to the live one.
        live_lists = {p["PrefixListName"].rsplit(".", 1)[-1]: p["PrefixListId"] for p in prefix_list}
        plan_lists = {e["outputs"].get("prefixListId"): str(e["inputs"]["serviceName"]).rsplit(".", 1)[-1]
                      for e in _of(self.plan, "aws:ec2/vpcEndpoint:VpcEndpoint")
                      if e["inputs"].get("vpcEndpointType") == "Gateway"}
        groups = _of(self.plan, "aws:ec2/securityGroup:SecurityGroup")
        for group in groups:
            i = group["inputs"]
            created = ec2.create_security_group(
                GroupName=i.get("name") or i["tags"]["Name"], Description=i["description"], VpcId=self.live(i["vpcId"]),
                TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(i.get("tags"))}])
            self.ids[group["outputs"]["id"]] = created["GroupId"]
            ec2.revoke_security_group_egress(GroupId=created["GroupId"], IpPermissions=[
                {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        for group in groups:
            i = group["inputs"]
            for direction, call in (("ingress", ec2.authorize_security_group_ingress),
                                    ("egress", ec2.authorize_security_group_egress)):
                permissions = []
                for rule in i.get(direction) or []:
                    permission: dict[str, Any] = {"IpProtocol": str(rule["protocol"]), "FromPort": rule.get("fromPort", 0),
                                                  "ToPort": rule.get("toPort", 0)}
                    if rule.get("cidrBlocks"):
                        permission["IpRanges"] = [{"CidrIp": c} for c in rule["cidrBlocks"]]
                    if rule.get("prefixListIds"):
                        permission["PrefixListIds"] = [{"PrefixListId": live_lists.get(plan_lists.get(p), s3_list)}
                                                       for p in rule["prefixListIds"]]
                    if rule.get("securityGroups"):
                        permission["UserIdGroupPairs"] = [{"GroupId": self.live(g)} for g in rule["securityGroups"]]
                    permissions.append(permission)
                if permissions:
                    call(GroupId=self.ids[group["outputs"]["id"]], IpPermissions=permissions)
        for acl in _of(self.plan, "aws:ec2/networkAcl:NetworkAcl"):
            i = acl["inputs"]
            acl_id = ec2.create_network_acl(VpcId=self.live(i["vpcId"]), TagSpecifications=[
                {"ResourceType": "network-acl", "Tags": _tags(i.get("tags"))}])["NetworkAcl"]["NetworkAclId"]
            for direction in ("ingress", "egress"):
                for rule in i.get(direction) or []:
                    protocol = {"tcp": "6", "udp": "17", "icmp": "1"}.get(str(rule["protocol"]), str(rule["protocol"]))
                    ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=rule["ruleNo"], Protocol=protocol,
                                                 RuleAction=rule["action"], Egress=direction == "egress",
                                                 CidrBlock=rule["cidrBlock"],
                                                 PortRange={"From": rule.get("fromPort", 0), "To": rule.get("toPort", 0)})
        for table in _of(self.plan, "aws:ec2/routeTable:RouteTable"):
            i = table["inputs"]
            created = ec2.create_route_table(VpcId=self.live(i["vpcId"]), TagSpecifications=[
                {"ResourceType": "route-table", "Tags": _tags(i.get("tags"))}])["RouteTable"]
            self.ids[table["outputs"]["id"]] = created["RouteTableId"]
        for endpoint in _of(self.plan, "aws:ec2/vpcEndpoint:VpcEndpoint"):
            i = endpoint["inputs"]
            extra: dict[str, Any] = {}
            if i.get("vpcEndpointType", "Gateway") == "Interface":
                extra = {"SubnetIds": self.live(i.get("subnetIds") or []), "SecurityGroupIds": self.live(i.get("securityGroupIds") or [])}
            else:
                extra = {"RouteTableIds": self.live(i.get("routeTableIds") or [])}
            if i.get("policy"):
                extra["PolicyDocument"] = i["policy"]
            ec2.create_vpc_endpoint(VpcId=self.live(i["vpcId"]), ServiceName=i["serviceName"],
                                    VpcEndpointType=i.get("vpcEndpointType", "Gateway"),
                                    TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": _tags(i.get("tags"))}], **extra)
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        for instance in _of(self.plan, "aws:ec2/instance:Instance"):
            self.launch(instance, image)

    def launch(self, instance: dict[str, Any], image: str, http_tokens: str | None = None) -> str:
        """One instance as the plan declares it (the builder-with-IMDSv1 test overrides the tokens)."""
        i = instance["inputs"]
        options = i.get("metadataOptions") or {}
        return self.c["ec2"].run_instances(
            ImageId=image, InstanceType=i.get("instanceType", "t3.micro"), MinCount=1, MaxCount=1,
            SubnetId=self.live(i["subnetId"]), IamInstanceProfile={"Name": i["iamInstanceProfile"]},
            MetadataOptions={"HttpTokens": http_tokens or options.get("httpTokens", "optional"),
                             "HttpEndpoint": options.get("httpEndpoint", "enabled"),
                             "HttpPutResponseHopLimit": options.get("httpPutResponseHopLimit", 1)},
            TagSpecifications=[{"ResourceType": "instance", "Tags": _tags(i.get("tags"))}],
        )["Instances"][0]["InstanceId"]

    def s3(self) -> None:
        s3 = self.c["s3"]
        locked = {r["inputs"]["bucket"] for r in _of(self.plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")}
        for bucket in _of(self.plan, "aws:s3/bucket:Bucket"):
            name = bucket["inputs"]["bucket"]
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-2"},
                             ObjectLockEnabledForBucket=name in locked or bool(bucket["inputs"].get("objectLockEnabled")))
        for versioning in _of(self.plan, "aws:s3/bucketVersioning:BucketVersioning"):
            i = versioning["inputs"]
            s3.put_bucket_versioning(Bucket=i["bucket"], VersioningConfiguration={"Status": i["versioningConfiguration"]["status"]})
        for block in _of(self.plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
            i = block["inputs"]
            s3.put_public_access_block(Bucket=i["bucket"], PublicAccessBlockConfiguration={
                k[0].upper() + k[1:]: bool(i.get(k)) for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                              "restrictPublicBuckets")})
        for policy in _of(self.plan, "aws:s3/bucketPolicy:BucketPolicy"):
            # As the role policies above: verbatim. A policy naming a key (the stores' intake fence) holds the
            # plan's key ARN, which attest compares as written (moto accepts any key ARN in a condition).
            s3.put_bucket_policy(Bucket=policy["inputs"]["bucket"], Policy=policy["inputs"]["policy"])
        for lock in _of(self.plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"):
            i = lock["inputs"]
            retention = {k.capitalize(): v for k, v in i["rule"]["defaultRetention"].items()}
            s3.put_object_lock_configuration(Bucket=i["bucket"], ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": retention}})
        for encryption in _of(self.plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"):
            i = encryption["inputs"]
            rules = []
            for rule in i["rules"]:
                default = rule["applyServerSideEncryptionByDefault"]
                entry: dict[str, Any] = {"SSEAlgorithm": default["sseAlgorithm"]}
                if default.get("kmsMasterKeyId"):
                    entry["KMSMasterKeyID"] = self.live(default["kmsMasterKeyId"])
                rules.append({"ApplyServerSideEncryptionByDefault": entry, "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled"))})
            s3.put_bucket_encryption(Bucket=i["bucket"], ServerSideEncryptionConfiguration={"Rules": rules})

    def logs(self) -> None:
        logs = self.c["logs"]
        for group in _of(self.plan, "aws:cloudwatch/logGroup:LogGroup"):
            i = group["inputs"]
            extra = {"kmsKeyId": self.live(i["kmsKeyId"])} if i.get("kmsKeyId") else {}
            logs.create_log_group(logGroupName=i["name"], **extra)
            if i.get("retentionInDays"):
                logs.put_retention_policy(logGroupName=i["name"], retentionInDays=i["retentionInDays"])

    def trail(self) -> None:
        trail = self.c["cloudtrail"]
        for declared in _of(self.plan, "aws:cloudtrail/trail:Trail"):
            i = declared["inputs"]
            trail.create_trail(Name=i["name"], S3BucketName=i["s3BucketName"], S3KeyPrefix=i.get("s3KeyPrefix", ""),
                               IsMultiRegionTrail=bool(i.get("isMultiRegionTrail")),
                               IncludeGlobalServiceEvents=bool(i.get("includeGlobalServiceEvents")),
                               EnableLogFileValidation=bool(i.get("enableLogFileValidation")),
                               KmsKeyId=self.live(i["kmsKeyId"]))
            selectors = [{"Name": s["name"], "FieldSelectors": [
                {(k[0].upper() + k[1:]).removesuffix("s") if k.endswith("Withs") or k.endswith("Equals") and k != "equals"
                 else k[0].upper() + k[1:]: v for k, v in f.items()} for f in s["fieldSelectors"]]}
                for s in i.get("advancedEventSelectors") or []]
            if selectors:
                trail.put_event_selectors(TrailName=i["name"], AdvancedEventSelectors=selectors)
            if i.get("enableLogging", True):
                trail.start_logging(Name=i["name"])


def provision(session: Any, plan: dict[str, Any]) -> Provisioner:
    provisioner = Provisioner(session, plan)
    provisioner.run()
    return provisioner


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
