"""SigningService: signs products and AV databases with HSM-held keys before release.

Two backends, chosen in stack config (`signing.backend`):
- `kms`: one asymmetric KMS key (SIGN_VERIFY) per signing class, in HSMs run by AWS.
- `cloudhsm`: a dedicated CloudHSM v2 cluster (hsm2m.medium, FIPS mode) in the signing
  zone, one HSM per availability zone; each class signs with its own key label, used over
  PKCS#11 by its own signer host. The cluster ceremony is manual (docs/cloudhsm-ceremony.md);
  what needs an initialized cluster is declared only once `cloudhsm.initialized` is set.

Each class (`products`, `av-databases`) has its own signer role and signer host. A signer
reads the unsigned outputs of two independent builders from the build artifact bucket,
signs only when their digests match (templates/signer/sign-release.py) and writes the
release, both digests, the key id and the signature to the release bucket (versioned,
SSE-KMS, Object Lock).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from . import awsfacts, hosts, policies
from .build import BuildFleet
from .config.base import REGION
from .config.signing import SIGNING_CLASSES, SigningConfig
from .hosts import TEMPLATES_DIR, EgressRule, HostFile, HostNetwork, HostProfile, HostUser
from .iam import Role, instance_role
from .instances import HardenedHost, HardenedHostArgs
from .kms import EncryptionKey, EncryptionKeyArgs
from .layout import CLOUDHSM_PORTS, HTTPS, NetworkPlan, account_name, bucket_name, resource_name, spread
from .network import NetworkZones
from .storage import Lifecycle, ObjectLock, SecureBucket, SecureBucketArgs
from .teardown import KEY_DELETION_WINDOW_DAYS, Teardown

SIGNER_SCRIPT = TEMPLATES_DIR / "signer" / "sign-release.py"
"""Installed verbatim on signer hosts; run locally by tests/signing/ with an openssl key."""

CLOUDHSM_MODE = "FIPS"
"""Fixed at cluster creation; hsm2m.medium requires a mode, and the center only runs FIPS."""

HSM_HOST_OFFSET = 10
"""HSMs take fixed addresses (the 10th host and up of their subnet), so that signer hosts'
client configuration names them without a lookup, and a replaced HSM keeps its address."""


SIGNING_ALGORITHMS = {
    "ECC_NIST_P256": ("ECDSA_SHA_256", "sha256"),
    "ECC_NIST_P384": ("ECDSA_SHA_384", "sha384"),
    "ECC_NIST_P521": ("ECDSA_SHA_512", "sha512"),
    "RSA_2048": ("RSASSA_PSS_SHA_256", "sha256"),
    "RSA_3072": ("RSASSA_PSS_SHA_384", "sha384"),
    "RSA_4096": ("RSASSA_PSS_SHA_512", "sha512"),
}
"""KMS signing algorithm and the digest the signer computes, per key spec (config allow-list)."""

CLOUDHSM_KEY = ("EC:secp384r1", "ECDSA", "sha384")
"""Key pair the ceremony generates per class in the HSMs, the PKCS#11 mechanism and digest."""


def signer_role_name(stack: str, signing_class: str) -> str:
    return account_name(stack, "signer", signing_class)


def signing_key_alias(stack: str, signing_class: str) -> str:
    return f"tc/{stack}/signing/{signing_class}"


def hsm_key_label(stack: str, signing_class: str) -> str:
    return account_name(stack, signing_class)


def hsm_ip_addresses(plan: NetworkPlan, hsms: int) -> list[tuple[str, str]]:
    """(AZ id, fixed IP) of each HSM: spread over the signing zone's AZs, distinct first."""
    subnets = {subnet.az_id: subnet for subnet in plan.zone("signing").subnets}
    placed: list[tuple[str, str]] = []
    for az in spread(hsms, plan.az_ids):
        nth_in_az = sum(1 for other, _ in placed if other == az)
        address = subnets[az].cidr.network_address + HSM_HOST_OFFSET + nth_in_az
        placed.append((az, str(ipaddress.IPv4Address(address))))
    return placed


