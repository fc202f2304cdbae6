"""Create in a (moto) account what a plan declares, the way AWS holds it after `pulumi up`:
generated from the plan's resources, not hand-listed.

The plan's ids are the mock engine's stand-ins (tcenter/plan/engine.py `StandInMocks`): key
ids and ARNs, VPC, subnet, group, endpoint and route table ids, prefix list ids and the
prefix lists' CIDRs. AWS assigns its own. As Pulumi would, the provisioner first creates
every resource, records which live id or ARN each stand-in became (`ids`, from each
resource's outputs: generic, not a hand list), then writes every document and reference
(key, role, bucket, endpoint, topic and table policies, boundaries, NACL entries, user data)
with the live ids. `standins()` is what a comparison must never see again.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from tcenter.plan.engine import DYNAMODB_PREFIX_LIST_STAND_IN, S3_PREFIX_LIST_STAND_IN

MOTO_KEY_SPEC_STAND_INS = {"ECC_NIST_EDWARDS25519": "ECC_NIST_P256"}
"""Key specs AWS has and moto's KMS (5.2.5) refuses: such a key is made with another signing spec,
then moto's model is told the declared spec, so DescribeKey answers as AWS would (attest compares it)."""

SERVICES = ("ec2", "iam", "kms", "s3", "s3control", "cloudtrail", "logs", "cloudwatch", "sns", "events", "config",
            "guardduty", "securityhub", "dynamodb", "ssm", "cloudhsmv2", "route53resolver", "autoscaling", "sqs")


def tag_list(tags: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted((tags or {}).items())]


def of(plan: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == kind]


def autoname(resource: dict[str, Any]) -> str:
    """Pulumi's auto-name for a resource declared without a physical name (a stand-in suffix)."""
    return f"{resource['name']}-{hashlib.sha256(resource['urn'].encode()).hexdigest()[:7]}"


