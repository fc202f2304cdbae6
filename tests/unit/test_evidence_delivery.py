"""Evidence delivered to each reviewer organization's own account (issue 29): a trail per
organization into its bucket (validation on, the same selectors as the center's trail, its key),
and every event forwarded in real time to its bus through a role that can do nothing else."""

from __future__ import annotations

import json

from components import evidence
from components.evidence import EVIDENCE_DETAIL_TYPES

PROD = "zurich-prod"


def _orgs(stack_values):
    return {o["name"]: o["accountId"] for o in stack_values(PROD)["transparency-center:reviewers"]["organizations"]}


def test_each_organization_gets_a_validated_trail_into_its_own_bucket(declared, stack_values):
    run = declared(PROD)
    orgs = _orgs(stack_values)
    (center_trail,) = [t for t in run.by_type("aws:cloudtrail/trail:Trail") if t.inputs["name"].endswith("-audit-trail")]
    trails = {t.inputs["name"]: t for t in run.by_type("aws:cloudtrail/trail:Trail") if t is not center_trail}
    assert set(trails) == {evidence.evidence_trail_name(PROD, org) for org in orgs}
    for org, account in orgs.items():
        inputs = trails[evidence.evidence_trail_name(PROD, org)].inputs
        assert inputs["s3BucketName"] == evidence.evidence_bucket_name(PROD, account)
        assert inputs["kmsKeyId"] == f"arn:aws:kms:eu-central-2:{account}:alias/tc-{PROD}-evidence"
        assert inputs["enableLogFileValidation"] and inputs["isMultiRegionTrail"] and inputs["includeGlobalServiceEvents"]
        assert inputs["advancedEventSelectors"] == center_trail.inputs["advancedEventSelectors"]


def test_every_api_call_alarm_and_finding_is_forwarded_to_each_organizations_bus(declared, stack_values):
    run = declared(PROD)
    orgs = _orgs(stack_values)
    (rule,) = [r for r in run.by_type("aws:cloudwatch/eventRule:EventRule") if r.inputs["name"] == f"tc-{PROD}-evidence"]
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern == {"detail-type": sorted(EVIDENCE_DETAIL_TYPES)}
    assert {"AWS API Call via CloudTrail", "CloudWatch Alarm State Change", "GuardDuty Finding"} <= set(EVIDENCE_DETAIL_TYPES)
    targets = [t for t in run.by_type("aws:cloudwatch/eventTarget:EventTarget") if t.inputs["rule"] == rule.inputs["name"]]
    assert sorted(t.inputs["arn"] for t in targets) == sorted(evidence.evidence_bus_arn(PROD, a) for a in orgs.values())
    (role,) = [r for r in run.by_type("aws:iam/role:Role") if r.inputs["name"] == evidence.forwarder_role_name(PROD)]
    assert all(t.inputs["roleArn"] == role.outputs["arn"] for t in targets)
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "333333333333"}}
    (policy,) = [p for p in run.by_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.inputs["name"]]
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Action"] == ["events:PutEvents"]
    assert sorted(statement["Resource"]) == sorted(evidence.evidence_bus_arn(PROD, a) for a in orgs.values())


def test_stacks_without_organizations_in_their_own_account_send_nothing(declared):
    run = declared("dev")
    assert not [t for t in run.by_type("aws:cloudtrail/trail:Trail") if "-evidence-" in t.inputs["name"]]
    assert not [r for r in run.by_type("aws:iam/role:Role") if r.inputs["name"].endswith("evidence-forwarder")]
