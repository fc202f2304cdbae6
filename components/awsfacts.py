"""One home for the AWS facts the kit relies on: region, ports, ARN formats, stateful types.

Components, `tcenter` and the policy pack all import these; nothing else spells an ARN
format, a port number or the region. Pure: no Pulumi, no resources.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PARTITION = "aws"

REGION = "eu-central-2"
"""The only region the center may use: customer data and signing stay in Switzerland."""

AVAILABILITY_ZONE_IDS = ("euc2-az1", "euc2-az2", "euc2-az3")
"""Zurich's availability zones by id; ids (unlike names) mean the same place in every account."""

# --- ports ---------------------------------------------------------------------------------

HTTPS = 443
DNS = 53
NTP = 123
EPHEMERAL_PORTS = (1024, 65535)
CLOUDHSM_PORTS = (2223, 2225)
"""CloudHSM client to HSM: 2223-2225 (CloudHSM user guide, "cluster security group")."""

# --- ARN formats ---------------------------------------------------------------------------


def arn(service: str, resource: str, account_id: str = "", region: str = "") -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account_id}:{resource}"


def account_root(account_id: str) -> str:
    return arn("iam", "root", account_id)


def role_arn(account_id: str, role_name: str) -> str:
    return arn("iam", f"role/{role_name}", account_id)


def managed_policy_arn(name: str) -> str:
    """An AWS managed policy (account `aws`)."""
    return arn("iam", f"policy/{name}", "aws")


def bucket_arn(bucket_name: str) -> str:
    return arn("s3", bucket_name)


def log_group_arn(account_id: str, log_group_name: str) -> str:
    return arn("logs", f"log-group:{log_group_name}", account_id, REGION)


def key_arn(account_id: str, key_id: str) -> str:
    return arn("kms", f"key/{key_id}", account_id, REGION)


def alias_arn(account_id: str, alias_name: str) -> str:
    return arn("kms", alias_name, account_id, REGION)


def trail_arn(account_id: str, trail_name: str) -> str:
    return arn("cloudtrail", f"trail/{trail_name}", account_id, REGION)


def table_arn(account_id: str, table_name: str) -> str:
    return arn("dynamodb", f"table/{table_name}", account_id, REGION)


def queue_arn(account_id: str, queue_name: str) -> str:
    """An SQS queue's ARN: the queue's name right after the account (no resource type)."""
    return arn("sqs", queue_name, account_id, REGION)


def event_rule_arn(account_id: str, rule_name: str) -> str:
    """A rule of the account's default EventBridge bus."""
    return arn("events", f"rule/{rule_name}", account_id, REGION)


S3_OBJECT_CREATED_DETAIL_TYPE = "Object Created"
"""What S3 calls a new object in the events it sends EventBridge (the bucket's EventBridge setting)."""


def queue_url(account_id: str, queue_name: str) -> str:
    """An SQS queue's URL (what the provider calls the queue's id, and what SQS's APIs take)."""
    return f"https://sqs.{REGION}.amazonaws.com/{account_id}/{queue_name}"


def execute_api_arn(account_id: str, api_id: str, path: str = "*") -> str:
    """An API Gateway execution ARN: `<api id>/<stage>/<METHOD>/<resource path>` (what a Lambda
    permission's source ARN names)."""
    return arn("execute-api", f"{api_id}/{path}", account_id, REGION)


def ssm_document_arn(account_id: str, document_name: str) -> str:
    return arn("ssm", f"document/{document_name}", account_id, REGION)


def ec2_arn(account_id: str, kind: str, resource_id: str) -> str:
    return arn("ec2", f"{kind}/{resource_id}", account_id, REGION)


def service_linked_role_arn(account_id: str, service: str, role_name: str) -> str:
    """A service-linked role, e.g. AWS Config's `AWSServiceRoleForConfig`."""
    return arn("iam", f"role/aws-service-role/{service_principal(service)}/{role_name}", account_id)


def security_hub_standard_arn(standard: str) -> str:
    """A Security Hub standard (AWS-owned: no account), e.g. `aws-foundational-security-best-practices/v/1.0.0`."""
    return arn("securityhub", f"standards/{standard}", "", REGION)


