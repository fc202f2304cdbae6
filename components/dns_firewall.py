"""DnsFirewall: Route 53 Resolver DNS Firewall on the center's VPC, closing DNS tunnelling.

Every host may send DNS to the VPC resolver (port 53), so without a firewall any host could
leak data in the names it looks up. The rule group allows only the names the center
resolves (awsfacts.center_dns_names) and blocks every other name with NXDOMAIN; the VPC
fails closed (a firewall outage blocks queries rather than letting them through); every
query is logged to a KMS-encrypted log group of the audit area.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .awsfacts import DNS_FIREWALL_ALL_DOMAINS
from .kms import EncryptionKey
from .layout import account_name, resource_name
from .teardown import Teardown

ALLOW_PRIORITY = 100
BLOCK_PRIORITY = 200
"""DNS Firewall evaluates a group's rules by ascending priority; the first match decides."""
RULE_GROUP_PRIORITY = 101
"""Association priorities 100-9900 are the ones AWS leaves to customers."""


@dataclass(frozen=True)
class DnsFirewallArgs:
    stack: str
    vpc_id: pulumi.Input[str]
    allowed_domains: Sequence[str]
    log_key: EncryptionKey
    log_retention_days: int
    teardown: Teardown


class DnsFirewall(pulumi.ComponentResource):
    def __init__(self, name: str, args: DnsFirewallArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:network:DnsFirewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        allowed = aws.route53.ResolverFirewallDomainList(
            resource_name(name, "allowed"),
            name=account_name(args.stack, "dns-allowed"),
            domains=sorted(args.allowed_domains),
            opts=child,
        )
        everything = aws.route53.ResolverFirewallDomainList(
            resource_name(name, "everything"),
            name=account_name(args.stack, "dns-everything"),
            domains=[DNS_FIREWALL_ALL_DOMAINS],
            opts=child,
        )
        group = aws.route53.ResolverFirewallRuleGroup(
            resource_name(name, "rules"), name=account_name(args.stack, "dns-firewall"), opts=child,
        )
        aws.route53.ResolverFirewallRule(
            resource_name(name, "allow-center-names"),
            name="allow-center-names", action="ALLOW", priority=ALLOW_PRIORITY,
            firewall_domain_list_id=allowed.id, firewall_rule_group_id=group.id, opts=child,
        )
        aws.route53.ResolverFirewallRule(
            resource_name(name, "block-everything-else"),
            name="block-everything-else", action="BLOCK", block_response="NXDOMAIN", priority=BLOCK_PRIORITY,
            firewall_domain_list_id=everything.id, firewall_rule_group_id=group.id, opts=child,
        )
        aws.route53.ResolverFirewallRuleGroupAssociation(
            resource_name(name, "association"),
            name=account_name(args.stack, "dns-firewall"), firewall_rule_group_id=group.id,
            vpc_id=args.vpc_id, priority=RULE_GROUP_PRIORITY, mutation_protection="ENABLED", opts=child,
        )
        aws.route53.ResolverFirewallConfig(
            resource_name(name, "fail-closed"), resource_id=args.vpc_id, firewall_fail_open="DISABLED", opts=child,
        )
        self.query_log_group = aws.cloudwatch.LogGroup(
            resource_name(name, "query-logs"),
            name=f"/transparency-center/{args.stack}/dns-queries",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key.arn,
            opts=pulumi.ResourceOptions.merge(child, args.teardown.options("stateful")),
        )
        query_logging = aws.route53.ResolverQueryLogConfig(
            resource_name(name, "query-logging"),
            name=account_name(args.stack, "dns-queries"),
            destination_arn=self.query_log_group.arn,
            opts=child,
        )
        aws.route53.ResolverQueryLogConfigAssociation(
            resource_name(name, "query-logging-association"),
            resolver_query_log_config_id=query_logging.id, resource_id=args.vpc_id, opts=child,
        )
        self.rule_group_id = group.id
        self.register_outputs({"ruleGroupId": group.id, "queryLogGroup": self.query_log_group.name})
