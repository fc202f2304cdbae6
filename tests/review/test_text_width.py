"""Text output fits the terminal: at COLUMNS=100 no line of `access`, `reach`, `check` or
`approvals` is longer than 100 characters, and no ARN or condition value is split across
lines; the same content is printed, piped or written with -o. Over every stack."""

from __future__ import annotations

import json
import re

import pytest

from tcenter.cli import main

from ..conftest import STACKS

WIDTH = 100
TOKEN = re.compile(r"arn:aws[a-z-]*:[^\s\",]+|vpce-[0-9a-z]+|[a-z0-9-]+\.eu-central-2\.amazonaws\.com")


def _text(argv: list[str], capsys, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    capsys.readouterr()
    assert main(argv) in (0, 1), argv
    return capsys.readouterr().out


def _fits(text: str) -> None:
    long = [line for line in text.splitlines() if len(line) > WIDTH]
    assert not long, f"{len(long)} lines over {WIDTH}, e.g. {long[0]!r}"


@pytest.fixture(scope="module")
def plan_files(tmp_path_factory, plan_of) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("plans")
    files = {}
    for stack in STACKS:
        path = folder / f"{stack}.json"
        path.write_text(json.dumps(plan_of(stack)))
        files[stack] = str(path)
    return files


@pytest.mark.parametrize("stack", STACKS)
def test_access_fits_and_keeps_tokens_whole(stack, plan_files, capsys, monkeypatch, tmp_path):
    text = _text(["access", plan_files[stack]], capsys, monkeypatch)
    _fits(text)
    assert "asset" in text.splitlines()[1] and "administer" in text.splitlines()[1], "a header row"
    conditions = json.dumps(json.loads(_text(["access", plan_files[stack], "--format", "json"], capsys, monkeypatch)))
    for token in set(TOKEN.findall(text)):
        assert token in conditions, f"{token!r} is not a whole value of the result: split across lines?"
    assert main(["access", plan_files[stack], "-o", str(tmp_path / "a.txt")]) == 0
    assert (tmp_path / "a.txt").read_text() == text, "-o writes what is printed"


@pytest.mark.parametrize("stack", STACKS)
def test_reach_fits_with_whole_names_and_writes_with_o(stack, plan_files, capsys, monkeypatch, tmp_path):
    text = _text(["reach", plan_files[stack]], capsys, monkeypatch)
    _fits(text)
    cells = json.loads(_text(["reach", plan_files[stack], "--format", "json"], capsys, monkeypatch))["cells"]
    for pair, ports in cells.items():
        if ports not in ("-", ""):
            src, dst = pair.split(" -> ")
            assert re.search(rf"^{re.escape(src)}\s+{re.escape(dst)}\s+{re.escape(ports)}$", text, re.M), pair
    assert main(["reach", plan_files[stack], "-o", str(tmp_path / "r.txt")]) == 0
    assert (tmp_path / "r.txt").read_text() == text


def test_reach_is_a_matrix_with_whole_headers_where_it_fits(plan_files, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    capsys.readouterr()
    main(["reach", plan_files["dev"]])
    header = capsys.readouterr().out.splitlines()[1]
    for zone in ("endpoints", "build", "signing", "data", "reviewer-review-lab", "aws apis (endpoints)", "internet"):
        assert f"  {zone}" in header or header.endswith(zone), zone


def test_access_filters(plan_files, capsys, monkeypatch):
    reviewers_on_data = _text(["access", plan_files["zurich-prod"], "--principal", "reviewer", "--only", "customer-data"],
                              capsys, monkeypatch)
    assert "nothing matches" in reviewers_on_data
    keys = json.loads(_text(["access", plan_files["zurich-prod"], "--asset", "tc-data-*-key-key", "--format", "json"],
                            capsys, monkeypatch))
    assert keys["assets"] and all(re.fullmatch(r"tc-data-[a-z-]+-key-key", name) for name in keys["assets"])
    assert all(set(entry["access"]) <= set(keys["assets"]) for entry in keys["principals"].values())


def _changed(plan: dict) -> dict:
    """PLAN with changes whose text is long: a role policy statement naming a bucket by ARN, a
    security group rule, a tag, a bucket deleted."""
    head = json.loads(json.dumps(plan))
    buckets = [r for r in head["resources"] if r["type"] == "aws:s3/bucket:Bucket"]
    policy = next(r for r in head["resources"] if r["type"] == "aws:iam/rolePolicy:RolePolicy")
    document = json.loads(policy["inputs"]["policy"])
    document["Statement"].append({"Sid": "PlantedRead", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                                  "Resource": [f"arn:aws:s3:::{b['inputs']['bucket']}/*" for b in buckets[:3]]})
    policy["inputs"]["policy"] = json.dumps(document)
    group = next(r for r in head["resources"] if r["type"] == "aws:ec2/securityGroup:SecurityGroup")
    group["inputs"].setdefault("ingress", []).append({"protocol": "tcp", "fromPort": 22, "toPort": 22,
                                                      "cidrBlocks": ["10.0.0.0/8"], "description": "planted for the width test"})
    buckets[0]["inputs"].setdefault("tags", {})["review-note"] = "a tag whose value is long enough to need wrapping " * 3
    head["resources"].remove(buckets[-1])
    return head


@pytest.mark.parametrize("stack", STACKS)
def test_diff_fits_and_keeps_tokens_whole(stack, plan_files, plan_of, capsys, monkeypatch, tmp_path):
    """At COLUMNS=100 no line of `diff` is longer unless it is one token alone; every ARN printed is
    a whole value of the diff's JSON; printed, piped or written with -o, the text is the same."""
    head = tmp_path / "head.json"
    head.write_text(json.dumps(_changed(plan_of(stack))))
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    capsys.readouterr()
    assert main(["diff", plan_files[stack], str(head)]) == 2
    text = capsys.readouterr().out
    long = [line for line in text.splitlines() if len(line) > WIDTH and " " in line.strip()]
    assert not long, f"{len(long)} lines over {WIDTH}, e.g. {long[0]!r}"
    assert "PlantedRead" in text and "review-note" in text
    main(["diff", plan_files[stack], str(head), "--format", "json"])
    whole = capsys.readouterr().out
    tokens = set(TOKEN.findall(text))
    assert tokens, "the planted statement's ARNs are printed"
    for token in tokens:
        assert token.rstrip(".;:)") in whole, f"{token!r} is not a whole value: split across lines?"
    assert main(["diff", plan_files[stack], str(head), "-o", str(tmp_path / "d.txt")]) == 2
    assert (tmp_path / "d.txt").read_text() == text, "-o writes what is printed"
