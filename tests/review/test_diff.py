"""`tcenter diff`: property, statement and replacement changes, dangers first, exit codes."""

from __future__ import annotations

import json


from tcenter.cli import main
from tcenter.core.errors import ExitCode
from tcenter.analysis import diff
from tcenter.render import diff_text
from tcenter.analysis.replacements import REPLACEMENT_FORCING, STATEFUL_TYPES

from .conftest import edited, find


def test_a_plan_against_itself_has_no_changes(plan_of):
    result = diff.diff_plans(plan_of("dev"), plan_of("dev"))
    assert not result.changed and result.resources == [] and result.exit_code == ExitCode.OK


def test_planted_public_ingress_is_dangerous(plan_of):
    base = plan_of("zurich-prod")
    head = edited(base)
    (sg,) = find(head, "aws:ec2/securityGroup:SecurityGroup", lambda r: r["name"].endswith("signer-sg"))
    sg["inputs"]["ingress"] = [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]
    result = diff.diff_plans(base, head)
    assert result.exit_code == ExitCode.DANGEROUS
    assert any("public ingress" in d and sg["name"] in d for d in result.dangers)
    (change,) = result.resources
    assert change.action == "update" and change.properties[0].path == "ingress"


def test_planted_public_nacl_rule_is_dangerous(plan_of):
    base = plan_of("dev")
    head = edited(base)
    nacl = find(head, "aws:ec2/networkAcl:NetworkAcl", lambda r: r["inputs"]["tags"]["zone"] == "build")[0]
    nacl["inputs"]["ingress"].insert(0, {"action": "allow", "cidrBlock": "0.0.0.0/0", "fromPort": 3389,
                                         "protocol": "tcp", "ruleNo": 50, "toPort": 3389})
    result = diff.diff_plans(base, head)
    assert result.exit_code == ExitCode.DANGEROUS
    assert any("0.0.0.0/0" in d for d in result.dangers)


def test_deleting_a_protected_store_is_flagged_first(plan_of):
    base = plan_of("zurich-prod")
    protected = find(base, "aws:s3/bucket:Bucket", lambda r: r["options"]["protect"])
    assert protected, "prod protects its buckets"
    victim = protected[0]["urn"]
    head = edited(base)
    head["resources"] = [r for r in head["resources"] if r["urn"] != victim]
    result = diff.diff_plans(base, head)
    assert result.exit_code == ExitCode.DANGEROUS
    assert protected[0]["name"] in result.dangers[0]
    assert "protect" in result.dangers[0]
    text = diff_text.render_markdown(result)
    assert text.index("Dangerous") < text.index("<details>")


def test_replacement_from_the_table_and_statement_level_policy_changes(plan_of):
    base = plan_of("dev")
    head = edited(base)
    (vpc,) = find(head, "aws:ec2/vpc:Vpc")
    vpc["inputs"]["cidrBlock"] = "10.99.0.0/16"
    policy = find(head, "aws:s3/bucketPolicy:BucketPolicy")[0]
    document = json.loads(policy["inputs"]["policy"])
    document["Statement"].append({"Sid": "PlantedReadForEveryone", "Effect": "Allow", "Principal": "*",
                                  "Action": "s3:GetObject", "Resource": "*"})
    document["Statement"][0]["Action"] = "s3:*"
    policy["inputs"]["policy"] = json.dumps(document)
    result = diff.diff_plans(base, head)
    changes = {c.name: c for c in result.resources}
    assert changes[vpc["name"]].action == "replace"
    assert changes[vpc["name"]].properties[0].replaces is True
    statements = {(s.sid, s.change) for s in changes[policy["name"]].statements}
    assert statements == {("PlantedReadForEveryone", "added"), (document["Statement"][0]["Sid"], "changed")}
    assert changes[policy["name"]].action == "update"


def test_every_declared_type_is_in_the_replacement_table(plan_of):
    """A type the kit starts to use must be added to tcenter/analysis/replacements.py."""
    for stack in ("dev", "zurich-prod"):
        types = {r["type"] for r in plan_of(stack)["resources"] if r["custom"] and r["type"].startswith("aws:")}
        assert sorted(types - set(REPLACEMENT_FORCING)) == []
    assert "aws:kms/key:Key" in STATEFUL_TYPES and "aws:s3/bucket:Bucket" in STATEFUL_TYPES


def test_dev_against_prod_is_readable_and_dangerous(plan_of, tmp_path, capsys):
    dev, prod = tmp_path / "dev.json", tmp_path / "prod.json"
    dev.write_text(json.dumps(plan_of("dev")))
    prod.write_text(json.dumps(plan_of("zurich-prod")))
    code = main(["diff", str(dev), str(prod), "--format", "markdown"])
    out = capsys.readouterr().out
    assert code == ExitCode.DANGEROUS
    assert out.startswith("## tcenter diff") and "<details>" in out
    assert out.index("dangerous") < out.index("<details>")
    code = main(["diff", str(dev), str(dev)])
    assert code == ExitCode.OK and "No changes" in capsys.readouterr().out


def test_reachability_changes_are_part_of_the_diff(plan_of):
    base = plan_of("dev")
    head = edited(base)
    nacl = find(head, "aws:ec2/networkAcl:NetworkAcl", lambda r: r["inputs"]["tags"]["zone"] == "build")[0]
    nacl["inputs"]["egress"] = []
    result = diff.diff_plans(base, head)
    assert any(edge.startswith("build -> ") for edge in result.reach_removed)
    assert result.reach_added == []


def test_the_documented_replacement_table_is_the_one_tcenter_uses():
    from tcenter.core.stackfiles import PROJECT_ROOT

    doc = (PROJECT_ROOT / "docs" / "review.md").read_text()
    for type_, props in REPLACEMENT_FORCING.items():
        row = next((line for line in doc.splitlines() if line.startswith(f"| `{type_}` |")), None)
        assert row is not None, f"docs/review.md lacks {type_}"
        cell = row.split("|")[2].strip()
        documented = [] if cell == "none" else [p.strip(" `") for p in cell.split(",")]
        assert sorted(documented) == sorted(props), type_
    for type_ in STATEFUL_TYPES:
        assert f"| `{type_}` |" in doc
