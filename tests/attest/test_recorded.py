"""The APIs moto does not implement (coverage.MOTO_UNSUPPORTED): attest's reading and comparison
of them tested on responses in AWS's documented shape (validated against botocore's model of
each operation), served in place of the emulator's 500s on an account provisioned as `pulumi up`
leaves it. Clean, they attest clean and their types are attested; with one change per compared
input, each change is named."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from tcenter.live import attest, coverage
from tests.attest.conftest import recorded_session
from tests.attest.provision import Provisioner, of

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Answer:
    status_code = 200
    headers: dict[str, str] = {}


def responses(d: Provisioner, plan: dict[str, Any]) -> dict[str, Any]:
    """What AWS answers for what the plan declares (ids as AWS would assign them)."""
    groups = of(plan, "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup")
    lists = of(plan, "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList")
    group_ids = {g["outputs"]["id"]: f"rslvr-frg-{n:016x}" for n, g in enumerate(groups)}
    list_ids = {dl["outputs"]["id"]: f"rslvr-fdl-{n:016x}" for n, dl in enumerate(lists)}
    vpc = d.live(of(plan, "aws:ec2/vpc:Vpc")[0]["outputs"]["id"])
    arn = f"arn:aws:route53resolver:eu-central-2:{d.account}"
    return {
        "ec2:GetEbsDefaultKmsKeyId": {"KmsKeyId": d.live(of(plan, "aws:ebs/defaultKmsKey:DefaultKmsKey")[0]["inputs"]["keyArn"])},
        "ec2:GetInstanceMetadataDefaults": {"AccountLevel": {
            {"httpTokens": "HttpTokens", "httpPutResponseHopLimit": "HttpPutResponseHopLimit", "httpEndpoint": "HttpEndpoint",
             "instanceMetadataTags": "InstanceMetadataTags"}[k]: v
            for k, v in of(plan, "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults")[0]["inputs"].items()}},
        "accessanalyzer:ListAnalyzers": {"analyzers": [
            {"arn": f"arn:aws:access-analyzer:eu-central-2:{d.account}:analyzer/{a['inputs']['analyzerName']}",
             "name": a["inputs"]["analyzerName"], "type": a["inputs"]["type"], "createdAt": NOW, "status": "ACTIVE",
             **({"configuration": a["inputs"]["configuration"]} if a["inputs"].get("configuration") else {})}
            for a in of(plan, "aws:accessanalyzer/analyzer:Analyzer")]},
        "securityhub:GetEnabledStandards": {"StandardsSubscriptions": [
            {"StandardsSubscriptionArn": f"arn:aws:securityhub:eu-central-2:{d.account}:subscription/{n}",
             "StandardsArn": s["inputs"]["standardsArn"], "StandardsInput": {}, "StandardsStatus": "READY"}
            for n, s in enumerate(of(plan, "aws:securityhub/standardsSubscription:StandardsSubscription"))]},
        "route53resolver:ListFirewallRuleGroups": {"FirewallRuleGroups": [
            {"Id": group_ids[g["outputs"]["id"]], "Arn": f"{arn}:firewall-rule-group/{group_ids[g['outputs']['id']]}",
             "Name": g["inputs"]["name"], "OwnerId": d.account, "CreatorRequestId": g["name"], "ShareStatus": "NOT_SHARED"}
            for g in groups]},
        "route53resolver:ListFirewallRules": {"FirewallRules": [
            {"FirewallRuleGroupId": group_ids[r["inputs"]["firewallRuleGroupId"]], "FirewallDomainListId": list_ids[r["inputs"]["firewallDomainListId"]],
             "Name": r["inputs"]["name"], "Priority": r["inputs"]["priority"], "Action": r["inputs"]["action"],
             **({"BlockResponse": r["inputs"]["blockResponse"]} if r["inputs"].get("blockResponse") else {})}
            for r in of(plan, "aws:route53/resolverFirewallRule:ResolverFirewallRule")]},
        "route53resolver:ListFirewallDomainLists": {"FirewallDomainLists": [
            {"Id": list_ids[dl["outputs"]["id"]], "Arn": f"{arn}:firewall-domain-list/{list_ids[dl['outputs']['id']]}",
             "Name": dl["inputs"]["name"], "CreatorRequestId": dl["name"]} for dl in lists]},
        "route53resolver:ListFirewallDomains": {dl_id: {"Domains": dl["inputs"]["domains"]}
                                                 for dl in lists for dl_id in [list_ids[dl["outputs"]["id"]]]},
        "route53resolver:ListFirewallRuleGroupAssociations": {"FirewallRuleGroupAssociations": [
            {"Id": f"rslvr-frgassoc-{n:016x}", "Arn": f"{arn}:firewall-rule-group-association/{n}",
             "FirewallRuleGroupId": group_ids[a["inputs"]["firewallRuleGroupId"]], "VpcId": vpc, "Name": a["inputs"]["name"],
             "Priority": a["inputs"]["priority"], "MutationProtection": a["inputs"]["mutationProtection"], "Status": "COMPLETE"}
            for n, a in enumerate(of(plan, "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation"))]},
        "route53resolver:ListFirewallConfigs": {"FirewallConfigs": [
            {"Id": f"rslvr-fc-{n:016x}", "ResourceId": vpc, "OwnerId": d.account, "FirewallFailOpen": c["inputs"]["firewallFailOpen"]}
            for n, c in enumerate(of(plan, "aws:route53/resolverFirewallConfig:ResolverFirewallConfig"))]},
    }


def serve(session: Any, answers: dict[str, Any]) -> None:
    """Answer the listed operations from ANSWERS (each checked against botocore's output shape)."""
    from botocore.validate import ParamValidator

    def handler(model: Any, params: dict[str, Any], **_: Any) -> Any:
        name = f"{model.service_model.endpoint_prefix.replace('access-analyzer', 'accessanalyzer')}:{model.name}"
        if name not in answers:
            return None
        answer = answers[name]
        if name == "route53resolver:ListFirewallDomains":
            body = params.get("body") or b"{}"
            answer = answer[json.loads(body.decode() if isinstance(body, bytes) else body)["FirewallDomainListId"]]
        report = ParamValidator().validate(answer, model.output_shape)
        assert not report.has_errors(), f"{name}: not AWS's shape: {report.generate_report()}"
        return Answer(), copy.deepcopy(answer)

    session.events.register("before-call", handler)


def test_the_answered_apis_are_the_moto_gaps(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    answered = set(responses(deployed, dev_plan)) - {"route53resolver:ListFirewallRules", "route53resolver:ListFirewallDomains"}
    assert answered == set(coverage.MOTO_UNSUPPORTED)


def test_clean_answers_attest_clean_and_the_types_are_attested(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    session, _ = recorded_session()
    serve(session, responses(deployed, dev_plan))
    report = attest.attest(dev_plan, session)
    assert report.drift == [], "\n".join(map(str, report.drift))
    assert report.of("unsupported") == []
    assert [t for t in report.unattested_types if t not in coverage.NOT_ATTESTED_TYPES] == []


def first(items: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    return next(i for i in items if all(i.get(k) == v for k, v in match.items()))


# (type, input) -> a change to the answers
CHANGES: dict[tuple[str, str], Callable[[dict[str, Any]], None]] = {
    ("aws:ebs/defaultKmsKey:DefaultKmsKey", "keyArn"): lambda a: a["ec2:GetEbsDefaultKmsKeyId"].update(
        KmsKeyId="arn:aws:kms:eu-central-2:111111111111:key/00000000-0000-0000-0000-000000000000"),
    ("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults", "httpTokens"): lambda a: a["ec2:GetInstanceMetadataDefaults"][
        "AccountLevel"].update(HttpTokens="optional"),
    ("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults", "httpPutResponseHopLimit"): lambda a: a[
        "ec2:GetInstanceMetadataDefaults"]["AccountLevel"].update(HttpPutResponseHopLimit=3),
    ("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults", "httpEndpoint"): lambda a: a["ec2:GetInstanceMetadataDefaults"][
        "AccountLevel"].update(HttpEndpoint="disabled"),
    ("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults", "instanceMetadataTags"): lambda a: a[
        "ec2:GetInstanceMetadataDefaults"]["AccountLevel"].update(InstanceMetadataTags="enabled"),
    ("aws:accessanalyzer/analyzer:Analyzer", "configuration"): lambda a: first(a["accessanalyzer:ListAnalyzers"]["analyzers"],
                                                                              type="ACCOUNT_UNUSED_ACCESS").update(
        configuration={"unusedAccess": {"unusedAccessAge": 365}}),
    ("aws:accessanalyzer/analyzer:Analyzer", "type"): lambda a: first(a["accessanalyzer:ListAnalyzers"]["analyzers"],
                                                                     type="ACCOUNT").update(type="ORGANIZATION"),
    ("aws:route53/resolverFirewallConfig:ResolverFirewallConfig", "firewallFailOpen"): lambda a: a[
        "route53resolver:ListFirewallConfigs"]["FirewallConfigs"][0].update(FirewallFailOpen="ENABLED"),
    ("aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList", "domains"): lambda a: next(iter(a[
        "route53resolver:ListFirewallDomains"].values()))["Domains"].append("exfiltrate.example"),
    ("aws:route53/resolverFirewallRule:ResolverFirewallRule", "action"): lambda a: first(a["route53resolver:ListFirewallRules"][
        "FirewallRules"], Action="BLOCK").update(Action="ALERT"),
    ("aws:route53/resolverFirewallRule:ResolverFirewallRule", "blockResponse"): lambda a: first(a["route53resolver:ListFirewallRules"][
        "FirewallRules"], BlockResponse="NXDOMAIN").update(BlockResponse="NODATA"),
    ("aws:route53/resolverFirewallRule:ResolverFirewallRule", "priority"): lambda a: first(a["route53resolver:ListFirewallRules"][
        "FirewallRules"], Action="ALLOW").update(Priority=300),
    ("aws:route53/resolverFirewallRule:ResolverFirewallRule", "firewallDomainListId"): lambda a: first(a[
        "route53resolver:ListFirewallRules"]["FirewallRules"], Action="ALLOW").update(
        FirewallDomainListId=a["route53resolver:ListFirewallDomainLists"]["FirewallDomainLists"][-1]["Id"]),
    ("aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation", "mutationProtection"): lambda a: a[
        "route53resolver:ListFirewallRuleGroupAssociations"]["FirewallRuleGroupAssociations"][0].update(MutationProtection="DISABLED"),
    ("aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation", "priority"): lambda a: a[
        "route53resolver:ListFirewallRuleGroupAssociations"]["FirewallRuleGroupAssociations"][0].update(Priority=9000),
    ("aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation", "name"): lambda a: a[
        "route53resolver:ListFirewallRuleGroupAssociations"]["FirewallRuleGroupAssociations"][0].update(Name="renamed"),
    ("aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation", "firewallRuleGroupId"): lambda a: a[
        "route53resolver:ListFirewallRuleGroupAssociations"]["FirewallRuleGroupAssociations"][0].update(FirewallRuleGroupId="rslvr-frg-other"),
}


def test_every_unplantable_input_has_an_answer_change() -> None:
    from tests.attest.test_out_of_band import MOTO_TYPES_UNREAD
    from tcenter.live import identity

    wanted = {(t, f) for t in MOTO_TYPES_UNREAD for f in coverage.COMPARED[t]
              if f not in {p.split(".")[0] for p in identity.IDENTITY[t]}}
    assert wanted == set(CHANGES)


@pytest.fixture()
def changed_report(deployed: Provisioner, dev_plan: dict[str, Any]) -> Any:
    answers = copy.deepcopy(responses(deployed, dev_plan))
    for change in CHANGES.values():
        change(answers)
    session, _ = recorded_session()
    serve(session, answers)
    return attest.attest(dev_plan, session)


def test_each_changed_answer_is_named(changed_report: Any) -> None:
    missed = []
    for (kind, field) in CHANGES:
        label = coverage.COMPARED[kind][field]
        if not [f for f in changed_report.findings if f.type == kind and f"{label}:" in f.message]:
            missed.append(f"{kind}.{field} ({label})")
    assert missed == [], "\n".join(missed + [f"{f.kind} {f.type} {f.name} {f.message[:150]}" for f in changed_report.findings])