SECURITY_HUB_STANDARDS = {
    "AWS Foundational Security Best Practices v1.0.0": "aws-foundational-security-best-practices/v/1.0.0",
    "CIS AWS Foundations Benchmark v3.0.0": "cis-aws-foundations-benchmark/v/3.0.0",
}
"""The standards the center subscribes to (Security Hub user guide, "Standards reference")."""

SERVICE_LINKED_ROLE_NAMES = {"config.amazonaws.com": "AWSServiceRoleForConfig"}
"""The names AWS gives the service-linked roles the center creates."""


def cloudfront_distribution_arn(account_id: str, distribution_id: str) -> str:
    """CloudFront is global: its ARNs carry no region."""
    return arn("cloudfront", f"distribution/{distribution_id}", account_id)


def service_principal(service: str) -> str:
    """A global service principal, e.g. `cloudtrail.amazonaws.com`."""
    return f"{service}.amazonaws.com"


def service_endpoint(service: str) -> str:
    """A service's regional endpoint name in Zurich (kms:ViaService values, endpoint DNS)."""
    return f"{service}.{REGION}.amazonaws.com"


def interface_endpoint_service_name(service: str) -> str:
    return f"com.amazonaws.{REGION}.{service}"


# --- the kit's shared classifications -------------------------------------------------------

SIGNING_CLASSES = ("products", "av-databases")
"""What the center signs, each class with its own key (and build pool purpose)."""

KEY_LIFECYCLE_ACTIONS = ("kms:DisableKey", "kms:ScheduleKeyDeletion")
"""KMS actions that make a key unusable (disable it, or schedule its deletion)."""

ASSET_CLASSES: dict[str, tuple[str, ...]] = {
    "customer-data": ("data",),
    "signing": ("signing",),
    "audit": ("audit", "transparency"),
    "distribution": ("distribution",),
}
"""What reviewers filter assets by -> the areas (provider `zone` tags) whose assets belong to it."""

# --- naming ----------------------------------------------------------------------------------

def key_alias(name: str) -> str:
    return f"alias/{name}"


# --- stateful types: deleting one loses data or keys ----------------------------------------

STATEFUL_TYPES: dict[str, dict[str, Any]] = {
    "aws:kms/key:Key": {"what": "key", "loses": "whatever it encrypted or signed becomes unusable once it is deleted"},
    "aws:kms/externalKey:ExternalKey": {"what": "key", "loses": "whatever it encrypted or signed becomes unusable once it is deleted"},
    "aws:kms/replicaKey:ReplicaKey": {"what": "key", "loses": "whatever its primary encrypted, where only it remains"},
    "aws:kms/customKeyStore:CustomKeyStore": {"what": "custom key store", "loses": "its keys live in the HSMs"},
    "aws:cloudhsmv2/cluster:Cluster": {"what": "HSM cluster", "loses": "signing keys and the initialized cluster state"},
    "aws:cloudhsmv2/hsm:Hsm": {"what": "HSM", "loses": "removing the last HSM of a cluster loses its keys"},
    "aws:acmpca/certificateAuthority:CertificateAuthority": {"what": "private CA", "loses": "the CA's private key"},
    "aws:s3/bucket:Bucket": {"what": "bucket", "loses": "the objects it stores"},
    "aws:s3/bucketV2:BucketV2": {"what": "bucket", "loses": "the objects it stores"},
    "aws:glacier/vault:Vault": {"what": "Glacier vault", "loses": "its archives"},
    "aws:dynamodb/table:Table": {"what": "table", "loses": "the items it stores"},
    "aws:dynamodb/tableReplica:TableReplica": {"what": "table replica", "loses": "the items it stores"},
    "aws:cloudwatch/logGroup:LogGroup": {"what": "log group", "loses": "the log events it archives"},
    "aws:cloudtrail/eventDataStore:EventDataStore": {"what": "event data store", "loses": "the events it stores"},
    "aws:ebs/volume:Volume": {"what": "volume", "loses": "its data"},
    "aws:ebs/snapshot:Snapshot": {"what": "snapshot", "loses": "the point-in-time copy"},
    "aws:efs/fileSystem:FileSystem": {"what": "file system", "loses": "its files"},
    "aws:rds/instance:Instance": {"what": "database", "loses": "its data (unless a final snapshot is taken)"},
    "aws:rds/cluster:Cluster": {"what": "database cluster", "loses": "its data"},
    "aws:secretsmanager/secret:Secret": {"what": "secret", "loses": "its value"},
    "aws:ssm/parameter:Parameter": {"what": "parameter", "loses": "its value and history"},
    "aws:backup/vault:Vault": {"what": "backup vault", "loses": "its recovery points"},
    "aws:sqs/queue:Queue": {"what": "queue", "loses": "the messages waiting in it"},
    "aws:kinesis/stream:Stream": {"what": "stream", "loses": "the records it retains"},
    "aws:ecr/repository:Repository": {"what": "image repository", "loses": "its images"},
}
"""The one table of stateful types: the teardown rule (components), the prod-protect rule
and the diff's data-loss risk (tcenter) all read it."""


