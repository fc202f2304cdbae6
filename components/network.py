"""NetworkZones: the center's VPC, cut into zones with no route to the internet.

Zones: `endpoints` (interface endpoints), `build`, `signing`, `data` and one
`reviewer-<org>` per reviewer organization. Each zone has a subnet per availability
zone, its own route table (no internet gateway, no NAT: only the S3 gateway route) and
its own NACL generated from `layout.zone_flows`. AWS APIs are reached only through
endpoints whose policies admit this account's principals only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from . import policies
from .awsfacts import center_dns_names, table_arn
from .dns_firewall import DnsFirewall, DnsFirewallArgs
from .config.base import REGION
from .kms import EncryptionKey
from .teardown import Teardown
from .awsfacts import HTTPS
from .layout import (ANALYSIS_ZONE, DYNAMODB_ZONES, OWN_S3_GATEWAY_ZONES, NetworkPlan, S3_GATEWAY, account_name,
                     nacl_entries, resource_name, zone_flows)

INTERFACE_ENDPOINT_SERVICES = ("ec2", "kms", "logs", "monitoring", "secretsmanager", "ssm", "ssmmessages", "sts")
"""AWS APIs the hosts need: SSM Session Manager, KMS, logs and metrics, STS, secrets."""

ANALYSIS_ENDPOINT_SERVICES = ("sqs",)
"""The analysis zone's own interface endpoints (components/analysis.py): its job queue only."""

GATEWAY_ENDPOINT_SERVICES = ("dynamodb", "s3")
"""AWS APIs reached through gateway endpoints (routes, not ENIs); their names resolve publicly."""


@dataclass(frozen=True)
class NetworkZonesArgs:
    stack: str
    plan: NetworkPlan
    account_id: str
    flow_log_key: EncryptionKey
    flow_log_retention_days: int
    teardown: Teardown
    flow_log_traffic: str = "ALL"


