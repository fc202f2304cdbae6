"""`tcenter attest` against moto's server: a clean account attests clean; each change made out
of band is caught with its class; an empty account is all missing; an unreadable service is
reported, not fatal; nothing is ever written."""

from __future__ import annotations

import json
import time
from typing import Any

from pathlib import Path

import pytest

from tcenter.core.errors import ExitCode
from tcenter.live import attest, coverage, read
from tcenter.live.report import Finding, Report, render_markdown
from tests.attest.conftest import REQUEST_BUDGET, recorded_session
from tests.attest.provision import Provisioner
from tests.attest.provision_network import launch

TIME_BUDGET_SECONDS = 60


def _of(plan: dict[str, Any], kind: str, predicate=lambda r: True) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == kind and predicate(r)]


def run_attest(plan: dict[str, Any]) -> tuple[Report, list[tuple[str, str]]]:
    session, recorder = recorded_session()
    started = time.monotonic()
    report = attest.attest(plan, session)
    assert time.monotonic() - started < TIME_BUDGET_SECONDS
    assert len(recorder.calls) <= REQUEST_BUDGET
    return report, recorder.calls


def only(report: Report, kind: str, needle: str) -> list[Finding]:
    return [f for f in report.findings if f.kind == kind and needle in f.message]


def assert_clean(report: Report, calls: list[tuple[str, str]], plan: dict[str, Any]) -> None:
    assert report.drift == [], "\n".join(map(str, report.drift))
    assert report.exit_code == ExitCode.OK
    assert calls, "attest made no calls"
    writes = [c for c in calls if not c[1].startswith(read.READ_PREFIXES)]
    assert writes == []
    # nothing declared was silently skipped: every type is read, or a listed moto gap, or not attested by design
    unread = set(report.unattested_types) - set(coverage.NOT_ATTESTED_TYPES)
    gaps = {f.name for f in report.of("unsupported")}
    assert gaps <= set(coverage.MOTO_UNSUPPORTED), gaps - set(coverage.MOTO_UNSUPPORTED)
    assert all(t.split(":")[1].split("/")[0] in {"accessanalyzer", "ebs", "ec2", "route53", "securityhub"} for t in unread), unread