def is_stateful(resource_type: str) -> bool:
    return resource_type in STATEFUL_TYPES


def stateful_reason(resource_type: str) -> str | None:
    entry = STATEFUL_TYPES.get(resource_type)
    return f"{entry['what']}: {entry['loses']}" if entry else None


# --- AWS limits the mock engine does not enforce --------------------------------------------

ROLE_TRUST_POLICY_MAX = 2048
"""IAM quota 'Role trust policy length' (default; can be raised to 4,096), characters without white space."""
MANAGED_POLICY_MAX = 6144
"""IAM: a managed policy (and so a permission boundary), characters without white space."""
ROLE_INLINE_POLICIES_TOTAL = 10240
"""IAM: all inline policies of one role together, characters without white space."""
KEY_POLICY_MAX = 32768
"""KMS: a key policy, bytes."""
BUCKET_POLICY_MAX = 20480
"""S3: a bucket policy, bytes."""
VPC_ENDPOINT_POLICY_MAX = 20480
"""VPC: an endpoint policy, characters."""
SCP_MAX = 5120
"""Organizations: a service control policy, characters."""
SCPS_PER_TARGET_MAX = 5
"""Organizations: SCPs attached to one root, OU or account."""

POLICY_SIZE_LIMITS: dict[tuple[str, str], int] = {
    ("aws:iam/role:Role", "assumeRolePolicy"): ROLE_TRUST_POLICY_MAX,
    ("aws:iam/policy:Policy", "policy"): MANAGED_POLICY_MAX,
    ("aws:kms/key:Key", "policy"): KEY_POLICY_MAX,
    ("aws:s3/bucketPolicy:BucketPolicy", "policy"): BUCKET_POLICY_MAX,
    ("aws:ec2/vpcEndpoint:VpcEndpoint", "policy"): VPC_ENDPOINT_POLICY_MAX,
    ("aws:organizations/policy:Policy", "content"): SCP_MAX,
}
"""(Pulumi type, property) -> the most AWS accepts for the document there."""

TAGS_PER_RESOURCE_MAX = 50
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256

