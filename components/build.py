"""BuildFleet: the software assembly line in the build zone.

One build-zone key (EBS volumes and both buckets), a source mirror and an artifact
bucket, one security group for all builders, and per pool (products, AV databases) an
instance role and `builders` hardened hosts spread over the availability zones, so that
two independent builders' outputs can be compared before anything is signed.

Builders read the source mirror and write only under their own pool's prefix of the
artifact bucket. Other zones get access by intent: `grant_read_sources(role)`,
`grant_read_artifacts(role, pool)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from . import hosts, policies
from .config.base import REGION
from .config.build import BuildConfig, BuildPoolConfig
from .iam import Role, instance_role
from .instances import HardenedHost, HardenedHostArgs
from .kms import EncryptionKey, EncryptionKeyArgs
from .layout import HTTPS, account_name, bucket_name, resource_name, spread
from .network import NetworkZones
from .storage import Lifecycle, SecureBucket, SecureBucketArgs
from .teardown import Teardown

ZONE = "build"


def builder_role_name(stack: str, pool: str) -> str:
    return account_name(stack, "build", pool)


def artifact_prefix(pool: str) -> str:
    """A pool's builders write here and nowhere else in the artifact bucket."""
    return f"{pool}/"


@dataclass(frozen=True)
class BuildFleetArgs:
    stack: str
    account_id: str
    key_administrators: tuple[str, ...]
    config: BuildConfig
    network: NetworkZones
    access_log_bucket: SecureBucket
    teardown: Teardown


