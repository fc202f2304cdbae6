"""The VPC side of the provisioner: VPC, default pieces, subnets, groups and rules, NACLs, route
tables, endpoints, flow logs, launch templates, instances, the CloudHSM cluster."""

from __future__ import annotations

from typing import Any

from components.hosts import user_data_text
from tests.attest.provision import Provisioner, of, tag_list

PROTOCOL_NUMBERS = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1"}


def permission(p: Provisioner, rule: dict[str, Any], prefix_lists: dict[str, str]) -> dict[str, Any]:
    protocol = str(rule.get("protocol", rule.get("ipProtocol")))
    out: dict[str, Any] = {"IpProtocol": "-1" if protocol in ("-1", "all") else protocol}
    if out["IpProtocol"] != "-1":
        out.update(FromPort=rule.get("fromPort", 0), ToPort=rule.get("toPort", 0))
    if rule.get("cidrBlocks"):
        out["IpRanges"] = [{"CidrIp": c} for c in rule["cidrBlocks"]]
    if rule.get("prefixListIds"):
        out["PrefixListIds"] = [{"PrefixListId": prefix_lists.get(pl, p.live(pl))} for pl in rule["prefixListIds"]]
    if rule.get("securityGroups"):
        out["UserIdGroupPairs"] = [{"GroupId": p.live(g)} for g in rule["securityGroups"]]
    return out


