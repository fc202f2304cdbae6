"""IntakeEdge: customers' products send suspicious files to their region's store (issue 27).

    product --mTLS--> API Gateway (REGIONAL, eu-central-2; custom domain with the product CA
    as truststore; the execute-api endpoint is off) --> broker of the client's region (Lambda
    in the data zone) --> presigned PUT of samples/<sha256> --> the region's store

TLS ends in Zurich: the API is REGIONAL and never edge-optimized, and nothing here is CloudFront
or Global Accelerator (the `regional-endpoints-only` check rule holds every stack to it). The
broker reads no customer data (`RegionalDataStore.grant_intake_broker`); its only read is the
approved collection rule set, which the rule publisher role (the approval pipeline:
`tcenter intake publish`) writes under `rules/` of the intake bucket. Throttles, reserved
concurrency and quota increase requests come from the capacity model
(components/intake_capacity.py), itself from `intake.capacity`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from . import awsfacts, policies
from .audit import log_group_name
from .config.intake import IntakeConfig
from .data import RegionalDataStore, StoreIntake
from .iam import Role, RoleArgs
from .intake_capacity import CapacityPlan, plan_capacity
from .kms import EncryptionKey, EncryptionKeyArgs
from .layout import account_name, bucket_name, resource_name
from .storage import Lifecycle, ObjectLock, SecureBucket, SecureBucketArgs
from .teardown import Teardown

FUNCTION_SOURCE = Path(__file__).resolve().parent.parent / "functions" / "intake_broker"
FUNCTION_PACKAGE = "intake_broker"
FUNCTION_HANDLER = f"{FUNCTION_PACKAGE}.handler.handle"
FUNCTION_RUNTIME = "python3.13"
API_VERSION = "v1"
STAGE = "v1"
TRUSTSTORE_KEY = "truststore.pem"
RULES_PREFIX = "rules/"
RULE_SET_HISTORY_PREFIX = "rules/sets/"
"""`rules/approved.json` is the current set (the broker reads it); `rules/sets/<digest>.json`
keeps every published set, write-once."""
LOG_PENDING_PREFIX = "rules/log-pending/"
"""Collection-rules entries the publisher leaves, create-only, for the transparency log's
sequencer to append (tcenter/intake/tlog.py); only the sequencer role reads them."""
TLS_POLICY = "TLS_1_2"
LOG_TAGS = {"zone": "audit"}
"""The intake's log groups are evidence like the center's other logs (drawn with them); no
reviewer role is granted them: they name clients and their addresses."""
MIN_TABLE_WRITES = 100

REQUEST_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "SampleRequest",
    "type": "object",
    "additionalProperties": False,
    "required": ["sha256", "size", "ruleId", "ruleSetDigest"],
    "properties": {
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "size": {"type": "integer", "minimum": 0},
        "ruleId": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{2,62}$"},
        "ruleSetDigest": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
    },
}
"""API Gateway refuses a malformed body (400) before any function runs; the broker checks again."""

ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "time": "$context.requestTimeEpoch", "path": "$context.resourcePath",
    "status": "$context.status", "latencyMs": "$context.responseLatency", "sourceIp": "$context.identity.sourceIp",
    "clientCertSerial": "$context.identity.clientCert.serialNumber",
    "clientCertSubject": "$context.identity.clientCert.subjectDN", "error": "$context.error.message",
}, sort_keys=True)


def rule_publisher_role_name(stack: str) -> str:
    return account_name(stack, "intake", "rules-publisher")


def edge_role_name(stack: str) -> str:
    """API Gateway's account-level CloudWatch role (writes the intake's access log)."""
    return account_name(stack, "intake", "edge-logs")


def broker_function_name(stack: str, customer_region: str) -> str:
    return account_name(stack, "intake", customer_region)


def function_code() -> pulumi.AssetArchive:
    """The broker's package as text assets: deterministic (no zip timestamps, no paths of this
    checkout), and every change of its code is a change of the plan a reviewer diffs."""
    files = sorted(p for p in FUNCTION_SOURCE.glob("*.py"))
    return pulumi.AssetArchive({f"{FUNCTION_PACKAGE}/{p.name}": pulumi.StringAsset(p.read_text()) for p in files})


def function_code_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(FUNCTION_SOURCE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def store_intake(config: IntakeConfig, customer_region: str) -> StoreIntake:
    """What a store needs to declare its side of the intake (the broker's role, the intake table,
    the fences of its bucket) before the intake exists."""
    load = plan_capacity(config).region(customer_region)
    writes = max(MIN_TABLE_WRITES, int(load.peak_dynamodb_writes_per_second * config.capacity.headroom) + 1)
    return StoreIntake(
        max_signature_age_ms=config.upload_url_seconds * 1000,
        max_table_writes_per_second=writes,
    )


@dataclass(frozen=True)
class IntakeEdgeArgs:
    stack: str
    account_id: str
    key_administrators: Sequence[str]
    config: IntakeConfig
    teardown: Teardown
    stores: Mapping[str, RegionalDataStore]
    """Every customer region's store, declared with `store_intake(...)`."""
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """The data zone's subnets: the brokers run there and reach DynamoDB and S3 only through
    the center's gateway endpoints (the tables' and buckets' policies require them)."""
    s3_prefix_list_id: pulumi.Input[str]
    dynamodb_prefix_list_id: pulumi.Input[str]
    access_log_bucket: SecureBucket
    log_retention_days: int
    store_events_to_eventbridge: bool = False
    """The stores' one notification configuration (S3 keeps one per bucket) also sends their events
    to EventBridge: the analysis cells' job queues are fed from there."""


