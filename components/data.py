"""RegionalDataStore: the customer data of one customer region, stored in Zurich.

Each store has its own customer managed key, an object bucket and a metadata table, and
two roles: ingestion (write-only) and analysis (read-only), wired by the store's `grant_*`
methods. Reviewers get nothing here; the reviewer zone denies the ARNs the store exposes.

Residency: every resource goes through the data zone's provider, pinned to eu-central-2;
the store declares no replication, no table replicas and no multi-Region key, and refuses
a config that asks for any of them (the config model already has; this is the last guard).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from . import awsfacts, policies
from .config.base import REGION
from .config.data import DATA_CLASS, CustomerRegion, DataStoresConfig
from .iam import Role, RoleArgs, instance_role
from .kms import EncryptionKey, EncryptionKeyArgs
from .layout import account_name, bucket_name, resource_name
from .storage import Lifecycle, ObjectLock, SecureBucket, SecureBucketArgs
from .teardown import Teardown

TABLE_HASH_KEY = "objectKey"
TABLE_RANGE_KEY = "versionId"
"""Metadata items describe one object version of the store's bucket."""


def store_table_name(stack: str, customer_region: str) -> str:
    return account_name(stack, "data", customer_region, "metadata")


def intake_table_name(stack: str, customer_region: str) -> str:
    return account_name(stack, "data", customer_region, "intake")


INTAKE_TABLE_HASH_KEY = "pk"
"""`sample#<sha256>` (a claimed or stored sample) or `client#<id>#<hour>` (a request counter)."""
INTAKE_TABLE_TTL_ATTRIBUTE = "expiresAt"
"""Only client counters carry it: DynamoDB deletes them after their hour; sample items never expire."""


def intake_broker_role_name(stack: str, customer_region: str) -> str:
    return account_name(stack, "intake", "broker", customer_region)


@dataclass(frozen=True)
class StoreIntake:
    """The store's side of the sample intake (components/intake.py): how the store fences the
    uploads its intake broker signs."""

    max_signature_age_ms: int
    max_table_writes_per_second: int
    """The intake table's on-demand write ceiling (capacity model x headroom): junk cannot run up
    an unbounded bill, and the broker answers 503 past it like API Gateway's throttle answers 429."""
def store_bucket_pattern(account_id: str, stack: str) -> str:
    """Every store's bucket (`bucket_name(account, stack, "data", region)`), and nothing else."""
    return f"arn:aws:s3:::tc-{account_id}-{stack}-data-*"


def store_table_pattern(account_id: str, stack: str) -> str:
    """Every store's tables (`store_table_name`, `intake_table_name`), and nothing else."""
    return f"arn:aws:dynamodb:{REGION}:{account_id}:table/{account_name(stack, 'data', '*')}"


def store_key_alias(stack: str, customer_region: str) -> str:
    return f"tc/{stack}/data-{customer_region}"


def store_key_alias_pattern(stack: str) -> str:
    """Every store's key alias (`alias/` + `store_key_alias`), and nothing else."""
    return f"alias/{store_key_alias(stack, '*')}"


def store_role_name(stack: str, customer_region: str, purpose: str) -> str:
    return account_name(stack, "data", customer_region, purpose)


@dataclass(frozen=True)
class RegionalDataStoreArgs:
    stack: str
    account_id: str
    customer_region: CustomerRegion
    key_administrators: tuple[str, ...]
    config: DataStoresConfig
    teardown: Teardown
    access_log_bucket: SecureBucket
    """The audit access-log bucket (S3.9)."""
    s3_endpoint_id: pulumi.Input[str]
    """The center's S3 gateway endpoint: the only way in for people and roles."""
    dynamodb_endpoint_id: pulumi.Input[str] = ""
    """The center's DynamoDB gateway endpoint: the only way to the table's items."""
    intake: StoreIntake | None = None
    """The sample intake writes `samples/` of this store (None: no intake)."""
    deployer: str = ""
    """The deploying role (access.deployRole): creates the table (a grant through DynamoDB) and
    alone changes the table's policy; never reads or writes customer data."""
    break_glass: str | None = None
    """May restore or export the table (access.breakGlassRole); never reads it."""
    data_deletion: str | None = None
    """Carries out deletion requests (access.dataDeletionRole): lists and deletes, never reads."""
    observers: tuple[str, ...] = ()
    """Reviewer roles: read the table's configuration and policy, never its items."""
    cells: tuple[pulumi.Input[str], ...] = ()
    """Analysis cell roles serving this store (components/analysis.py): alone read `samples/`,
    alone write `verdicts/`, and nothing else of the store. Empty: no analysis."""
    verdict_readers: tuple[pulumi.Input[str], ...] = ()
    """The AV-database builders: read `verdicts/` and nothing else of the store."""
    cell_s3_endpoint_id: pulumi.Input[str] | None = None
    """The analysis zone's own S3 gateway endpoint: the cells' only way in."""