RELEASES_PREFIX = "releases/"
"""Signed releases, their evidence and (cloudhsm) the public keys, one prefix per class."""


def crypto_user_secret_name(stack: str, signing_class: str) -> str:
    return f"tc/{stack}/cloudhsm/{signing_class}-crypto-user"


def release_prefix(signing_class: str) -> str:
    return f"{RELEASES_PREFIX}{signing_class}/"


RELEASE_RECORDS_PREFIX = "release-records/"
"""In the audit archive: one record per release (its envelope's digest), so a later rewrite shows."""


def release_record_prefix(signing_class: str) -> str:
    return f"{RELEASE_RECORDS_PREFIX}{signing_class}/"


def public_key_object(signing_class: str) -> str:
    """CloudHSM: where the ceremony publishes a class's public key (PEM), next to its releases;
    the class's signer role is the only writer there. (KMS: `aws kms get-public-key`.)"""
    return f"{release_prefix(signing_class)}public-key.pem"


SIGNER_USER = "tc-signer"
SIGNER_LOG_CONFIG = "/etc/tc-signer/transparency.json"
SIGNER_HOME = "/var/lib/tc-signer"
PKCS11_MODULE = "/opt/cloudhsm/lib/libcloudhsm_pkcs11.so"
TRUST_ANCHOR_PATH = "/opt/cloudhsm/etc/customerCA.crt"
PKCS11_UNIT = "tc-signer-pkcs11.service"
SIGNER_PACKAGES = ("awscli", "openssl", "python3")

SIGNER_PYTHON_REQUIREMENTS = (
    "cryptography==50.0.2",
    "cyclonedx-python-lib==11.12.0",
    "in-toto-attestation==0.9.3",
    "packageurl-python==0.17.6",
    "protobuf==5.29.6",
    "securesystemslib==1.6.0",
)
"""What sign-release imports (provenance, DSSE, SBOM). Not in Debian 12 at these versions and the
signing zone reaches no package index: the signer image installs them (docs/releases.md)."""
CLOUDHSM_PACKAGES = ("opensc",)
"""pkcs11-tool; the CloudHSM PKCS#11 library itself (AWS's package) must be in the signer image."""


@dataclass(frozen=True)
class SignerHostValues:
    """What a signer host needs, all plain values (user data is never a secret)."""

    stack: str
    signing_class: str
    backend: str
    region: str
    key_id: str
    """KMS: the key alias (stable, known before the key exists); CloudHSM: the key label."""
    signing_algorithm: str
    digest: str
    artifacts_bucket: str
    pools: tuple[str, ...]
    """The build pools of this class: the signer reads their outputs, nothing else."""
    release_bucket: str
    network: HostNetwork
    release_record_bucket: str = ""
    """The audit archive bucket the signer records each release's envelope digest in."""
    min_builders: int = 2
    """Distinct builder identities that must agree (signing.minAgreeingBuilders)."""
    hsm_addresses: tuple[str, ...] = ()
    trust_anchor_certificate: str | None = None
    """Set only once the cluster is initialized: then the PKCS#11 client is configured."""
    crypto_user_secret: str = ""
    log_config: str = ""
    """/etc/tc-signer/transparency.json (components.transparency.signer_log_config): with it, a
    release is handed out only with its .tlog-proof; empty when the stack has no log."""

    @property
    def release_prefix(self) -> str:
        return release_prefix(self.signing_class)

    @property
    def release_record_prefix(self) -> str:
        return release_record_prefix(self.signing_class)

    @property
    def signer_user(self) -> str:
        return SIGNER_USER

    @property
    def tcenter(self) -> str:
        return hosts.TCENTER

    @property
    def log_config_path(self) -> str:
        return SIGNER_LOG_CONFIG

    @property
    def home(self) -> str:
        return SIGNER_HOME

    def sign_command(self) -> tuple[str, str]:
        """The backend command sign-release runs, and how it prints the signature."""
        if self.backend == "kms":
            return (f"aws kms sign --region {self.region} --key-id {self.key_id} --message-type DIGEST "
                    f"--signing-algorithm {self.signing_algorithm} --message fileb://{{digest_file}} "
                    "--output text --query Signature", "base64")
        return (f"pkcs11-tool --module {PKCS11_MODULE} --login --pin env:TC_HSM_PIN --sign --mechanism ECDSA "
                f"--signature-format openssl --label {self.key_id} --input-file {{digest_file}}", "raw")


