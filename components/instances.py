"""HardenedHost: one launch template and its instances, hardened the same way for every
host role of the center (builders, signer hosts, reviewer workstations).

Every host gets: IMDSv2 only (tokens required, hop limit 1, no instance tags in IMDS), no
public IP, no key pair (access is SSM Session Manager only), an encrypted gp3 root volume
under a customer managed key, detailed monitoring, an instance profile, and the security
group the caller gives. The security-relevant settings are written on the launch template
*and* repeated on each instance, so that a check reading one resource alone (checkov, the
policy pack, a reviewer reading the plan) sees them without following references.

Usage (the caller owns the role, key, security group and user data):

    host = HardenedHost("build-products", HardenedHostArgs(
        template_name=layout.account_name(stack, "build", "products-1"),
        ami_id=config.ami_id, instance_type="c6i.xlarge",
        subnet_ids=[subnet_by_az[az] for az in layout.spread(2, az_ids)],
        security_group_ids=[sg.id], role=role, volume_key=key,
        user_data=hosts.render_user_data(...), root_volume_gib=100,
    ), opts=pulumi.ResourceOptions(parent=self))
    host.instance_ids   # one per subnet, in the order given
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import pulumi
import pulumi_aws as aws

from . import hosts
from .iam import Role
from .kms import EncryptionKey
from .layout import resource_name

METADATA_OPTIONS = {
    "http_endpoint": "enabled",
    "http_tokens": "required",  # IMDSv2 only (EC2.8)
    "http_put_response_hop_limit": 1,  # a container or forwarded hop cannot reach IMDS
    "instance_metadata_tags": "disabled",
}
"""The one IMDS setting of every host of the center."""

ROOT_DEVICE_NAME = "/dev/xvda"
"""Debian's official AMIs use /dev/xvda as the root device."""


@dataclass(frozen=True)
class HardenedHostArgs:
    template_name: str
    """The launch template's account-unique name (`layout.account_name(stack, ...)`)."""
    ami_id: str
    """A pinned AMI id (validated by the config model); never looked up as 'latest'."""
    instance_type: str
    """From the config allow-list (`config.build.BUILD_INSTANCE_TYPES`)."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """One instance per entry, in this order: pass `layout.spread(count, azs)` subnets to
    put the instances in distinct availability zones."""
    security_group_ids: Sequence[pulumi.Input[str]]
    role: Role
    """Must be created with `RoleArgs(instance_profile=True)`; its permissions are the host's."""
    volume_key: EncryptionKey
    """Customer managed key of the host's zone; must allow use via the `ec2` service."""
    user_data: pulumi.Input[str]
    """Rendered cloud-init (`components.hosts.render_host(...).user_data`), plain text; an
    Output is fine (rendered in `apply` from deploy-time values such as the S3 prefix list
    CIDRs). Never secrets: anyone with ec2:DescribeInstanceAttribute can read it."""
    root_volume_gib: int = 40
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)


class HardenedHost(pulumi.ComponentResource):
    """A launch template and `len(subnet_ids)` instances launched from it."""

    def __init__(self, name: str, args: HardenedHostArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:instances:HardenedHost", name, None, opts)
        if args.role.instance_profile is None:
            raise ValueError(f"{name}: the host role {args.role.role_name} needs RoleArgs(instance_profile=True)")
        if not args.subnet_ids:
            raise ValueError(f"{name}: no subnet given, so no instance would be launched")
        child = pulumi.ResourceOptions(parent=self)
        profile = args.role.instance_profile
        root_volume = {
            "volume_size": args.root_volume_gib,
            "volume_type": "gp3",
            "encrypted": True,
            "kms_key_id": args.volume_key.arn,
            "delete_on_termination": True,
        }
        user_data_b64 = pulumi.Output.from_input(args.user_data).apply(hosts.user_data_base64)

        self.launch_template = aws.ec2.LaunchTemplate(
            resource_name(name, "template"),
            name=args.template_name,
            description=args.description or f"{name}: hardened host (IMDSv2, no public IP, encrypted EBS, no key pair)",
            image_id=args.ami_id,
            instance_type=args.instance_type,
            iam_instance_profile={"arn": profile.arn},
            metadata_options=METADATA_OPTIONS,
            vpc_security_group_ids=list(args.security_group_ids),
            block_device_mappings=[{
                "device_name": ROOT_DEVICE_NAME,
                "ebs": {**root_volume, "encrypted": "true", "delete_on_termination": "true"},
            }],
            ebs_optimized="true",
            monitoring={"enabled": True},
            user_data=user_data_b64,
            update_default_version=True,
            tag_specifications=[
                {"resource_type": "instance", "tags": {"Name": name, **args.tags}},
                {"resource_type": "volume", "tags": {"Name": name, **args.tags}},
            ],
            tags={"Name": name, **args.tags},
            opts=child,
        )

        self.instances: list[aws.ec2.Instance] = []
        for index, subnet_id in enumerate(args.subnet_ids):
            instance_name = f"{name}-{index + 1}"
            self.instances.append(aws.ec2.Instance(
                resource_name(name, str(index + 1)),
                launch_template={"id": self.launch_template.id, "version": self.launch_template.latest_version.apply(str)},
                ami=args.ami_id,
                instance_type=args.instance_type,
                subnet_id=subnet_id,
                vpc_security_group_ids=list(args.security_group_ids),
                associate_public_ip_address=False,
                iam_instance_profile=profile.name,
                metadata_options=METADATA_OPTIONS,
                root_block_device=root_volume,
                ebs_optimized=True,
                monitoring=True,
                user_data_base64=user_data_b64,
                # Hosts are ephemeral: new provisioning means a new host, never an edited one.
                user_data_replace_on_change=True,
                tags={"Name": instance_name, **args.tags},
                opts=child,
            ))
        self.instance_ids: list[pulumi.Output[str]] = [instance.id for instance in self.instances]
        self.register_outputs({
            "launchTemplateId": self.launch_template.id,
            "instanceIds": self.instance_ids,
        })
