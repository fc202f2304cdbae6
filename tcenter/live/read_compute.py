"""Reading the hosts: instances (with their user data, root volumes and the launch template they
came from), launch templates (their default version), and the account's EC2 defaults (EBS
encryption by default and its key, instance metadata defaults)."""

from __future__ import annotations


from .identity import ACCOUNT, key_of
from .read import Live, Reader, Unread, tags_of

GROUP_INSTANCES = "instances an Auto Scaling group launches (tag aws:autoscaling:groupName)"


def read_instances(reader: Reader, live: Live) -> None:
    reservations = reader.call("ec2", "describe_instances", "Reservations")
    live.read_types.add("aws:ec2/instance:Instance")
    instances = [i for r in reservations for i in r.get("Instances", [])
                 if i.get("State", {}).get("Name") not in ("terminated", "shutting-down")]
    volumes = {v["VolumeId"]: v for v in reader.call("ec2", "describe_volumes", "Volumes")} if instances else {}
    for instance in instances:
        all_tags = {t["Key"]: t["Value"] for t in instance.get("Tags") or []}
        if "aws:autoscaling:groupName" in all_tags:  # the group and its launch template are compared
            live.put("aws:ec2/instance:Instance", None, {"tags": tags_of(instance.get("Tags"))}, {"id": instance["InstanceId"]},
                     vpc=instance.get("VpcId"), exempt=GROUP_INSTANCES,
                     label=f"instance {instance['InstanceId']} of Auto Scaling group {all_tags['aws:autoscaling:groupName']}")
            continue
        options = instance.get("MetadataOptions") or {}
        profile = (instance.get("IamInstanceProfile") or {}).get("Arn", "")
        root = next((m for m in instance.get("BlockDeviceMappings") or [] if m.get("DeviceName") == instance.get("RootDeviceName")),
                    (instance.get("BlockDeviceMappings") or [None])[0])
        volume = volumes.get(((root or {}).get("Ebs") or {}).get("VolumeId", ""), {})
        user_data = reader.call("ec2", "describe_instance_attribute", InstanceId=instance["InstanceId"], Attribute="userData")
        template = {"id": all_tags["aws:ec2launchtemplate:id"], "version": all_tags.get("aws:ec2launchtemplate:version")} \
            if "aws:ec2launchtemplate:id" in all_tags else None
        inputs = {
            "tags": tags_of(instance.get("Tags")), "ami": instance.get("ImageId"), "instanceType": instance.get("InstanceType"),
            "subnetId": instance.get("SubnetId"),
            "vpcSecurityGroupIds": sorted(g["GroupId"] for g in instance.get("SecurityGroups") or []),
            "iamInstanceProfile": profile.rsplit("/", 1)[-1] if profile else None,
            "metadataOptions": {"httpEndpoint": options.get("HttpEndpoint", "enabled"),
                                "httpTokens": options.get("HttpTokens", "optional"),
                                "httpPutResponseHopLimit": options.get("HttpPutResponseHopLimit", 1),
                                "instanceMetadataTags": options.get("InstanceMetadataTags", "disabled")},
            "associatePublicIpAddress": bool(instance.get("PublicIpAddress")),
            "userDataBase64": (user_data.get("UserData") or {}).get("Value"),
            "monitoring": (instance.get("Monitoring") or {}).get("State") in ("enabled", "pending"),
            "ebsOptimized": bool(instance.get("EbsOptimized")),
            "rootBlockDevice": {"deleteOnTermination": bool(((root or {}).get("Ebs") or {}).get("DeleteOnTermination")),
                                "encrypted": bool(volume.get("Encrypted")), "kmsKeyId": volume.get("KmsKeyId"),
                                "volumeSize": volume.get("Size"), "volumeType": volume.get("VolumeType")},
            "launchTemplate": template,
        }
        name = inputs["tags"].get("Name") or instance["InstanceId"]
        public = f", public IP {instance['PublicIpAddress']}" if instance.get("PublicIpAddress") else ""
        live.put("aws:ec2/instance:Instance", key_of("aws:ec2/instance:Instance", inputs), inputs,
                 {"id": instance["InstanceId"]}, vpc=instance.get("VpcId"),
                 label=f"instance {instance['InstanceId']} ({name}{public})")