def signer_profile(values: SignerHostValues) -> HostProfile:
    """Shared hardening plus the signer role: locked signer user, the signing script, its
    config and (cloudhsm, once initialized) the PKCS#11 client pointed at the HSMs."""
    command, encoding = values.sign_command()
    signer_config = json.dumps({
        "key-id": values.key_id, "signing-algorithm": values.signing_algorithm, "digest": values.digest,
        "sign-command": command, "signature-encoding": encoding,
        "signing-class": values.signing_class, "min-builders": values.min_builders,
    }, indent=2, sort_keys=True) + "\n"
    files = [
        HostFile("/usr/local/lib/tc-signer/sign-release", SIGNER_SCRIPT.read_text(), mode="0755"),
        HostFile("/usr/local/lib/tc-signer/requirements.txt", "\n".join(SIGNER_PYTHON_REQUIREMENTS) + "\n"),
        HostFile("/etc/tc-signer/signer.json", signer_config),
        HostFile("/usr/local/bin/tc-sign-release", hosts.render_template("signer/tc-sign-release.sh.j2", {"v": values}),
                 mode="0755"),
    ]
    if values.log_config:
        files.append(HostFile(SIGNER_LOG_CONFIG, values.log_config))
    extra_egress: list[EgressRule] = []
    units: list[str] = []
    packages = {name: "" for name in SIGNER_PACKAGES}
    if values.backend == "cloudhsm":
        packages.update({name: "" for name in CLOUDHSM_PACKAGES})
        extra_egress.append(EgressRule("CloudHSM cluster (client ports)", tuple(values.hsm_addresses), "tcp",
                                       tuple(range(CLOUDHSM_PORTS[0], CLOUDHSM_PORTS[1] + 1)), users=(SIGNER_USER,)))
        if values.trust_anchor_certificate is not None:
            files += [
                HostFile(TRUST_ANCHOR_PATH, values.trust_anchor_certificate),
                HostFile(f"/etc/systemd/system/{PKCS11_UNIT}", hosts.render_template(
                    "signer/tc-signer-pkcs11.service.j2",
                    {"hsm_addresses": values.hsm_addresses, "trust_anchor_path": TRUST_ANCHOR_PATH})),
            ]
            units.append(PKCS11_UNIT)
    base = hosts.base_profile(values.network, extra_egress=extra_egress, metadata_users=("root", SIGNER_USER))
    return base.extend(
        "signer",
        packages=packages,
        files=files,
        users=[HostUser(SIGNER_USER, SIGNER_HOME, "transparency center signer (locked, no sudo)")],
        enabled_units=units,
    )


def signer_host_values(
    stack: str,
    config: SigningConfig,
    plan: NetworkPlan,
    signing_class: str,
    pools: Sequence[str],
    s3_cidrs: Sequence[str],
    artifacts_bucket: str,
    release_bucket: str,
    release_record_bucket: str = "",
    log_config: str = "",
) -> SignerHostValues:
    """A signer host's plain values, from the validated config and the network plan (the
    same function serves SigningService and the testinfra suite under tests/hosts)."""
    host_network = HostNetwork(vpc_cidr=str(plan.supernet), endpoints_cidr=str(plan.zone("endpoints").cidr),
                               s3_cidrs=tuple(sorted(s3_cidrs)))
    common = dict(stack=stack, signing_class=signing_class, backend=config.backend, region=REGION,
                  artifacts_bucket=artifacts_bucket, pools=tuple(sorted(pools)), release_bucket=release_bucket,
                  network=host_network, min_builders=config.min_agreeing_builders,
                  release_record_bucket=release_record_bucket, log_config=log_config)
    if config.backend == "kms":
        algorithm, digest = SIGNING_ALGORITHMS[config.kms.key_spec]
        return SignerHostValues(**common, key_id=f"alias/{signing_key_alias(stack, signing_class)}",
                                signing_algorithm=algorithm, digest=digest)
    hsm_config = config.cloudhsm
    assert hsm_config is not None  # the config model requires the block for this backend
    _, mechanism, digest = CLOUDHSM_KEY
    ready = hsm_config.initialized
    return SignerHostValues(
        **common, key_id=hsm_key_label(stack, signing_class), signing_algorithm=mechanism, digest=digest,
        hsm_addresses=tuple(address for _, address in hsm_ip_addresses(plan, hsm_config.hsms)),
        trust_anchor_certificate=hsm_config.trust_anchor_certificate if ready else None,
        crypto_user_secret=crypto_user_secret_name(stack, signing_class) if ready else "",
    )


