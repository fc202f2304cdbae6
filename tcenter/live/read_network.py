"""Reading the network: VPCs and their attributes, subnets, security groups (and their rules,
standalone rule resources included), network interfaces, NACLs, route tables, routes and
associations, endpoints, flow logs, gateways, peering, Elastic IPs, CloudHSM clusters and HSMs,
Route 53 Resolver DNS Firewall and query logging."""

from __future__ import annotations

from typing import Any

from components.awsfacts import REGION

from .identity import key_of
from .read import Live, Reader, Unread, policy_data, tags_of

PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "-1": "-1", "all": "-1"}
DEFAULT_VPC = "the default VPC and its subnets, route table, NACL, security group and internet gateway"
VPC_DEFAULTS = "each VPC's default security group, default NACL and main route table"
HSM_GROUP = "the security group CloudHSM creates for a cluster (cloudhsm-cluster-ID-sg)"
MANAGED_ENI = "network interfaces AWS manages (requester-managed: endpoints, CloudHSM, instances' primary ENIs)"


def sg_rules(permissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """IpPermissions in the plan's rule shape, one rule per source (ids are live ids)."""
    rules = []
    for p in permissions:
        protocol = PROTOCOLS.get(str(p.get("IpProtocol")), str(p.get("IpProtocol")))
        base = {"protocol": protocol, "fromPort": 0 if protocol == "-1" else p.get("FromPort", 0),
                "toPort": 0 if protocol == "-1" else p.get("ToPort", 0)}
        for r in p.get("IpRanges", []):
            rules.append({**base, "cidrBlocks": [r["CidrIp"]]})
        for r in p.get("Ipv6Ranges", []):
            rules.append({**base, "ipv6CidrBlocks": [r["CidrIpv6"]]})
        for r in p.get("PrefixListIds", []):
            rules.append({**base, "prefixListIds": [r["PrefixListId"]]})
        for r in p.get("UserIdGroupPairs", []):
            rules.append({**base, "securityGroups": [r.get("GroupId", "?")]})
    return rules


def nacl_entries(entries: list[dict[str, Any]], egress: bool) -> list[dict[str, Any]]:
    out = []
    for entry in sorted(entries, key=lambda e: e["RuleNumber"]):
        if entry["RuleNumber"] == 32767 or entry["Egress"] != egress:
            continue  # AWS's implicit deny-all, in every NACL
        out.append({"ruleNo": entry["RuleNumber"], "action": entry["RuleAction"],
                    "protocol": PROTOCOLS.get(str(entry["Protocol"]), str(entry["Protocol"])),
                    "cidrBlock": entry.get("CidrBlock") or entry.get("Ipv6CidrBlock"),
                    "fromPort": (entry.get("PortRange") or {}).get("From", 0), "toPort": (entry.get("PortRange") or {}).get("To", 0)})
    return out


def put(live: Live, kind: str, inputs: dict[str, Any], ids: dict[str, Any], **kw: Any) -> None:
    live.put(kind, key_of(kind, inputs), inputs, ids, **kw)


def read_network(reader: Reader, live: Live) -> None:
    vpcs = reader.call("ec2", "describe_vpcs", "Vpcs")
    live.read_types.update(t for t in ("aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup",
                                       "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "aws:ec2/networkAcl:NetworkAcl",
                                       "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl", "aws:ec2/routeTable:RouteTable",
                                       "aws:ec2/defaultRouteTable:DefaultRouteTable", "aws:ec2/vpcEndpoint:VpcEndpoint",
                                       "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/flowLog:FlowLog",
                                       "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"))
    default_vpcs = {v["VpcId"] for v in vpcs if v.get("IsDefault")}
    prefix_lists(reader, live)
    groups = reader.call("ec2", "describe_security_groups", "SecurityGroups")
    default_groups = {g["VpcId"]: g["GroupId"] for g in groups if g["GroupName"] == "default"}
    acls = reader.call("ec2", "describe_network_acls", "NetworkAcls")
    tables = reader.call("ec2", "describe_route_tables", "RouteTables")
    for vpc in vpcs:
        vpc_id = vpc["VpcId"]
        inputs = {"tags": tags_of(vpc.get("Tags")), "cidrBlock": vpc["CidrBlock"]}
        if vpc_id not in default_vpcs:
            for attribute in ("enableDnsSupport", "enableDnsHostnames"):
                answer = reader.call("ec2", "describe_vpc_attribute", VpcId=vpc_id, Attribute=attribute)
                inputs[attribute] = bool(answer.get(attribute[0].upper() + attribute[1:], {}).get("Value"))
        ids = {"id": vpc_id, "arn": f"arn:aws:ec2:{REGION}:{vpc.get('OwnerId', live.account)}:vpc/{vpc_id}",
               "defaultSecurityGroupId": default_groups.get(vpc_id, ""),
               "defaultNetworkAclId": next((a["NetworkAclId"] for a in acls if a["VpcId"] == vpc_id and a.get("IsDefault")), ""),
               "defaultRouteTableId": next((t["RouteTableId"] for t in tables if t["VpcId"] == vpc_id and any(
                   a.get("Main") for a in t.get("Associations", []))), "")}
        put(live, "aws:ec2/vpc:Vpc", inputs, ids, exempt=DEFAULT_VPC if vpc_id in default_vpcs else None,
            label=f"VPC {vpc_id} ({vpc['CidrBlock']})")
    for subnet in reader.call("ec2", "describe_subnets", "Subnets"):
        inputs = {"tags": tags_of(subnet.get("Tags")), "vpcId": subnet["VpcId"], "cidrBlock": subnet["CidrBlock"],
                  "availabilityZoneId": subnet.get("AvailabilityZoneId"),
                  "mapPublicIpOnLaunch": bool(subnet.get("MapPublicIpOnLaunch")),
                  "assignIpv6AddressOnCreation": bool(subnet.get("AssignIpv6AddressOnCreation"))}
        put(live, "aws:ec2/subnet:Subnet", inputs, {"id": subnet["SubnetId"], "arn": subnet.get("SubnetArn", "")},
            vpc=subnet["VpcId"], exempt=DEFAULT_VPC if subnet.get("DefaultForAz") else None,
            label=f"subnet {subnet['SubnetId']} ({subnet['CidrBlock']})")
    hsm_groups = read_hsm(reader, live, groups)
    for group in groups:
        inputs = {"tags": tags_of(group.get("Tags")), "vpcId": group.get("VpcId"), "description": group.get("Description"),
                  "ingress": sg_rules(group.get("IpPermissions", [])), "egress": sg_rules(group.get("IpPermissionsEgress", []))}
        ids = {"id": group["GroupId"], "arn": f"arn:aws:ec2:{REGION}:{group.get('OwnerId', live.account)}:security-group/{group['GroupId']}"}
        if group["GroupName"] == "default":
            put(live, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", inputs, ids, vpc=group.get("VpcId"),
                exempt=VPC_DEFAULTS, label=f"default security group {group['GroupId']}")
        else:
            put(live, "aws:ec2/securityGroup:SecurityGroup", inputs, ids, vpc=group.get("VpcId"),
                exempt=HSM_GROUP if group["GroupId"] in hsm_groups else None,
                label=f"security group {group['GroupId']} ({group['GroupName']})")
        for permission in group.get("IpPermissions", []):
            for pair in permission.get("UserIdGroupPairs", []) or [None]:
                for cidr_range in permission.get("IpRanges", []) or [None]:
                    if pair is None and cidr_range is None:
                        continue
                    cidr = (cidr_range or {}).get("CidrIp")
                    rule = {"securityGroupId": group["GroupId"], "ipProtocol": PROTOCOLS.get(str(permission["IpProtocol"]),
                                                                                         permission["IpProtocol"]),
                            "fromPort": permission.get("FromPort"), "toPort": permission.get("ToPort"),
                            "referencedSecurityGroupId": (pair or {}).get("GroupId"), "cidrIpv4": cidr,
                            "description": (pair or cidr_range or {}).get("Description")}
                    put(live, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", rule, {}, vpc=group.get("VpcId"))
    for acl in acls:
        inputs = {"tags": tags_of(acl.get("Tags")), "vpcId": acl["VpcId"],
                  "ingress": nacl_entries(acl.get("Entries", []), False), "egress": nacl_entries(acl.get("Entries", []), True),
                  "subnetIds": sorted(a["SubnetId"] for a in acl.get("Associations", []))}
        if acl.get("IsDefault"):
            put(live, "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl", {**inputs, "defaultNetworkAclId": acl["NetworkAclId"]},
                {"id": acl["NetworkAclId"]}, vpc=acl["VpcId"], exempt=VPC_DEFAULTS, label=f"default NACL {acl['NetworkAclId']}")
        else:
            put(live, "aws:ec2/networkAcl:NetworkAcl", inputs, {"id": acl["NetworkAclId"]}, vpc=acl["VpcId"],
                label=f"NACL {acl['NetworkAclId']} (subnets: {', '.join(inputs['subnetIds']) or 'none'})")
    read_routes(live, tables)
    read_interfaces(reader, live, read_endpoints(reader, live))
    for log in reader.call("ec2", "describe_flow_logs", "FlowLogs"):
        inputs = {"vpcId": log.get("ResourceId"), "logDestination": log.get("LogDestination") or log.get("LogGroupName"),
                  "logDestinationType": log.get("LogDestinationType", "cloud-watch-logs"), "trafficType": log.get("TrafficType"),
                  "iamRoleArn": log.get("DeliverLogsPermissionArn"), "maxAggregationInterval": log.get("MaxAggregationInterval")}
        put(live, "aws:ec2/flowLog:FlowLog", inputs, {"id": log["FlowLogId"]}, label=f"flow log {log['FlowLogId']}")
    for gateway in reader.call("ec2", "describe_internet_gateways", "InternetGateways"):
        attached = [a["VpcId"] for a in gateway.get("Attachments", [])]
        if attached and set(attached) <= default_vpcs:
            continue  # the default VPC's own gateway
        live.extra("aws:ec2/internetGateway:InternetGateway", gateway["InternetGatewayId"],
                   f"internet gateway {gateway['InternetGatewayId']} (attached to {', '.join(attached) or 'no VPC'}): "
                   "the center declares none")
    for gateway in reader.call("ec2", "describe_nat_gateways", "NatGateways"):
        if gateway.get("State") not in ("deleted", "deleting"):
            live.extra("aws:ec2/natGateway:NatGateway", gateway["NatGatewayId"], "NAT gateway: the center declares none")
    for peering in reader.call("ec2", "describe_vpc_peering_connections", "VpcPeeringConnections"):
        live.extra("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", peering["VpcPeeringConnectionId"],
                   "VPC peering: the center declares none")
    for address in reader.call("ec2", "describe_addresses").get("Addresses", []):
        live.extra("aws:ec2/eip:Eip", address.get("PublicIp", "?"),
                   f"Elastic IP {address.get('PublicIp')}: the center declares no public address")
    read_resolver(reader, live)


def prefix_lists(reader: Reader, live: Live) -> None:
    """The AWS-managed prefix lists of the region's gateway services and their CIDRs."""
    for plist in reader.call("ec2", "describe_managed_prefix_lists", "PrefixLists"):
        name = plist.get("PrefixListName", "")
        service = name.rsplit(".", 1)[-1]
        if plist.get("OwnerId") == "AWS" and name == f"com.amazonaws.{REGION}.{service}" and service in ("s3", "dynamodb"):
            entries = reader.call("ec2", "get_managed_prefix_list_entries", "Entries", PrefixListId=plist["PrefixListId"])
            live.prefix_lists[service] = sorted(e["Cidr"] for e in entries)
            live.prefix_list_ids[service] = plist["PrefixListId"]


def read_routes(live: Live, tables: list[dict[str, Any]]) -> None:
    for table in tables:
        table_id, vpc = table["RouteTableId"], table["VpcId"]
        routes = [r for r in table.get("Routes", []) if r.get("GatewayId") != "local" and r.get("Origin") != "CreateRouteTable"
                  and not str(r.get("GatewayId", "")).startswith("vpce-")]
        main = any(a.get("Main") for a in table.get("Associations", []))
        inputs = {"tags": tags_of(table.get("Tags")), "vpcId": vpc,
                  "routes": [{"cidrBlock": r.get("DestinationCidrBlock") or r.get("DestinationPrefixListId"),
                              "target": next((v for k, v in sorted(r.items()) if k.endswith("Id") and not k.startswith("Destination")), "?")}
                             for r in routes]}
        if main:
            put(live, "aws:ec2/defaultRouteTable:DefaultRouteTable", {**inputs, "defaultRouteTableId": table_id},
                {"id": table_id}, vpc=vpc, exempt=VPC_DEFAULTS, label=f"main route table {table_id}")
        else:
            put(live, "aws:ec2/routeTable:RouteTable", {k: v for k, v in inputs.items() if k != "routes"}, {"id": table_id},
                vpc=vpc, label=f"route table {table_id}")
            for route in inputs["routes"]:
                live.put("aws:ec2/route:Route", f"{table_id}|{route['cidrBlock']}", route, {"routeTableId": table_id}, vpc=vpc,
                         label=f"route {route['cidrBlock']} -> {route['target']} in {inputs['tags'].get('Name', table_id)}")
        for association in table.get("Associations", []):
            if association.get("SubnetId"):
                inputs = {"subnetId": association["SubnetId"], "routeTableId": table_id}
                put(live, "aws:ec2/routeTableAssociation:RouteTableAssociation", inputs,
                    {"id": association["RouteTableAssociationId"]}, vpc=vpc,
                    label=f"association of subnet {association['SubnetId']} with {table_id}")


def read_endpoints(reader: Reader, live: Live) -> set[str]:
    """The endpoints; the network interfaces AWS made for them."""
    interfaces: set[str] = set()
    for endpoint in reader.call("ec2", "describe_vpc_endpoints", "VpcEndpoints"):
        service = endpoint["ServiceName"]
        kind = endpoint.get("VpcEndpointType")
        short = service.rsplit(".", 1)[-1]
        inputs = {"tags": tags_of(endpoint.get("Tags")), "vpcId": endpoint["VpcId"], "serviceName": service,
                  "vpcEndpointType": kind, "policy": policy_data(endpoint.get("PolicyDocument")),
                  "subnetIds": sorted(endpoint.get("SubnetIds") or []),
                  "securityGroupIds": sorted(g["GroupId"] for g in endpoint.get("Groups") or []),
                  "routeTableIds": sorted(endpoint.get("RouteTableIds") or [])}
        if kind == "Interface":  # gateway endpoints have no DNS names of their own
            inputs["privateDnsEnabled"] = bool(endpoint.get("PrivateDnsEnabled"))
        interfaces.update(endpoint.get("NetworkInterfaceIds") or [])
        ids = {"id": endpoint["VpcEndpointId"]}
        if kind == "Gateway" and short in live.prefix_lists:
            ids.update(prefixListId=live.prefix_list_ids[short], cidrBlocks=live.prefix_lists[short])
        # AWS's own services are com.amazonaws.REGION.SERVICE; PrivateLink endpoint services (any account's) vpce-svc-...
        owner = " (a PrivateLink endpoint service: another account's, or one outside the plan)" if "vpce-svc-" in service \
            or not service.startswith(("com.amazonaws.", "aws.")) else ""
        put(live, "aws:ec2/vpcEndpoint:VpcEndpoint", inputs, ids,
            label=f"{kind} endpoint {endpoint['VpcEndpointId']} to {service}{owner}")
    return interfaces


def read_interfaces(reader: Reader, live: Live, endpoint_interfaces: set[str]) -> None:
    """Network interfaces not created for a declared instance, endpoint or HSM: an attachment of
    the center's groups (or a foothold in its subnets) the plan does not declare."""
    for eni in reader.call("ec2", "describe_network_interfaces", "NetworkInterfaces"):
        attachment = eni.get("Attachment") or {}
        managed = eni.get("RequesterManaged") or eni["NetworkInterfaceId"] in endpoint_interfaces or eni.get("InterfaceType") not in (None, "interface") or (
            attachment.get("InstanceId") and attachment.get("DeviceIndex") == 0)
        groups = sorted(g["GroupId"] for g in eni.get("Groups") or [])
        live.put("aws:ec2/networkInterface:NetworkInterface", eni["NetworkInterfaceId"], {"securityGroupIds": groups},
                 {"id": eni["NetworkInterfaceId"]}, vpc=eni.get("VpcId"), exempt=MANAGED_ENI if managed else None,
                 label=f"network interface {eni['NetworkInterfaceId']} in {eni.get('SubnetId')} with groups "
                       f"{', '.join(groups) or 'none'}" + (f", attached to {attachment['InstanceId']}" if attachment.get("InstanceId") else ""))


def read_hsm(reader: Reader, live: Live, all_groups: list[dict[str, Any]]) -> set[str]:
    """CloudHSM clusters and their HSMs; the security groups CloudHSM made for them."""
    groups: set[str] = set()
    try:
        clusters = reader.call("cloudhsmv2", "describe_clusters", "Clusters")
    except Unread:
        return groups
    live.read_types.update(("aws:cloudhsmv2/cluster:Cluster", "aws:cloudhsmv2/hsm:Hsm"))
    for cluster in clusters:
        cluster_id = cluster["ClusterId"]
        group = cluster.get("SecurityGroup") or f"cloudhsm-{cluster_id}-sg"
        groups.add(group)
        inputs = {"tags": tags_of(cluster.get("TagList")), "hsmType": cluster.get("HsmType"), "mode": cluster.get("Mode"),
                  "subnetIds": sorted((cluster.get("SubnetMapping") or {}).values())}
        put(live, "aws:cloudhsmv2/cluster:Cluster", inputs, {"id": cluster_id, "clusterId": cluster_id, "securityGroupId": group},
            vpc=cluster.get("VpcId"), label=f"CloudHSM cluster {cluster_id}")
        for hsm in cluster.get("Hsms") or []:
            put(live, "aws:cloudhsmv2/hsm:Hsm", {"clusterId": cluster_id, "subnetId": hsm.get("SubnetId"),
                                                  "ipAddress": hsm.get("EniIp")},
                {"id": hsm.get("HsmId", ""), "hsmId": hsm.get("HsmId", ""), "hsmEniId": hsm.get("EniId", "")},
                label=f"HSM {hsm.get('HsmId')} in {cluster_id}")
    # moto's clusters carry no group id: CloudHSM names the group after the cluster
    named = {g["GroupName"]: g["GroupId"] for g in all_groups if g["GroupName"] in groups}
    for resource in live.by_key.values():
        if resource.type == "aws:cloudhsmv2/cluster:Cluster" and resource.ids["securityGroupId"] in named:
            resource.ids["securityGroupId"] = named[resource.ids["securityGroupId"]]
    return groups | set(named.values())


def read_resolver(reader: Reader, live: Live) -> None:
    """Route 53 Resolver: query logging, and the DNS Firewall (rule groups, rules, domain lists,
    associations, the VPC's fail-open setting)."""
    try:
        configs = reader.call("route53resolver", "list_resolver_query_log_configs", "ResolverQueryLogConfigs")
        live.read_types.update(("aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig",
                                "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation"))
        for config in configs:
            put(live, "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig",
                {"name": config.get("Name"), "destinationArn": config.get("DestinationArn")}, {"id": config["Id"], "arn": config.get("Arn", "")})
        for association in reader.call("route53resolver", "list_resolver_query_log_config_associations",
                                       "ResolverQueryLogConfigAssociations"):
            put(live, "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation",
                {"resolverQueryLogConfigId": association.get("ResolverQueryLogConfigId"), "resourceId": association.get("ResourceId")},
                {"id": association["Id"]})
    except Unread:
        pass
    try:
        read_firewall(reader, live)
    except Unread:
        pass


def read_firewall(reader: Reader, live: Live) -> None:
    groups = reader.call("route53resolver", "list_firewall_rule_groups", "FirewallRuleGroups")
    lists = reader.call("route53resolver", "list_firewall_domain_lists", "FirewallDomainLists")
    associations = reader.call("route53resolver", "list_firewall_rule_group_associations", "FirewallRuleGroupAssociations")
    configs = reader.call("route53resolver", "list_firewall_configs", "FirewallConfigs")
    live.read_types.update(("aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup",
                            "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList",
                            "aws:route53/resolverFirewallRule:ResolverFirewallRule",
                            "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation",
                            "aws:route53/resolverFirewallConfig:ResolverFirewallConfig"))
    for group in groups:
        if group.get("ShareStatus", "NOT_SHARED") == "SHARED_WITH_ME":
            continue
        put(live, "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup", {"name": group.get("Name")},
            {"id": group["Id"], "arn": group.get("Arn", "")})
        for rule in reader.call("route53resolver", "list_firewall_rules", "FirewallRules", FirewallRuleGroupId=group["Id"]):
            put(live, "aws:route53/resolverFirewallRule:ResolverFirewallRule", {
                "name": rule.get("Name"), "firewallRuleGroupId": group["Id"], "firewallDomainListId": rule.get("FirewallDomainListId"),
                "action": rule.get("Action"), "blockResponse": rule.get("BlockResponse"), "priority": rule.get("Priority")}, {})
    for domain_list in lists:
        if domain_list.get("ManagedOwnerName"):
            continue  # AWS's managed threat lists
        domains = reader.call("route53resolver", "list_firewall_domains", "Domains", FirewallDomainListId=domain_list["Id"])
        put(live, "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList",
            {"name": domain_list.get("Name"), "domains": sorted(domains)}, {"id": domain_list["Id"], "arn": domain_list.get("Arn", "")})
    for association in associations:
        put(live, "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation", {
            "name": association.get("Name"), "vpcId": association.get("VpcId"),
            "firewallRuleGroupId": association.get("FirewallRuleGroupId"), "priority": association.get("Priority"),
            "mutationProtection": association.get("MutationProtection")}, {"id": association["Id"]})
    for config in configs:
        put(live, "aws:route53/resolverFirewallConfig:ResolverFirewallConfig",
            {"resourceId": config.get("ResourceId"), "firewallFailOpen": config.get("FirewallFailOpen")}, {"id": config.get("Id", "")})