class Provisioner:
    def __init__(self, session: Any, plan: dict[str, Any]):
        self.session = session
        self.plan = plan
        self.ids: dict[str, str] = {}  # plan stand-in id or ARN -> live id or ARN
        self.cidrs: dict[tuple[str, ...], list[str]] = {}  # stand-in prefix list CIDRs -> live CIDRs
        from tcenter.live.read import local_account_host

        self.c = {s: session.client(s) for s in SERVICES}
        local_account_host(self.c["s3control"])
        self.hsm_groups: dict[str, str] = {}  # live cluster id -> the group CloudHSM made for it
        self.account = plan_account(plan)

    # --- stand-ins ------------------------------------------------------------------------------
    def assign(self, resource: dict[str, Any], **live: str) -> None:
        """Record which live value each of RESOURCE's stand-in outputs (id, arn, keyId...) became."""
        outputs = resource.get("outputs") or {}
        for key, value in live.items():
            standin = outputs.get(key)
            if isinstance(standin, str) and standin and value and standin != value:
                self.ids[standin] = value

    def standins(self) -> set[str]:
        """Every stand-in of the plan that AWS (moto) replaced with its own id."""
        return {k for k, v in self.ids.items() if k != v} | {c for run in self.cidrs for c in run}

    def live(self, value: Any) -> Any:
        if isinstance(value, str):
            for standin in sorted(self.ids, key=len, reverse=True):
                if standin in value:
                    value = value.replace(standin, self.ids[standin])
            return value
        if isinstance(value, list):
            return [self.live(v) for v in value]
        if isinstance(value, dict):
            return {k: self.live(v) for k, v in value.items()}
        return value

    # --- the run ----------------------------------------------------------------------------------
    def run(self) -> None:
        from tests.attest import provision_cells, provision_controls

        self.kms()
        self.iam()
        self.ec2()
        self.s3()
        self.logs()
        self.trail()
        provision_controls.run(self)
        provision_cells.run(self)
        self.documents()

    def kms(self) -> None:
        kms = self.c["kms"]
        for key in of(self.plan, "aws:kms/key:Key"):
            i = key["inputs"]
            spec = i.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT")
            meta = kms.create_key(Description=i["description"], KeyUsage=i.get("keyUsage", "ENCRYPT_DECRYPT"),
                                  KeySpec=MOTO_KEY_SPEC_STAND_INS.get(spec, spec),
                                  BypassPolicyLockoutSafetyCheck=True,
                                  Tags=[{"TagKey": k, "TagValue": v} for k, v in sorted((i.get("tags") or {}).items())])["KeyMetadata"]
            if spec in MOTO_KEY_SPEC_STAND_INS:
                moto_key(meta["KeyId"]).key_spec = spec
            if i.get("enableKeyRotation"):
                kms.enable_key_rotation(KeyId=meta["KeyId"])
            self.assign(key, arn=meta["Arn"], id=meta["KeyId"], keyId=meta["KeyId"])
        for alias in of(self.plan, "aws:kms/alias:Alias"):
            kms.create_alias(AliasName=alias["inputs"]["name"], TargetKeyId=self.live(alias["inputs"]["targetKeyId"]))

    def iam(self) -> None:
        iam = self.c["iam"]
        for policy in of(self.plan, "aws:iam/policy:Policy"):
            created = iam.create_policy(PolicyName=policy["inputs"]["name"], PolicyDocument=policy["inputs"]["policy"],
                                        Description=policy["inputs"].get("description", ""),
                                        Tags=tag_list(policy["inputs"].get("tags")))["Policy"]
            self.assign(policy, arn=created["Arn"], id=created["Arn"])
        for role in of(self.plan, "aws:iam/role:Role"):
            i = role["inputs"]
            extra = {"PermissionsBoundary": self.live(i["permissionsBoundary"])} if i.get("permissionsBoundary") else {}
            created = iam.create_role(RoleName=i["name"], AssumeRolePolicyDocument=i["assumeRolePolicy"],
                                      Description=i.get("description", ""), Tags=tag_list(i.get("tags")),
                                      MaxSessionDuration=i.get("maxSessionDuration", 3600), **extra)["Role"]
            self.assign(role, arn=created["Arn"], uniqueId=created["RoleId"])
        for linked in of(self.plan, "aws:iam/serviceLinkedRole:ServiceLinkedRole"):
            created = iam.create_service_linked_role(AWSServiceName=linked["inputs"]["awsServiceName"])["Role"]
            self.assign(linked, arn=created["Arn"], id=created["RoleName"], name=created["RoleName"])
        for policy in of(self.plan, "aws:iam/rolePolicy:RolePolicy"):
            i = policy["inputs"]
            iam.put_role_policy(RoleName=i["role"], PolicyName=i.get("name") or autoname(policy), PolicyDocument=i["policy"])
        for attachment in of(self.plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
            i = attachment["inputs"]
            iam.attach_role_policy(RoleName=i["role"], PolicyArn=self.live(i["policyArn"]))
        for profile in of(self.plan, "aws:iam/instanceProfile:InstanceProfile"):
            i = profile["inputs"]
            created = iam.create_instance_profile(InstanceProfileName=i["name"])["InstanceProfile"]
            iam.add_role_to_instance_profile(InstanceProfileName=i["name"], RoleName=i["role"])
            self.assign(profile, arn=created["Arn"])
        for policy in of(self.plan, "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"):
            i = policy["inputs"]
            iam.update_account_password_policy(
                **{k[0].upper() + k[1:]: v for k, v in i.items() if k not in ("hardExpiry", "allowUsersToChangePassword")},
                HardExpiry=bool(i.get("hardExpiry")), AllowUsersToChangePassword=bool(i.get("allowUsersToChangePassword")))

    def prefix_lists(self) -> None:
        """The live CIDRs of the S3 and DynamoDB prefix lists: what the program reads at deploy time."""
        ec2 = self.c["ec2"]
        for plist in ec2.describe_managed_prefix_lists()["PrefixLists"]:
            service = plist["PrefixListName"].rsplit(".", 1)[-1]
            standin = {"s3": S3_PREFIX_LIST_STAND_IN, "dynamodb": DYNAMODB_PREFIX_LIST_STAND_IN}.get(service)
            if standin and plist["PrefixListName"].startswith("com.amazonaws.eu-central-2."):
                entries = ec2.get_managed_prefix_list_entries(PrefixListId=plist["PrefixListId"])["Entries"]
                self.cidrs[tuple(standin)] = sorted(e["Cidr"] for e in entries)
                self.ids[f"prefix-list:{service}"] = plist["PrefixListId"]

    def nacl_entries(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The program's entries for the live prefix lists: each stand-in CIDR run replaced by the
        live list's CIDRs, numbered again from 100 by 10 in the same order (components/layout.py)."""
        out: list[dict[str, Any]] = []
        done: set[tuple[str, ...]] = set()
        for rule in sorted(rules, key=lambda r: r["ruleNo"]):
            run = next((run for run in self.cidrs if rule.get("cidrBlock") in run), None)
            if run is None:
                out.append(dict(rule))
            elif (run, rule["fromPort"], rule["toPort"]) not in done:
                done.add((run, rule["fromPort"], rule["toPort"]))  # type: ignore[arg-type]
                out.extend({**rule, "cidrBlock": cidr} for cidr in self.cidrs[run])
        return [{**rule, "ruleNo": 100 + 10 * n} for n, rule in enumerate(out)]

    def ec2(self) -> None:
        from tests.attest import provision_network

        provision_network.run(self)

    def s3(self) -> None:
        from tests.attest import provision_storage

        provision_storage.run(self)

    def logs(self) -> None:
        logs = self.c["logs"]
        for group in of(self.plan, "aws:cloudwatch/logGroup:LogGroup"):
            i = group["inputs"]
            extra = {"kmsKeyId": self.live(i["kmsKeyId"])} if i.get("kmsKeyId") else {}
            logs.create_log_group(logGroupName=i["name"], **extra)
            if i.get("retentionInDays"):
                logs.put_retention_policy(logGroupName=i["name"], retentionInDays=i["retentionInDays"])

    def trail(self) -> None:
        trail = self.c["cloudtrail"]
        for declared in of(self.plan, "aws:cloudtrail/trail:Trail"):
            i = declared["inputs"]
            extra = {k: self.live(i[v]) for k, v in (("CloudWatchLogsLogGroupArn", "cloudWatchLogsGroupArn"),
                                                     ("CloudWatchLogsRoleArn", "cloudWatchLogsRoleArn")) if i.get(v)}
            declared_buckets = {b["inputs"].get("bucket") for b in of(self.plan, "aws:s3/bucket:Bucket")}
            elsewhere = i["s3BucketName"] not in declared_buckets  # the reviewer organization's account (issue 29)
            if elsewhere:  # moto looks for the bucket in the trail's own account; AWS checks the other account's
                self.c["s3"].create_bucket(Bucket=i["s3BucketName"],
                                           CreateBucketConfiguration={"LocationConstraint": "eu-central-2"})
            created = trail.create_trail(Name=i["name"], S3BucketName=i["s3BucketName"], S3KeyPrefix=i.get("s3KeyPrefix", ""),
                                         IsMultiRegionTrail=bool(i.get("isMultiRegionTrail")),
                                         IncludeGlobalServiceEvents=bool(i.get("includeGlobalServiceEvents")),
                                         EnableLogFileValidation=bool(i.get("enableLogFileValidation")),
                                         KmsKeyId=self.live(i["kmsKeyId"]), **extra)
            if elsewhere:
                self.c["s3"].delete_bucket(Bucket=i["s3BucketName"])
            self.assign(declared, arn=created["TrailARN"])
            selectors = [{"Name": s["name"], "FieldSelectors": [
                {(k[0].upper() + k[1:]).removesuffix("s") if k.endswith("Withs") or k.endswith("Equals") and k != "equals"
                 else k[0].upper() + k[1:]: v for k, v in f.items()} for f in s["fieldSelectors"]]}
                for s in i.get("advancedEventSelectors") or []]
            if selectors:
                trail.put_event_selectors(TrailName=i["name"], AdvancedEventSelectors=selectors)
            if i.get("enableLogging", True):
                trail.start_logging(Name=i["name"])

    def documents(self) -> None:
        """Every document written again with the live ids, as `pulumi up` resolves its Outputs."""
        kms, iam, ec2 = self.c["kms"], self.c["iam"], self.c["ec2"]
        for key in of(self.plan, "aws:kms/key:Key"):
            kms.put_key_policy(KeyId=self.live(key["outputs"]["id"]), PolicyName="default",
                               Policy=self.live(key["inputs"]["policy"]), BypassPolicyLockoutSafetyCheck=True)
        for policy in of(self.plan, "aws:iam/policy:Policy"):
            document = self.live(policy["inputs"]["policy"])
            if document != policy["inputs"]["policy"]:
                arn = self.live(policy["outputs"]["arn"])
                iam.create_policy_version(PolicyArn=arn, PolicyDocument=document, SetAsDefault=True)
                iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
        for role in of(self.plan, "aws:iam/role:Role"):
            iam.update_assume_role_policy(RoleName=role["inputs"]["name"], PolicyDocument=self.live(role["inputs"]["assumeRolePolicy"]))
        for policy in of(self.plan, "aws:iam/rolePolicy:RolePolicy"):
            i = policy["inputs"]
            iam.put_role_policy(RoleName=i["role"], PolicyName=i.get("name") or autoname(policy), PolicyDocument=self.live(i["policy"]))
        for endpoint in of(self.plan, "aws:ec2/vpcEndpoint:VpcEndpoint"):
            if endpoint["inputs"].get("policy"):
                ec2.modify_vpc_endpoint(VpcEndpointId=self.live(endpoint["outputs"]["id"]),
                                        PolicyDocument=self.live(endpoint["inputs"]["policy"]))
        from tests.attest import provision_cells, provision_controls

        provision_controls.documents(self)
        provision_cells.documents(self)


def moto_key(key_id: str) -> Any:
    """moto's model of a key (the server runs in this process), whichever account holds it."""
    from moto.kms.models import kms_backends

    for account in list(kms_backends):
        keys = kms_backends[account]["eu-central-2"].keys
        if key_id in keys:
            return keys[key_id]
    raise KeyError(key_id)


def plan_account(plan: dict[str, Any]) -> str:
    """The account the plan was made for (moto then answers as that account)."""
    role = next(r for r in plan["resources"] if r["type"] == "aws:iam/role:Role")
    return role["outputs"]["arn"].split(":")[4]


def user_data(encoded: str | None) -> str | None:
    return base64.b64decode(encoded).decode() if encoded else None


def provision(session: Any, plan: dict[str, Any]) -> Provisioner:
    provisioner = Provisioner(session, plan)
    provisioner.run()
    return provisioner


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
