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


def test_against_a_base_every_resource_carries_its_action(plan_of, tmp_path):
    """With --base, the shape `terraform show -json` gives a plan: actions per resource with
    before and after, and the base as prior state (what conftest and tfcmt read)."""
    import copy
    import json

    from tcenter.cli import main

    base = plan_of("zurich-prod")
    head = copy.deepcopy(base)
    buckets = [r for r in head["resources"] if r["type"] == "aws:s3/bucket:Bucket"]
    buckets[0]["inputs"].setdefault("tags", {})["note"] = "changed"          # update
    (vpc,) = [r for r in head["resources"] if r["type"] == "aws:ec2/vpc:Vpc"]
    vpc["inputs"]["cidrBlock"] = "10.99.0.0/16"                              # replace (cidrBlock forces it)
    gone = buckets[1]
    head["resources"].remove(gone)                                           # delete
    new = copy.deepcopy(buckets[2])
    new["urn"], new["name"] = new["urn"] + "-extra", new["name"] + "-extra"  # create
    new["inputs"]["bucket"] = new["inputs"]["bucket"] + "-extra"
    head["resources"].append(new)
    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "head.json").write_text(json.dumps(head))
    assert main(["export", str(tmp_path / "head.json"), "--base", str(tmp_path / "base.json"),
                 "--format", "terraform-plan", "-o", str(tmp_path / "tf.json")]) == 0
    document = json.loads((tmp_path / "tf.json").read_text())
    changes = {c["address"]: c["change"] for c in document["resource_changes"]}

    def change_of(name: str) -> dict:
        (found,) = [c for address, c in changes.items() if address.endswith("." + name)]
        return found

    assert change_of(buckets[0]["name"])["actions"] == ["update"]
    assert change_of(buckets[0]["name"])["after"]["tags"]["note"] == "changed"
    assert "note" not in (change_of(buckets[0]["name"])["before"].get("tags") or {})
    assert change_of(vpc["name"])["actions"] in (["create", "delete"], ["delete", "create"])
    assert change_of(gone["name"])["actions"] == ["delete"] and change_of(gone["name"])["after"] is None
    assert change_of(new["name"])["actions"] == ["create"] and change_of(new["name"])["before"] is None
    untouched = [c for c in changes.values() if c["actions"] == ["no-op"]]
    assert len(untouched) == len(changes) - 4 and all(c["before"] == c["after"] for c in untouched)
    prior = {r["address"] for r in document["prior_state"]["values"]["root_module"]["resources"]}
    assert any(a.endswith("." + gone["name"]) for a in prior) and not any(a.endswith("." + new["name"]) for a in prior)
