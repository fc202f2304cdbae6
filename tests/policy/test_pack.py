"""The CrossGuard pack (policy/pack.py): the same cases, fed through Pulumi's policy
arguments, give the same verdicts as `tcenter check`."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from tcenter import guardrails as rules
from tcenter.plan.format import build_plan

from .cases import CASES, resource
from .conftest import case_resources


def _opts(entry: dict[str, Any]) -> PolicyResourceOptions:
    return PolicyResourceOptions(bool(entry["options"]["protect"]), [], False, [], PolicyCustomTimeouts(0, 0, 0), [],
                                 entry.get("parent") or None)


def _provider(entry: dict[str, Any], by_urn: dict[str, dict]) -> PolicyProviderResource | None:
    provider = by_urn.get(entry.get("provider") or "")
    if provider is None:
        return None
    return PolicyProviderResource(provider["type"], unknown_checking_proxy(dict(provider["inputs"])), provider["urn"],
                                  provider["name"])


def resource_args(entry: dict[str, Any], by_urn: dict[str, dict]) -> ResourceValidationArgs:
    """What the policy host hands a ResourceValidationPolicy during preview/up."""
    return ResourceValidationArgs(entry["type"], unknown_checking_proxy(dict(entry["inputs"])), entry["urn"],
                                  entry["name"], _opts(entry), _provider(entry, by_urn))


def stack_args(entries: list[dict[str, Any]]) -> StackValidationArgs:
    """What the policy host hands a StackValidationPolicy: every resource with its state."""
    by_urn = {e["urn"]: e for e in entries}
    resources = {
        e["urn"]: PolicyResource(e["type"], unknown_checking_proxy({**e["inputs"], **e.get("outputs", {})}), e["urn"],
                                 e["name"], _opts(e), _provider(e, by_urn), None, [], {})
        for e in entries
    }
    for e in entries:
        resources[e["urn"]].property_dependencies = {
            key: [resources[u] for u in urns if u in resources] for key, urns in (e.get("propertyDependencies") or {}).items()
        }
    return StackValidationArgs(list(resources.values()), {})


def pack_violations(pack, entries: list[dict[str, Any]], only: str | None = None) -> list[tuple[str, str, str]]:
    """Run every policy of the pack (or those of one rule) over `entries`."""
    found: list[tuple[str, str, str]] = []
    by_urn = {e["urn"]: e for e in entries}
    for policy in pack.POLICIES:
        if only is not None and policy.name not in (only, f"{only}-stack"):
            continue
        if isinstance(policy, ResourceValidationPolicy):
            for entry in entries:
                policy.validate(resource_args(entry, by_urn),
                                lambda message, urn=None, entry=entry, name=policy.name: found.append((name, entry["urn"], message)))
        else:
            policy.validate(stack_args(entries),
                            lambda message, urn=None, name=policy.name: found.append((name, urn or "", message)))
    return found


def test_one_mandatory_policy_per_check_of_every_rule(pack):
    names = {p.name for p in pack.POLICIES}
    for each in rules.RULES:
        if each.resource_check:
            assert each.id in names
        if each.stack_check:
            assert f"{each.id}-stack" in names
    assert all(p.enforcement_level == EnforcementLevel.MANDATORY for p in pack.POLICIES)
    assert all(isinstance(p, (ResourceValidationPolicy, StackValidationPolicy)) for p in pack.POLICIES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_pack_fails_on_the_failing_resource_and_passes_on_the_fixed_one(pack, case):
    assert pack_violations(pack, case_resources(case, "failing"), only=case.rule)
    assert pack_violations(pack, case_resources(case, "passing"), only=case.rule) == []


def test_pack_names_the_control_in_each_message(pack):
    case = next(c for c in CASES if c.id == "imdsv2-launch-template")
    [(name, urn, message)] = pack_violations(pack, case_resources(case, "failing"), only=case.rule)
    assert name == "imdsv2" and urn == case.failing[0]["urn"]
    assert rules.rule("imdsv2").control in message


def test_pack_agrees_with_check_on_every_stack(pack, each_stack):
    """The whole plan of each stack through the pack's mapping: same verdicts as `tcenter check`."""
    from tcenter.guardrails.check import check_plan

    plan = build_plan(each_stack)
    by_pack = sorted({(name.removesuffix("-stack"), urn) for name, urn, _ in pack_violations(pack, plan["resources"])})
    by_check = sorted({(v.rule, v.urn) for v in check_plan(plan)})
    assert by_pack == by_check


def test_pack_skips_values_unknown_during_preview(pack):
    """Pulumi's unknown sentinel reaches the policy as a raw value; the pack must not raise
    or report on it (pulumi up runs the pack again with the value known)."""
    from pulumi.runtime.rpc import UNKNOWN

    entries = [resource("dev", "aws:cloudtrail/trail:Trail", "t",
                        {"enableLogFileValidation": UNKNOWN, "isMultiRegionTrail": True, "kmsKeyId": UNKNOWN}),
               resource("dev", "aws:kms/key:Key", "k", {"policy": UNKNOWN})]
    assert pack_violations(pack, entries) == []


def test_prod_rules_follow_the_stack_of_the_urn(pack):
    key = next(c for c in CASES if c.id == "prod-protect-key").failing[0]
    as_dev = {**key, "urn": key["urn"].replace("zurich-prod", "dev")}
    assert pack_violations(pack, [key], only="prod-protect-stateful")
    assert pack_violations(pack, [as_dev], only="prod-protect-stateful") == []


def test_entry_point_serves_every_policy_as_mandatory(monkeypatch):
    """policy/__main__.py as the Pulumi CLI's policy host runs it (runpy, run_name="__main__"),
    with PolicyPack replaced so that no analyzer server starts."""
    import runpy

    import pulumi_policy

    from .conftest import POLICY_DIR

    served: list[dict] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: served.append(kwargs))
    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    monkeypatch.delitem(__import__("sys").modules, "pack", raising=False)
    runpy.run_path(str(POLICY_DIR / "__main__.py"), run_name="__main__")
    [pack_kwargs] = served
    assert pack_kwargs["enforcement_level"] == EnforcementLevel.MANDATORY
    assert {p.name for p in pack_kwargs["policies"]} >= {r.id for r in rules.RULES if r.resource_check}

    served.clear()
    runpy.run_path(str(POLICY_DIR / "__main__.py"), run_name="imported")
    assert served == []  # importing the entry point never serves
