"""Where TLS ends: only in Zurich (issue 27).

An edge-optimized API Gateway endpoint, a CloudFront distribution, Global Accelerator or S3
Transfer Acceleration end TLS at AWS edge locations around the world: a customer's upload would
be decrypted outside Switzerland before it reaches the store. A REGIONAL (or PRIVATE) API
endpoint and S3's regional endpoint end it in eu-central-2.

`regional-endpoints-only` holds every stack to that. A CloudFront distribution that only answers
GET and HEAD (the transparency log's optional publication) receives no upload: what it serves is
public by design, so it passes. `mutual-tls-not-bypassable` holds an API
served by a mutual-TLS custom domain to having its default execute-api endpoint off (otherwise
a client without a certificate reaches the same API there).
"""

from __future__ import annotations

from typing import Iterator

from components.awsfacts import EDGE_TLS_TYPES, REGIONAL_API_ENDPOINT_TYPES
from .model import Context, Resource, Rule, Stack, as_list, dig, is_unknown

REST_API = "aws:apigateway/restApi:RestApi"
DOMAIN_NAME = "aws:apigateway/domainName:DomainName"
DOMAIN_NAME_V2 = "aws:apigatewayv2/domainName:DomainName"
BASE_PATH_MAPPING = "aws:apigateway/basePathMapping:BasePathMapping"
ACCELERATE_TYPES = (
    "aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration",
    "aws:s3/bucketAccelerateConfigurationV2:BucketAccelerateConfigurationV2",
)
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that carry no request body to the origin: a distribution answering only these sends nothing up."""
EDGE_CERTIFICATE_INPUTS = ("certificateArn", "certificateName", "certificateBody")
"""A REST API custom domain with one of these is edge-optimized (its certificate lives in us-east-1)."""


def _endpoint_types(resource: Resource) -> list[str] | None:
    """The endpoint types a REST API or custom domain declares (None: unknown until deploy)."""
    value = dig(resource.inputs, "endpointConfiguration", "types")
    if is_unknown(value):
        return None
    return [str(v) for v in as_list(value)]


def _read_only_distribution(resource: Resource) -> bool:
    behaviors = [resource.inputs.get("defaultCacheBehavior"), *as_list(resource.inputs.get("orderedCacheBehaviors"))]
    methods = [dig(b, "allowedMethods") for b in behaviors if b is not None]
    return bool(methods) and all(not is_unknown(m) and {str(x).upper() for x in as_list(m)} <= READ_ONLY_METHODS
                                 for m in methods)


def check_regional_endpoints(resource: Resource, context: Context) -> Iterator[str]:
    if resource.type == DISTRIBUTION and _read_only_distribution(resource):
        return
    if resource.type in EDGE_TLS_TYPES:
        yield f"{resource.type} ends TLS at AWS edge locations outside eu-central-2; use a REGIONAL endpoint"
        return
    if resource.type in (REST_API, DOMAIN_NAME):
        what = "REST API" if resource.type == REST_API else "custom domain name"
        types = _endpoint_types(resource)
        if types is not None and not types:
            yield f"{what} without endpointConfiguration is EDGE-optimized by default (TLS ends at CloudFront's edge); " \
                  f"set endpointConfiguration.types to REGIONAL"
        for kind in types or []:
            if kind.upper() not in REGIONAL_API_ENDPOINT_TYPES:
                yield f"{what} endpoint type {kind} ends TLS outside eu-central-2; allowed: {list(REGIONAL_API_ENDPOINT_TYPES)}"
        if resource.type == DOMAIN_NAME:
            for key in EDGE_CERTIFICATE_INPUTS:
                if resource.inputs.get(key) and not is_unknown(resource.inputs.get(key)):
                    yield f"{key} makes the custom domain edge-optimized; use regionalCertificateArn (an ACM certificate " \
                          f"in eu-central-2)"
    if resource.type == DOMAIN_NAME_V2:
        endpoint = dig(resource.inputs, "domainNameConfiguration", "endpointType")
        if isinstance(endpoint, str) and not is_unknown(endpoint) and endpoint.upper() != "REGIONAL":
            yield f"custom domain endpoint type {endpoint} is not REGIONAL"
    if resource.type in ACCELERATE_TYPES and str(resource.inputs.get("status", "")).lower() == "enabled":
        yield "S3 Transfer Acceleration routes uploads through CloudFront's edge locations: TLS ends outside Zurich"
    if resource.type in BUCKET_TYPES and str(resource.inputs.get("accelerationStatus", "")).lower() == "enabled":
        yield "S3 Transfer Acceleration routes uploads through CloudFront's edge locations: TLS ends outside Zurich"


REGIONAL_ENDPOINTS_ONLY = Rule(
    "regional-endpoints-only", "center:residency (TLS ends in eu-central-2; no FSBP/checkov control)",
    "APIs and uploads end TLS in Zurich: REGIONAL or PRIVATE API Gateway endpoints only; no edge-optimized API or "
    "domain, Global Accelerator, S3 Transfer Acceleration, or CloudFront distribution accepting more than GET/HEAD.",
    resource_check=check_regional_endpoints,
)


def stack_mutual_tls_not_bypassable(stack: Stack) -> Iterator[tuple[Resource, str]]:
    mtls_domains = {d.inputs.get("domainName") for d in stack.of_type(DOMAIN_NAME)
                    if dig(d.inputs, "mutualTlsAuthentication", "truststoreUri")}
    for mapping in stack.of_type(BASE_PATH_MAPPING):
        domains = {d.inputs.get("domainName") for d in stack.referenced(mapping, "domainName", DOMAIN_NAME)}
        domains.add(mapping.inputs.get("domainName"))
        if not domains & mtls_domains:
            continue
        for api in stack.referenced(mapping, "restApi", REST_API):
            if api.inputs.get("disableExecuteApiEndpoint") is not True:
                yield api, ("served through a mutual-TLS custom domain, yet its default execute-api endpoint is on: "
                            "a client without a certificate reaches the same API there (disableExecuteApiEndpoint: true)")


MUTUAL_TLS_NOT_BYPASSABLE = Rule(
    "mutual-tls-not-bypassable", "center:intake-authentication (no FSBP/checkov control)",
    "A REST API served through a mutual-TLS custom domain has its default execute-api endpoint disabled.",
    stack_check=stack_mutual_tls_not_bypassable,
)

RULES: tuple[Rule, ...] = (REGIONAL_ENDPOINTS_ONLY, MUTUAL_TLS_NOT_BYPASSABLE)