class NetworkZones(pulumi.ComponentResource):
    def __init__(self, name: str, args: NetworkZonesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:network:NetworkZones", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        plan = args.plan
        self.plan = plan
        self.flows = zone_flows(plan)

        self.vpc = aws.ec2.Vpc(
            resource_name(name, "vpc"),
            cidr_block=str(plan.supernet),
            enable_dns_support=True,
            enable_dns_hostnames=True,  # private DNS of interface endpoints needs it
            tags={"Name": name},
            opts=child,
        )
        # EC2.2: the default security group allows nothing; the default NACL and route
        # table are adopted empty so that a subnet created by hand outside the kit is dead.
        aws.ec2.DefaultSecurityGroup(
            resource_name(name, "default-sg"), vpc_id=self.vpc.id, ingress=[], egress=[],
            tags={"Name": f"{name}-default-deny"}, opts=child,
        )
        aws.ec2.DefaultNetworkAcl(
            resource_name(name, "default-nacl"), default_network_acl_id=self.vpc.default_network_acl_id,
            ingress=[], egress=[], tags={"Name": f"{name}-default-deny"}, opts=child,
        )
        aws.ec2.DefaultRouteTable(
            resource_name(name, "default-rt"), default_route_table_id=self.vpc.default_route_table_id,
            routes=[], tags={"Name": f"{name}-default-no-routes"}, opts=child,
        )

        self.subnet_ids: dict[str, list[pulumi.Output[str]]] = {}
        self.route_table_ids: dict[str, pulumi.Output[str]] = {}
        self.zone_cidrs: dict[str, str] = {zone.name: str(zone.cidr) for zone in plan.zones}
        subnets_by_zone: dict[str, list[aws.ec2.Subnet]] = {}
        for zone in plan.zones:
            zone_tags = {"zone": zone.name}
            table = aws.ec2.RouteTable(
                resource_name(name, zone.name, "rt"), vpc_id=self.vpc.id,
                tags={**zone_tags, "Name": f"{name}-{zone.name}"}, opts=child,
            )
            self.route_table_ids[zone.name] = table.id
            subnets_by_zone[zone.name] = []
            for subnet_plan in zone.subnets:
                subnet = aws.ec2.Subnet(
                    resource_name(name, subnet_plan.name),
                    vpc_id=self.vpc.id,
                    cidr_block=str(subnet_plan.cidr),
                    availability_zone_id=subnet_plan.az_id,
                    map_public_ip_on_launch=False,
                    assign_ipv6_address_on_creation=False,
                    tags={**zone_tags, "Name": f"{name}-{subnet_plan.name}"},
                    opts=child,
                )
                aws.ec2.RouteTableAssociation(
                    resource_name(name, subnet_plan.name, "rta"), subnet_id=subnet.id, route_table_id=table.id, opts=child,
                )
                subnets_by_zone[zone.name].append(subnet)
            self.subnet_ids[zone.name] = [subnet.id for subnet in subnets_by_zone[zone.name]]

        # The S3 gateway endpoint is the only route out of a zone, and it reaches S3 only.
        # Zones with a gateway endpoint of their own (the analysis cells') are not on this one's routes.
        s3_zones = sorted({flow.source for flow in self.flows
                           if flow.destination == S3_GATEWAY and flow.source not in OWN_S3_GATEWAY_ZONES})
        self.s3_endpoint = aws.ec2.VpcEndpoint(
            resource_name(name, "s3-gateway"),
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{REGION}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[self.route_table_ids[zone] for zone in s3_zones],
            policy=pulumi.Output.json_dumps(policies.s3_gateway_endpoint_policy(args.account_id)),
            tags={"Name": f"{name}-s3-gateway", "zone": "endpoints"},
            opts=child,
        )

        # DynamoDB for the data zone only, and only for the center's own tables.
        dynamodb_zones = [zone for zone in DYNAMODB_ZONES if zone in self.route_table_ids]
        self.dynamodb_endpoint = aws.ec2.VpcEndpoint(
            resource_name(name, "dynamodb-gateway"),
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{REGION}.dynamodb",
            vpc_endpoint_type="Gateway",
            route_table_ids=[self.route_table_ids[zone] for zone in dynamodb_zones],
            policy=pulumi.Output.json_dumps(policies.dynamodb_gateway_endpoint_policy(
                args.account_id, table_arn(args.account_id, account_name(args.stack, "*")))),
            tags={"Name": f"{name}-dynamodb-gateway", "zone": "endpoints"},
            opts=child,
        )

        for zone in plan.zones:
            entries = pulumi.Output.all(self.s3_endpoint.cidr_blocks, self.dynamodb_endpoint.cidr_blocks).apply(
                lambda cidrs, zone=zone.name: nacl_entries(zone, plan, self.flows, cidrs[0] or [], cidrs[1] or [])
            )
            aws.ec2.NetworkAcl(
                resource_name(name, zone.name, "nacl"),
                vpc_id=self.vpc.id,
                subnet_ids=self.subnet_ids[zone.name],
                ingress=entries.apply(lambda es: [e.as_input() for e in es if not e.egress]),
                egress=entries.apply(lambda es: [e.as_input() for e in es if e.egress]),
                tags={"zone": zone.name, "Name": f"{name}-{zone.name}"},
                opts=child,
            )

        self.endpoint_security_group = aws.ec2.SecurityGroup(
            resource_name(name, "endpoints-sg"),
            vpc_id=self.vpc.id,
            description="Interface endpoints: HTTPS from the center's VPC only",
            ingress=[{
                "description": "HTTPS from the VPC", "protocol": "tcp", "from_port": HTTPS, "to_port": HTTPS,
                "cidr_blocks": [str(plan.supernet)],
            }],
            egress=[],
            tags={"Name": f"{name}-endpoints", "zone": "endpoints"},
            opts=child,
        )
        self.interface_endpoints: dict[str, aws.ec2.VpcEndpoint] = {}
        for service in INTERFACE_ENDPOINT_SERVICES:
            self.interface_endpoints[service] = aws.ec2.VpcEndpoint(
                resource_name(name, service, "endpoint"),
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{REGION}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=self.subnet_ids["endpoints"],
                security_group_ids=[self.endpoint_security_group.id],
                policy=pulumi.Output.json_dumps(policies.interface_endpoint_policy(service, args.account_id)),
                tags={"Name": f"{name}-{service}", "zone": "endpoints"},
                opts=child,
            )

        self._flow_logs(name, args)
        self.dns_firewall = DnsFirewall(
            resource_name(name, "dns-firewall"),
            DnsFirewallArgs(stack=args.stack, vpc_id=self.vpc.id,
                            allowed_domains=center_dns_names(
                                INTERFACE_ENDPOINT_SERVICES + GATEWAY_ENDPOINT_SERVICES
                                + (ANALYSIS_ENDPOINT_SERVICES if ANALYSIS_ZONE in self.route_table_ids else ())),
                            log_key=args.flow_log_key, log_retention_days=args.flow_log_retention_days,
                            teardown=args.teardown),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.vpc_id = self.vpc.id
        self.register_outputs({
            "vpcId": self.vpc.id,
            "subnetIds": self.subnet_ids,
            "routeTableIds": self.route_table_ids,
            "zoneCidrs": self.zone_cidrs,
            "s3EndpointId": self.s3_endpoint.id,
            "dynamodbEndpointId": self.dynamodb_endpoint.id,
            "interfaceEndpointIds": {service: ep.id for service, ep in self.interface_endpoints.items()},
        })

    def _flow_logs(self, name: str, args: NetworkZonesArgs) -> None:
        """EC2.6: every VPC logs its traffic to a KMS-encrypted log group."""
        child = pulumi.ResourceOptions(parent=self)
        self.flow_log_group = aws.cloudwatch.LogGroup(
            resource_name(name, "flow-logs"),
            name=f"/transparency-center/{args.stack}/vpc-flow-logs",
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=args.flow_log_key.arn,
            opts=pulumi.ResourceOptions.merge(child, args.teardown.options("stateful")),
        )
        role = aws.iam.Role(
            resource_name(name, "flow-logs-role"),
            name=account_name(args.stack, "vpc-flow-logs"),
            assume_role_policy=pulumi.Output.json_dumps(
                policies.assume_role_by_service("vpc-flow-logs.amazonaws.com", args.account_id)),
            opts=child,
        )
        aws.iam.RolePolicy(
            resource_name(name, "flow-logs-delivery"),
            role=role.name,
            policy=pulumi.Output.json_dumps(policies.document(policies.statement(
                "DeliverFlowLogs", ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                [pulumi.Output.concat(self.flow_log_group.arn, ":*")],
            ))),
            opts=child,
        )
        aws.ec2.FlowLog(
            resource_name(name, "flow-log"),
            vpc_id=self.vpc.id,
            traffic_type=args.flow_log_traffic,
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            opts=child,
        )
