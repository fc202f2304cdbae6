"""Evidence the center's owner cannot hold back: names and documents shared by both sides.

Each reviewer organization with its own AWS account (`reviewers.organizations[].accountId`)
receives, in that account:
- the center's CloudTrail, from a trail of the center account that delivers to the
  organization's bucket (log file validation on: the organization holds the digest chain and
  sees every gap), and the organization trail, from a trail of the management account
  (organization/ project);
- the center's API calls and security events in real time, forwarded by an EventBridge rule
  of the center account to an event bus of the organization (`evidence_event_pattern`).

The center stack declares the sending side (components/evidence_delivery.py, organization/);
the organization deploys the receiving side (reviewer-account/). Both compute every name
here, so neither side types the other's names. Pure: no Pulumi, no resources.
"""

from __future__ import annotations

from typing import Any

from .awsfacts import REGION, arn, service_principal
from .layout import account_name
from .policies import document, statement, key_statement

CENTER_PREFIX = "center"
"""Where the center account's evidence trail delivers in the organization's bucket."""
ORGANIZATION_PREFIX = "organization"
"""Where the management account's organization trail delivers in the organization's bucket."""


def evidence_trail_name(stack: str, organization: str) -> str:
    """The center account's trail that delivers to one reviewer organization's bucket."""
    return account_name(stack, "evidence", organization)


def organization_evidence_trail_name(reviewer_account: str) -> str:
    """The management account's organization trail that delivers to one reviewer account."""
    return f"tc-organization-evidence-{reviewer_account}"


def evidence_bucket_name(center_stack: str, reviewer_account: str) -> str:
    """The bucket in the reviewer organization's account that receives the trails."""
    return f"tc-{center_stack}-evidence-{reviewer_account}"


def evidence_key_alias(center_stack: str) -> str:
    """The reviewer's key the trails encrypt with (an alias: the key id is the reviewer's)."""
    return f"alias/tc-{center_stack}-evidence"


def evidence_key_alias_arn(center_stack: str, reviewer_account: str) -> str:
    return arn("kms", evidence_key_alias(center_stack), reviewer_account, REGION)


def evidence_bus_name(center_stack: str) -> str:
    return f"tc-{center_stack}-evidence"


def evidence_bus_arn(center_stack: str, reviewer_account: str) -> str:
    return arn("events", f"event-bus/{evidence_bus_name(center_stack)}", reviewer_account, REGION)


def forwarder_role_name(stack: str) -> str:
    """The center's role EventBridge uses to put events on the reviewers' buses."""
    return account_name(stack, "evidence-forwarder")


def center_trail_arn(center_account: str, stack: str, organization: str) -> str:
    return arn("cloudtrail", f"trail/{evidence_trail_name(stack, organization)}", center_account, REGION)


def organization_trail_arn(management_account: str, reviewer_account: str) -> str:
    return arn("cloudtrail", f"trail/{organization_evidence_trail_name(reviewer_account)}", management_account, REGION)


EVIDENCE_DETAIL_TYPES = (
    "AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail", "CloudWatch Alarm State Change",
    "GuardDuty Finding", "Security Hub Findings - Imported", "Config Rules Compliance Change",
)
"""What reaches the reviewers in real time: every API call CloudTrail hands EventBridge (write
management events and the data events the trail records), console sign-ins, every alarm's state
change, and the findings of GuardDuty, Security Hub and Config."""


def evidence_event_pattern() -> dict[str, Any]:
    return {"detail-type": sorted(EVIDENCE_DETAIL_TYPES)}


# --- the reviewer organization's side (reviewer-account/) -----------------------------------

def evidence_bucket_policy(bucket: str, trails: dict[str, str]) -> dict[str, Any]:
    """CloudTrail delivers each named trail (prefix -> trail ARN) under its prefix, nothing else;
    TLS only. `trails` come from the center and management accounts (aws:SourceArn)."""
    bucket_arn = arn("s3", bucket)
    cloudtrail = {"Service": service_principal("cloudtrail")}
    statements = [statement("DenyInsecureTransport", ["s3:*"], [bucket_arn, f"{bucket_arn}/*"], effect="Deny",
                            principals={"AWS": "*"}, conditions={"Bool": {"aws:SecureTransport": "false"}}),
                  statement("CloudTrailAclCheck", ["s3:GetBucketAcl"], bucket_arn, principals=cloudtrail,
                            conditions={"StringEquals": {"aws:SourceArn": sorted(trails.values())}})]
    for prefix, trail in sorted(trails.items()):
        statements.append(statement(
            f"CloudTrailWrites{prefix.capitalize()}", ["s3:PutObject"], f"{bucket_arn}/{prefix}/AWSLogs/*",
            principals=cloudtrail,
            conditions={"StringEquals": {"aws:SourceArn": trail, "s3:x-amz-acl": "bucket-owner-full-control"}}))
    return document(*statements)


def evidence_key_policy(reviewer_account: str, trails: dict[str, str]) -> dict[str, Any]:
    """The reviewer's own account administers and decrypts; CloudTrail encrypts for the named
    trails only."""
    trail_arns = sorted(trails.values())
    return document(
        key_statement("ReviewerAccountAdministersAndReads", ["kms:*"], principals={"AWS": arn("iam", "root", reviewer_account)}),
        key_statement("CloudTrailEncryptsForTheCentersTrails", ["kms:GenerateDataKey*"],
                      principals={"Service": service_principal("cloudtrail")},
                      conditions={"StringEquals": {"aws:SourceArn": trail_arns}}),
        key_statement("CloudTrailDescribesTheKey", ["kms:DescribeKey"],
                      principals={"Service": service_principal("cloudtrail")},
                      conditions={"StringEquals": {"aws:SourceArn": trail_arns}}),
    )


def evidence_bus_policy(bus_arn: str, center_account: str, stack: str) -> dict[str, Any]:
    """Only the center's forwarder role puts events on the reviewer's bus."""
    forwarder = arn("iam", f"role/{forwarder_role_name(stack)}", center_account)
    return document(statement("CenterForwarderPutsEvents", ["events:PutEvents"], bus_arn,
                              principals={"AWS": forwarder}))