def residency_problems(config: DataStoresConfig) -> list[str]:
    """What in `config` would put customer data or key material outside Zurich."""
    problems = []
    if config.storage_region != REGION:
        problems.append(f"storageRegion {config.storage_region!r} is not {REGION}")
    if config.replication_regions:
        problems.append(f"replicationRegions {config.replication_regions} would copy customer data out of {REGION}")
    if config.multi_region_keys:
        problems.append("multiRegionKeys would replicate key material out of Zurich")
    return problems


class RegionalDataStore(pulumi.ComponentResource):
    def __init__(self, name: str, args: RegionalDataStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:data:RegionalDataStore", name, None, opts)
        problems = residency_problems(args.config)
        if problems:
            raise ValueError(f"data store {args.customer_region}: refused (data residency): {'; '.join(problems)}")
        self._name = name
        self.customer_region = args.customer_region
        child = pulumi.ResourceOptions(parent=self)
        stack, account, region = args.stack, args.account_id, args.customer_region
        tags = {"customer-region": region, "data-class": DATA_CLASS}

        # Workers of the data zone run with these roles as instance profiles: their
        # requests come through the center's S3 endpoint, as the bucket policy requires.
        self.ingestion_role = instance_role(
            resource_name(name, "ingest"),
            role_name=store_role_name(stack, region, "ingest"),
            description=f"Writes customer data of {region} into its store; cannot read or delete it",
            account_id=account,
            session_manager=False,  # workers, not operated hosts: nothing here serves sessions
            tags=tags,
            opts=child,
        )
        self.analysis_role = instance_role(
            resource_name(name, "analyze"),
            role_name=store_role_name(stack, region, "analyze"),
            description=f"Reads customer data of {region} for analysis; cannot write or delete it",
            account_id=account,
            session_manager=False,  # workers, not operated hosts: nothing here serves sessions
            tags=tags,
            opts=child,
        )

        # The sample intake's broker of this region (a Lambda function of components/intake.py):
        # declared here, with the store's other principals, because the store's key names it.
        self.intake_broker_role: Role | None = None
        if args.intake is not None:
            self.intake_broker_role = Role(
                resource_name(name, "intake-broker"),
                RoleArgs(
                    role_name=intake_broker_role_name(stack, region),
                    description=f"Intake broker of {region}: signs uploads of samples/ of its store; reads no customer data",
                    trust_policy=policies.assume_role_by_service("lambda.amazonaws.com", account),
                    tags={"customer-region": region},
                ),
                opts=child,
            )
        broker = self.intake_broker_role.arn if self.intake_broker_role is not None else None

        # Declared after its users: the key policy names them (a key policy cannot name a role
        # that does not exist yet), and nobody else, not even through the account root. The
        # intake broker only has S3 generate data keys for samples/ (it never decrypts).
        users = [self.ingestion_role.arn, self.analysis_role.arn, *args.cells, *args.verdict_readers]
        if args.data_deletion:
            users.append(args.data_deletion)
        self.bucket_name = bucket_name(account, stack, "data", region)
        bucket_arn = awsfacts.bucket_arn(self.bucket_name)
        self.key = EncryptionKey(
            resource_name(name, "key"),
            EncryptionKeyArgs(
                description=f"transparency-center {stack}: customer data of {region} (bucket and metadata table)",
                alias=store_key_alias(stack, region),
                account_id=account,
                administrators=args.key_administrators,
                via_services=("dynamodb", "s3"),
                teardown=args.teardown,
                named_users=users,
                grant_makers=tuple(sorted({p for p in (args.deployer, args.break_glass) if p})),
                named_encryptors=(broker,) if broker is not None else (),
                encryptor_conditions=policies.intake_data_key_conditions(bucket_arn) if broker is not None else None,
            ),
            opts=child,
        )
        lock = args.config.object_lock
        lifecycle = args.config.lifecycle
        intake = args.intake
        intake_statements: list = []
        if intake is not None and broker is not None:
            intake_statements = policies.intake_upload_statements(
                bucket_arn, broker, self.key.arn, intake.max_signature_age_ms, awsfacts.S3_PRESIGNED_AUTH_TYPE)
        self.bucket = SecureBucket(
            resource_name(name, "objects"),
            SecureBucketArgs(
                bucket_name=self.bucket_name,
                key=self.key,
                teardown=args.teardown,
                access_log_bucket=args.access_log_bucket,
                object_lock=ObjectLock(args.teardown.object_lock_mode(lock.mode), lock.retention_days),
                lifecycle=Lifecycle(
                    noncurrent_version_expiration_days=lifecycle.noncurrent_version_expiration_days,
                    transition_to_infrequent_access_days=lifecycle.transition_to_infrequent_access_days,
                    abort_incomplete_multipart_upload_days=lifecycle.abort_incomplete_multipart_upload_days,
                ),
                vpc_endpoint_ids=(args.s3_endpoint_id,
                                  *((args.cell_s3_endpoint_id,) if args.cells and args.cell_s3_endpoint_id else ())),
                named_access=policies.NamedObjectAccess(
                    readers=(self.analysis_role.arn, *args.cells, *args.verdict_readers),
                    writers=(self.ingestion_role.arn, *args.cells),
                    # the broker's credentials sign customers' uploads of samples/<sha256>, nothing else
                    prefix_writers=((broker, policies.INTAKE_SAMPLES_PREFIX),) if broker is not None else (),
                    deleters=tuple(p for p in (args.data_deletion,
                                               args.deployer if args.teardown.force_destroy("stateful") else None) if p),
                    configurers=tuple(p for p in (args.deployer, args.break_glass) if p),
                ),
                # customers send the presigned uploads from the internet, not through the center's endpoint
                remote_writers=(broker,) if broker is not None else (),
                # the intake's fence; samples/ -> cells -> verdicts/ -> AV-database builders, and no other way out
                extra_statements=tuple(intake_statements) + (tuple(policies.cell_fence_statements(
                    bucket_arn, args.cells, args.verdict_readers)) if args.cells else ()),
                tags=tags,
            ),
            opts=child,
        )

        self.table_name = store_table_name(stack, region)
        self.table = aws.dynamodb.Table(
            resource_name(name, "metadata"),
            name=self.table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=TABLE_HASH_KEY,
            range_key=TABLE_RANGE_KEY,
            attributes=[{"name": TABLE_HASH_KEY, "type": "S"}, {"name": TABLE_RANGE_KEY, "type": "S"}],
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": self.key.arn},
            deletion_protection_enabled=args.teardown.deletion_protection("stateful"),
            tags=tags,
            opts=pulumi.ResourceOptions.merge(child, args.teardown.options("stateful")),
        )

        table_statements = policies.table_named_principals_statements(
            self.table.arn, readers=[self.analysis_role.arn], writers=[self.ingestion_role.arn],
            deleters=[args.data_deletion] if args.data_deletion else [], deployer=args.deployer,
            break_glass=args.break_glass, observers=args.observers) if args.deployer else []
        if args.dynamodb_endpoint_id or table_statements:
            through_endpoint = (policies.table_items_only_through_endpoint(self.table.arn, args.dynamodb_endpoint_id)
                                ["Statement"] if args.dynamodb_endpoint_id else [])
            aws.dynamodb.ResourcePolicy(
                resource_name(name, "metadata-policy"),
                resource_arn=self.table.arn,
                policy=pulumi.Output.json_dumps(policies.document(*through_endpoint, *table_statements)),
                opts=child,
            )
        self.bucket_arn: pulumi.Output[str] = self.bucket.arn
        self.table_arn: pulumi.Output[str] = self.table.arn
        self.key_arn: pulumi.Output[str] = self.key.arn
        self.intake_table: aws.dynamodb.Table | None = None
        self.intake_key: EncryptionKey | None = None
        if intake is not None and self.intake_broker_role is not None:
            self._declare_intake_table(name, args, intake, self.intake_broker_role, tags, child)

        self.grant_ingest(self.ingestion_role)
        self.grant_analyze(self.analysis_role)
        self.register_outputs({
            "customerRegion": region,
            "bucketName": self.bucket_name,
            "bucketArn": self.bucket_arn,
            "tableName": self.table_name,
            "tableArn": self.table_arn,
            "keyArn": self.key_arn,
            "ingestionRoleArn": self.ingestion_role.arn,
            "analysisRoleArn": self.analysis_role.arn,
            **({"intakeTableArn": self.intake_table.arn} if self.intake_table is not None else {}),
        })

    def _declare_intake_table(self, name: str, args: RegionalDataStoreArgs, intake: StoreIntake, broker: Role,
                              tags: dict[str, str], child: pulumi.ResourceOptions) -> None:
        """The hashes the intake has seen (and its per-client counters), under a key of their own:
        the broker needs Decrypt through DynamoDB for its conditional writes, and must never hold
        Decrypt on the store's key, which encrypts the samples themselves. Like the metadata
        table, it admits named principals only: the broker writes (and reads nothing), the
        data-deletion role deletes a sample's hash with the sample, reviewers read its guard."""
        stack, region = args.stack, args.customer_region
        users = [broker.arn, *([args.data_deletion] if args.data_deletion else [])]
        self.intake_key = EncryptionKey(
            resource_name(name, "intake-key"),
            EncryptionKeyArgs(
                description=f"transparency-center {stack}: the intake table of {region} (sample hashes, client counters)",
                alias=store_key_alias(stack, f"{region}-intake"),
                account_id=args.account_id,
                administrators=args.key_administrators,
                via_services=("dynamodb",),
                teardown=args.teardown,
                named_users=users,
                grant_makers=tuple(sorted({p for p in (args.deployer, args.break_glass) if p})),
            ),
            opts=child,
        )
        self.intake_table_name = intake_table_name(stack, region)
        self.intake_table = aws.dynamodb.Table(
            resource_name(name, "intake"),
            name=self.intake_table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=INTAKE_TABLE_HASH_KEY,
            attributes=[{"name": INTAKE_TABLE_HASH_KEY, "type": "S"}],
            ttl={"attribute_name": INTAKE_TABLE_TTL_ATTRIBUTE, "enabled": True},
            on_demand_throughput={"max_write_request_units": intake.max_table_writes_per_second},
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": self.intake_key.arn},
            deletion_protection_enabled=args.teardown.deletion_protection("stateful"),
            tags={**tags, "purpose": "intake"},
            opts=pulumi.ResourceOptions.merge(child, args.teardown.options("stateful")),
        )
        table_statements = policies.table_named_principals_statements(
            self.intake_table.arn, readers=[], writers=[broker.arn],
            deleters=[args.data_deletion] if args.data_deletion else [], deployer=args.deployer,
            break_glass=args.break_glass, observers=args.observers) if args.deployer else []
        if args.dynamodb_endpoint_id or table_statements:
            through_endpoint = (policies.table_items_only_through_endpoint(self.intake_table.arn, args.dynamodb_endpoint_id)
                                ["Statement"] if args.dynamodb_endpoint_id else [])
            aws.dynamodb.ResourcePolicy(
                resource_name(name, "intake-policy"),
                resource_arn=self.intake_table.arn,
                policy=pulumi.Output.json_dumps(policies.document(*through_endpoint, *table_statements)),
                opts=child,
            )
        self.intake_table_arn: pulumi.Output[str] = self.intake_table.arn
        self.intake_key_arn: pulumi.Output[str] = self.intake_key.arn

    # --- grants ---------------------------------------------------------------------------

    def grant_intake_broker(self, role: Role) -> aws.iam.RolePolicy:
        """The region's intake broker: sign uploads of `samples/`, have S3 encrypt them under the
        store's key, claim hashes and count requests in the intake table. Nothing is read."""
        if self.intake_table is None or self.intake_key is None:
            raise ValueError(f"{self._name}: the store was declared without an intake")
        return role.add_policy(f"intake-{self._name}", policies.intake_broker_statements(
            self.bucket_arn, self.key_arn, self.intake_table.arn, self.intake_key.arn))

    def grant_ingest(self, role: Role) -> None:
        """Write-only: put objects and metadata items; nothing is read back or deleted.
        Only roles named in the bucket policy's writers can actually put objects."""
        self.bucket.grant_write(role)
        role.add_policy(f"write-{self._name}-metadata",
                        policies.dynamodb_write_statements(self.table_arn, self.key_arn))

    def grant_analyze(self, role: Role) -> None:
        """Read-only: get and list objects, read metadata items."""
        self.bucket.grant_read(role)
        role.add_policy(f"read-{self._name}-metadata",
                        policies.dynamodb_read_statements(self.table_arn, self.key_arn))
