"""Distribution: the update repositories customers' products read (issue 26; docs/distribution.md).

Per signing class (products, av-databases: awsfacts.SIGNING_CLASSES) one TUF repository in its own
bucket in Zurich, written only by the publisher role from inside the center:

- `metadata/<version>.<role>.json`, `targets/<class>/<sha256>.<name>`: create-only (consistent
  snapshots: nothing is ever replaced); `metadata/timestamp.json`: the one mutable object;
- three KMS keys per class (ECC_NIST_P256, ECDSA_SHA_256, MessageType DIGEST: what
  securesystemslib's AWS KMS signer sends): the snapshot and timestamp roles, and the vendor's
  key of the class's role (products also need a reviewer organization's signature there, so this
  key alone publishes no product). Only the publisher signs, only through the center's endpoint;
- root and the top-level targets role are offline: reviewer organizations' and the vendor's own
  keys (config `distribution.root`), never in the center; the ceremony is docs/tuf-root-ceremony.md.

Readable by customers only through an optional CDN (`distribution.cdn.enabled`, off by default):
CloudFront with Origin Access Control; the account's public access block stays on and the
buckets stay private. Update files are public by design: their integrity comes from TUF.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

import pulumi
import pulumi_aws as aws

from . import hosts, policies
from .awsfacts import REGION, SIGNING_CLASSES, role_arn
from .config.distribution import DistributionConfig
from .hosts import HostFile, HostNetwork, HostProfile, HostUser
from .iam import Role, instance_role
from .instances import HardenedHost, HardenedHostArgs
from .kms import EncryptionKey, EncryptionKeyArgs
from .layout import HTTPS, NetworkPlan, account_name, bucket_name, resource_name
from .network import NetworkZones
from .storage import Lifecycle, SecureBucket, SecureBucketArgs
from .teardown import KEY_DELETION_WINDOW_DAYS, Teardown

DISTRIBUTION_TAG = "distribution"
"""What the distribution's guardrails (tcenter/guardrails/distribution.py) find its resources by."""
BUCKET_TAG, KEY_TAG, CDN_TAG = "repository", "online-key", "cdn"
TUF_ROLE_TAG = "tuf-role"
ONLINE_ROLES = ("targets", "snapshot", "timestamp")
"""The KMS keys of a class: `targets` is the vendor's key of the class's delegated role."""
MUTABLE_KEY = "metadata/timestamp.json"
ONLINE_SIGNING_ALGORITHM = "ECDSA_SHA_256"
PUBLISHER_ZONE = "signing"
PUBLISHER_USER = "tc-publisher"
PUBLISHER_HOME = "/var/lib/tc-publisher"
PUBLISHER_CONFIG = "/etc/tc-publisher/publisher.json"
PUBLISHER_PACKAGES = ("awscli", "python3")


def publisher_role_name(stack: str) -> str:
    """It signs (snapshot, timestamp, the class roles' vendor key): named like the center's other
    signers (the kit's rules admit kms:Sign for signer roles only)."""
    return account_name(stack, "dist", "signer")


def repository_bucket_name(account_id: str, stack: str, signing_class: str) -> str:
    return bucket_name(account_id, stack, f"dist-{signing_class}")


def online_key_alias(stack: str, signing_class: str, role: str) -> str:
    return f"alias/tc/{stack}/distribution/{signing_class}/{role}"


@dataclass(frozen=True)
class PublisherValues:
    stack: str
    buckets: tuple[tuple[str, str], ...]
    """(class, bucket)."""
    key_aliases: tuple[tuple[str, str, str], ...]
    """(class, role, alias)."""
    timestamp_hours: tuple[tuple[str, int], ...]
    av_database_bins: int
    release_bucket: str
    log_bucket: str
    network: HostNetwork

    def config(self) -> dict[str, Any]:
        return {
            "region": REGION, "buckets": dict(self.buckets),
            "keys": {c: {r: a for cc, r, a in self.key_aliases if cc == c} for c, _ in self.buckets},
            "signing-algorithm": ONLINE_SIGNING_ALGORITHM, "message-type": "DIGEST",
            "timestamp-hours": dict(self.timestamp_hours), "av-database-bins": self.av_database_bins,
            "release-bucket": self.release_bucket, "log-bucket": self.log_bucket, "mutable-key": MUTABLE_KEY,
        }


