"""`regional-endpoints-only` and `mutual-tls-not-bypassable` (tcenter/guardrails/edge.py): each fails a
planted violation, passes its fix, and passes every real stack."""

from __future__ import annotations

import pytest

from tcenter.guardrails.check import plan_view
from tcenter.guardrails.edge import MUTUAL_TLS_NOT_BYPASSABLE, REGIONAL_ENDPOINTS_ONLY, RULES
from tcenter.guardrails.model import Context
from tests.conftest import STACKS
from tests.policy.cases import aws_provider, resource

STACK = "dev"
REGIONAL = {"types": "REGIONAL"}


def violations(rule, *resources) -> list[str]:
    view = plan_view({"stack": STACK, "resources": [aws_provider(STACK), *resources], "outputs": {}})
    found = [v.message for r in view.resources for v in rule.check_resource(r, Context(view.environment))]
    return found + [v.message for v in rule.check_stack(view)]


def api(name: str = "api", **inputs) -> dict:
    return resource(STACK, "aws:apigateway/restApi:RestApi", name, {"name": name, **inputs}, outputs={"id": f"{name}-id"})


def domain(**inputs) -> dict:
    return resource(STACK, "aws:apigateway/domainName:DomainName", "domain",
                    {"domainName": "intake.example", **inputs})


@pytest.mark.parametrize("case, planted", [
    ("edge-optimized REST API", api(endpointConfiguration={"types": "EDGE"})),
    ("EDGE in the list form older providers use", api(endpointConfiguration={"types": ["EDGE"]})),
    ("REST API without endpointConfiguration (EDGE by default)", api()),
    ("custom domain with an edge certificate", domain(certificateArn="arn:aws:acm:us-east-1:111111111111:certificate/x",
                                                      endpointConfiguration={"types": "EDGE"})),
    ("regional domain also carrying an edge certificate",
     domain(certificateArn="arn:aws:acm:us-east-1:111111111111:certificate/x", endpointConfiguration=REGIONAL)),
    ("CloudFront", resource(STACK, "aws:cloudfront/distribution:Distribution", "cdn", {"enabled": True})),
    ("CloudFront accepting uploads", resource(STACK, "aws:cloudfront/distribution:Distribution", "cdn", {
        "enabled": True, "defaultCacheBehavior": {"allowedMethods": ["GET", "HEAD"]},
        "orderedCacheBehaviors": [{"pathPattern": "up/*", "allowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "POST",
                                                                             "PATCH", "DELETE"]}]})),
    ("Global Accelerator", resource(STACK, "aws:globalaccelerator/accelerator:Accelerator", "ga", {"name": "ga"})),
    ("S3 Transfer Acceleration", resource(STACK, "aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration",
                                          "acc", {"bucket": "b", "status": "Enabled"})),
    ("HTTP API domain not regional", resource(STACK, "aws:apigatewayv2/domainName:DomainName", "d2",
                                              {"domainName": "x.example",
                                               "domainNameConfiguration": {"endpointType": "EDGE"}})),
])
def test_regional_endpoints_only_fails_planted_edges(case, planted):
    assert violations(REGIONAL_ENDPOINTS_ONLY, planted), case


@pytest.mark.parametrize("fixed", [
    api(endpointConfiguration=REGIONAL),
    api(endpointConfiguration={"types": ["PRIVATE"]}),
    domain(regionalCertificateArn="arn:aws:acm:eu-central-2:111111111111:certificate/x", endpointConfiguration=REGIONAL),
    resource(STACK, "aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration", "acc",
             {"bucket": "b", "status": "Suspended"}),
    resource(STACK, "aws:cloudfront/distribution:Distribution", "read-only", {
        "enabled": True, "defaultCacheBehavior": {"allowedMethods": ["GET", "HEAD"]},
        "orderedCacheBehaviors": [{"pathPattern": "checkpoint", "allowedMethods": ["HEAD", "GET"]}]}),
])
def test_regional_endpoints_only_passes_regional_ones(fixed):
    assert violations(REGIONAL_ENDPOINTS_ONLY, fixed) == []


def _mapped(disable: bool | None) -> list[dict]:
    rest = api(endpointConfiguration=REGIONAL, **({} if disable is None else {"disableExecuteApiEndpoint": disable}))
    mtls = domain(regionalCertificateArn="arn:aws:acm:eu-central-2:111111111111:certificate/x",
                  endpointConfiguration=REGIONAL, mutualTlsAuthentication={"truststoreUri": "s3://b/truststore.pem"})
    mapping = resource(STACK, "aws:apigateway/basePathMapping:BasePathMapping", "map",
                       {"restApi": "api-id", "domainName": "intake.example", "stageName": "v1"},
                       deps={"restApi": [rest["urn"]], "domainName": [mtls["urn"]]})
    return [rest, mtls, mapping]


def test_mutual_tls_not_bypassable():
    assert violations(MUTUAL_TLS_NOT_BYPASSABLE, *_mapped(None))
    assert violations(MUTUAL_TLS_NOT_BYPASSABLE, *_mapped(False))
    assert violations(MUTUAL_TLS_NOT_BYPASSABLE, *_mapped(True)) == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_passes_the_edge_rules(stack, declared):
    from tcenter.plan.format import build_plan

    view = plan_view(build_plan(declared(stack)))
    context = Context(view.environment)
    found = [str(v) for rule in RULES for r in view.resources for v in rule.check_resource(r, context)]
    found += [str(v) for rule in RULES for v in rule.check_stack(view)]
    assert found == []


def test_the_transparency_logs_publication_passes_it_serves_public_files_read_only():
    """zurich-prod with `transparency.publication.enabled`: a CloudFront distribution that only answers GET
    and HEAD (tests/unit/test_transparency.py checks its behaviours) sends no upload through an edge."""
    from tcenter.core.stackfiles import load_stack_values
    from tcenter.plan.engine import run_program
    from tcenter.plan.format import build_plan

    values = load_stack_values("zurich-prod")
    values["transparency-center:transparency"]["publication"] = {"enabled": True}
    view = plan_view(build_plan(run_program("zurich-prod", config_values=values)))
    (distribution,) = view.of_type("aws:cloudfront/distribution:Distribution")
    assert list(REGIONAL_ENDPOINTS_ONLY.check_resource(distribution, Context(view.environment))) == []
