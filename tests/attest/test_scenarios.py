"""What an insider could do to the dev account that is not a declared input changing: new roles,
users and keys, groups and NACLs and endpoints added, hosts copied, detective controls and
evidence paths deleted, a signing alias repointed to a key with imported material. All made on
one account provisioned as `pulumi up` leaves it; one attest names each."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tcenter.core.errors import ExitCode
from tcenter.live import attest
from tests.attest.conftest import recorded_session
from tests.attest.plants import OTHER, move_subnet_acl
from tests.attest.provision import Provisioner, of
from tests.attest.provision_network import launch

Scenario = Callable[[Provisioner, dict[str, Any]], None]


def one(plan: dict[str, Any], kind: str, predicate: Callable[[dict[str, Any]], bool] = lambda r: True) -> dict[str, Any]:
    return next(r for r in of(plan, kind) if predicate(r))


def signer(plan: dict[str, Any]) -> dict[str, Any]:
    return one(plan, "aws:ec2/instance:Instance", lambda r: r["inputs"]["tags"].get("zone") == "signing")


def admin_role(d: Provisioner, plan: dict[str, Any]) -> None:
    d.c["iam"].create_role(RoleName="break-glass", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "sts:AssumeRole"}]}))
    d.c["iam"].attach_role_policy(RoleName="break-glass", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


def user_with_key(d: Provisioner, plan: dict[str, Any]) -> None:
    d.c["iam"].create_user(UserName="ci-bot")
    d.c["iam"].create_access_key(UserName="ci-bot")


def group_on_signer(d: Provisioner, plan: dict[str, Any]) -> None:
    host = signer(plan)
    vpc = d.c["ec2"].describe_subnets(SubnetIds=[d.live(host["inputs"]["subnetId"])])["Subnets"][0]["VpcId"]
    group = d.c["ec2"].create_security_group(GroupName="debug", Description="temporary", VpcId=vpc)["GroupId"]
    d.c["ec2"].authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    d.c["ec2"].modify_instance_attribute(InstanceId=d.live(host["outputs"]["id"]),
                                         Groups=d.live(host["inputs"]["vpcSecurityGroupIds"]) + [group])


def nacl_on_data_subnet(d: Provisioner, plan: dict[str, Any]) -> None:
    move_subnet_acl(d, one(plan, "aws:ec2/networkAcl:NetworkAcl", lambda r: r["inputs"]["tags"].get("zone") == "data"))


def endpoint_to_other_service(d: Provisioner, plan: dict[str, Any]) -> None:
    subnet = one(plan, "aws:ec2/subnet:Subnet", lambda r: r["inputs"]["tags"].get("zone") == "data")
    d.c["ec2"].create_vpc_endpoint(VpcId=d.live(subnet["inputs"]["vpcId"]), VpcEndpointType="Interface",
                                   ServiceName="com.amazonaws.vpce.eu-central-2.vpce-svc-0123456789abcdef0",
                                   SubnetIds=[d.live(subnet["outputs"]["id"])])


def second_signer(d: Provisioner, plan: dict[str, Any]) -> None:
    launch(d, signer(plan))


def filter_deleted(d: Provisioner, plan: dict[str, Any]) -> None:
    f = of(plan, "aws:cloudwatch/logMetricFilter:LogMetricFilter")[-1]["inputs"]
    d.c["logs"].delete_metric_filter(logGroupName=f["logGroupName"], filterName=f["name"])


def subscription_deleted(d: Provisioner, plan: dict[str, Any]) -> None:
    for sub in d.c["sns"].list_subscriptions()["Subscriptions"]:
        d.c["sns"].unsubscribe(SubscriptionArn=sub["SubscriptionArn"])


def flow_logs_deleted(d: Provisioner, plan: dict[str, Any]) -> None:
    d.c["ec2"].delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in d.c["ec2"].describe_flow_logs()["FlowLogs"]])


def account_block_removed(d: Provisioner, plan: dict[str, Any]) -> None:
    d.c["s3control"].delete_public_access_block(AccountId=d.account)


def logging_off(d: Provisioner, plan: dict[str, Any]) -> None:
    d.c["s3"].put_bucket_logging(Bucket=of(plan, "aws:s3/bucketLogging:BucketLogging")[-1]["inputs"]["bucket"], BucketLoggingStatus={})


def table_policy_deleted(d: Provisioner, plan: dict[str, Any]) -> None:
    d.c["dynamodb"].delete_resource_policy(ResourceArn=d.live(of(plan, "aws:dynamodb/resourcePolicy:ResourcePolicy")[0]["inputs"]["resourceArn"]))


def detector_deleted(d: Provisioner, plan: dict[str, Any]) -> None:
    for detector in d.c["guardduty"].list_detectors()["DetectorIds"]:
        d.c["guardduty"].delete_detector(DetectorId=detector)


def alias_to_imported_key(d: Provisioner, plan: dict[str, Any]) -> None:
    alias = one(plan, "aws:kms/alias:Alias", lambda r: "/signing/" in r["inputs"]["name"])
    key = d.c["kms"].create_key(Origin="EXTERNAL", KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256",
                                Description="signing key (imported)")["KeyMetadata"]["KeyId"]
    d.c["kms"].update_alias(AliasName=alias["inputs"]["name"], TargetKeyId=key)


# name -> (the change, [(finding kind, type, a text the finding's name or message holds)])
SCENARIOS: dict[str, tuple[Scenario, list[tuple[str, str, str]]]] = {
    "role-trusting-another-account-with-admin": (admin_role, [("extra", "aws:iam/role:Role", f"arn:aws:iam::{OTHER}:root"),
                                                              ("extra", "aws:iam/role:Role", "AdministratorAccess")]),
    "iam-user-with-access-key": (user_with_key, [("extra", "aws:iam/user:User", "ci-bot"),
                                                 ("extra", "aws:iam/accessKey:AccessKey", "of IAM user ci-bot")]),
    "untagged-group-added-to-a-signer": (group_on_signer, [("extra", "aws:ec2/securityGroup:SecurityGroup", "(debug)"),
                                                           ("drifted", "aws:ec2/instance:Instance", "security groups: extra sg-")]),
    "nacl-on-a-data-subnet": (nacl_on_data_subnet, [("extra", "aws:ec2/networkAcl:NetworkAcl", "NACL acl-"),
                                                    ("drifted", "aws:ec2/networkAcl:NetworkAcl", "subnets:")]),
    "endpoint-to-another-accounts-privatelink-service": (endpoint_to_other_service, [
        ("extra", "aws:ec2/vpcEndpoint:VpcEndpoint", "PrivateLink endpoint service")]),
    "second-host-launched-like-a-signer": (second_signer, [("extra", "aws:ec2/instance:Instance", "a second Instance")]),
    "metric-filter-deleted": (filter_deleted, [("missing", "aws:cloudwatch/logMetricFilter:LogMetricFilter", "declared, not found")]),
    "alarm-subscription-deleted": (subscription_deleted, [("missing", "aws:sns/topicSubscription:TopicSubscription", "not found")]),
    "flow-logs-deleted": (flow_logs_deleted, [("missing", "aws:ec2/flowLog:FlowLog", "not found")]),
    "account-public-access-block-removed": (account_block_removed, [
        ("missing", "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "not found")]),
    "server-access-logging-off": (logging_off, [("missing", "aws:s3/bucketLogging:BucketLogging", "not found")]),
    "table-resource-policy-deleted": (table_policy_deleted, [("missing", "aws:dynamodb/resourcePolicy:ResourcePolicy", "not found")]),
    "guardduty-detector-deleted": (detector_deleted, [("missing", "aws:guardduty/detector:Detector", "not found")]),
    "alias-to-imported-key": (alias_to_imported_key, [("drifted", "aws:kms/key:Key", 'key material origin: declared "AWS_KMS", found "EXTERNAL"'),
                                                      ("extra", "aws:kms/key:Key", "KMS key")]),
}


@pytest.fixture(scope="module")
def scenario_report(moto_endpoint: str, dev_plan: dict[str, Any]) -> Any:
    from tests.attest.test_out_of_band import moto_account

    with moto_account(moto_endpoint, dev_plan) as deployed:
        errors = {}
        for name, (change, _) in SCENARIOS.items():
            try:
                change(deployed, dev_plan)
            except Exception as error:  # noqa: BLE001 - that scenario's test fails with it
                errors[name] = f"{type(error).__name__}: {error}"
        session, recorder = recorded_session()
        report = attest.attest(dev_plan, session)
        yield report, errors, recorder.calls


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_is_named(scenario_report: Any, name: str) -> None:
    report, errors, _ = scenario_report
    assert name not in errors, errors.get(name)
    assert report.exit_code == ExitCode.DRIFT
    for kind, type_, text in SCENARIOS[name][1]:
        found = [f for f in report.findings if f.kind == kind and f.type == type_ and (text in f.message or text in f.name)]
        assert found, f"{name}: no {kind} {type_} with {text!r}:\n" + "\n".join(
            f"{f.kind} {f.type} {f.name} {f.message[:160]}" for f in report.findings if f.type == type_)


def test_attest_only_read_while_finding_them(scenario_report: Any) -> None:
    from tcenter.live.read import READ_PREFIXES

    _, _, calls = scenario_report
    assert calls and [c for c in calls if not c[1].startswith(READ_PREFIXES)] == []
