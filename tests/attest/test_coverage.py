"""attest's coverage is data, held complete against every stack the kit declares (the center's
four and the organization project's): each type and each input is compared, or listed with the
reason it cannot be; the tables name only what exists; the docs name what attest cannot see."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tcenter.live import coverage, identity
from tcenter.plan.format import plan_stack

ROOT = Path(__file__).resolve().parents[2]
LIVE = ROOT / "tcenter" / "live"
REVIEW = " ".join((ROOT / "docs" / "review.md").read_text().split())  # words, whatever the line breaks


@pytest.fixture(scope="module")
def every_plan(dev_plan: dict[str, Any], prod_plan: dict[str, Any]) -> list[dict[str, Any]]:
    from tcenter.core.stackfiles import stack_names

    plans = [dev_plan, prod_plan] + [plan_stack(s) for s in stack_names(ROOT) if s not in ("dev", "zurich-prod")]
    organization = ROOT / "organization"
    plans += [plan_stack(s, project_dir=organization) for s in stack_names(organization)]
    return plans


def test_every_declared_type_and_input_is_compared_or_listed(every_plan: list[dict[str, Any]]) -> None:
    assert coverage.uncovered(every_plan) == []
    assert len({r["type"] for p in every_plan for r in p["resources"]}) > 60


def test_a_new_type_or_input_fails_the_coverage(dev_plan: dict[str, Any]) -> None:
    plan = copy.deepcopy(dev_plan)
    role = next(r for r in plan["resources"] if r["type"] == "aws:iam/role:Role")
    role["inputs"]["inlinePolicies"] = []
    plan["resources"].append({"type": "aws:ec2/transitGateway:TransitGateway", "name": "t", "custom": True, "inputs": {}})
    assert coverage.uncovered([plan]) == [
        "aws:ec2/transitGateway:TransitGateway: type neither compared nor in NOT_ATTESTED_TYPES",
        "aws:iam/role:Role.inlinePolicies: input neither compared nor in NOT_READABLE"]


def test_the_tables_are_consistent() -> None:
    for kind, inputs in coverage.NOT_READABLE.items():
        assert kind in coverage.COMPARED, kind
        for name, reason in inputs.items():
            assert name not in coverage.COMPARED[kind], f"{kind}.{name} is both compared and unreadable"
            assert len(reason) > 30, f"{kind}.{name}: give the reason"
    assert not set(coverage.NOT_ATTESTED_TYPES) & set(coverage.COMPARED)
    assert all(len(reason) > 15 for reason in coverage.NOT_ATTESTED_TYPES.values())
    for (kind, name) in coverage.DEFAULTS:
        assert name in coverage.COMPARED[kind], f"default for {kind}.{name}, which is not compared"
    # every compared type has an identity and a reader that puts it
    readers = "".join(p.read_text() for p in LIVE.glob("read_*.py"))
    for kind in coverage.COMPARED:
        assert kind in identity.IDENTITY, f"{kind}: no identity"
        assert f'"{kind}"' in readers, f"{kind}: no reader puts it"


def test_aws_created_exemptions_are_used_and_reasoned() -> None:
    sources = "".join(p.read_text() for p in LIVE.glob("*.py") if p.name != "coverage.py")
    for what, reason in coverage.AWS_CREATED.items():
        assert len(reason) > 30, what
        assert what in sources or what.split(" (")[0] in sources or "local" in what or "managed policies" in what, \
            f"exemption {what!r} is used by no reader"


def test_docs_say_what_attest_cannot_see() -> None:
    for kind, inputs in coverage.NOT_READABLE.items():
        for name in inputs:
            assert f"`{name}`" in REVIEW, f"docs/review.md does not name the unreadable input {kind}.{name}"
    for api in coverage.MOTO_UNSUPPORTED:
        assert f"`{api}`" in REVIEW, f"docs/review.md does not name the moto gap {api}"
    for what in coverage.AWS_CREATED:
        assert what.split(" (")[0] in REVIEW, f"docs/review.md does not name the exemption {what!r}"
