"""One home for the AWS facts the kit relies on: region, ports, ARN formats, stateful types.

Components, `tcenter` and the policy pack all import these; nothing else spells an ARN
format, a port number or the region. Pure: no Pulumi, no resources.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def ssm_document_arn(account_id: str, document_name: str) -> str:
    return arn("ssm", f"document/{document_name}", account_id, REGION)


def ec2_arn(account_id: str, kind: str, resource_id: str) -> str:
    return arn("ec2", f"{kind}/{resource_id}", account_id, REGION)


def service_principal(service: str) -> str:
    """A global service principal, e.g. `cloudtrail.amazonaws.com`."""
    return f"{service}.amazonaws.com"


def service_endpoint(service: str) -> str:
    """A service's regional endpoint name in Zurich (kms:ViaService values, endpoint DNS)."""
    return f"{service}.{REGION}.amazonaws.com"


def interface_endpoint_service_name(service: str) -> str:
    return f"com.amazonaws.{REGION}.{service}"


# --- naming ----------------------------------------------------------------------------------

def key_alias(name: str) -> str:
    return f"alias/{name}"


# --- stateful types: deleting one loses data or keys ----------------------------------------

STATEFUL_TYPES: dict[str, dict[str, Any]] = {
    "aws:kms/key:Key": {"what": "key", "loses": "whatever it encrypted or signed becomes unusable once it is deleted"},
    "aws:kms/customKeyStore:CustomKeyStore": {"what": "custom key store", "loses": "its keys live in the HSMs"},
    "aws:cloudhsmv2/cluster:Cluster": {"what": "HSM cluster", "loses": "signing keys and the initialized cluster state"},
    "aws:cloudhsmv2/hsm:Hsm": {"what": "HSM", "loses": "removing the last HSM of a cluster loses its keys"},
    "aws:s3/bucket:Bucket": {"what": "bucket", "loses": "the objects it stores"},
    "aws:s3/bucketV2:BucketV2": {"what": "bucket", "loses": "the objects it stores"},
    "aws:dynamodb/table:Table": {"what": "table", "loses": "the items it stores"},
    "aws:cloudwatch/logGroup:LogGroup": {"what": "log group", "loses": "the log events it archives"},
    "aws:ebs/volume:Volume": {"what": "volume", "loses": "its data"},
    "aws:secretsmanager/secret:Secret": {"what": "secret", "loses": "its value"},
    "aws:backup/vault:Vault": {"what": "backup vault", "loses": "its recovery points"},
}
"""The one table of stateful types: the teardown rule (components), the prod-protect rule
and the diff's data-loss risk (tcenter) all read it."""


def is_stateful(resource_type: str) -> bool:
    return resource_type in STATEFUL_TYPES


def stateful_reason(resource_type: str) -> str | None:
    entry = STATEFUL_TYPES.get(resource_type)
    return f"{entry['what']}: {entry['loses']}" if entry else None


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
