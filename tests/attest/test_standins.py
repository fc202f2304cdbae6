"""The plan's stand-ins never reach a comparison: on accounts provisioned as `pulumi up` leaves
them (moto's ids in every document), every declared value attest compares is free of the ids,
ARNs and prefix-list CIDRs the mock engine invented and AWS replaced. Without the resolution the
same check fails, and the clean account drifts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tcenter.live import attest, resolve
from tests.attest.conftest import recorded_session
from tests.attest.provision import Provisioner


def compared_values(plan: dict[str, Any]) -> tuple[Any, list[tuple[str, str, str, str]]]:
    seen: list[tuple[str, str, str, str]] = []

    def trace(kind: str, name: str, field: str, value: Any) -> None:
        seen.append((kind, name, field, json.dumps(value, sort_keys=True)))

    report = attest.attest(plan, recorded_session()[0], trace=trace)
    return report, seen


def survivors(seen: list[tuple[str, str, str, str]], standins: set[str]) -> list[str]:
    return [f"{kind} {name}.{field}: {token}" for kind, name, field, text in seen for token in standins
            if token in text and not (field in ("ingress", "egress") and "/" in token)]  # CIDRs: compared as the prefix list


def check(deployed: Provisioner, plan: dict[str, Any]) -> None:
    standins = deployed.standins()
    assert len(standins) > 50, "the fixture must replace the mock engine's ids"
    report, seen = compared_values(plan)
    assert len(seen) > 500
    assert survivors(seen, standins) == []
    assert report.drift == []


def test_no_standin_reaches_a_comparison_dev(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    check(deployed, dev_plan)


def test_no_standin_reaches_a_comparison_prod(deployed_prod: Provisioner, prod_plan: dict[str, Any]) -> None:
    check(deployed_prod, prod_plan)


def test_without_resolution_standins_survive_and_the_clean_account_drifts(deployed: Provisioner, dev_plan: dict[str, Any],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resolve.Resolver, "apply", lambda self, value: value)
    report, seen = compared_values(dev_plan)
    assert survivors(seen, deployed.standins())
    assert len(report.drift) > 40


def test_invented_values_are_the_plans_outputs_no_input_declared(dev_plan: dict[str, Any]) -> None:
    invented = resolve.invented(dev_plan)
    key = next(r for r in dev_plan["resources"] if r["type"] == "aws:kms/key:Key")
    assert key["outputs"]["arn"] in invented and key["outputs"]["id"] in invented
    assert key["inputs"]["description"] not in invented
