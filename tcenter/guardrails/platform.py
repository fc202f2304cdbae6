"""Rules about where and how the center runs: residency in Zurich, IMDSv2 on hosts, protection of
prod's stateful resources, logged Session Manager sessions."""

from __future__ import annotations

import json
from typing import Iterator, Mapping

from components import awsfacts
from components.awsfacts import REGION

from .model import (
    AWS_PROVIDER,
    Context,
    Resource,
    Rule,
    Stack,
    dig,
    is_unknown,
    truthy,
)


def check_residency(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == AWS_PROVIDER:
        region = resource.inputs.get("region")
        if region is None:
            yield f"the provider sets no region (AWS_REGION would decide); set region={REGION}"
        elif not is_unknown(region) and region != REGION:
            yield f"the provider targets {region}; only {REGION} (Zurich) is allowed"
        sts_region = resource.inputs.get("stsRegion")
        if isinstance(sts_region, str) and not is_unknown(sts_region) and sts_region != REGION:
            yield f"the provider calls STS in {sts_region}; use the regional endpoint of {REGION}"
        return
    if not resource.type.startswith("aws:"):
        return
    region = resource.inputs.get("region")
    if isinstance(region, str) and not is_unknown(region) and region != REGION:
        yield f"region={region}; only {REGION} (Zurich) is allowed"
    provider_region = dig(resource.provider_inputs, "region") if resource.provider_inputs else None
    if isinstance(provider_region, str) and not is_unknown(provider_region) and provider_region != REGION:
        yield f"its provider targets {provider_region}; only {REGION} (Zurich) is allowed"
    if resource.type == "aws:kms/key:Key" and truthy(resource.inputs.get("multiRegion")):
        yield "multiRegion=true: a multi-Region key can be replicated out of Zurich"
    if resource.type in ("aws:kms/replicaKey:ReplicaKey", "aws:kms/replicaExternalKey:ReplicaExternalKey",
                         "aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        yield "replication copies keys or objects out of the stack's region"


RESIDENCY = Rule(
    "residency", "center:residency (no FSBP/CIS/checkov control covers a region allow-list)",
    "Providers and every `region` input stay in eu-central-2; no multi-Region keys, no replication.",
    resource_check=check_residency,
)


# --- hosts --------------------------------------------------------------------------------

def check_imdsv2(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == "aws:ec2/instance:Instance":
        options = resource.inputs.get("metadataOptions")
        if options is None and resource.inputs.get("launchTemplate") is not None:
            return  # the launch template it starts from is checked on its own
    elif resource.type == "aws:ec2/launchTemplate:LaunchTemplate":
        options = resource.inputs.get("metadataOptions")
    else:
        return
    tokens = dig(options, "httpTokens")
    if is_unknown(options) or is_unknown(tokens):
        return
    if dig(options, "httpEndpoint") == "disabled":
        return  # no metadata service at all is stricter than IMDSv2
    if tokens != "required":
        yield f"metadataOptions.httpTokens={tokens!r}: IMDSv1 stays reachable; set 'required'"
    hops = dig(options, "httpPutResponseHopLimit")
    if isinstance(hops, (int, float)) and hops > 1:
        yield f"metadataOptions.httpPutResponseHopLimit={int(hops)}: tokens must not leave the host (use 1)"


IMDSV2 = Rule(
    "imdsv2", "FSBP EC2.8; CIS 5.6; CKV_AWS_79, CKV_AWS_341",
    "Instances and launch templates require IMDSv2 tokens with a hop limit of 1.",
    resource_check=check_imdsv2,
)


# --- protection of keys and stores in prod ------------------------------------------------

def check_prod_protect(resource: Resource, context: Context) -> Iterator[str]:
    what = awsfacts.STATEFUL_TYPES.get(resource.type, {}).get("what")
    if what and context.is_prod and not resource.protect:
        yield f"a prod {what} without protect: `pulumi destroy` or a replacement would erase it"


PROD_PROTECT = Rule(
    "prod-protect-stateful", "center:teardown (Pulumi protect; no FSBP/checkov control)",
    "In prod, keys, buckets, tables and HSM clusters are protected.",
    resource_check=check_prod_protect,
)


# --- SSM session logging ------------------------------------------------------------------

SESSION_DOCUMENT_NAME = "SSM-SessionManagerRunShell"


def _session_inputs(resource: Resource) -> Mapping | None:
    content = resource.inputs.get("content")
    if not isinstance(content, str) or is_unknown(content):
        return None
    try:
        document = json.loads(content)
    except json.JSONDecodeError:
        try:
            import yaml  # the pack's requirements include PyYAML

            document = yaml.safe_load(content)
        except Exception:  # noqa: BLE001 - unreadable content is reported below
            return {}
    return dig(document, "inputs") or {}


def check_session_document(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type != "aws:ssm/document:Document" or resource.inputs.get("documentType") != "Session":
        return
    inputs = _session_inputs(resource)
    if inputs is None:
        return
    s3 = bool(inputs.get("s3BucketName")) and truthy(inputs.get("s3EncryptionEnabled")) is True
    logs = bool(inputs.get("cloudWatchLogGroupName")) and truthy(inputs.get("cloudWatchEncryptionEnabled")) is True
    if not (s3 or logs):
        yield "sessions are not logged to an encrypted S3 bucket or log group (s3EncryptionEnabled/cloudWatchEncryptionEnabled)"
    if not inputs.get("kmsKeyId"):
        yield "no kmsKeyId: session data is not encrypted with a customer managed key"


def stack_session_document(stack: Stack) -> Iterator[tuple[Resource, str]]:
    hosts = stack.of_type("aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate")
    documents = [d for d in stack.of_type("aws:ssm/document:Document")
                 if d.inputs.get("documentType") == "Session" and d.inputs.get("name") == SESSION_DOCUMENT_NAME]
    if hosts and not documents:
        yield hosts[0], (f"hosts are reached through Session Manager, but no Session document "
                         f"{SESSION_DOCUMENT_NAME!r} sets logging preferences")


SSM_SESSION_LOGGING = Rule(
    "ssm-session-logging", "CKV_AWS_112, CKV_AWS_113",
    "Session Manager preferences log every session, encrypted with a customer managed key.",
    resource_check=check_session_document, stack_check=stack_session_document,
)


