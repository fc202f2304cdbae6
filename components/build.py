"""BuildFleet: the software assembly line in the build zone.

One build-zone key (EBS volumes and both buckets), a source mirror and an artifact
bucket, one security group for all builders, and per pool (products, AV databases) an
`builders` hardened hosts spread over the availability zones, so that two independent
builders' outputs can be compared before anything is signed.

Every builder is its own identity: its own IAM role and instance profile, and its own
write prefix `<pool>/<builder>/` of the artifact bucket, enforced twice (its role may
write only there; the bucket policy denies everyone else there). A compromised builder
can therefore not forge a second "independent" output. Builders read the source mirror. Other zones get access by intent: `grant_read_sources(role)`,
`grant_read_artifacts(role, pool)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from . import awsfacts, hosts, policies
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


def builder_names(pool: BuildPoolConfig) -> list[str]:
    """The pool's builder identities, `<pool>-<n>`: stable names the signer records."""
    return [f"{pool.name}-{index}" for index in range(1, pool.builders + 1)]


def builder_role_name(stack: str, builder: str) -> str:
    return account_name(stack, "build", builder)


def artifact_prefix(pool: str, builder: str | None = None) -> str:
    """A pool's outputs (signers read these); one builder writes under `<pool>/<builder>/` only."""
    return f"{pool}/{builder}/" if builder else f"{pool}/"


def only_builder_writes_its_prefix(bucket_arn: str, pool: str, builder: str, builder_arn: str) -> dict:
    """Bucket-side half of the split: nobody but this builder's role puts objects in its prefix."""
    return policies.statement(
        "OnlyOwnerWrites" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", builder)),
        ["s3:PutObject"], [policies.objects_under(bucket_arn, artifact_prefix(pool, builder))], effect="Deny",
        principals={"AWS": "*"},
        conditions={"StringNotEquals": {"aws:PrincipalArn": [builder_arn]}},
    )