# --- KMS signing keys -------------------------------------------------------------------

@dataclass(frozen=True)
class SigningKeyArgs:
    signing_class: str
    stack: str
    account_id: str
    administrators: Sequence[str]
    key_spec: str
    signer: Role
    kms_endpoint_id: pulumi.Input[str]
    teardown: Teardown


class SigningKey(pulumi.ComponentResource):
    """An asymmetric KMS key that only its class's signer role may sign with, and only
    through the center's KMS endpoint. Never rotated (KMS cannot rotate asymmetric keys):
    a new key is a new release identity."""

    def __init__(self, name: str, args: SigningKeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:signing:SigningKey", name, None, opts)
        self._name = name
        self.signing_class = args.signing_class
        self.key_spec = args.key_spec
        self.signing_algorithm, self.digest = SIGNING_ALGORITHMS[args.key_spec]
        keep = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=self), args.teardown.options("stateful"))
        self.policy_document = policies.signing_key_policy(
            args.account_id, args.administrators, args.signer.arn, args.kms_endpoint_id,
            **args.teardown.key_lifecycle())
        self.key = aws.kms.Key(
            resource_name(name, "key"),
            description=f"transparency-center {args.stack}: signs {args.signing_class} releases",
            key_usage="SIGN_VERIFY",
            customer_master_key_spec=args.key_spec,
            enable_key_rotation=False,
            multi_region=False,
            deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
            policy=pulumi.Output.json_dumps(self.policy_document),
            opts=keep,
        )
        self.alias_name = f"alias/{signing_key_alias(args.stack, args.signing_class)}"
        self.alias = aws.kms.Alias(
            resource_name(name, "alias"),
            name=self.alias_name,
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn: pulumi.Output[str] = self.key.arn
        self.key_id: pulumi.Output[str] = self.key.key_id
        self.register_outputs({"arn": self.arn, "alias": self.alias_name, "keySpec": args.key_spec})

    def grant_verify(self, role: Role) -> aws.iam.RolePolicy:
        """Read the public key and verify signatures; never sign."""
        return role.add_policy(f"verify-{self._name}", [policies.statement(
            "VerifySignatures", policies.KEY_VERIFY_ACTIONS, [self.arn])])


# --- the service ------------------------------------------------------------------------

@dataclass(frozen=True)
class SigningServiceArgs:
    stack: str
    account_id: str
    key_administrators: tuple[str, ...]
    config: SigningConfig
    teardown: Teardown
    plan: NetworkPlan
    network: NetworkZones
    access_log_bucket: SecureBucket
    build: BuildFleet
    """Where the unsigned builder outputs are; signers of a class read its pools' outputs."""
    ami_id: str
    """The pinned host image (the builders' image: Debian 12 with the CloudHSM client)."""
    release_record_archive: SecureBucket | None = None
    """The audit archive: each signer records its releases' envelope digests under its class's prefix."""
    deployer: str = ""
    """The deploying role: alone changes the crypto-user secrets' resource policies."""
    remote_readers: tuple[str, ...] = ()
    """Reviewer roles of organizations without workstations (scope signatures): they read
    releases from their own account, outside the center's endpoints."""
    log_configs: Mapping[str, str] = field(default_factory=dict)
    """Per class, the signer's transparency log config (components.transparency.signer_log_config);
    a class with one hands its releases out only with their .tlog-proof."""


class SigningService(pulumi.ComponentResource):
    def __init__(self, name: str, args: SigningServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:signing:SigningService", name, None, opts)
        self._name = name
        self._args = args
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        self.backend = config.backend
        self.cloudhsm_config = config.cloudhsm
        self.initialized = bool(config.cloudhsm and config.cloudhsm.initialized)

        # The zone's key: release objects, signer volumes and (cloudhsm) crypto-user secrets.
        self.key = EncryptionKey(
            resource_name(name, "key"),
            EncryptionKeyArgs(
                description=f"transparency-center {args.stack}: signed releases, signer host volumes",
                alias=f"tc/{args.stack}/signing",
                account_id=args.account_id,
                administrators=args.key_administrators,
                via_services=("ec2", "s3", "secretsmanager"),
                teardown=args.teardown,
            ),
            opts=child,
        )

        self.signers: dict[str, Role] = {}
        for signing_class in SIGNING_CLASSES:
            self.signers[signing_class] = instance_role(
                resource_name(name, signing_class, "signer"),
                role_name=signer_role_name(args.stack, signing_class),
                description=f"Signer host of {signing_class}: reads matching builder outputs, signs, writes releases",
                account_id=args.account_id,
                opts=child,
            )

        lock = config.release_lock
        self.release_bucket = SecureBucket(
            resource_name(name, "releases"),
            SecureBucketArgs(
                bucket_name=bucket_name(args.account_id, args.stack, "releases"),
                key=self.key,
                teardown=args.teardown,
                access_log_bucket=args.access_log_bucket,
                object_lock=ObjectLock(lock.mode, lock.retention_days),
                lifecycle=Lifecycle(noncurrent_version_expiration_days=lock.retention_days),
                vpc_endpoint_ids=(args.network.s3_endpoint.id,),
                writer_arns=tuple(self.signers[c].arn for c in SIGNING_CLASSES),
                remote_readers=args.remote_readers,
                extra_statements=(policies.deny_overwrites(
                    awsfacts.bucket_arn(bucket_name(args.account_id, args.stack, "releases"))),),
                # Declared once the signer hosts exist: a class's prefix takes writes only from its
                # signer host's own credentials (`_bind_signers_to_their_hosts`).
                policy_declared_later=True,
            ),
            opts=child,
        )
        for signing_class, signer in sorted(self.signers.items()):
            self.release_bucket.grant_write(signer, release_prefix(signing_class))
            if args.release_record_archive is not None:
                args.release_record_archive.grant_write(signer, release_record_prefix(signing_class))

        self.keys: dict[str, SigningKey] = {}
        self.cluster: aws.cloudhsmv2.Cluster | None = None
        self.hsms: list[aws.cloudhsmv2.Hsm] = []
        self.hsm_addresses: list[str] = []
        self.crypto_user_secrets: dict[str, aws.secretsmanager.Secret] = {}
        if config.backend == "kms":
            for signing_class, signer in sorted(self.signers.items()):
                self.keys[signing_class] = SigningKey(
                    resource_name(name, signing_class, "key"),
                    SigningKeyArgs(
                        signing_class=signing_class, stack=args.stack, account_id=args.account_id,
                        administrators=args.key_administrators, key_spec=config.kms.key_spec, signer=signer,
                        kms_endpoint_id=args.network.interface_endpoints["kms"].id, teardown=args.teardown,
                    ),
                    opts=child,
                )
        else:
            self._cloudhsm(name, args)

        self.signer_security_group = self._signer_security_group(name, args)
        self.signer_hosts: dict[str, HardenedHost] = {}
        self.signer_azs: dict[str, str] = {}
        self._signer_hosts(name, args)
        self._bind_signers_to_their_hosts(name, args)

        self.register_outputs({
            "backend": self.backend,
            "releaseBucket": self.release_bucket.bucket_name,
            "signerRoleArns": {c: r.arn for c, r in sorted(self.signers.items())},
            "keyArns": {c: k.arn for c, k in sorted(self.keys.items())},
            "clusterId": self.cluster.cluster_id if self.cluster else None,
            "hsmIds": [hsm.hsm_id for hsm in self.hsms],
            "signerInstanceIds": {c: host.instance_ids for c, host in sorted(self.signer_hosts.items())},
        })

    # --- cloudhsm ------------------------------------------------------------------------

    def _cloudhsm(self, name: str, args: SigningServiceArgs) -> None:
        hsm_config = args.config.cloudhsm
        assert hsm_config is not None  # the config model requires the block for this backend
        keep = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=self), args.teardown.options("stateful"))
        signing_subnets = dict(zip(
            (subnet.az_id for subnet in args.plan.zone("signing").subnets), args.network.subnet_ids["signing"]))
        self.cluster = aws.cloudhsmv2.Cluster(
            resource_name(name, "cluster"),
            hsm_type=hsm_config.hsm_type,
            mode=CLOUDHSM_MODE,
            subnet_ids=[signing_subnets[az] for az in sorted(signing_subnets)],
            # The provider cannot set the backup retention: the runbook applies this value
            # with `aws cloudhsmv2 modify-cluster` and the tag records what it must be.
            tags={"Name": f"tc-{args.stack}-signing", "backup-retention-days": str(hsm_config.backup_retention_days)},
            opts=keep,
        )
        for index, (az, address) in enumerate(hsm_ip_addresses(args.plan, hsm_config.hsms)):
            self.hsms.append(aws.cloudhsmv2.Hsm(
                resource_name(name, "hsm", str(index + 1)),
                cluster_id=self.cluster.cluster_id,
                subnet_id=signing_subnets[az],
                ip_address=address,
                opts=keep,
            ))
            self.hsm_addresses.append(address)
        if hsm_config.initialized:
            # Crypto users exist only after the ceremony; their credentials are put here by hand.
            for signing_class, signer in sorted(self.signers.items()):
                secret = aws.secretsmanager.Secret(
                    resource_name(name, signing_class, "crypto-user"),
                    name=crypto_user_secret_name(args.stack, signing_class),
                    description=f"CloudHSM crypto user (user:password) of the {signing_class} signer",
                    kms_key_id=self.key.arn,
                    recovery_window_in_days=30,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                self.crypto_user_secrets[signing_class] = secret
                signer.add_policy("read-crypto-user", [
                    policies.statement("ReadOwnCryptoUser", ["secretsmanager:GetSecretValue"], [secret.arn]),
                    policies.statement("DecryptCryptoUser", policies.KEY_DECRYPT_ACTIONS, [self.key.arn]),
                ])

    def _signer_security_group(self, name: str, args: SigningServiceArgs) -> aws.ec2.SecurityGroup:
        """Signer hosts: no ingress; out only to the endpoints, S3 and (cloudhsm) the HSMs."""
        network = args.network
        egress = [
            {"description": "AWS APIs through the interface endpoints", "protocol": "tcp",
             "from_port": HTTPS, "to_port": HTTPS, "cidr_blocks": [network.zone_cidrs["endpoints"]]},
            {"description": "S3 through the gateway endpoint", "protocol": "tcp", "from_port": HTTPS, "to_port": HTTPS,
             "prefix_list_ids": [network.s3_endpoint.prefix_list_id]},
        ]
        if self.cluster is not None:
            egress.append({"description": "CloudHSM cluster", "protocol": "tcp", "from_port": CLOUDHSM_PORTS[0],
                           "to_port": CLOUDHSM_PORTS[1], "security_groups": [self.cluster.security_group_id]})
        group = aws.ec2.SecurityGroup(
            resource_name(name, "signer-sg"),
            vpc_id=network.vpc_id,
            description="Signer hosts: no inbound; HTTPS to endpoints and S3, CloudHSM ports to the cluster",
            ingress=[],
            egress=egress,
            tags={"Name": f"{name}-signers", "zone": "signing"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        if self.cluster is not None:
            # The cluster's own group (created by CloudHSM) admits the signer hosts, nobody else.
            aws.vpc.SecurityGroupIngressRule(
                resource_name(name, "hsm-from-signers"),
                security_group_id=self.cluster.security_group_id,
                referenced_security_group_id=group.id,
                ip_protocol="tcp",
                from_port=CLOUDHSM_PORTS[0],
                to_port=CLOUDHSM_PORTS[1],
                description="CloudHSM client ports from signer hosts only",
                opts=pulumi.ResourceOptions(parent=self),
            )
        return group

    # --- signer hosts ---------------------------------------------------------------------

    def _signer_hosts(self, name: str, args: SigningServiceArgs) -> None:
        """One hardened signer host per class, each with its class's role; the two classes
        sit in different availability zones where there are two."""
        subnet_by_az = dict(zip((s.az_id for s in args.plan.zone("signing").subnets), args.network.subnet_ids["signing"]))
        for signing_class, az in zip(SIGNING_CLASSES, spread(len(SIGNING_CLASSES), args.plan.az_ids)):
            signer = self.signers[signing_class]
            pools = tuple(sorted(args.build.pools_for(signing_class)))
            for pool in pools:
                args.build.grant_read_artifacts(signer, pool)
            self.signer_azs[signing_class] = az
            self.signer_hosts[signing_class] = HardenedHost(
                resource_name(name, signing_class, "host"),
                HardenedHostArgs(
                    ami_id=args.ami_id,
                    instance_type=args.config.signer_instance_type,
                    subnet_ids=[subnet_by_az[az]],
                    security_group_ids=[self.signer_security_group.id],
                    role=signer,
                    volume_key=self.key,
                    user_data=args.network.s3_endpoint.cidr_blocks.apply(
                        lambda cidrs, signing_class=signing_class, pools=pools:
                            hosts.render_host(signer_profile(self.host_values(signing_class, pools, cidrs or []))).user_data),
                    template_name=account_name(args.stack, "signer", signing_class),
                    description=f"Signer of {signing_class} ({args.config.backend})",
                    tags={"zone": "signing", "signing-class": signing_class},
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _bind_signers_to_their_hosts(self, name: str, args: SigningServiceArgs) -> None:
        """A signer role passed to another instance neither publishes releases nor reads its
        crypto user's credentials: both take the signer host's own credentials only (aws:userid
        `<role unique id>:<instance id>`). The secret's policy names the signer alone."""
        bindings = []
        for signing_class, signer in sorted(self.signers.items()):
            (instance_id,) = self.signer_hosts[signing_class].instance_ids
            bindings.append(policies.writes_only_from_own_instance(
                "OnlyOwnHostWrites" + "".join(p.capitalize() for p in signing_class.split("-")),
                policies.objects_under(self.release_bucket.arn, release_prefix(signing_class)), signer.arn,
                signer.role.unique_id, instance_id))
            secret = self.crypto_user_secrets.get(signing_class)
            if secret is not None:
                aws.secretsmanager.SecretPolicy(
                    resource_name(name, signing_class, "crypto-user-policy"),
                    secret_arn=secret.arn,
                    policy=pulumi.Output.json_dumps(policies.document(*policies.secret_only_for_host_statements(
                        secret.arn, signer.arn, signer.role.unique_id, [instance_id], args.deployer))),
                    block_public_policy=True,
                    opts=pulumi.ResourceOptions(parent=self),
                )
        self.release_bucket.declare_policy(bindings)

    def host_values(self, signing_class: str, pools: Sequence[str], s3_cidrs: Sequence[str]) -> SignerHostValues:
        args = self._args
        return signer_host_values(args.stack, args.config, args.plan, signing_class, pools, s3_cidrs,
                                  args.build.artifacts.bucket_name, self.release_bucket.bucket_name,
                                  args.release_record_archive.bucket_name if args.release_record_archive else "",
                                  args.log_configs.get(signing_class, ""))

    # --- grants by intent ----------------------------------------------------------------

    def grant_verify(self, role: Role) -> list[aws.iam.RolePolicy]:
        """Let `role` (a reviewer) fetch public keys and verify signatures; never sign."""
        if self.keys:
            return [key.grant_verify(role) for _, key in sorted(self.keys.items())]
        return [self.release_bucket.grant_read(role, RELEASES_PREFIX)]

    def grant_read_releases(self, role: Role) -> aws.iam.RolePolicy:
        """Read signed releases and their evidence (digests, key id, signature)."""
        return self.release_bucket.grant_read(role)
