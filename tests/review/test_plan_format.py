"""The plan format: versioned header, every resource with its metadata, deterministic,
secrets redacted (docs/plan-format.md)."""

from __future__ import annotations

import json

from pulumi.runtime import rpc

from tcenter.cli import main
from tcenter.plan.format import FORMAT, SECRET, VERSION, build_plan, dumps, redact

RESOURCE_KEYS = {"urn", "type", "name", "custom", "parent", "provider", "dependencies", "propertyDependencies",
                 "options", "inputs", "outputs"}


def test_plan_header_and_resource_fields(each_stack):
    plan = build_plan(each_stack)
    assert (plan["format"], plan["version"]) == (FORMAT, VERSION)
    assert plan["stack"] == each_stack.stack and plan["outputs"]
    assert len(plan["resources"]) == len(each_stack.resources)
    for resource in plan["resources"]:
        assert set(resource) == RESOURCE_KEYS, resource["urn"]
        assert set(resource["options"]) >= {"protect", "retainOnDelete"}
    urns = [r["urn"] for r in plan["resources"]]
    assert urns == sorted(urns)


def test_same_commit_and_config_give_byte_identical_plans(tmp_path, declared):
    """Two independent runs of the program through the CLI write the same bytes."""
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["plan", "dev", "-o", str(first)]) == 0
    assert main(["plan", "dev", "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text() == dumps(build_plan(declared("dev")))


def test_secrets_are_redacted_wherever_they_appear():
    secret = {rpc._special_sig_key: rpc._special_secret_sig, "value": "hunter2"}
    redacted = redact({"password": secret, "nested": [{"token": secret}], "plain": "visible"})
    assert redacted == {"nested": [{"token": SECRET}], "password": SECRET, "plain": "visible"}
    assert "hunter2" not in json.dumps(redacted)


def test_plan_carries_no_secret_marker_leak(each_stack):
    text = dumps(build_plan(each_stack))
    assert "secretsig" not in text.lower() and rpc._special_secret_sig not in text