def read_launch_templates(reader: Reader, live: Live) -> None:
    templates = reader.call("ec2", "describe_launch_templates", "LaunchTemplates")
    live.read_types.add("aws:ec2/launchTemplate:LaunchTemplate")
    for template in templates:
        versions = reader.call("ec2", "describe_launch_template_versions", "LaunchTemplateVersions",
                               LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Default"])
        version = versions[0] if versions else {}
        data = version.get("LaunchTemplateData") or {}
        options = data.get("MetadataOptions") or {}
        inputs = {
            "name": template["LaunchTemplateName"], "tags": tags_of(template.get("Tags")),
            "description": version.get("VersionDescription", ""), "imageId": data.get("ImageId"),
            "instanceType": data.get("InstanceType"),
            "iamInstanceProfile": {k[0].lower() + k[1:]: v for k, v in (data.get("IamInstanceProfile") or {}).items()},
            "metadataOptions": {"httpEndpoint": options.get("HttpEndpoint"), "httpTokens": options.get("HttpTokens"),
                                "httpPutResponseHopLimit": options.get("HttpPutResponseHopLimit"),
                                "instanceMetadataTags": options.get("InstanceMetadataTags")},
            "userData": data.get("UserData"), "vpcSecurityGroupIds": sorted(data.get("SecurityGroupIds") or []),
            "blockDeviceMappings": [{"deviceName": m.get("DeviceName"), "ebs": {
                "deleteOnTermination": (m.get("Ebs") or {}).get("DeleteOnTermination"), "encrypted": (m.get("Ebs") or {}).get("Encrypted"),
                "kmsKeyId": (m.get("Ebs") or {}).get("KmsKeyId"), "volumeSize": (m.get("Ebs") or {}).get("VolumeSize"),
                "volumeType": (m.get("Ebs") or {}).get("VolumeType")}} for m in data.get("BlockDeviceMappings") or []],
            "ebsOptimized": data.get("EbsOptimized"), "monitoring": {"enabled": bool((data.get("Monitoring") or {}).get("Enabled"))},
            "tagSpecifications": [{"resourceType": s.get("ResourceType"), "tags": tags_of(s.get("Tags"))}
                                  for s in data.get("TagSpecifications") or []],
            **({"instanceInitiatedShutdownBehavior": data["InstanceInitiatedShutdownBehavior"]}
               if data.get("InstanceInitiatedShutdownBehavior") else {}),
        }
        live.put("aws:ec2/launchTemplate:LaunchTemplate", key_of("aws:ec2/launchTemplate:LaunchTemplate", inputs), inputs,
                 {"id": template["LaunchTemplateId"], "latestVersion": template.get("LatestVersionNumber")},
                 label=f"launch template {template['LaunchTemplateId']} ({template['LaunchTemplateName']})")


def read_ec2_defaults(reader: Reader, live: Live) -> None:
    """The account's (region's) EC2 defaults: EBS encryption and its key, instance metadata."""
    enabled = reader.call("ec2", "get_ebs_encryption_by_default")
    live.read_types.add("aws:ebs/encryptionByDefault:EncryptionByDefault")
    live.put("aws:ebs/encryptionByDefault:EncryptionByDefault", ACCOUNT, {"enabled": bool(enabled.get("EbsEncryptionByDefault"))})
    try:
        key = reader.call("ec2", "get_ebs_default_kms_key_id")
        live.read_types.add("aws:ebs/defaultKmsKey:DefaultKmsKey")
        live.put("aws:ebs/defaultKmsKey:DefaultKmsKey", ACCOUNT, {"keyArn": key.get("KmsKeyId")})
    except Unread:
        pass
    try:
        defaults = reader.call("ec2", "get_instance_metadata_defaults").get("AccountLevel") or {}
        live.read_types.add("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults")
        live.put("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults", ACCOUNT, {
            "httpEndpoint": defaults.get("HttpEndpoint", "no-preference"), "httpTokens": defaults.get("HttpTokens", "no-preference"),
            "httpPutResponseHopLimit": defaults.get("HttpPutResponseHopLimit", -1),
            "instanceMetadataTags": defaults.get("InstanceMetadataTags", "no-preference")})
    except Unread:
        pass


def read_compute(reader: Reader, live: Live) -> None:
    read_ec2_defaults(reader, live)
    read_launch_templates(reader, live)
    read_instances(reader, live)