class IntakeEdge(pulumi.ComponentResource):
    def __init__(self, name: str, args: IntakeEdgeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:intake:IntakeEdge", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        config, stack, account = args.config, args.stack, args.account_id
        self.capacity: CapacityPlan = plan_capacity(config)
        missing = sorted(set(config.capacity.clients) - set(args.stores))
        if missing:
            raise ValueError(f"{name}: no data store for customer regions {missing}")

        # --- the intake bucket: truststore and published rule sets (both public by design) ----
        self.key = EncryptionKey(
            resource_name(name, "key"),
            EncryptionKeyArgs(
                description=f"transparency-center {stack}: intake truststore, published rule sets, intake logs",
                alias=f"tc/{stack}/intake", account_id=account, administrators=tuple(args.key_administrators),
                via_services=("s3",), teardown=args.teardown,
                service_statements=(policies.logs_service_key_statement(account),),
            ),
            opts=child,
        )
        self.publisher = Role(
            resource_name(name, "rules-publisher"),
            RoleArgs(
                role_name=rule_publisher_role_name(stack),
                description="The approval pipeline publishes quorum-approved collection rule sets (tcenter intake publish)",
                trust_policy=policies.assume_role_by_principals(config.rule_publishers, require_mfa=False),
            ),
            opts=child,
        )
        self.bucket_name = bucket_name(account, stack, "intake")
        intake_bucket_arn = awsfacts.bucket_arn(self.bucket_name)
        lock = config.record_lock
        self.bucket = SecureBucket(
            resource_name(name, "records"),
            SecureBucketArgs(
                bucket_name=self.bucket_name, key=self.key, teardown=args.teardown,
                access_log_bucket=args.access_log_bucket,
                object_lock=ObjectLock(args.teardown.object_lock_mode(lock.mode), lock.retention_days),
                lifecycle=Lifecycle(noncurrent_version_expiration_days=lock.retention_days),
                # No endpoint restriction: API Gateway reads the truststore for the deployer, the
                # pipeline publishes from outside; what is here is public (CA certificates, rule sets).
                extra_statements=(
                    policies.deny_writes_under_prefix_except(intake_bucket_arn, RULES_PREFIX, [self.publisher.arn],
                                                             "DenyRuleSetWritesExceptPublisher"),
                    policies.deny_overwrites(intake_bucket_arn, RULE_SET_HISTORY_PREFIX),
                    {**policies.deny_overwrites(intake_bucket_arn, LOG_PENDING_PREFIX), "Sid": "DenyPendingLogEntryOverwrites"},
                ),
                tags={"purpose": "intake"},
            ),
            opts=child,
        )
        self.publisher.add_policy("publish-rule-sets", policies.write_objects_statements(
            "PublishRuleSets", policies.objects_under(self.bucket.arn, RULES_PREFIX), self.key.arn))
        self.truststore = aws.s3.BucketObjectv2(
            resource_name(name, "truststore"),
            bucket=self.bucket.id,
            key=TRUSTSTORE_KEY,
            content="".join(config.product_ca_certificates),
            content_type="application/x-pem-file",
            checksum_algorithm="SHA256",  # Object Lock buckets want a checksum on every put
            server_side_encryption="aws:kms",
            kms_key_id=self.key.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket.policy] if self.bucket.policy else []),
        )

        # --- the edge: REGIONAL REST API, access log, mutual TLS custom domain ----------------
        self.access_log = aws.cloudwatch.LogGroup(
            resource_name(name, "access-log"),
            name=log_group_name(stack, "intake-access"),
            retention_in_days=args.log_retention_days,
            kms_key_id=self.key.arn,
            tags=dict(LOG_TAGS),
            opts=pulumi.ResourceOptions.merge(child, args.teardown.options("stateful")),
        )
        self.edge_role = Role(
            resource_name(name, "edge-logs"),
            RoleArgs(
                role_name=edge_role_name(stack),
                description="API Gateway writes the intake's access log (account-level CloudWatch role); reads nothing",
                trust_policy=policies.assume_role_by_service("apigateway.amazonaws.com", account),
            ),
            opts=child,
        )
        edge_logs = self.edge_role.add_policy("write-access-log", policies.api_gateway_log_statements(self.access_log.arn))
        self.api_account = aws.apigateway.Account(
            resource_name(name, "api-account"), cloudwatch_role_arn=self.edge_role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[edge_logs]),
        )
        self.api = aws.apigateway.RestApi(
            resource_name(name, "api"),
            name=account_name(stack, "intake"),
            description="Sample intake: products ask their region's broker for a presigned upload (mutual TLS only)",
            endpoint_configuration={"types": "REGIONAL"},
            disable_execute_api_endpoint=True,  # only the mutual-TLS custom domain answers
            opts=child,
        )
        model = aws.apigateway.Model(
            resource_name(name, "request-model"), rest_api=self.api.id, name="SampleRequest",
            content_type="application/json", schema=json.dumps(REQUEST_SCHEMA, sort_keys=True), opts=child,
        )
        validator = aws.apigateway.RequestValidator(
            resource_name(name, "request-validator"), rest_api=self.api.id, name="body",
            validate_request_body=True, validate_request_parameters=False, opts=child,
        )
        version = aws.apigateway.Resource(
            resource_name(name, "api", API_VERSION), rest_api=self.api.id, parent_id=self.api.root_resource_id,
            path_part=API_VERSION, opts=child,
        )

        # --- one broker per customer region ----------------------------------------------------
        self.brokers: dict[str, aws.lambda_.Function] = {}
        self.broker_roles: dict[str, Role] = {}
        self.route_paths: dict[str, str] = {}
        deployment_parts: list[pulumi.Resource] = []
        for region, store in args.stores.items():
            load = self.capacity.region(region)
            function, role, parts = self._broker(name, region, store, load.reserved_concurrency, args, version,
                                                 model, validator, intake_bucket_arn)
            self.brokers[region], self.broker_roles[region] = function, role
            self.route_paths[region] = f"/{API_VERSION}/{region}/samples"
            deployment_parts += parts

        definition = hashlib.sha256(json.dumps({
            "routes": sorted(self.route_paths.values()), "schema": REQUEST_SCHEMA, "code": function_code_digest(),
        }, sort_keys=True).encode()).hexdigest()
        deployment = aws.apigateway.Deployment(
            resource_name(name, "deployment"), rest_api=self.api.id,
            description="The intake's routes, request model and brokers", triggers={"definition": definition},
            opts=pulumi.ResourceOptions(parent=self, depends_on=deployment_parts),
        )
        self.stage = aws.apigateway.Stage(
            resource_name(name, "stage"), rest_api=self.api.id, deployment=deployment.id, stage_name=STAGE,
            access_log_settings={"destination_arn": self.access_log.arn, "format": ACCESS_LOG_FORMAT},
            xray_tracing_enabled=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.api_account]),
        )
        for region in args.stores:
            load = self.capacity.region(region)
            aws.apigateway.MethodSettings(
                resource_name(name, "throttle", region), rest_api=self.api.id, stage_name=self.stage.stage_name,
                method_path=f"{API_VERSION}/{region}/samples/POST",
                settings={"throttling_rate_limit": load.throttle_rate, "throttling_burst_limit": load.throttle_burst,
                          "metrics_enabled": True, "logging_level": "OFF", "data_trace_enabled": False},
                opts=child,
            )
        self.domain = aws.apigateway.DomainName(
            resource_name(name, "domain"),
            domain_name=config.domain_name,
            regional_certificate_arn=config.certificate_arn,
            endpoint_configuration={"types": "REGIONAL"},
            security_policy=TLS_POLICY,
            mutual_tls_authentication={
                "truststore_uri": f"s3://{self.bucket_name}/{TRUSTSTORE_KEY}",
                "truststore_version": self.truststore.version_id,
            },
            opts=child,
        )
        aws.apigateway.BasePathMapping(
            resource_name(name, "domain-mapping"), rest_api=self.api.id, stage_name=self.stage.stage_name,
            domain_name=self.domain.domain_name, opts=child,
        )

        # --- quota increases the capacity model asks for ---------------------------------------
        self.quota_requests: dict[str, aws.servicequotas.ServiceQuota] = {}
        for check in self.capacity.increases:
            self.quota_requests[check.quota.quota_code] = aws.servicequotas.ServiceQuota(
                resource_name(name, "quota", check.quota.service_code, check.quota.quota_code.lower()),
                service_code=check.quota.service_code, quota_code=check.quota.quota_code, value=check.request,
                opts=child,
            )

        self.exports = {
            "intakeDomainName": config.domain_name,
            "intakeRegionalDomainName": self.domain.regional_domain_name,
            "intakeRoutes": dict(self.route_paths),
            "intakeBucket": self.bucket_name,
            "intakeRulePublisherRoleArn": self.publisher.arn,
            "intakeLogPendingPrefix": f"s3://{self.bucket_name}/{LOG_PENDING_PREFIX}",
            "intakeBrokerFunctions": {region: fn.name for region, fn in self.brokers.items()},
            "intakeQuotaRequests": {check.quota.quota_code: check.request for check in self.capacity.increases},
        }
        self.register_outputs(self.exports)

    def grant_log_pending_read(self, role: Role) -> aws.iam.RolePolicy:
        """The transparency log's sequencer lists and reads the collection-rules entries the
        publisher leaves under `rules/log-pending/` (and nothing else of the intake bucket)."""
        return role.add_policy("read-intake-log-pending", [
            policies.statement("ListPendingRuleSetEntries", ["s3:ListBucket"], [self.bucket.arn],
                               conditions={"StringLike": {"s3:prefix": [f"{LOG_PENDING_PREFIX}*"]}}),
            *policies.read_object_statements("ReadPendingRuleSetEntries",
                                             [policies.objects_under(self.bucket.arn, LOG_PENDING_PREFIX)], self.key.arn),
        ])

    def _broker(self, name: str, region: str, store: RegionalDataStore, concurrency: int, args: IntakeEdgeArgs,
                version: aws.apigateway.Resource, model: aws.apigateway.Model,
                validator: aws.apigateway.RequestValidator, intake_bucket_arn: str,
                ) -> tuple[aws.lambda_.Function, Role, list[pulumi.Resource]]:
        child = pulumi.ResourceOptions(parent=self)
        config, stack, account = args.config, args.stack, args.account_id
        function_name = broker_function_name(stack, region)
        role = store.intake_broker_role
        if role is None:
            raise ValueError(f"{name}: the store of {region} was declared without an intake")
        log_group = aws.cloudwatch.LogGroup(
            resource_name(name, "broker-logs", region),
            name=f"/aws/lambda/{function_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=self.key.arn,
            tags=dict(LOG_TAGS),
            opts=pulumi.ResourceOptions.merge(child, args.teardown.options("stateful")),
        )
        grants = [
            store.grant_intake_broker(role),
            role.add_policy("read-approved-rule-set", policies.read_object_statements(
                "ReadApprovedRuleSet", [f"{intake_bucket_arn}/{RULES_PREFIX}approved.json"], self.key.arn)),
            role.add_policy("write-own-logs", policies.log_stream_write_statements(log_group.arn)),
            role.add_policy("vpc-network-interfaces", policies.lambda_vpc_statements(account)),
        ]
        security_group = aws.ec2.SecurityGroup(
            resource_name(name, "broker-sg", region),
            vpc_id=args.vpc_id,
            description=f"Intake broker of {region}: HTTPS to S3 and DynamoDB gateway endpoints only",
            ingress=[],
            egress=[
                {"description": "S3 through the gateway endpoint", "protocol": "tcp", "from_port": awsfacts.HTTPS,
                 "to_port": awsfacts.HTTPS, "prefix_list_ids": [args.s3_prefix_list_id]},
                {"description": "DynamoDB through the gateway endpoint", "protocol": "tcp", "from_port": awsfacts.HTTPS,
                 "to_port": awsfacts.HTTPS, "prefix_list_ids": [args.dynamodb_prefix_list_id]},
            ],
            tags={"Name": f"{function_name}", "zone": "data"},
            opts=child,
        )
        function = aws.lambda_.Function(
            resource_name(name, "broker-fn", region),
            name=function_name,
            description=f"Intake broker of {region} (functions/intake_broker, docs/intake.md)",
            runtime=FUNCTION_RUNTIME,
            architectures=["arm64"],
            handler=FUNCTION_HANDLER,
            code=function_code(),
            role=role.arn,
            memory_size=config.broker.memory_mb,
            timeout=config.broker.timeout_seconds,
            reserved_concurrent_executions=concurrency,
            vpc_config={"subnet_ids": list(args.subnet_ids), "security_group_ids": [security_group.id]},
            logging_config={"log_format": "JSON", "log_group": log_group.name},
            environment={"variables": {
                "CUSTOMER_REGION": region,
                "SAMPLES_BUCKET": store.bucket_name,
                "SAMPLES_KEY_ARN": store.key_arn,
                "INTAKE_TABLE": store.intake_table_name,
                "RULES_BUCKET": self.bucket_name,
                "MIN_BYTES": str(config.sample_size.min_bytes),
                "MAX_BYTES": str(config.sample_size.max_bytes),
                "URL_SECONDS": str(config.upload_url_seconds),
                "PER_CLIENT_PER_HOUR": str(config.per_client_requests_per_hour),
                "RULES_REFRESH_SECONDS": str(config.rules_refresh_seconds),
            }},
            tags={"customer-region": region},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*grants, log_group]),
        )
        resource = aws.apigateway.Resource(
            resource_name(name, "api", region), rest_api=self.api.id, parent_id=version.id, path_part=region, opts=child,
        )
        samples = aws.apigateway.Resource(
            resource_name(name, "api", region, "samples"), rest_api=self.api.id, parent_id=resource.id,
            path_part="samples", opts=child,
        )
        method = aws.apigateway.Method(
            resource_name(name, "api", region, "post"), rest_api=self.api.id, resource_id=samples.id, http_method="POST",
            authorization="NONE",  # the custom domain's mutual TLS authenticates every client
            request_validator_id=validator.id, request_models={"application/json": model.name}, opts=child,
        )
        integration = aws.apigateway.Integration(
            resource_name(name, "api", region, "integration"), rest_api=self.api.id, resource_id=samples.id,
            http_method=method.http_method, type="AWS_PROXY", integration_http_method="POST",
            uri=function.invoke_arn, opts=child,
        )
        aws.lambda_.Permission(
            resource_name(name, "invoke-from-api", region), function=function.name, action="lambda:InvokeFunction",
            principal="apigateway.amazonaws.com",
            source_arn=self.api.id.apply(
                lambda api_id: awsfacts.execute_api_arn(account, api_id, f"{STAGE}/POST/{API_VERSION}/{region}/samples")),
            opts=child,
        )
        from_s3 = aws.lambda_.Permission(
            resource_name(name, "invoke-from-store", region), function=function.name, action="lambda:InvokeFunction",
            principal="s3.amazonaws.com", source_arn=store.bucket_arn, source_account=account, opts=child,
        )
        aws.s3.BucketNotification(
            resource_name(name, "stored-notice", region), bucket=store.bucket.id,
            lambda_functions=[{"lambda_function_arn": function.arn, "events": ["s3:ObjectCreated:*"],
                               "filter_prefix": policies.INTAKE_SAMPLES_PREFIX}],
            eventbridge=args.store_events_to_eventbridge or None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[from_s3]),
        )
        return function, role, [method, integration]