KEY_SPECS_BY_USAGE: dict[str, tuple[str, ...]] = {
    "ENCRYPT_DECRYPT": ("SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "SM2"),
    "SIGN_VERIFY": ("RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
                    "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "SM2"),
    "GENERATE_VERIFY_MAC": ("HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"),
    "KEY_AGREEMENT": ("ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SM2"),
}
"""KMS CreateKey: which KeySpec each KeyUsage accepts (KMS developer guide, 'key spec reference').
ECC_NIST_EDWARDS25519 (Ed25519, signing only) is in the KMS API's KeySpec enum (botocore 1.44) and in
pulumi-aws 7.51's list of valid `customerMasterKeySpec` values; it is not in the deprecated
CustomerMasterKeySpec enum, which the provider no longer validates against."""

ED25519_KEY_SPEC = "ECC_NIST_EDWARDS25519"
ED25519_SIGNING_ALGORITHM = "ED25519_SHA_512"
"""PureEdDSA (RFC 8032 Ed25519) in KMS: Sign with MessageType RAW (messages up to 4,096 bytes).
ED25519_PH_SHA_512 is HashEdDSA (Ed25519ph, MessageType DIGEST): a different signature, which
no signed-note verifier accepts."""
KMS_RAW_MESSAGE_MAX = 4096
"""KMS Sign/Verify: the largest message with MessageType RAW, in bytes."""
ROTATABLE_KEY_SPECS = ("SYMMETRIC_DEFAULT",)
"""Automatic rotation exists for symmetric encryption keys only (HMAC and asymmetric keys refuse it)."""
KEY_DELETION_WINDOW_DAYS = (7, 30)

IAM_POLICY_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")
"""Inline policy names (IAM PutRolePolicy): letters, digits and +=,.@_- only, at most 128."""


def policy_name_for(*parts: str) -> str:
    """An inline policy name from parts that may hold S3 prefixes (`a/b/` -> `a-b`)."""
    return "-".join(p.strip("/").replace("/", "-") for p in parts if p.strip("/"))


_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """Why S3 would refuse a general purpose bucket name (S3 user guide, 'bucket naming rules')."""
    if not _BUCKET_NAME.match(name):
        return "3-63 characters of lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
    if ".." in name:
        return "no two adjacent dots"
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        return "not formatted as an IP address"
    if name.startswith(_BUCKET_RESERVED_PREFIXES) or name.endswith(_BUCKET_RESERVED_SUFFIXES):
        return f"no reserved prefix {_BUCKET_RESERVED_PREFIXES} or suffix {_BUCKET_RESERVED_SUFFIXES}"
    return None


# --- DNS names the center resolves (Route 53 Resolver DNS Firewall allow list) ---------------

DNS_FIREWALL_ALL_DOMAINS = "*"
"""A DNS Firewall domain specification matching every name."""


def s3_dns_names() -> list[str]:
    """S3 in Zurich: the regional name and virtual-hosted bucket names under it (SSM's
    regional buckets, the center's own). DNS Firewall's `*.x` matches subdomains, not `x`."""
    return [f"s3.{REGION}.amazonaws.com", f"*.s3.{REGION}.amazonaws.com"]


def center_dns_names(services: Sequence[str]) -> list[str]:
    """Every name the hosts resolve: each service's regional endpoint (private DNS of the
    interface endpoints, or the gateway endpoints' public names), S3, and the VPC's own
    EC2 host names (answered inside the VPC, never forwarded)."""
    names = {service_endpoint(s) for s in services} | set(s3_dns_names())
    names.add(f"*.{REGION}.compute.internal")
    return sorted(names)


# --- VPC endpoint policies: resources of other accounts ---------------------------------

ENDPOINT_ACTIONS_WITHOUT_RESOURCE_ACCOUNT: dict[str, tuple[tuple[str, ...], str]] = {
    "ssmmessages": (("ssmmessages:*",),
                    "Session Manager's channels are not addressed to a resource ARN, so aws:ResourceAccount "
                    "is not in their request context; they reach only this account's SSM service"),
    "monitoring": (("cloudwatch:PutMetricData",),
                   "metrics have no resource ARN; they land in the caller's own account"),
    "ec2": (("ec2:Describe*",),
            "EC2's Describe actions have no resource-level permissions (no resource, no aws:ResourceAccount)"),
    "sts": (("sts:GetCallerIdentity",),
            "names no resource and reveals only the caller itself"),
}
"""Per interface endpoint service: the actions its policy admits without pinning the
resource's account, and why. Everything else through an endpoint must be this account's
principal acting on this account's resource (`aws:PrincipalAccount` and `aws:ResourceAccount`)."""


# --- the sample intake: endpoints, presigned uploads and the quotas that bind in Zurich -------

EDGE_TLS_TYPES = (
    "aws:cloudfront/distribution:Distribution",
    "aws:cloudfront/function:Function",
    "aws:globalaccelerator/accelerator:Accelerator",
    "aws:globalaccelerator/customRoutingAccelerator:CustomRoutingAccelerator",
    "aws:lightsail/distribution:Distribution",
)
"""Resources that end TLS at AWS's edge locations, outside the region (and outside Switzerland)."""

REGIONAL_API_ENDPOINT_TYPES = ("REGIONAL", "PRIVATE")
"""API Gateway endpoint types that end TLS in the API's own region. `EDGE` (the default of a
REST API and of a custom domain name with `certificateArn`) ends it at CloudFront's edge."""

PRESIGNED_URL_MAX_SECONDS = 300
"""The intake's presigned uploads live at most five minutes (issue 27); the bucket policy
refuses older signatures (`s3:signatureAge`, milliseconds)."""

S3_PRESIGNED_AUTH_TYPE = "REST-QUERY-STRING"
"""`s3:authType` of a request authenticated by a presigned URL (S3 condition keys reference)."""

S3_PUTS_PER_PREFIX_PER_SECOND = 3500
"""S3 scales to at least 3,500 PUT/COPY/POST/DELETE requests per second per partitioned
prefix (S3 user guide, "Best practices design patterns: optimizing performance")."""
S3_GETS_PER_PREFIX_PER_SECOND = 5500

API_GATEWAY_ZURICH_BURST = 1250
"""API Gateway's account burst in eu-central-2. Set by AWS from the rate quota; not requestable
(API Gateway developer guide, "Amazon API Gateway quotas")."""

LAMBDA_UNRESERVED_MINIMUM = 100
"""Lambda keeps at least 100 of the account's concurrency unreserved (PutFunctionConcurrency)."""


@dataclass(frozen=True)
class ServiceQuotaFact:
    """One quota as Service Quotas names it, with its default in eu-central-2."""

    service_code: str
    quota_code: str
    name: str
    default: int
    unit: str
    source: str


API_GATEWAY_THROTTLE_RATE = ServiceQuotaFact(
    "apigateway", "L-8A5B8E43", "Throttle rate", 2500, "requests/s",
    "API Gateway developer guide, quotas: 2,500 RPS (burst 1,250) by default in Europe (Zurich), 10,000 elsewhere")
LAMBDA_CONCURRENT_EXECUTIONS = ServiceQuotaFact(
    "lambda", "L-B99A9384", "Concurrent executions", 1000, "executions",
    "Lambda developer guide, quotas: 1,000 per Region by default (new accounts may start lower)")
DYNAMODB_TABLE_WRITE_THROUGHPUT = ServiceQuotaFact(
    "dynamodb", "L-AB614373", "Table-level write throughput limit", 40000, "write request units/s",
    "DynamoDB developer guide, quotas: 40,000 per on-demand table by default")
DYNAMODB_TABLE_READ_THROUGHPUT = ServiceQuotaFact(
    "dynamodb", "L-CF0CBE56", "Table-level read throughput limit", 40000, "read request units/s",
    "DynamoDB developer guide, quotas: 40,000 per on-demand table by default")

SERVICE_QUOTAS: tuple[ServiceQuotaFact, ...] = (
    API_GATEWAY_THROTTLE_RATE, LAMBDA_CONCURRENT_EXECUTIONS, DYNAMODB_TABLE_WRITE_THROUGHPUT,
    DYNAMODB_TABLE_READ_THROUGHPUT,
)
"""Every quota the intake's capacity model checks; increases are requested by quota code."""
# --- what silences a detective control --------------------------------------------------------

DETECTIVE_TAMPER_ACTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": (
        ("cloudwatch:DeleteAlarms", "cloudwatch:DisableAlarmActions", "cloudwatch:SetAlarmState"),
        ("cloudwatch:PutMetricAlarm",)),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": (("logs:DeleteMetricFilter",), ("logs:PutMetricFilter",)),
    "aws:cloudwatch/logGroup:LogGroup": (
        ("logs:DeleteLogGroup", "logs:DeleteLogStream", "logs:DeleteRetentionPolicy", "logs:DisassociateKmsKey"),
        ("logs:PutRetentionPolicy",)),
    "aws:sns/topic:Topic": (("sns:DeleteTopic",), ("sns:AddPermission", "sns:RemovePermission", "sns:SetTopicAttributes")),
    "aws:sns/topicPolicy:TopicPolicy": ((), ("sns:SetTopicAttributes",)),
    "aws:sns/topicSubscription:TopicSubscription": (("sns:Unsubscribe",), ("sns:SetSubscriptionAttributes",)),
    "aws:cloudwatch/eventRule:EventRule": (("events:DeleteRule", "events:DisableRule"), ("events:PutRule",)),
    "aws:cloudwatch/eventTarget:EventTarget": (("events:RemoveTargets",), ("events:PutTargets",)),
    "aws:cfg/rule:Rule": (("config:DeleteConfigRule", "config:DeleteEvaluationResults"), ("config:PutConfigRule",)),
    "aws:cfg/recorder:Recorder": (
        ("config:DeleteConfigurationRecorder", "config:StopConfigurationRecorder"), ("config:PutConfigurationRecorder",)),
    "aws:cfg/recorderStatus:RecorderStatus": (("config:StopConfigurationRecorder",), ()),
    "aws:cfg/deliveryChannel:DeliveryChannel": (("config:DeleteDeliveryChannel",), ("config:PutDeliveryChannel",)),
    "aws:securityhub/account:Account": (
        ("securityhub:BatchDeleteAutomationRules", "securityhub:BatchUpdateAutomationRules",
         "securityhub:CreateAutomationRule", "securityhub:DisableSecurityHub"),
        ("securityhub:UpdateSecurityHubConfiguration",)),
    "aws:securityhub/standardsSubscription:StandardsSubscription": (
        ("securityhub:BatchDisableStandards", "securityhub:BatchUpdateStandardsControlAssociations",
         "securityhub:UpdateStandardsControl"), ()),
    "aws:guardduty/detector:Detector": (
        ("guardduty:CreateFilter", "guardduty:CreateIPSet", "guardduty:CreateThreatIntelSet", "guardduty:DeleteDetector",
         "guardduty:DisassociateFromMasterAccount", "guardduty:StopMonitoringMembers", "guardduty:UpdateFilter",
         "guardduty:UpdateIPSet", "guardduty:UpdateThreatIntelSet"),
        ("guardduty:UpdateDetector",)),
    "aws:guardduty/detectorFeature:DetectorFeature": ((), ("guardduty:UpdateDetector",)),
    "aws:accessanalyzer/analyzer:Analyzer": (
        ("access-analyzer:CreateArchiveRule", "access-analyzer:DeleteAnalyzer", "access-analyzer:UpdateArchiveRule"), ()),
    "aws:cloudtrail/trail:Trail": (
        ("cloudtrail:DeleteTrail", "cloudtrail:StopLogging"),
        ("cloudtrail:PutEventSelectors", "cloudtrail:PutInsightSelectors", "cloudtrail:UpdateTrail")),
    "aws:ec2/flowLog:FlowLog": (("ec2:DeleteFlowLogs",), ()),
}
"""Per detective resource type the center declares: the APIs that silence it (stop, disable,
delete, suppress findings, unsubscribe) and the APIs that edit it (what `pulumi up` itself
calls). Both are the organization's SCP and the center's alarms' business: the first denied to
all but the break-glass role, the second to all but the deploy role and break-glass
(organization/scps.py), every one alarmed (components/detective.py). A detective resource of a
type missing here fails tests/owner."""