def publisher_profile(values: PublisherValues) -> HostProfile:
    base = hosts.base_profile(values.network, metadata_users=("root", PUBLISHER_USER))
    return base.extend(
        "publisher",
        packages={name: "" for name in PUBLISHER_PACKAGES},
        files=[HostFile(PUBLISHER_CONFIG, json.dumps(values.config(), indent=2, sort_keys=True) + "\n")],
        users=[HostUser(PUBLISHER_USER, PUBLISHER_HOME, "update repository publisher (locked, no sudo)")],
    )


@dataclass(frozen=True)
class DistributionArgs:
    stack: str
    account_id: str
    key_administrators: tuple[str, ...]
    config: DistributionConfig
    teardown: Teardown
    plan: NetworkPlan
    network: NetworkZones
    access_log_bucket: SecureBucket
    release_bucket: SecureBucket
    """What it publishes: the signed releases and their provenance."""
    log_bucket: SecureBucket | None
    """Where the releases' log proofs come from (the transparency log)."""
    ami_id: str


class Distribution(pulumi.ComponentResource):
    def __init__(self, name: str, args: DistributionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:distribution:Distribution", name, None, opts)
        self._args = args
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        account = args.account_id
        cdn = config.cdn.enabled

        self.key = EncryptionKey(
            resource_name(name, "key"),
            EncryptionKeyArgs(
                description=f"transparency-center {args.stack}: the update repositories' objects, the publisher's volume",
                alias=f"tc/{args.stack}/distribution", account_id=account, administrators=args.key_administrators,
                via_services=("ec2", "s3"), teardown=args.teardown,
                service_statements=(policies.cloudfront_log_key_statement(account),) if cdn else ()),
            opts=child,
        )
        self.publisher_role_name = publisher_role_name(args.stack)
        self.publisher_arn = role_arn(account, self.publisher_role_name)
        self.publisher = instance_role(
            resource_name(name, "publisher"), role_name=self.publisher_role_name,
            description="Update repository publisher: signs the online TUF roles, writes the repositories",
            account_id=account, tags={"zone": PUBLISHER_ZONE, "role": "publisher"}, opts=child)

        keep = pulumi.ResourceOptions.merge(child, args.teardown.options("stateful"))
        self.buckets: dict[str, SecureBucket] = {}
        self.keys: dict[tuple[str, str], aws.kms.Key] = {}
        self.cdns: dict[str, aws.cloudfront.Distribution] = {}
        kms_endpoint = args.network.interface_endpoints["kms"].id
        for signing_class in SIGNING_CLASSES:
            bucket = SecureBucket(
                resource_name(name, signing_class),
                SecureBucketArgs(
                    bucket_name=repository_bucket_name(account, args.stack, signing_class), key=self.key,
                    teardown=args.teardown, access_log_bucket=args.access_log_bucket,
                    lifecycle=Lifecycle(noncurrent_version_expiration_days=30), policy_declared_later=True,
                    tags={DISTRIBUTION_TAG: BUCKET_TAG, "signing-class": signing_class}),
                opts=child)
            self.buckets[signing_class] = bucket
            for role in ONLINE_ROLES:
                key = aws.kms.Key(
                    resource_name(name, signing_class, role, "key"),
                    description=f"transparency-center {args.stack}: signs the {signing_class} repository's {role} role (TUF)",
                    key_usage="SIGN_VERIFY", customer_master_key_spec=config.online_key_spec,
                    enable_key_rotation=False, multi_region=False, deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
                    policy=pulumi.Output.json_dumps(policies.signing_key_policy(
                        account, args.key_administrators, self.publisher_arn, kms_endpoint,
                        signing_algorithms=[ONLINE_SIGNING_ALGORITHM], **args.teardown.key_lifecycle())),
                    tags={DISTRIBUTION_TAG: KEY_TAG, TUF_ROLE_TAG: role, "signing-class": signing_class},
                    opts=pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(depends_on=[self.publisher.role])))
                aws.kms.Alias(resource_name(name, signing_class, role, "alias"),
                              name=online_key_alias(args.stack, signing_class, role), target_key_id=key.key_id, opts=child)
                self.keys[(signing_class, role)] = key
            distribution_arn = None
            if cdn:
                self.cdns[signing_class] = self._cdn(name, args, signing_class, bucket)
                distribution_arn = self.cdns[signing_class].arn
            bucket.declare_policy(policies.distribution_bucket_statements(
                bucket.arn, mutable_key=MUTABLE_KEY, publisher_arn=self.publisher_arn,
                s3_endpoint_id=args.network.s3_endpoint.id, administrators=args.key_administrators,
                distribution_arn=distribution_arn))

        # The publisher: read what it publishes, write the repositories, sign the online roles.
        args.release_bucket.grant_read(self.publisher)
        if args.log_bucket is not None:
            args.log_bucket.grant_read(self.publisher)
        self.publisher.add_policy("publish-update-repositories", [
            policies.statement("ListRepositories", policies.S3_LIST_ACTIONS, [b.arn for _, b in sorted(self.buckets.items())]),
            policies.statement("ReadAndWriteRepositories", [*policies.S3_READ_ACTIONS, *policies.S3_WRITE_ACTIONS,
                                                            "s3:DeleteObject"],
                               [policies.objects_under(b.arn, "") for _, b in sorted(self.buckets.items())]),
            policies.statement("EncryptRepositoryObjects", ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt",
                                                            "kms:GenerateDataKey"], [self.key.arn]),
            policies.statement("SignOnlineRoles", policies.KEY_SIGN_ACTIONS, [k.arn for _, k in sorted(self.keys.items())]),
            policies.statement("ReadOnlineKeys", ["kms:DescribeKey", "kms:GetPublicKey"],
                               [k.arn for _, k in sorted(self.keys.items())]),
        ])
        self.security_group = self._security_group(name, args)
        self.host = self._host(name, args)
        self.register_outputs({
            "buckets": {c: b.bucket_name for c, b in sorted(self.buckets.items())},
            "publisherRoleArn": self.publisher.arn,
            "onlineKeyArns": {f"{c}/{r}": k.arn for (c, r), k in sorted(self.keys.items())},
        })

    def _cdn(self, name: str, args: DistributionArgs, signing_class: str, bucket: SecureBucket) -> aws.cloudfront.Distribution:
        """CloudFront over Origin Access Control (SigV4, always signed), GET/HEAD over HTTPS only:
        versioned and hashed files cached long, timestamp.json a minute at most."""
        child = pulumi.ResourceOptions(parent=self)
        cdn = args.config.cdn
        oac = aws.cloudfront.OriginAccessControl(
            resource_name(name, signing_class, "oac"), name=account_name(args.stack, "dist", signing_class),
            description=f"The {signing_class} update repository's distribution reads its bucket, signed (SigV4)",
            origin_access_control_origin_type="s3", signing_behavior="always", signing_protocol="sigv4", opts=child)
        no_parameters = {"cookies_config": {"cookie_behavior": "none"}, "headers_config": {"header_behavior": "none"},
                         "query_strings_config": {"query_string_behavior": "none"},
                         "enable_accept_encoding_gzip": True, "enable_accept_encoding_brotli": True}
        immutable = aws.cloudfront.CachePolicy(
            resource_name(name, signing_class, "cache-immutable"), name=account_name(args.stack, "dist", signing_class, "immutable"),
            comment="consistent-snapshot metadata and targets: immutable", min_ttl=0, default_ttl=86400, max_ttl=31536000,
            parameters_in_cache_key_and_forwarded_to_origin=no_parameters, opts=child)
        timestamp = aws.cloudfront.CachePolicy(
            resource_name(name, signing_class, "cache-timestamp"), name=account_name(args.stack, "dist", signing_class, "timestamp"),
            comment="timestamp.json: mutable, cached briefly", min_ttl=0, default_ttl=cdn.timestamp_max_age_seconds,
            max_ttl=cdn.timestamp_max_age_seconds, parameters_in_cache_key_and_forwarded_to_origin=no_parameters, opts=child)
        origin_id = f"update-repository-{signing_class}"
        read_only = {"allowed_methods": ["GET", "HEAD"], "cached_methods": ["GET", "HEAD"],
                     "viewer_protocol_policy": "https-only", "compress": True, "target_origin_id": origin_id}
        return aws.cloudfront.Distribution(
            resource_name(name, signing_class, "cdn"), enabled=True,
            comment=f"transparency-center {args.stack}: the {signing_class} update repository (TUF)",
            price_class=cdn.price_class, http_version="http2and3", is_ipv6_enabled=True,
            origins=[{"domain_name": bucket.bucket.bucket_regional_domain_name, "origin_id": origin_id,
                      "origin_access_control_id": oac.id}],
            default_cache_behavior={**read_only, "cache_policy_id": immutable.id},
            ordered_cache_behaviors=[{**read_only, "path_pattern": MUTABLE_KEY, "cache_policy_id": timestamp.id}],
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate={"cloudfront_default_certificate": True},
            tags={DISTRIBUTION_TAG: CDN_TAG, "signing-class": signing_class}, opts=child)

    def _security_group(self, name: str, args: DistributionArgs) -> aws.ec2.SecurityGroup:
        network = args.network
        return aws.ec2.SecurityGroup(
            resource_name(name, "publisher-sg"), vpc_id=network.vpc_id,
            description="Update repository publisher: no inbound; HTTPS to the endpoints and S3 only",
            ingress=[],
            egress=[
                {"description": "AWS APIs through the interface endpoints", "protocol": "tcp", "from_port": HTTPS,
                 "to_port": HTTPS, "cidr_blocks": [network.zone_cidrs["endpoints"]]},
                {"description": "S3 through the gateway endpoint", "protocol": "tcp", "from_port": HTTPS,
                 "to_port": HTTPS, "prefix_list_ids": [network.s3_endpoint.prefix_list_id]},
            ],
            tags={"Name": f"{name}-publisher", "zone": PUBLISHER_ZONE}, opts=pulumi.ResourceOptions(parent=self))

    def host_values(self, s3_cidrs: Sequence[str]) -> PublisherValues:
        args = self._args
        return publisher_values(args.stack, args.account_id, args.config, args.plan, args.release_bucket.bucket_name,
                                args.log_bucket.bucket_name if args.log_bucket else "", s3_cidrs)

    def _host(self, name: str, args: DistributionArgs) -> HardenedHost:
        subnets = dict(zip((s.az_id for s in args.plan.zone(PUBLISHER_ZONE).subnets), args.network.subnet_ids[PUBLISHER_ZONE]))
        az = sorted(subnets)[0]
        return HardenedHost(
            resource_name(name, "publisher-host"),
            HardenedHostArgs(
                ami_id=args.ami_id, instance_type=args.config.publisher_instance_type, subnet_ids=[subnets[az]],
                security_group_ids=[self.security_group.id], role=self.publisher, volume_key=self.key,
                user_data=args.network.s3_endpoint.cidr_blocks.apply(
                    lambda cidrs: hosts.render_host(publisher_profile(self.host_values(cidrs or []))).user_data),
                template_name=account_name(args.stack, "publisher"), description="Update repository publisher",
                tags={"zone": PUBLISHER_ZONE, "role": "publisher"}),
            opts=pulumi.ResourceOptions(parent=self))

    def grant_verify(self, role: Role) -> aws.iam.RolePolicy:
        """Fetch the online keys' public halves (what the root ceremony writes into root.json)."""
        return role.add_policy("verify-update-repository-keys", [policies.statement(
            "ReadOnlineKeys", policies.KEY_VERIFY_ACTIONS, [k.arn for _, k in sorted(self.keys.items())])])


def publisher_values(stack: str, account_id: str, config: DistributionConfig, plan: NetworkPlan, release_bucket: str,
                     log_bucket: str, s3_cidrs: Sequence[str]) -> PublisherValues:
    network = HostNetwork(vpc_cidr=str(plan.supernet), endpoints_cidr=str(plan.zone("endpoints").cidr),
                          s3_cidrs=tuple(sorted(s3_cidrs)))
    return PublisherValues(
        stack=stack,
        buckets=tuple((c, repository_bucket_name(account_id, stack, c)) for c in SIGNING_CLASSES),
        key_aliases=tuple((c, r, online_key_alias(stack, c, r)) for c in SIGNING_CLASSES for r in ONLINE_ROLES),
        timestamp_hours=tuple(sorted(config.timestamp_hours.items())), av_database_bins=config.av_database_bins,
        release_bucket=release_bucket, log_bucket=log_bucket, network=network)