class BuildFleet(pulumi.ComponentResource):
    def __init__(self, name: str, args: BuildFleetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:build:BuildFleet", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stack, account, network, config = args.stack, args.account_id, args.network, args.config
        plan = network.plan
        self.config = config

        self.key = EncryptionKey(
            resource_name(name, "key"),
            EncryptionKeyArgs(
                description=f"transparency-center {stack}: build zone (builder volumes, source mirror, artifacts)",
                alias=f"tc/{stack}/build",
                account_id=account,
                administrators=args.key_administrators,
                via_services=("ec2", "s3"),
                teardown=args.teardown,
            ),
            opts=child,
        )

        self.roles: dict[str, Role] = {}
        for pool in config.pools:
            self.roles[pool.name] = instance_role(
                resource_name(name, pool.name, "role"),
                role_name=builder_role_name(stack, pool.name),
                description=f"Builders of pool {pool.name} ({pool.purpose}): read sources, write {artifact_prefix(pool.name)} artifacts",
                account_id=account,
                opts=child,
            )

        endpoint_ids = [network.s3_endpoint.id]
        self.source_mirror = SecureBucket(
            resource_name(name, "sources"),
            SecureBucketArgs(
                bucket_name=bucket_name(account, stack, "build-sources"),
                key=self.key,
                teardown=args.teardown,
                access_log_bucket=args.access_log_bucket,
                vpc_endpoint_ids=endpoint_ids,
                tags={"zone": ZONE, "purpose": "source-mirror"},
            ),
            opts=child,
        )
        self.artifacts = SecureBucket(
            resource_name(name, "artifacts"),
            SecureBucketArgs(
                bucket_name=bucket_name(account, stack, "build-artifacts"),
                key=self.key,
                teardown=args.teardown,
                access_log_bucket=args.access_log_bucket,
                vpc_endpoint_ids=endpoint_ids,
                writer_arns=[self.roles[pool].arn for pool in sorted(self.roles)],
                lifecycle=Lifecycle(noncurrent_version_expiration_days=config.artifact_noncurrent_days),
                tags={"zone": ZONE, "purpose": "build-artifacts"},
            ),
            opts=child,
        )
        for pool_name, role in sorted(self.roles.items()):
            self.source_mirror.grant_read(role)
            self.artifacts.grant_write(role, artifact_prefix(pool_name))

        endpoints_cidr = network.zone_cidrs["endpoints"]
        self.security_group = aws.ec2.SecurityGroup(
            resource_name(name, "builders-sg"),
            vpc_id=network.vpc_id,
            description="Builders: no ingress; HTTPS to the interface endpoints and S3 only",
            ingress=[],
            egress=[
                {"description": "HTTPS to the interface endpoints", "protocol": "tcp",
                 "from_port": HTTPS, "to_port": HTTPS, "cidr_blocks": [endpoints_cidr]},
                {"description": "HTTPS to S3 through the gateway endpoint", "protocol": "tcp",
                 "from_port": HTTPS, "to_port": HTTPS, "prefix_list_ids": [network.s3_endpoint.prefix_list_id]},
            ],
            tags={"Name": f"{name}-builders", "zone": ZONE},
            opts=child,
        )

        subnet_by_az = dict(zip((subnet.az_id for subnet in plan.zone(ZONE).subnets), network.subnet_ids[ZONE]))
        self.builders: dict[str, HardenedHost] = {}
        self.builder_azs: dict[str, list[str]] = {}
        for pool in config.pools:
            azs = spread(pool.builders, plan.az_ids)
            self.builder_azs[pool.name] = azs
            self.builders[pool.name] = HardenedHost(
                resource_name(name, pool.name),
                HardenedHostArgs(
                    ami_id=config.ami_id,
                    instance_type=pool.instance_type,
                    subnet_ids=[subnet_by_az[az] for az in azs],
                    security_group_ids=[self.security_group.id],
                    role=self.roles[pool.name],
                    volume_key=self.key,
                    user_data=network.s3_endpoint.cidr_blocks.apply(
                        lambda cidrs, pool=pool: self.render(stack, pool, network, cidrs or []).user_data),
                    root_volume_gib=pool.root_volume_gib,
                    template_name=account_name(stack, "build", pool.name),
                    description=f"Builder of pool {pool.name} ({pool.purpose})",
                    tags={"zone": ZONE, "pool": pool.name, "purpose": pool.purpose},
                ),
                opts=child,
            )

        self.instance_ids = {pool: host.instance_ids for pool, host in sorted(self.builders.items())}
        self.register_outputs({
            "keyArn": self.key.arn,
            "sourceMirrorBucket": self.source_mirror.bucket_name,
            "artifactsBucket": self.artifacts.bucket_name,
            "securityGroupId": self.security_group.id,
            "builderInstanceIds": self.instance_ids,
            "builderRoleArns": {pool: role.arn for pool, role in sorted(self.roles.items())},
        })

    def render(self, stack: str, pool: BuildPoolConfig, network: NetworkZones, s3_cidrs: list[str]) -> hosts.RenderedHost:
        """The pool's provisioning, from the validated config and the network plan."""
        return hosts.render_host(hosts.build_profile(build_host_values(
            stack, self.config, pool, network.zone_cidrs, str(network.plan.supernet), s3_cidrs,
            self.source_mirror.bucket_name, self.artifacts.bucket_name)))

    @property
    def artifact_bucket(self) -> SecureBucket:
        """The artifact bucket (the audit trail records its object-level events)."""
        return self.artifacts

    # --- grants by intent, for the signing and reviewer zones --------------------------------

    def grant_read_sources(self, role: Role) -> aws.iam.RolePolicy:
        """Read the source mirror (reviewers, who compare sources with builds)."""
        return self.source_mirror.grant_read(role)

    def grant_read_artifacts(self, role: Role, pool: str | None = None) -> aws.iam.RolePolicy:
        """Read build outputs: one pool's (a signer of that purpose) or all (reviewers)."""
        if pool is not None and pool not in self.roles:
            raise ValueError(f"no build pool {pool!r}; pools: {sorted(self.roles)}")
        return self.artifacts.grant_read(role, artifact_prefix(pool) if pool else "")

    def pools_for(self, purpose: str) -> list[str]:
        """The pools building `purpose` (products, av-databases)."""
        return [pool.name for pool in self.config.pools if pool.purpose == purpose]


def build_host_values(
    stack: str,
    config: BuildConfig,
    pool: BuildPoolConfig,
    zone_cidrs: dict[str, str],
    vpc_cidr: str,
    s3_cidrs: list[str],
    source_mirror_bucket: str,
    artifacts_bucket: str,
) -> hosts.BuildHostValues:
    """Everything a builder's templates need; plain values, also used by tests/hosts."""
    return hosts.BuildHostValues(
        stack=stack,
        pool=pool.name,
        purpose=pool.purpose,
        region=REGION,
        source_mirror_bucket=source_mirror_bucket,
        artifacts_bucket=artifacts_bucket,
        source_date_epoch=config.source_date_epoch,
        toolchain=dict(config.toolchain),
        build_user=config.build_user,
        network=hosts.HostNetwork(vpc_cidr=vpc_cidr, endpoints_cidr=zone_cidrs["endpoints"], s3_cidrs=tuple(sorted(s3_cidrs))),
    )