@dataclass(frozen=True)
class BuildFleetArgs:
    stack: str
    account_id: str
    key_administrators: tuple[str, ...]
    config: BuildConfig
    network: NetworkZones
    access_log_bucket: SecureBucket
    teardown: Teardown
    deployer: str = ""
    """The deploying role: in destroyable stacks it empties the buckets on `pulumi destroy`."""
    source_mirror_writer: str | None = None
    """build.sourceMirrorWriter: the only principal that puts source archives into the mirror."""
    configurers: tuple[str, ...] = ()
    """The deploy and break-glass roles: alone change the buckets' policies and configuration."""
    remote_source_readers: tuple[str, ...] = ()
    remote_artifact_readers: tuple[str, ...] = ()
    """Reviewer roles of organizations without workstations (scopes sources, builds): they read
    from their own account, outside the center's endpoints."""


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
        """One role per builder identity (`<pool>-<n>`), never shared."""
        self.builder_pool: dict[str, str] = {}
        for pool in config.pools:
            for builder in builder_names(pool):
                self.builder_pool[builder] = pool.name
                self.roles[builder] = instance_role(
                    resource_name(name, builder, "role"),
                    role_name=builder_role_name(stack, builder),
                    description=(f"Builder {builder} of pool {pool.name} ({pool.purpose}): read sources, "
                                 f"write {artifact_prefix(pool.name, builder)} artifacts only"),
                    account_id=account,
                    opts=child,
                )

        endpoint_ids = [network.s3_endpoint.id]
        emptier = (args.deployer,) if args.deployer and args.teardown.force_destroy("stateful") else ()
        mirror_writers = (args.source_mirror_writer,) if args.source_mirror_writer else ()
        artifacts_name = bucket_name(account, stack, "build-artifacts")
        artifacts_arn = awsfacts.bucket_arn(artifacts_name)
        self.source_mirror = SecureBucket(
            resource_name(name, "sources"),
            SecureBucketArgs(
                bucket_name=bucket_name(account, stack, "build-sources"),
                key=self.key,
                teardown=args.teardown,
                access_log_bucket=args.access_log_bucket,
                vpc_endpoint_ids=endpoint_ids,
                # Only the mirror's writer puts archives, from outside (the vendor's repository
                # sync); nobody deletes or overwrites them (every write is a data event).
                named_access=policies.NamedObjectAccess(writers=mirror_writers, deleters=emptier, fence_reads=False,
                                                        configurers=args.configurers),
                remote_writers=mirror_writers,
                remote_readers=args.remote_source_readers,
                tags={"zone": ZONE, "purpose": "source-mirror"},
            ),
            opts=child,
        )
        self.artifacts = SecureBucket(
            resource_name(name, "artifacts"),
            SecureBucketArgs(
                bucket_name=artifacts_name,
                key=self.key,
                teardown=args.teardown,
                access_log_bucket=args.access_log_bucket,
                vpc_endpoint_ids=endpoint_ids,
                writer_arns=[self.roles[builder].arn for builder in sorted(self.roles)],
                extra_statements=tuple(
                    only_builder_writes_its_prefix(artifacts_arn, pool_name, builder,
                                                   awsfacts.role_arn(account, builder_role_name(stack, builder)))
                    for builder, pool_name in sorted(self.builder_pool.items())),
                named_access=policies.NamedObjectAccess(deleters=emptier, fence_reads=False,
                                                        writers=tuple(self.roles[b].arn for b in sorted(self.roles)),
                                                        configurers=args.configurers),
                remote_readers=args.remote_artifact_readers,
                # Declared once the builders exist: each builder's prefix takes writes only from
                # its own instance's credentials (`_bind_builders_to_their_instances`).
                policy_declared_later=True,
                lifecycle=Lifecycle(noncurrent_version_expiration_days=config.artifact_noncurrent_days),
                tags={"zone": ZONE, "purpose": "build-artifacts"},
            ),
            opts=child,
        )
        for builder, role in sorted(self.roles.items()):
            self.source_mirror.grant_read(role)
            self.artifacts.grant_write(role, artifact_prefix(self.builder_pool[builder], builder))

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
        """One host per builder identity, so each runs with its own instance profile."""
        self.builder_azs: dict[str, list[str]] = {}
        for pool in config.pools:
            azs = spread(pool.builders, plan.az_ids)
            self.builder_azs[pool.name] = azs
            for builder, az in zip(builder_names(pool), azs):
                self.builders[builder] = HardenedHost(
                    resource_name(name, builder),
                    HardenedHostArgs(
                        ami_id=config.ami_id,
                        instance_type=pool.instance_type,
                        subnet_ids=[subnet_by_az[az]],
                        security_group_ids=[self.security_group.id],
                        role=self.roles[builder],
                        volume_key=self.key,
                        user_data=network.s3_endpoint.cidr_blocks.apply(
                            lambda cidrs, pool=pool, builder=builder:
                                self.render(stack, pool, builder, network, cidrs or []).user_data),
                        root_volume_gib=pool.root_volume_gib,
                        template_name=account_name(stack, "build", builder),
                        description=f"Builder {builder} of pool {pool.name} ({pool.purpose})",
                        tags={"zone": ZONE, "pool": pool.name, "builder": builder, "purpose": pool.purpose},
                    ),
                    opts=child,
                )

        self._bind_builders_to_their_instances(artifacts_arn)
        self.instance_ids = {
            pool.name: [host.instance_ids[0] for builder, host in sorted(self.builders.items()) if self.builder_pool[builder] == pool.name]
            for pool in config.pools}
        self.register_outputs({
            "keyArn": self.key.arn,
            "sourceMirrorBucket": self.source_mirror.bucket_name,
            "artifactsBucket": self.artifacts.bucket_name,
            "securityGroupId": self.security_group.id,
            "builderInstanceIds": self.instance_ids,
            "builderRoleArns": {builder: role.arn for builder, role in sorted(self.roles.items())},
        })

    def _bind_builders_to_their_instances(self, artifacts_arn: str) -> None:
        """Two instances launched by hand with two builder profiles would agree on anything: a
        builder's prefix takes writes only from the credentials of the instance the plan declares
        for it (aws:userid `<role unique id>:<instance id>`)."""
        statements = []
        for builder, pool in sorted(self.builder_pool.items()):
            role = self.roles[builder]
            (instance_id,) = self.builders[builder].instance_ids
            statements.append(policies.writes_only_from_own_instance(
                "OnlyOwnInstanceWrites" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", builder)),
                policies.objects_under(artifacts_arn, artifact_prefix(pool, builder)), role.arn, role.role.unique_id,
                instance_id))
        self.artifacts.declare_policy(statements)

    def render(self, stack: str, pool: BuildPoolConfig, builder: str, network: NetworkZones, s3_cidrs: list[str]) -> hosts.RenderedHost:
        """One builder's provisioning, from the validated config and the network plan."""
        return hosts.render_host(hosts.build_profile(build_host_values(
            stack, self.config, pool, network.zone_cidrs, str(network.plan.supernet), s3_cidrs,
            self.source_mirror.bucket_name, self.artifacts.bucket_name, builder)))

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
        pools = sorted(set(self.builder_pool.values()))
        if pool is not None and pool not in pools:
            raise ValueError(f"no build pool {pool!r}; pools: {pools}")
        return self.artifacts.grant_read(role, artifact_prefix(pool) if pool else "")

    def pools_for(self, purpose: str) -> list[str]:
        """The pools building `purpose` (products, av-databases)."""
        return [pool.name for pool in self.config.pools if pool.purpose == purpose]

    def builders_of(self, pool: str) -> list[str]:
        """The builder identities of `pool`; the signer accepts only these."""
        return sorted(builder for builder, owner in self.builder_pool.items() if owner == pool)


def build_host_values(
    stack: str,
    config: BuildConfig,
    pool: BuildPoolConfig,
    zone_cidrs: dict[str, str],
    vpc_cidr: str,
    s3_cidrs: list[str],
    source_mirror_bucket: str,
    artifacts_bucket: str,
    builder: str | None = None,
) -> hosts.BuildHostValues:
    """Everything a builder's templates need; plain values, also used by tests/hosts."""
    return hosts.BuildHostValues(
        stack=stack,
        pool=pool.name,
        builder=builder or builder_names(pool)[0],
        purpose=pool.purpose,
        region=REGION,
        source_mirror_bucket=source_mirror_bucket,
        artifacts_bucket=artifacts_bucket,
        source_date_epoch=config.source_date_epoch,
        toolchain=dict(config.toolchain),
        build_user=config.build_user,
        network=hosts.HostNetwork(vpc_cidr=vpc_cidr, endpoints_cidr=zone_cidrs["endpoints"], s3_cidrs=tuple(sorted(s3_cidrs))),
    )
