"""Out-of-band changes, generated from the model: for every resource type the stacks declare and
every input attest compares (coverage.COMPARED), one change made through the API on an account
provisioned as `pulumi up` leaves it; attest exits 4 and names the resource and what changed.
The changes are tests/attest/plants.py; an input without one says why (NOT_PLANTED, identity,
or a moto gap tested on AWS-shaped responses in test_recorded.py). One account per stack takes
all changes at once (each on its own input), so the run stays bounded."""

from __future__ import annotations

import contextlib
import os
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tcenter.core.errors import ExitCode
from tcenter.live import attest, coverage, identity
from tests.attest import plants
from tests.attest.conftest import account_session
from tests.attest.provision import Provisioner, plan_account, provision

MOTO_TYPES_UNREAD = {"aws:accessanalyzer/analyzer:Analyzer", "aws:ebs/defaultKmsKey:DefaultKmsKey",
                     "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults",
                     "aws:securityhub/standardsSubscription:StandardsSubscription"} | {
    t for t in coverage.COMPARED if t.startswith("aws:route53/resolverFirewall")}


def declared_fields(plans: list[dict[str, Any]]) -> list[tuple[str, str]]:
    types = {r["type"] for p in plans for r in p["resources"]}
    return sorted((t, f) for t in types if t in coverage.COMPARED for f in coverage.COMPARED[t])


def reason_unplanted(kind: str, field: str) -> str | None:
    if (kind, field) in plants.PLANTS:
        return None
    if field in {p.split(".")[0] for p in identity.IDENTITY[kind]}:
        return plants.IDENTITY
    if kind in MOTO_TYPES_UNREAD:
        return plants.NOT_IN_MOTO
    return plants.NOT_PLANTED.get((kind, field))


def test_every_compared_input_has_a_change_or_a_reason(dev_plan: dict[str, Any], prod_plan: dict[str, Any]) -> None:
    lacking = [f"{k}.{f}" for k, f in declared_fields([dev_plan, prod_plan])
               if (k, f) not in plants.PLANTS and reason_unplanted(k, f) is None]
    assert lacking == []
    stale = [key for key in {**plants.PLANTS, **plants.NOT_PLANTED} if key[1] not in coverage.COMPARED.get(key[0], {})]
    assert stale == []
    assert not set(plants.PLANTS) & set(plants.NOT_PLANTED)


def target(plan: dict[str, Any], kind: str, field: str) -> dict[str, Any]:
    """The declared resource a change goes to: the first of its type declaring the input
    (the last alias: repointing it must not take the first key's alias, changed itself)."""
    candidates = [r for r in plan["resources"] if r["type"] == kind]
    if kind == "aws:kms/key:Key":  # a key with an alias: its identity survives a new description
        aliased = {a["inputs"]["targetKeyId"] for a in plan["resources"] if a["type"] == "aws:kms/alias:Alias"}
        candidates = [r for r in candidates if r["outputs"]["id"] in aliased]
    declaring = [r for r in candidates if field in r["inputs"]] or candidates
    return declaring[-1] if (kind, field) in plants.LAST else declaring[0]


@contextlib.contextmanager
def moto_account(endpoint: str, plan: dict[str, Any]) -> Iterator[Provisioner]:
    """A fresh moto account for PLAN, provisioned as `pulumi up` leaves it, in the standard AWS
    environment pointed at the server (for module-scoped fixtures: the function-scoped ones reset it)."""
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "eu-central-2", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "MOTO_ACCOUNT_ID": plan_account(plan)}
    with pytest.MonkeyPatch.context() as mp:
        for variable in [v for v in os.environ if v.startswith("AWS_")]:
            mp.delenv(variable)
        for variable, value in env.items():
            mp.setenv(variable, value)
        with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10):
            pass
        yield provision(account_session(), plan)


def planted_report(endpoint: str, plan: dict[str, Any], keys: list[tuple[str, str]]) -> tuple[Any, dict[tuple[str, str], dict[str, Any]]]:
    with moto_account(endpoint, plan) as deployed:
        targets: dict[tuple[str, str], Any] = {}
        for key in keys:
            targets[key] = target(plan, *key)
            try:
                plants.PLANTS[key](deployed, targets[key])
            except Exception as error:  # noqa: BLE001 - the test of that change fails with it
                targets[key] = {**targets[key], "plant_error": f"{type(error).__name__}: {str(error)[:300]}"}
        report = attest.attest(plan, account_session())
    return report, targets


@pytest.fixture(scope="module")
def planted(moto_endpoint: str, dev_plan: dict[str, Any], prod_plan: dict[str, Any]) -> Iterator[dict[tuple[str, str], tuple[Any, dict]]]:
    results: dict[tuple[str, str], tuple[Any, dict]] = {}

    def declares(plan: dict[str, Any], kind: str, field: str | None = None) -> bool:
        return any(r["type"] == kind and (field is None or field in r["inputs"]) for r in plan["resources"])

    # On dev what dev declares; on zurich-prod the types, and the inputs of a type, only it declares.
    in_prod = {k for k in plants.PLANTS if declares(prod_plan, *k) and not declares(dev_plan, *k)
               or declares(prod_plan, k[0]) and not declares(dev_plan, k[0])}
    for plan, keys in ((dev_plan, [k for k in plants.PLANTS if declares(dev_plan, k[0]) and k not in in_prod]),
                       (prod_plan, sorted(in_prod))):
        for round_keys in ([k for k in keys if k not in plants.SECOND_ROUND], [k for k in keys if k in plants.SECOND_ROUND]):
            if round_keys:
                report, targets = planted_report(moto_endpoint, plan, round_keys)
                results.update({k: (report, targets[k]) for k in round_keys})
    yield results


def plant_ids() -> list[tuple[str, str]]:
    return sorted(plants.PLANTS)


@pytest.mark.parametrize("kind,field", plant_ids(), ids=[f"{k.split(':')[1]}.{f}" for k, f in plant_ids()])
def test_out_of_band_change_is_named(planted: dict[tuple[str, str], tuple[Any, dict]], dev_plan: dict[str, Any],
                                     kind: str, field: str) -> None:
    if (kind, field) not in planted:
        pytest.fail(f"{kind} is declared by neither dev nor zurich-prod: the change was not made")
    report, resource = planted[(kind, field)]
    assert "plant_error" not in resource, f"the change could not be made: {resource.get('plant_error')}"
    assert report.exit_code == ExitCode.DRIFT
    seen_type, label = plants.SEEN_ON.get((kind, field), (kind, coverage.COMPARED[kind][field]))
    if seen_type != kind:  # seen on the resource it points to
        names = {r["name"] for r in dev_plan["resources"] if r["type"] == seen_type}
        found = [f for f in report.findings if f.type == seen_type and f.name in names and label in f.message]
    else:
        found = [f for f in report.findings if f.type == kind and f.name == resource["name"] and f"{label}:" in f.message]
    assert found, f"{kind}.{field} changed on {resource['name']}: not reported as '{label}'\n" + "\n".join(
        f"{f.kind} {f.type} {f.name} {f.message[:200]}" for f in report.findings if f.name == resource["name"])
