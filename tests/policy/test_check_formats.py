"""`tcenter check --format json|sarif|junit`: what CI reads. SARIF validates against the
published SARIF 2.1.0 schema (tests/review/vectors/, the one GitHub code scanning uses),
JUnit parses with a JUnit reader, and planted violations appear as results."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from tcenter.cli import main
from tcenter.guardrails import RULES
from tcenter.plan.format import save

from .cases import CASES
from .conftest import real_plan

SCHEMA = json.loads((Path(__file__).parents[1] / "review" / "vectors" / "sarif-2.1.0-rtm.5.json").read_text())
PLANTED = ("no-internet-gateway", "s3-sse-missing", "kms-sign-key-policy")
"""Cases of tests/policy/cases.py whose failing resources are planted into the real prod plan."""


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("plans")
    clean = real_plan("zurich-prod")
    save(clean, folder / "clean.json")
    broken = real_plan("zurich-prod")
    for case in (c for c in CASES if c.id in PLANTED):
        broken["resources"] += [{**r, "urn": r["urn"].replace(f"urn:pulumi:{case.stack}::", "urn:pulumi:zurich-prod::")}
                                for r in case.failing]
    save(broken, folder / "broken.json")
    return {"clean": folder / "clean.json", "broken": folder / "broken.json"}


def _planted_rules() -> set[str]:
    return {c.rule for c in CASES if c.id in PLANTED}


def _run(plan: Path, fmt: str, out: Path) -> int:
    return main(["check", str(plan), "--format", fmt, "-o", str(out)])


@pytest.mark.parametrize("which", ["clean", "broken"])
def test_sarif_is_valid_sarif_2_1_0(plans, which, tmp_path):
    code = _run(plans[which], "sarif", tmp_path / "c.sarif")
    log = json.loads((tmp_path / "c.sarif").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    (run,) = log["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [r.id for r in RULES]
    found = {r["ruleId"] for r in run["results"]}
    if which == "clean":
        assert code == 0 and not found
    else:
        assert code == 1 and _planted_rules() <= found
        for result in run["results"]:
            (location,) = result["locations"]
            assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("urn:pulumi:zurich-prod::")
            assert location["physicalLocation"]["artifactLocation"]["uri"] == "stacks/Pulumi.zurich-prod.yaml"
            assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_rules_carry_their_controls(plans, tmp_path):
    _run(plans["clean"], "sarif", tmp_path / "c.sarif")
    rules = {r["id"]: r for r in json.loads((tmp_path / "c.sarif").read_text())["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["imdsv2"]["properties"]["controls"] == {"securityHub": ["EC2.8"], "cis": ["5.6"],
                                                        "checkov": ["CKV_AWS_79", "CKV_AWS_341"]}
    assert "securityHub:EC2.8" in rules["imdsv2"]["properties"]["tags"]


def test_a_violation_outside_the_known_rules_would_still_be_schema_valid(plans, tmp_path):
    """The schema itself rejects what a broken writer could produce (the validation can fail)."""
    _run(plans["broken"], "sarif", tmp_path / "c.sarif")
    log = json.loads((tmp_path / "c.sarif").read_text())
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SCHEMA).validate(log)


@pytest.mark.parametrize("which", ["clean", "broken"])
def test_junit_parses_one_case_per_rule(plans, which, tmp_path):
    _run(plans[which], "junit", tmp_path / "c.xml")
    cases = [case for suite in JUnitXml.fromfile(str(tmp_path / "c.xml")) for case in suite]
    assert [c.name for c in cases] == [r.id for r in RULES]
    failed = {c.name for c in cases if any(isinstance(r, Failure) for r in c.result)}
    assert failed == set() if which == "clean" else _planted_rules() <= failed


def test_json_lists_violations_with_urn_and_type(plans, tmp_path):
    assert _run(plans["broken"], "json", tmp_path / "c.json") == 1
    report = json.loads((tmp_path / "c.json").read_text())
    assert report["stack"] == "zurich-prod" and report["environment"] == "prod" and report["result"] == "violations"
    assert _planted_rules() <= {v["rule"] for v in report["violations"]}
    assert all(v["urn"].startswith("urn:pulumi:") and v["type"].startswith("aws:") for v in report["violations"])


@pytest.mark.parametrize("which", ["clean", "broken"])
def test_the_text_fits_columns_with_whole_tokens(plans, which, tmp_path, capsys, monkeypatch):
    """At COLUMNS=100 no line of `check` is longer, and each URN or ARN it prints is a whole
    value of its JSON result (not split across lines); -o writes what is printed."""
    import re

    monkeypatch.setenv("COLUMNS", "100")
    capsys.readouterr()
    code = main(["check", str(plans[which])])
    text = capsys.readouterr().out
    assert code == (0 if which == "clean" else 1)
    long = [line for line in text.splitlines() if len(line) > 100 and " " in line.strip()]
    assert not long, f"over 100 and not one token alone: {long[0]!r}"
    assert _run(plans[which], "json", tmp_path / "c.json") == code
    whole = (tmp_path / "c.json").read_text()
    tokens = set(re.findall(r"(?:urn:pulumi|arn:aws)[^\s\",]+", text))
    assert which == "clean" or tokens, "the violations name their resources"
    for token in tokens:
        assert token.rstrip(".;:)") in whole, f"{token!r} is not whole: split across lines?"
    assert main(["check", str(plans[which]), "-o", str(tmp_path / "c.txt")]) == code
    assert (tmp_path / "c.txt").read_text() == text