def run(p: Provisioner) -> None:
    ec2 = p.c["ec2"]
    p.prefix_lists()
    for vpc in of(p.plan, "aws:ec2/vpc:Vpc"):
        i = vpc["inputs"]
        created = ec2.create_vpc(CidrBlock=i["cidrBlock"],
                                 TagSpecifications=[{"ResourceType": "vpc", "Tags": tag_list(i.get("tags"))}])["Vpc"]
        vpc_id = created["VpcId"]
        for attribute in ("enableDnsSupport", "enableDnsHostnames"):
            if attribute in i:
                ec2.modify_vpc_attribute(VpcId=vpc_id, **{attribute[0].upper() + attribute[1:]: {"Value": bool(i[attribute])}})
        group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                      {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
        acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                 {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
        table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                   {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
        p.assign(vpc, id=vpc_id, arn=f"arn:aws:ec2:eu-central-2:{p.account}:vpc/{vpc_id}",
                 defaultSecurityGroupId=group["GroupId"], defaultNetworkAclId=acl["NetworkAclId"],
                 defaultRouteTableId=table["RouteTableId"])
    for declared in of(p.plan, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [p.live(declared["inputs"]["vpcId"])]},
                                                      {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
        # The provider strips AWS's default rules and applies the declared ones (none).
        if group["IpPermissions"]:
            ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
        if group["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])
        ec2.create_tags(Resources=[group["GroupId"]], Tags=tag_list(declared["inputs"].get("tags")))
    for declared in of(p.plan, "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"):
        acl_id = p.live(declared["inputs"]["defaultNetworkAclId"])
        acl = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]
        for entry in acl["Entries"]:
            if entry["RuleNumber"] != 32767:
                ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=entry["RuleNumber"], Egress=entry["Egress"])
        ec2.create_tags(Resources=[acl_id], Tags=tag_list(declared["inputs"].get("tags")))
    for declared in of(p.plan, "aws:ec2/defaultRouteTable:DefaultRouteTable"):
        ec2.create_tags(Resources=[p.live(declared["inputs"]["defaultRouteTableId"])], Tags=tag_list(declared["inputs"].get("tags")))
    for subnet in of(p.plan, "aws:ec2/subnet:Subnet"):
        i = subnet["inputs"]
        zone = {"AvailabilityZoneId": i["availabilityZoneId"]} if i.get("availabilityZoneId") else {}
        created = ec2.create_subnet(VpcId=p.live(i["vpcId"]), CidrBlock=i["cidrBlock"], **zone,
                                    TagSpecifications=[{"ResourceType": "subnet", "Tags": tag_list(i.get("tags"))}])["Subnet"]
        p.assign(subnet, id=created["SubnetId"], arn=created.get("SubnetArn", ""))
        if created.get("MapPublicIpOnLaunch") != bool(i.get("mapPublicIpOnLaunch")):  # as the provider applies it
            ec2.modify_subnet_attribute(SubnetId=created["SubnetId"], MapPublicIpOnLaunch={"Value": bool(i.get("mapPublicIpOnLaunch"))})
    prefix_lists = {pl: p.ids[f"prefix-list:{service}"] for service in ("s3", "dynamodb")
                    for r in of(p.plan, "aws:ec2/vpcEndpoint:VpcEndpoint")
                    if (pl := (r.get("outputs") or {}).get("prefixListId")) and r["inputs"]["serviceName"].endswith("." + service)}
    for standin, live in prefix_lists.items():
        p.ids[standin] = live
    groups = of(p.plan, "aws:ec2/securityGroup:SecurityGroup")
    for group in groups:
        i = group["inputs"]
        created = ec2.create_security_group(
            GroupName=i.get("name") or i["tags"]["Name"], Description=i["description"], VpcId=p.live(i["vpcId"]),
            TagSpecifications=[{"ResourceType": "security-group", "Tags": tag_list(i.get("tags"))}])
        p.assign(group, id=created["GroupId"], arn=f"arn:aws:ec2:eu-central-2:{p.account}:security-group/{created['GroupId']}")
        ec2.revoke_security_group_egress(GroupId=created["GroupId"], IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    hsm_clusters(p)
    for group in groups:
        i = group["inputs"]
        for direction, call in (("ingress", ec2.authorize_security_group_ingress), ("egress", ec2.authorize_security_group_egress)):
            permissions = [permission(p, rule, prefix_lists) for rule in i.get(direction) or []]
            if permissions:
                call(GroupId=p.live(group["outputs"]["id"]), IpPermissions=permissions)
    for rule in of(p.plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        i = rule["inputs"]
        described = {"Description": i["description"]} if i.get("description") else {}
        pair = {"UserIdGroupPairs": [{"GroupId": p.live(i["referencedSecurityGroupId"]), **described}]} \
            if i.get("referencedSecurityGroupId") else {}
        cidr = {"IpRanges": [{"CidrIp": i["cidrIpv4"], **described}]} if i.get("cidrIpv4") else {}
        ec2.authorize_security_group_ingress(GroupId=p.live(i["securityGroupId"]), IpPermissions=[{
            "IpProtocol": i["ipProtocol"], "FromPort": i.get("fromPort", 0), "ToPort": i.get("toPort", 0), **pair, **cidr}])
    for acl in of(p.plan, "aws:ec2/networkAcl:NetworkAcl"):
        i = acl["inputs"]
        acl_id = ec2.create_network_acl(VpcId=p.live(i["vpcId"]), TagSpecifications=[
            {"ResourceType": "network-acl", "Tags": tag_list(i.get("tags"))}])["NetworkAcl"]["NetworkAclId"]
        p.assign(acl, id=acl_id)
        for direction in ("ingress", "egress"):
            for rule in p.nacl_entries(i.get(direction) or []):
                ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=rule["ruleNo"],
                                             Protocol=PROTOCOL_NUMBERS.get(str(rule["protocol"]), str(rule["protocol"])),
                                             RuleAction=rule["action"], Egress=direction == "egress", CidrBlock=rule["cidrBlock"],
                                             PortRange={"From": rule.get("fromPort", 0), "To": rule.get("toPort", 0)})
        for subnet in p.live(i.get("subnetIds") or []):
            current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"]
            association = next(a["NetworkAclAssociationId"] for a in current[0]["Associations"] if a["SubnetId"] == subnet)
            ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl_id)
    for table in of(p.plan, "aws:ec2/routeTable:RouteTable"):
        i = table["inputs"]
        created = ec2.create_route_table(VpcId=p.live(i["vpcId"]), TagSpecifications=[
            {"ResourceType": "route-table", "Tags": tag_list(i.get("tags"))}])["RouteTable"]
        p.assign(table, id=created["RouteTableId"])
    for association in of(p.plan, "aws:ec2/routeTableAssociation:RouteTableAssociation"):
        i = association["inputs"]
        created = ec2.associate_route_table(RouteTableId=p.live(i["routeTableId"]), SubnetId=p.live(i["subnetId"]))
        p.assign(association, id=created["AssociationId"])
    for endpoint in of(p.plan, "aws:ec2/vpcEndpoint:VpcEndpoint"):
        i = endpoint["inputs"]
        kind = i.get("vpcEndpointType", "Gateway")
        extra: dict[str, Any] = {}
        if kind == "Interface":
            extra = {"SubnetIds": p.live(i.get("subnetIds") or []), "SecurityGroupIds": p.live(i.get("securityGroupIds") or []),
                     "PrivateDnsEnabled": bool(i.get("privateDnsEnabled"))}
        else:
            extra = {"RouteTableIds": p.live(i.get("routeTableIds") or [])}
        created = ec2.create_vpc_endpoint(VpcId=p.live(i["vpcId"]), ServiceName=i["serviceName"], VpcEndpointType=kind,
                                          TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": tag_list(i.get("tags"))}],
                                          **extra)["VpcEndpoint"]
        p.assign(endpoint, id=created["VpcEndpointId"])
    for log in of(p.plan, "aws:ec2/flowLog:FlowLog"):
        i = log["inputs"]
        created = ec2.create_flow_logs(ResourceIds=[p.live(i["vpcId"])], ResourceType="VPC", TrafficType=i["trafficType"],
                                       LogDestinationType=i["logDestinationType"], LogDestination=p.live(i["logDestination"]),
                                       DeliverLogsPermissionArn=p.live(i["iamRoleArn"]),
                                       MaxAggregationInterval=i.get("maxAggregationInterval", 600))
        p.assign(log, id=created["FlowLogIds"][0])
    for template in of(p.plan, "aws:ec2/launchTemplate:LaunchTemplate"):
        created = p.c["ec2"].create_launch_template(LaunchTemplateName=template["inputs"]["name"],
                                                    VersionDescription=template["inputs"].get("description", ""),
                                                    LaunchTemplateData=launch_template_data(p, template["inputs"]))
        p.assign(template, id=created["LaunchTemplate"]["LaunchTemplateId"])
        if template["inputs"].get("tags"):  # moto copies create-time tag specifications into the template data
            ec2.create_tags(Resources=[created["LaunchTemplate"]["LaunchTemplateId"]], Tags=tag_list(template["inputs"]["tags"]))
    for instance in of(p.plan, "aws:ec2/instance:Instance"):
        launch(p, instance)


def launch_template_data(p: Provisioner, i: dict[str, Any]) -> dict[str, Any]:
    """A launch template's data in EC2's shape (the provider's mapping of the declared inputs)."""
    def ebs(e: dict[str, Any]) -> dict[str, Any]:
        out = {"DeleteOnTermination": str(e.get("deleteOnTermination")) == "true", "Encrypted": str(e.get("encrypted")) == "true",
               "VolumeSize": e.get("volumeSize"), "VolumeType": e.get("volumeType")}
        if e.get("kmsKeyId"):
            out["KmsKeyId"] = p.live(e["kmsKeyId"])
        return out

    options = i.get("metadataOptions") or {}
    data: dict[str, Any] = {
        "ImageId": i.get("imageId"), "InstanceType": i.get("instanceType"), "EbsOptimized": str(i.get("ebsOptimized")) == "true",
        "IamInstanceProfile": {"Arn": p.live((i.get("iamInstanceProfile") or {}).get("arn"))},
        "MetadataOptions": {"HttpEndpoint": options.get("httpEndpoint"), "HttpTokens": options.get("httpTokens"),
                            "HttpPutResponseHopLimit": options.get("httpPutResponseHopLimit"),
                            "InstanceMetadataTags": options.get("instanceMetadataTags")},
        "Monitoring": {"Enabled": bool((i.get("monitoring") or {}).get("enabled"))},
        "BlockDeviceMappings": [{"DeviceName": m["deviceName"], "Ebs": ebs(m.get("ebs") or {})} for m in i.get("blockDeviceMappings") or []],
        "TagSpecifications": [{"ResourceType": s["resourceType"], "Tags": tag_list(s.get("tags"))} for s in i.get("tagSpecifications") or []],
        "SecurityGroupIds": p.live(i.get("vpcSecurityGroupIds") or []),
    }
    if i.get("userData"):
        data["UserData"] = i["userData"]
    if i.get("instanceInitiatedShutdownBehavior"):  # the analysis cells' (issue 28): terminated on shutdown
        data["InstanceInitiatedShutdownBehavior"] = i["instanceInitiatedShutdownBehavior"]
    return data


def launch(p: Provisioner, instance: dict[str, Any], http_tokens: str | None = None,
           user_data: str | None = None) -> str:
    """One instance as the plan declares it (a test may override the tokens or the user data)."""
    i = instance["inputs"]
    options = i.get("metadataOptions") or {}
    root = i.get("rootBlockDevice") or {}
    template = {"LaunchTemplate": {"LaunchTemplateId": p.live(i["launchTemplate"]["id"]),
                                   "Version": str(i["launchTemplate"].get("version", "$Default"))}} if i.get("launchTemplate") else {}
    data = user_data if user_data is not None else (user_data_text(i["userDataBase64"]) if i.get("userDataBase64") else "")
    created = p.c["ec2"].run_instances(
        ImageId=i.get("ami"), InstanceType=i.get("instanceType", "t3.micro"), MinCount=1, MaxCount=1,
        SubnetId=p.live(i["subnetId"]), IamInstanceProfile={"Name": i["iamInstanceProfile"]},
        SecurityGroupIds=p.live(i.get("vpcSecurityGroupIds") or []), UserData=data,
        EbsOptimized=bool(i.get("ebsOptimized")), Monitoring={"Enabled": bool(i.get("monitoring"))},
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {
            "DeleteOnTermination": bool(root.get("deleteOnTermination")), "Encrypted": bool(root.get("encrypted")),
            "VolumeSize": root.get("volumeSize", 8), "VolumeType": root.get("volumeType", "gp3"),
            **({"KmsKeyId": p.live(root["kmsKeyId"])} if root.get("kmsKeyId") else {})}}],
        MetadataOptions={"HttpTokens": http_tokens or options.get("httpTokens", "optional"),
                         "HttpEndpoint": options.get("httpEndpoint", "enabled"),
                         "HttpPutResponseHopLimit": options.get("httpPutResponseHopLimit", 1),
                         "InstanceMetadataTags": options.get("instanceMetadataTags", "disabled")},
        TagSpecifications=[{"ResourceType": "instance", "Tags": tag_list(i.get("tags"))}], **template,
    )["Instances"][0]
    p.assign(instance, id=created["InstanceId"])
    return created["InstanceId"]


def moto_cluster(cluster_id: str) -> Any:
    """moto's model of a cluster (the server runs in this process), whichever account holds it."""
    from moto.cloudhsmv2.models import cloudhsmv2_backends

    for account in list(cloudhsmv2_backends):
        for region in ("eu-central-2",):
            clusters = cloudhsmv2_backends[account][region].clusters
            if cluster_id in clusters:
                return clusters[cluster_id]
    raise KeyError(cluster_id)


def hsm_clusters(p: Provisioner) -> None:
    """The CloudHSM cluster and the security group CloudHSM creates for it (moto's cluster has none:
    the group is made here under CloudHSM's naming). HSMs cannot be created in moto."""
    for cluster in of(p.plan, "aws:cloudhsmv2/cluster:Cluster"):
        i = cluster["inputs"]
        created = p.c["cloudhsmv2"].create_cluster(HsmType=i["hsmType"], SubnetIds=p.live(i["subnetIds"]), Mode=i.get("mode", "FIPS"),
                                                   TagList=tag_list(i.get("tags")))["Cluster"]
        subnets = p.c["ec2"].describe_subnets(SubnetIds=p.live(i["subnetIds"]))["Subnets"]
        subnet = subnets[0]
        # moto maps the region to one subnet ("XXX" in its source); CloudHSM maps each AZ to its subnet
        model = moto_cluster(created["ClusterId"])
        model.subnet_mapping = {s["AvailabilityZone"]: s["SubnetId"] for s in subnets}
        model.vpc_id = subnet["VpcId"]
        group = p.c["ec2"].create_security_group(GroupName=f"cloudhsm-{created['ClusterId']}-sg",
                                                 Description=f"Security group for CloudHSM cluster {created['ClusterId']}",
                                                 VpcId=subnet["VpcId"])["GroupId"]
        p.assign(cluster, id=created["ClusterId"], clusterId=created["ClusterId"], securityGroupId=group)
        p.hsm_groups[created["ClusterId"]] = group