EVENT_SOURCES = {"cloudwatch": "monitoring.amazonaws.com"}
"""IAM prefixes whose CloudTrail eventSource is not `<prefix>.amazonaws.com`."""


def event_source(iam_prefix: str) -> str:
    return EVENT_SOURCES.get(iam_prefix, f"{iam_prefix}.amazonaws.com")


def tamper_actions() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every silencing and every editing action of DETECTIVE_TAMPER_ACTIONS, each once, sorted."""
    silence = {a for s, _ in DETECTIVE_TAMPER_ACTIONS.values() for a in s}
    edit = {a for _, e in DETECTIVE_TAMPER_ACTIONS.values() for a in e} - silence
    return tuple(sorted(silence)), tuple(sorted(edit))


TRAILS_PER_REGION_MAX = 5
"""CloudTrail: trails per region and account."""
METRIC_FILTER_PATTERN_MAX = 1024
"""CloudWatch Logs: a metric filter pattern, characters."""


# --- customer data prefixes of the analysis flow (issue 28) -----------------------------------

CUSTOMER_DATA_FLOW_PREFIXES = ("samples/", "verdicts/")
"""Prefixes of a customer data store that the analysis flow fences apart: `samples/` (read by
the cells alone), `verdicts/` (written by the cells alone, read by the AV-database builders).
The access model judges each as an asset of its own (tcenter/analysis/access.py)."""