def test_clean_dev_account_attests_clean_and_only_reads(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    report, calls = run_attest(dev_plan)
    assert_clean(report, calls, dev_plan)


def test_clean_prod_account_attests_clean_and_only_reads(deployed_prod: Provisioner, prod_plan: dict[str, Any]) -> None:
    report, calls = run_attest(prod_plan)
    assert_clean(report, calls, prod_plan)


def test_cli_exits_0_for_both_stacks_on_their_accounts(deployed: Provisioner, dev_plan: dict[str, Any], capsys: Any) -> None:
    from tcenter.cli import main

    assert main(["attest", "dev"]) == ExitCode.OK, capsys.readouterr().out


def test_moto_gaps_are_reported_as_unsupported(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    report, _ = run_attest(dev_plan)
    unsupported = {f.name for f in report.of("unsupported")}
    assert unsupported and unsupported <= set(coverage.MOTO_UNSUPPORTED)
    assert "not implemented" in render_markdown(report)
    docs = (Path(__file__).resolve().parents[2] / "docs" / "review.md").read_text()
    for api in coverage.MOTO_UNSUPPORTED:
        assert api in docs, f"docs/review.md does not name the moto gap {api}"


def test_internet_gateway_attached_out_of_band(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    ec2 = deployed.c["ec2"]
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["tc-network"]}])["Vpcs"][0]["VpcId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    report, _ = run_attest(dev_plan)
    found = only(report, "extra", gateway)
    assert found and vpc in found[0].message and found[0].type == "aws:ec2/internetGateway:InternetGateway"
    assert report.exit_code == ExitCode.DRIFT


@pytest.mark.parametrize("group_kind", ["aws:ec2/securityGroup:SecurityGroup"])
def test_world_ingress_added_to_every_security_group(deployed: Provisioner, dev_plan: dict[str, Any], group_kind: str) -> None:
    ec2 = deployed.c["ec2"]
    groups = _of(dev_plan, group_kind)
    for group in groups:
        ec2.authorize_security_group_ingress(GroupId=deployed.ids[group["outputs"]["id"]], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    report, _ = run_attest(dev_plan)
    flagged = {f.name for f in only(report, "drifted", "ingress: extra tcp/22-22 0.0.0.0/0")}
    assert flagged == {g["name"] for g in groups}


def test_trail_stopped(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    trail = _of(dev_plan, "aws:cloudtrail/trail:Trail")[0]
    deployed.c["cloudtrail"].stop_logging(Name=trail["inputs"]["name"])
    report, _ = run_attest(dev_plan)
    found = only(report, "drifted", "logging (trail status): declared true, found false")
    assert [f.name for f in found] == [trail["name"]]


def test_log_file_validation_off(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    trail = _of(dev_plan, "aws:cloudtrail/trail:Trail")[0]
    deployed.c["cloudtrail"].update_trail(Name=trail["inputs"]["name"], EnableLogFileValidation=False)
    report, _ = run_attest(dev_plan)
    assert [f.name for f in only(report, "drifted", "log file validation: declared true, found false")] == [trail["name"]]


def test_archive_lock_mode_changed(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    lock = _of(dev_plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
               lambda r: r["inputs"]["bucket"].endswith("-audit-archive"))[0]
    declared_mode = lock["inputs"]["rule"]["defaultRetention"]["mode"]
    other = {"GOVERNANCE": "COMPLIANCE", "COMPLIANCE": "GOVERNANCE"}[declared_mode]
    deployed.c["s3"].put_object_lock_configuration(Bucket=lock["inputs"]["bucket"], ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": other, "Days": 1}}})
    report, _ = run_attest(dev_plan)
    found = [f for f in only(report, "drifted", "Object Lock retention: declared")
             if f'"mode": "{declared_mode}"' in f.message and f'found {{"defaultRetention": {{"days": 1, "mode": "{other}"}}}}' in f.message]
    assert [f.name for f in found] == [lock["name"]]


def test_statement_added_to_a_data_key_policy(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    key = _of(dev_plan, "aws:kms/key:Key", lambda r: "data-europe" in r["name"])[0]
    policy = json.loads(key["inputs"]["policy"])
    policy["Statement"].append({"Sid": "Backdoor", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                                "Action": "kms:Decrypt", "Resource": "*"})
    deployed.c["kms"].put_key_policy(KeyId=deployed.ids[key["outputs"]["id"]], PolicyName="default",
                                     Policy=json.dumps(policy), BypassPolicyLockoutSafetyCheck=True)
    report, _ = run_attest(dev_plan)
    found = only(report, "drifted", "key policy")
    assert [f.name for f in found] == [key["name"]] and "Backdoor" in found[0].message


def test_grant_on_a_center_key(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    key = _of(dev_plan, "aws:kms/key:Key", lambda r: "data-europe" in r["name"])[0]
    deployed.c["kms"].create_grant(KeyId=deployed.ids[key["outputs"]["id"]], Operations=["Decrypt"],
                                   GranteePrincipal="arn:aws:iam::999999999999:root")
    report, _ = run_attest(dev_plan)
    assert only(report, "extra", "arn:aws:iam::999999999999:root (Decrypt)")


def test_new_inline_policy_on_reviewer_role(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    role = _of(dev_plan, "aws:iam/role:Role", lambda r: "-reviewer-" in r["name"])[0]["inputs"]["name"]
    deployed.c["iam"].put_role_policy(RoleName=role, PolicyName="read-everything", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    report, _ = run_attest(dev_plan)
    found = only(report, "extra", f"inline policy read-everything on role {role}: found in the account, not in the plan")
    assert len(found) == 1 and found[0].type == "aws:iam/rolePolicy:RolePolicy"


def test_data_bucket_public_access_block_removed(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    block = _of(dev_plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                lambda r: "-data-" in r["inputs"]["bucket"])[0]
    deployed.c["s3"].delete_public_access_block(Bucket=block["inputs"]["bucket"])
    report, _ = run_attest(dev_plan)
    assert [f.name for f in report.of("missing") if f.type == block["type"]] == [block["name"]]
    assert report.exit_code == ExitCode.DRIFT


def test_builder_launched_with_imdsv1(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    builder = _of(dev_plan, "aws:ec2/instance:Instance", lambda r: r["inputs"]["tags"].get("zone") == "build")[0]
    ec2 = deployed.c["ec2"]
    for reservation in ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [builder["inputs"]["tags"]["Name"]]}])["Reservations"]:
        ec2.terminate_instances(InstanceIds=[i["InstanceId"] for i in reservation["Instances"]])
    launch(deployed, builder, http_tokens="optional")
    report, _ = run_attest(dev_plan)
    found = [f for f in only(report, "drifted", "metadata options: declared") if '"httpTokens": "required"' in f.message
             and f.message.endswith('"httpTokens": "optional", "instanceMetadataTags": "disabled"}')]
    assert [f.name for f in found] == [builder["name"]]
    # the kit's own rules judge the live instance too
    assert any(f.name == builder["name"] for f in report.of("violation"))


ALWAYS_THERE = {"aws:ebs/encryptionByDefault:EncryptionByDefault": "every region has the setting (off by default)"}


def test_empty_account_everything_missing(aws_env: str, dev_plan: dict[str, Any]) -> None:
    report, _, live = attest.run(dev_plan, recorded_session()[0])
    missing = {(f.type, f.name) for f in report.of("missing")}
    expected = {(r["type"], r["name"]) for r in dev_plan["resources"] if r.get("custom") and r["type"] in live.read_types
                and r["type"] in coverage.COMPARED and r["type"] not in ALWAYS_THERE}
    assert missing == expected
    assert {f.type for f in report.of("drifted")} <= set(ALWAYS_THERE) and report.exit_code == ExitCode.DRIFT
    assert report.of("extra") == [], "the default VPC's pieces are AWS's, never extra"


def test_access_denied_service_is_unread_and_attest_finishes(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    from botocore.exceptions import ClientError

    session, _ = recorded_session()

    def deny_kms(model: Any, **_: Any) -> None:
        if model.service_model.service_name == "kms":
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, model.name)

    session.events.register("before-call", deny_kms)
    report = attest.attest(dev_plan, session)
    unread = [f for f in report.of("unread") if ":" not in f.type]  # the service; then what was not compared because of it
    assert [f.type for f in unread] == ["kms"] and "AccessDeniedException" in unread[0].message
    assert not any(f.type.startswith("aws:kms/") for f in report.of("missing"))
    assert report.drift == [], "an unread service must not cause false drift elsewhere"
    # what names a key is not compared, and said so
    assert any("not compared" in f.message and f.type.startswith("aws:s3/") for f in report.of("unread"))


def test_cli_exit_codes_and_formats(deployed: Provisioner, dev_plan: dict[str, Any], tmp_path: Any, capsys: Any) -> None:
    from tcenter.cli import main
    from tcenter.plan.format import save

    plan_file = tmp_path / "plan.json"
    save(dev_plan, plan_file)
    assert main(["attest", str(plan_file), "--format", "json", "-o", str(tmp_path / "a.json")]) == 0
    assert json.loads((tmp_path / "a.json").read_text())["result"] == "match"
    deployed.c["cloudtrail"].stop_logging(Name=_of(dev_plan, "aws:cloudtrail/trail:Trail")[0]["inputs"]["name"])
    assert main(["attest", str(plan_file), "--format", "markdown"]) == ExitCode.DRIFT
    assert "| drifted |" in capsys.readouterr().out
    assert main(["attest", str(tmp_path / "nope.json")]) == 3
