"""TransparencyLog: the bucket, keys, roles and host that hold and protect the center's
transparency log (issue 25; docs/transparency-infrastructure.md).

The log is static files (C2SP tlog-tiles) in one bucket in Zurich:

- `checkpoint`: the signed note (C2SP signed-note/tlog-checkpoint), overwritten at every
  publication by the sequencer only, always with a precondition; every version is kept;
- `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`: Merkle tiles and entry bundles,
  create-only, written by the sequencer only;
- `checkpoints/<size>`: every checkpoint the log signed, create-only, by the sequencer only
  (proofs against a checkpoint the witnesses cosigned after the log grew past it);
- `cosignatures/<org>/...`: one prefix per reviewer organization, create-only, written only
  by that organization's reviewer role (its witness runs on the organization's own machine,
  with its own key, e.g. `cosignatures/<org>/<tree size>`).

The checkpoint is signed by a KMS key (ECC_NIST_EDWARDS25519, ED25519_SHA_512 with
MessageType RAW: RFC 8032 Ed25519, the signed-note signature type 0x01 that tlog-tiles
requires of a public log) that only the sequencer role may use, only through the center's KMS
endpoint. The sequencer is a hardened host in the signing zone (no internet, endpoints only);
it reads the signers' release records and the releases, appends them, signs and publishes.

Everything in the log is public by design (digests and metadata of signed releases, never
customer data). Publication to anyone is optional (`transparency.publication.enabled`): a
CloudFront distribution reading the bucket through Origin Access Control; the bucket itself
stays private (the account's public access block forbids public bucket policies).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

import pulumi
import pulumi_aws as aws

from . import awsfacts, hosts, policies
from .awsfacts import REGION, role_arn
from .config.reviewers import ReviewerOrgConfig
from .config.transparency import TransparencyConfig
from .hosts import HostFile, HostNetwork, HostProfile, HostUser
from .iam import Role, RoleArgs, instance_role
from .instances import HardenedHost, HardenedHostArgs
from .kms import EncryptionKey, EncryptionKeyArgs
from .layout import HTTPS, NetworkPlan, account_name, bucket_name, resource_name
from .network import NetworkZones
from .reviewers import ORGANIZATION_TAG, CustomerDataStore, denied_resources, organization_trust_policy
from .storage import Lifecycle, ObjectLock, SecureBucket, SecureBucketArgs
from .teardown import KEY_DELETION_WINDOW_DAYS, Teardown

CHECKPOINT_KEY = "checkpoint"
"""The one overwritable object (tlog-tiles `<prefix>/checkpoint`)."""
TILE_PREFIX = "tile/"
"""Merkle tiles `tile/<L>/<N>[.p/<W>]` and entry bundles `tile/entries/<N>[.p/<W>]`."""
ENTRY_BUNDLE_PREFIX = f"{TILE_PREFIX}entries/"
CHECKPOINT_HISTORY_PREFIX = "checkpoints/"
"""`checkpoints/<size>`: every checkpoint the log signed (the library's `checkpoint_history_path`)."""
COSIGNATURES_PREFIX = "cosignatures/"

LOG_TAG = "transparency-log"
"""What the log's guardrails (tcenter/guardrails/transparency.py) find its resources by."""
LOG_BUCKET_TAGS = {"purpose": "audit", LOG_TAG: "log-bucket"}
"""The log is evidence: `purpose: audit` makes the kit's rules treat the bucket as an audit
store (Object Lock required), like the archive and the releases."""
CHECKPOINT_KEY_TAGS = {LOG_TAG: "checkpoint-key"}
DISTRIBUTION_TAGS = {LOG_TAG: "distribution"}
SEQUENCER_ZONE = "signing"

SEQUENCER_USER = "tc-sequencer"
SEQUENCER_HOME = "/var/lib/tc-sequencer"
SEQUENCER_CONFIG = "/etc/tc-sequencer/sequencer.json"
SEQUENCER_PACKAGES = ("awscli", "python3")
SEQUENCER_UNIT = "tc-sequencer.service"
SEQUENCER_TIMER = "tc-sequencer.timer"
SEQUENCER_INTERVAL_SECONDS = 60
"""How often the timer runs the sequencer (a run that finds no new record signs nothing)."""
SIGNER_PROOF_WAIT_SECONDS = 1800
"""How long tc-sign-release waits for a release's entry to be cosigned before it leaves the
release pending (a re-run with the same arguments resumes)."""

CONTENT_TYPES = {CHECKPOINT_KEY: "text/plain; charset=utf-8", CHECKPOINT_HISTORY_PREFIX: "text/plain; charset=utf-8",
                 TILE_PREFIX: "application/octet-stream"}
"""What the sequencer sets on upload (tlog-tiles); S3 serves it back, CloudFront too."""


def cosignature_prefix(organization: str) -> str:
    return f"{COSIGNATURES_PREFIX}{organization}/"


def sequencer_role_name(stack: str) -> str:
    """The sequencer's role: it signs the log, so it is named like the center's other signers
    (the kit's rules admit kms:Sign for signer roles only)."""
    return account_name(stack, "log-signer")


def witness_role_name(stack: str, organization: str) -> str:
    """A reviewer organization's witness role: its witness, on the organization's own machine
    with the organization's own key, reads the log and uploads cosignatures with it."""
    return account_name(stack, "witness", organization)


def log_bucket_name(account_id: str, stack: str) -> str:
    return bucket_name(account_id, stack, "transparency-log")


def log_signing_key_alias(stack: str) -> str:
    return f"alias/tc/{stack}/transparency/checkpoints"


def default_origin(bucket: str) -> str:
    """The log's identity when the stack names none: the scheme-less URL of its bucket in
    Zurich (tlog-tiles: the origin SHOULD be the log's URL prefix). It never changes with
    publication: a log's origin is fixed for its whole life."""
    return f"{bucket}.s3.{REGION}.amazonaws.com"


# --- the sequencer host ------------------------------------------------------------------

@dataclass(frozen=True)
class SequencerValues:
    """What the sequencer host needs, all plain values (user data is never a secret)."""

    stack: str
    origin: str
    log_bucket: str
    signing_key: str
    """The KMS key alias (known before the key exists)."""
    release_bucket: str
    release_record_bucket: str
    release_record_prefix: str
    cosigners: tuple[tuple[str, str], ...]
    """(organization, its cosignature prefix)."""
    witnesses: tuple[tuple[str, tuple[str, ...]], ...]
    """(organization, its witness verifier keys): whose cosignatures the sequencer collects."""
    network: HostNetwork

    def config(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "region": REGION,
            "log-bucket": self.log_bucket,
            "checkpoint-key": CHECKPOINT_KEY,
            "checkpoint-history-prefix": CHECKPOINT_HISTORY_PREFIX,
            "tile-prefix": TILE_PREFIX,
            "entry-bundle-prefix": ENTRY_BUNDLE_PREFIX,
            "content-types": CONTENT_TYPES,
            "signing-key": self.signing_key,
            "signing-algorithm": awsfacts.ED25519_SIGNING_ALGORITHM,
            "message-type": "RAW",
            "release-bucket": self.release_bucket,
            "release-record-bucket": self.release_record_bucket,
            "release-record-prefix": self.release_record_prefix,
            "cosignature-prefixes": dict(self.cosigners),
            "witness-keys": {org: list(keys) for org, keys in self.witnesses},
            "state-directory": SEQUENCER_HOME,
        }


def sequencer_profile(values: SequencerValues) -> HostProfile:
    """The shared hardening plus the sequencer: a locked user, its configuration, and a timer
    that runs `tcenter log sequence` as that user every minute. The program itself (the kit's
    tcenter) comes with the host image, next to the signer's (docs)."""
    base = hosts.base_profile(values.network, metadata_users=("root", SEQUENCER_USER))
    unit_values = {"user": SEQUENCER_USER, "home": SEQUENCER_HOME, "config": SEQUENCER_CONFIG, "tcenter": hosts.TCENTER,
                   "unit": SEQUENCER_UNIT, "interval": SEQUENCER_INTERVAL_SECONDS, "region": REGION}
    return base.extend(
        "sequencer",
        packages={name: "" for name in SEQUENCER_PACKAGES},
        files=[HostFile(SEQUENCER_CONFIG, json.dumps(values.config(), indent=2, sort_keys=True) + "\n"),
               HostFile(f"/etc/systemd/system/{SEQUENCER_UNIT}",
                        hosts.render_template("sequencer/tc-sequencer.service.j2", unit_values)),
               HostFile(f"/etc/systemd/system/{SEQUENCER_TIMER}",
                        hosts.render_template("sequencer/tc-sequencer.timer.j2", unit_values))],
        users=[HostUser(SEQUENCER_USER, SEQUENCER_HOME, "transparency log sequencer (locked, no sudo)")],
        enabled_units=[SEQUENCER_TIMER],
    )


def signer_log_config(stack: str, account_id: str, config: TransparencyConfig, signing_class: str) -> str:
    """`/etc/tc-signer/transparency.json` of a class's signer host: where the log is, its key,
    and the witnesses and quorum its releases need (`tcenter log release-proof` reads it; the
    wrapper hands a release out only with the proof). Plain JSON, never a secret."""
    bucket = log_bucket_name(account_id, stack)
    return json.dumps({
        "log": f"s3://{bucket}/",
        "origin": config.origin or default_origin(bucket),
        "region": REGION,
        "checkpoint-key": log_signing_key_alias(stack),
        "signing-class": signing_class,
        "quorum": config.verification[signing_class],
        "witness-keys": {w.organization: list(w.keys) for w in config.witnesses},
        "wait-seconds": SIGNER_PROOF_WAIT_SECONDS,
    }, indent=2, sort_keys=True) + "\n"


# --- the component -----------------------------------------------------------------------

@dataclass(frozen=True)
class TransparencyLogArgs:
    stack: str
    account_id: str
    key_administrators: tuple[str, ...]
    config: TransparencyConfig
    teardown: Teardown
    plan: NetworkPlan
    network: NetworkZones
    access_log_bucket: SecureBucket
    release_bucket: SecureBucket
    """The signed releases (their provenance names source revision and builders)."""
    release_records: SecureBucket
    """The audit archive, whose `release_record_prefix` holds one record per signed release."""
    release_record_prefix: str
    organizations: tuple[ReviewerOrgConfig, ...]
    """Every reviewer organization: each gets a witness role (trusted by the same principals as
    its reviewer role) and a cosignature prefix only that role may write."""
    ami_id: str
    customer_data: tuple[CustomerDataStore, ...] = ()
    """Denied to the witness roles explicitly, like to every reviewer role."""


class TransparencyLog(pulumi.ComponentResource):
    def __init__(self, name: str, args: TransparencyLogArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:transparency:TransparencyLog", name, None, opts)
        self._name = name
        self._args = args
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        account = args.account_id
        publication = config.publication.enabled

        # The log's encryption key: objects (SSE-KMS through S3) and the sequencer's volume.
        self.key = EncryptionKey(
            resource_name(name, "key"),
            EncryptionKeyArgs(
                description=f"transparency-center {args.stack}: the transparency log's objects, the sequencer's volume",
                alias=f"tc/{args.stack}/transparency",
                account_id=account,
                administrators=args.key_administrators,
                via_services=("ec2", "s3"),
                teardown=args.teardown,
                service_statements=(policies.cloudfront_log_key_statement(account),) if publication else (),
            ),
            opts=child,
        )

        self.sequencer_role_name = sequencer_role_name(args.stack)
        self.sequencer_arn = role_arn(account, self.sequencer_role_name)
        self.sequencer = instance_role(
            resource_name(name, "sequencer"),
            role_name=self.sequencer_role_name,
            description="Transparency log sequencer: reads release records, appends them, signs and writes checkpoints",
            account_id=account,
            tags={"zone": SEQUENCER_ZONE, "role": "sequencer"},
            opts=child,
        )

        self.bucket_name = log_bucket_name(account, args.stack)
        self.origin = config.origin or default_origin(self.bucket_name)
        lock = config.log_lock
        self.bucket = SecureBucket(
            resource_name(name, "log"),
            SecureBucketArgs(
                bucket_name=self.bucket_name,
                key=self.key,
                teardown=args.teardown,
                access_log_bucket=args.access_log_bucket,
                object_lock=ObjectLock(args.teardown.object_lock_mode(lock.mode), lock.retention_days),
                lifecycle=Lifecycle(noncurrent_version_expiration_days=None),
                policy_declared_later=True,
                tags=dict(LOG_BUCKET_TAGS),
            ),
            opts=child,
        )

        # The checkpoint signing key: Ed25519 in KMS, only the sequencer signs, only through
        # the center's KMS endpoint, only PureEdDSA (what signed-note verifiers accept).
        keep = pulumi.ResourceOptions.merge(child, args.teardown.options("stateful"))
        self.signing_key_policy = policies.signing_key_policy(
            account, args.key_administrators, self.sequencer_arn, args.network.interface_endpoints["kms"].id,
            signing_algorithms=[awsfacts.ED25519_SIGNING_ALGORITHM], **args.teardown.key_lifecycle())
        self.signing_key = aws.kms.Key(
            resource_name(name, "checkpoint-key"),
            description=f"transparency-center {args.stack}: signs the transparency log's checkpoints ({self.origin})",
            key_usage="SIGN_VERIFY",
            customer_master_key_spec=awsfacts.ED25519_KEY_SPEC,
            enable_key_rotation=False,
            multi_region=False,
            deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
            policy=pulumi.Output.json_dumps(self.signing_key_policy),
            tags=dict(CHECKPOINT_KEY_TAGS),
            # The key policy names the sequencer role: it must exist first.
            opts=pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(depends_on=[self.sequencer.role])),
        )
        self.signing_key_alias = log_signing_key_alias(args.stack)
        aws.kms.Alias(resource_name(name, "checkpoint-key-alias"), name=self.signing_key_alias,
                      target_key_id=self.signing_key.key_id, opts=child)

        # One witness role and one cosignature prefix per reviewer organization; only that
        # role writes the prefix.
        self.cosigners = tuple(
            (org.name, role_arn(account, witness_role_name(args.stack, org.name)), cosignature_prefix(org.name))
            for org in sorted(args.organizations, key=lambda o: o.name))

        self.distribution: aws.cloudfront.Distribution | None = None
        if publication:
            self._publication(name, args)
        self.bucket.declare_policy(policies.log_bucket_statements(
            self.bucket.arn, checkpoint_key=CHECKPOINT_KEY, tile_prefix=TILE_PREFIX, sequencer_arn=self.sequencer_arn,
            s3_endpoint_id=args.network.s3_endpoint.id, cosigners=self.cosigners,
            administrators=args.key_administrators,
            distribution_arn=self.distribution.arn if self.distribution is not None else None,
            history_prefix=CHECKPOINT_HISTORY_PREFIX))

        # The sequencer: read the log and the cosignatures, write tiles and the checkpoint,
        # sign, read what it logs (release records and releases).
        self.bucket.grant_read(self.sequencer)
        self.sequencer.add_policy("write-transparency-log", [
            policies.statement("WriteTilesAndCheckpoint", policies.S3_WRITE_ACTIONS, [
                policies.arn_with(self.bucket.arn, f"/{CHECKPOINT_KEY}"),
                policies.objects_under(self.bucket.arn, TILE_PREFIX),
                policies.objects_under(self.bucket.arn, CHECKPOINT_HISTORY_PREFIX)]),
            policies.statement("EncryptLogObjects", ["kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                               [self.key.arn]),
            policies.statement("SignCheckpoints", policies.KEY_SIGN_ACTIONS, [self.signing_key.arn]),
            policies.statement("ReadCheckpointPublicKey", ["kms:DescribeKey", "kms:GetPublicKey"], [self.signing_key.arn]),
        ])
        args.release_records.grant_read_prefixes(self.sequencer, "read-release-records", [args.release_record_prefix])
        args.release_bucket.grant_read(self.sequencer)

        self.witness_roles: dict[str, Role] = {}
        for org in sorted(args.organizations, key=lambda o: o.name):
            self.witness_roles[org.name] = self._witness_role(name, args, org)

        self.security_group = self._security_group(name, args)
        self.host = self._host(name, args)
        self.register_outputs({
            "bucket": self.bucket_name, "origin": self.origin, "signingKeyArn": self.signing_key.arn,
            "signingKeyAlias": self.signing_key_alias, "sequencerRoleArn": self.sequencer.arn,
            "witnessRoleArns": {org: role.arn for org, role in sorted(self.witness_roles.items())},
        })

    # --- witnesses ------------------------------------------------------------------------

    def _witness_role(self, name: str, args: TransparencyLogArgs, org: ReviewerOrgConfig) -> Role:
        """The organization's witness role: trusted by the principals its reviewer role trusts,
        it reads the whole log (public) and verifies with the checkpoint key, from wherever the
        witness runs, and writes only `cosignatures/<org>/` (create-only). Never customer data,
        never a signature: the reviewers' denies, and a permission boundary that allows no more."""
        child = pulumi.ResourceOptions(parent=self)
        role_name = witness_role_name(args.stack, org.name)
        tags = {ORGANIZATION_TAG: org.name, "role": "witness"}
        denied = denied_resources(args.customer_data, args.account_id, args.stack)
        allows = self.witness_statements(org.name)
        boundary = aws.iam.Policy(
            resource_name(name, "witness", org.name, "boundary"),
            name=f"{role_name}-boundary",
            description=f"Permission boundary of {org.name}'s witness: read the transparency log, write its own cosignatures",
            policy=pulumi.Output.json_dumps(policies.document(*allows, *policies.reviewer_deny_statements(denied.stores, denied.contents, denied.key_aliases))),
            tags=tags,
            opts=child,
        )
        role = Role(
            resource_name(name, "witness", org.name),
            RoleArgs(
                role_name=role_name,
                description=f"Witness of {org.name} ({org.contact}): reads the transparency log, writes its own cosignatures",
                trust_policy=organization_trust_policy(org, args.account_id),
                permissions_boundary=boundary.arn,
                tags=tags,
            ),
            opts=child,
        )
        role.add_policy("witness-transparency-log", allows)
        role.add_policy("deny-customer-data-and-signing", policies.reviewer_deny_statements(denied.stores, denied.contents, denied.key_aliases))
        return role

    def witness_statements(self, organization: str) -> list[dict[str, Any]]:
        """Read the log and the checkpoint public key; put objects under the organization's own
        prefix (create-only by the bucket policy) and have S3 encrypt them."""
        return [
            policies.statement("ListTheLog", policies.S3_LIST_ACTIONS, [self.bucket.arn]),
            policies.statement("ReadTheLog", policies.S3_READ_ACTIONS, [policies.objects_under(self.bucket.arn, "")]),
            policies.statement("WriteOwnCosignatures", policies.S3_WRITE_ACTIONS,
                               [policies.objects_under(self.bucket.arn, cosignature_prefix(organization))]),
            policies.statement("UseTheLogKeyThroughS3", ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
                               [self.key.arn],
                               conditions={"StringEquals": {"kms:ViaService": awsfacts.service_endpoint("s3")}}),
            policies.statement("VerifyCheckpoints", policies.KEY_VERIFY_ACTIONS, [self.signing_key.arn]),
        ]

    # --- publication -----------------------------------------------------------------------

    def _publication(self, name: str, args: TransparencyLogArgs) -> None:
        """A CloudFront distribution that reads the private bucket through Origin Access
        Control (SigV4, always signed) and serves GET/HEAD over HTTPS only: long-lived caching
        for the immutable tiles and cosignatures, a few seconds for the checkpoint."""
        child = pulumi.ResourceOptions(parent=self)
        publication = args.config.publication
        oac = aws.cloudfront.OriginAccessControl(
            resource_name(name, "oac"),
            name=account_name(args.stack, "transparency-log"),
            description="The transparency log's distribution reads its bucket, signed (SigV4)",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        no_parameters = {
            "cookies_config": {"cookie_behavior": "none"},
            "headers_config": {"header_behavior": "none"},
            "query_strings_config": {"query_string_behavior": "none"},
            "enable_accept_encoding_gzip": True,
            "enable_accept_encoding_brotli": True,
        }
        immutable = aws.cloudfront.CachePolicy(
            resource_name(name, "cache-immutable"),
            name=account_name(args.stack, "tlog-immutable"),
            comment="tiles, entry bundles, cosignatures: immutable (tlog-tiles: long-lived caching)",
            min_ttl=0, default_ttl=86400, max_ttl=31536000,
            parameters_in_cache_key_and_forwarded_to_origin=no_parameters,
            opts=child,
        )
        checkpoint = aws.cloudfront.CachePolicy(
            resource_name(name, "cache-checkpoint"),
            name=account_name(args.stack, "tlog-checkpoint"),
            comment="the checkpoint: mutable, cached a few seconds at most (tlog-tiles)",
            min_ttl=0, default_ttl=publication.checkpoint_max_age_seconds, max_ttl=publication.checkpoint_max_age_seconds,
            parameters_in_cache_key_and_forwarded_to_origin=no_parameters,
            opts=child,
        )
        origin_id = "transparency-log"
        read_only = {"allowed_methods": ["GET", "HEAD"], "cached_methods": ["GET", "HEAD"],
                     "viewer_protocol_policy": "https-only", "compress": True, "target_origin_id": origin_id}
        self.distribution = aws.cloudfront.Distribution(
            resource_name(name, "distribution"),
            enabled=True,
            comment=f"transparency-center {args.stack}: the public transparency log ({self.origin})",
            price_class=publication.price_class,
            http_version="http2and3",
            is_ipv6_enabled=True,
            origins=[{"domain_name": self.bucket.bucket.bucket_regional_domain_name, "origin_id": origin_id,
                      "origin_access_control_id": oac.id}],
            default_cache_behavior={**read_only, "cache_policy_id": immutable.id},
            ordered_cache_behaviors=[{**read_only, "path_pattern": CHECKPOINT_KEY, "cache_policy_id": checkpoint.id}],
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate={"cloudfront_default_certificate": True},
            tags=dict(DISTRIBUTION_TAGS),
            opts=child,
        )

    # --- the sequencer host ----------------------------------------------------------------

    def _security_group(self, name: str, args: TransparencyLogArgs) -> aws.ec2.SecurityGroup:
        network = args.network
        return aws.ec2.SecurityGroup(
            resource_name(name, "sequencer-sg"),
            vpc_id=network.vpc_id,
            description="Transparency log sequencer: no inbound; HTTPS to the endpoints and S3 only",
            ingress=[],
            egress=[
                {"description": "AWS APIs through the interface endpoints", "protocol": "tcp", "from_port": HTTPS,
                 "to_port": HTTPS, "cidr_blocks": [network.zone_cidrs["endpoints"]]},
                {"description": "S3 through the gateway endpoint", "protocol": "tcp", "from_port": HTTPS,
                 "to_port": HTTPS, "prefix_list_ids": [network.s3_endpoint.prefix_list_id]},
            ],
            tags={"Name": f"{name}-sequencer", "zone": SEQUENCER_ZONE},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def host_values(self, s3_cidrs: Sequence[str]) -> SequencerValues:
        args = self._args
        return sequencer_values(args.stack, args.config, args.plan, self.bucket_name, self.origin,
                                args.release_bucket.bucket_name, args.release_records.bucket_name,
                                args.release_record_prefix, [o.name for o in args.organizations], s3_cidrs)

    def _host(self, name: str, args: TransparencyLogArgs) -> HardenedHost:
        subnets = dict(zip((s.az_id for s in args.plan.zone(SEQUENCER_ZONE).subnets),
                           args.network.subnet_ids[SEQUENCER_ZONE]))
        az = sorted(subnets)[-1]  # the signers take the first zones; the sequencer the last
        self.sequencer_az = az
        return HardenedHost(
            resource_name(name, "sequencer-host"),
            HardenedHostArgs(
                ami_id=args.ami_id,
                instance_type=args.config.sequencer_instance_type,
                subnet_ids=[subnets[az]],
                security_group_ids=[self.security_group.id],
                role=self.sequencer,
                volume_key=self.key,
                user_data=args.network.s3_endpoint.cidr_blocks.apply(
                    lambda cidrs: hosts.render_host(sequencer_profile(self.host_values(cidrs or []))).user_data),
                template_name=account_name(args.stack, "sequencer"),
                description="Transparency log sequencer",
                tags={"zone": SEQUENCER_ZONE, "role": "sequencer"},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    # --- grants by intent ------------------------------------------------------------------

    def grant_read(self, role: Role) -> aws.iam.RolePolicy:
        """Read the whole log (checkpoint, tiles, entries, every cosignature): it is public."""
        return self.bucket.grant_read(role)

    def grant_verify(self, role: Role) -> aws.iam.RolePolicy:
        """Fetch the checkpoint key's public key (and verify with KMS); never sign."""
        return role.add_policy("verify-transparency-checkpoints", [policies.statement(
            "VerifyCheckpoints", policies.KEY_VERIFY_ACTIONS, [self.signing_key.arn])])


def sequencer_values(stack: str, config: TransparencyConfig, plan: NetworkPlan, log_bucket: str, origin: str,
                     release_bucket: str, release_record_bucket: str, release_record_prefix: str,
                     organizations: Sequence[str], s3_cidrs: Sequence[str]) -> SequencerValues:
    """The sequencer host's plain values (the same function serves the component and tests)."""
    network = HostNetwork(vpc_cidr=str(plan.supernet), endpoints_cidr=str(plan.zone("endpoints").cidr),
                          s3_cidrs=tuple(sorted(s3_cidrs)))
    return SequencerValues(
        stack=stack, origin=origin, log_bucket=log_bucket, signing_key=log_signing_key_alias(stack),
        release_bucket=release_bucket, release_record_bucket=release_record_bucket,
        release_record_prefix=release_record_prefix,
        cosigners=tuple((org, cosignature_prefix(org)) for org in sorted(organizations)),
        witnesses=tuple((w.organization, tuple(w.keys)) for w in config.witnesses),
        network=network,
    )
