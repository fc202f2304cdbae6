"""EvidenceDelivery: the center's evidence, delivered to each reviewer organization's own account.

Once evidence has left the owner's account the owner cannot recall it. For every reviewer
organization with its own AWS account (`reviewers.organizations[].accountId`):
- a CloudTrail trail of the center account, recording what the center's own trail records,
  delivers to the organization's bucket with log file validation: the organization holds every
  log file and the digest chain, so a stopped trail or a removed file is a gap it sees;
- an EventBridge rule forwards the center's API calls, alarm state changes and findings to the
  organization's event bus as they happen (`evidence.evidence_event_pattern`), through one
  forwarder role allowed to put events on those buses only.
The receiving side (bucket, key, bus) is the organization's: reviewer-account/ declares it with
the names of components/evidence.py. Stopping, changing or deleting either is denied by the
organization's SCP to all but the break-glass role (edits: the deploy role) and alarmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import pulumi
import pulumi_aws as aws

from . import evidence, policies
from .iam import Role, RoleArgs
from .layout import resource_name


@dataclass(frozen=True)
class EvidenceDeliveryArgs:
    stack: str
    account_id: str
    organizations: dict[str, str]
    """organization name -> its own AWS account id."""
    event_selectors: Any
    """The center trail's advanced event selectors: the evidence trails record the same."""


class EvidenceDelivery(pulumi.ComponentResource):
    def __init__(self, name: str, args: EvidenceDeliveryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:evidence:EvidenceDelivery", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        buses = {org: evidence.evidence_bus_arn(args.stack, account) for org, account in sorted(args.organizations.items())}
        self.forwarder = Role(
            resource_name(name, "forwarder"),
            RoleArgs(role_name=evidence.forwarder_role_name(args.stack),
                     description="EventBridge forwards the center's events to the reviewer organizations' own buses",
                     trust_policy=policies.assume_role_by_service("events.amazonaws.com", args.account_id)),
            opts=child,
        )
        self.forwarder.add_policy("put-events-on-reviewer-buses", [policies.statement(
            "PutEventsOnTheReviewersBusesOnly", ["events:PutEvents"], sorted(buses.values()))])
        self.rule = aws.cloudwatch.EventRule(
            resource_name(name, "rule"),
            name=f"tc-{args.stack}-evidence",
            description="The center's API calls, alarm state changes and findings, to every reviewer organization",
            event_pattern=pulumi.Output.json_dumps(evidence.evidence_event_pattern()),
            opts=child,
        )
        self.trails: dict[str, aws.cloudtrail.Trail] = {}
        for org, bus in buses.items():
            aws.cloudwatch.EventTarget(
                resource_name(name, "to", org), rule=self.rule.name, arn=bus, role_arn=self.forwarder.arn,
                opts=child)
            account = args.organizations[org]
            self.trails[org] = aws.cloudtrail.Trail(
                resource_name(name, "trail", org),
                name=evidence.evidence_trail_name(args.stack, org),
                s3_bucket_name=evidence.evidence_bucket_name(args.stack, account),
                s3_key_prefix=evidence.CENTER_PREFIX,
                is_multi_region_trail=True,
                include_global_service_events=True,
                enable_log_file_validation=True,
                enable_logging=True,
                kms_key_id=evidence.evidence_key_alias_arn(args.stack, account),
                advanced_event_selectors=args.event_selectors,
                opts=child,
            )
        self.register_outputs({"forwarderRoleArn": self.forwarder.arn, "ruleName": self.rule.name,
                               "trails": {org: t.arn for org, t in self.trails.items()}})


def evidence_organizations(organizations: Sequence[Any]) -> dict[str, str]:
    """Reviewer organizations (config) with their own account: name -> account id."""
    return {org.name: org.account_id for org in organizations if org.account_id}
