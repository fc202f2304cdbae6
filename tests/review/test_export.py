"""`tcenter export --format terraform-plan`: the shape checkov reads."""

from __future__ import annotations

from tcenter.render import export


def test_every_aws_resource_is_exported_as_a_managed_terraform_resource(each_stack, plan_of):
    plan = plan_of(each_stack.stack)
    document = export.export_terraform_plan(plan)
    assert document["format_version"] and document["terraform_version"]
    planned = document["planned_values"]["root_module"]["resources"]
    aws = [r for r in plan["resources"] if r["custom"] and r["type"].startswith("aws:")]
    assert len(planned) == len(aws)
    assert len({p["address"] for p in planned}) == len(planned)
    for resource in planned:
        assert resource["mode"] == "managed" and resource["address"] == f"{resource['type']}.{resource['name']}"


def test_every_declared_type_has_an_explicit_terraform_twin(each_stack, plan_of):
    types = {r["type"] for r in plan_of(each_stack.stack)["resources"] if r["custom"] and r["type"].startswith("aws:")}
    assert sorted(types - set(export.TERRAFORM_TYPES)) == []


def test_values_are_snake_case_with_single_blocks_as_lists(plan_of):
    document = export.export_terraform_plan(plan_of("dev"))
    by_type = {}
    for r in document["planned_values"]["root_module"]["resources"]:
        by_type.setdefault(r["type"], []).append(r)
    versioning = by_type["aws_s3_bucket_versioning"][0]["values"]
    assert versioning["versioning_configuration"] == [{"status": "Enabled"}]
    encryption = by_type["aws_s3_bucket_server_side_encryption_configuration"][0]["values"]
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    vpc = by_type["aws_vpc"][0]["values"]
    assert vpc["enable_dns_support"] is True and vpc["cidr_block"]
    tags = [r["values"]["tags"] for r in by_type["aws_subnet"]]
    assert all("zone" in t for t in tags), "map attributes keep their keys"


def test_bucket_companions_reference_their_bucket(plan_of):
    document = export.export_terraform_plan(plan_of("dev"))
    buckets = {r["address"] for r in document["configuration"]["root_module"]["resources"] if r["type"] == "aws_s3_bucket"}
    companions = [r for r in document["configuration"]["root_module"]["resources"]
                  if r["type"] in ("aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block")]
    assert companions
    for companion in companions:
        refs = companion["expressions"]["bucket"]["references"]
        assert any(ref in buckets for ref in refs), companion["address"]
