"""The prod destroy guard of tcenter.lifecycle, tested without the Pulumi CLI: a refused
destroy must never reach the stack."""

from __future__ import annotations

import pytest

from tcenter.cli import main
from tcenter.live import lifecycle
from tcenter.live.lifecycle import CONFIRM_ENV, DestroyRefused


class FakeStack:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def destroy(self, **kwargs):
        self.calls.append("destroy")
        return "destroyed"


def _factory(selected: list[str], stack: FakeStack):
    def factory(name, backend):
        selected.append(name)
        return stack
    return factory


def test_prod_destroy_is_refused_without_confirmation():
    selected: list[str] = []
    stack = FakeStack()
    with pytest.raises(DestroyRefused) as caught:
        lifecycle.destroy("zurich-prod", confirm=None, environ={}, factory=_factory(selected, stack))
    assert selected == [] and stack.calls == []  # the workspace was never even opened
    assert "--confirm-destroy zurich-prod" in str(caught.value) and CONFIRM_ENV in str(caught.value)


@pytest.mark.parametrize("confirm, environ", [
    ("zurich-prod", {}),                                   # flag only
    (None, {CONFIRM_ENV: "zurich-prod"}),                  # env only
    ("zurich", {CONFIRM_ENV: "zurich-prod"}),              # mistyped flag
    ("zurich-prod", {CONFIRM_ENV: "yes"}),                 # env not the stack name
    ("dev", {CONFIRM_ENV: "dev"}),                         # another stack's confirmation
])
def test_prod_destroy_needs_both_confirmations(confirm, environ):
    stack = FakeStack()
    with pytest.raises(DestroyRefused):
        lifecycle.destroy("zurich-prod", confirm=confirm, environ=environ, factory=_factory([], stack))
    assert stack.calls == []


def test_prod_destroy_goes_ahead_with_both_confirmations():
    stack = FakeStack()
    result = lifecycle.destroy("zurich-prod", confirm="zurich-prod", environ={CONFIRM_ENV: "zurich-prod"},
                               factory=_factory([], stack))
    assert result == "destroyed" and stack.calls == ["destroy"]


@pytest.mark.parametrize("stack_name", ["dev", "staging", "local"])
def test_other_stacks_destroy_without_confirmation(stack_name):
    stack = FakeStack()
    lifecycle.destroy(stack_name, environ={}, factory=_factory([], stack))
    assert stack.calls == ["destroy"]


def test_any_stack_whose_file_says_prod_is_guarded(tmp_path):
    """A second prod stack (say zurich-prod-2) is guarded by its environment, not its name."""
    (tmp_path / "Pulumi.yaml").write_text("name: transparency-center\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dr.yaml").write_text("config:\n  transparency-center:environment: prod\n")
    (tmp_path / "stacks" / "Pulumi.sandbox.yaml").write_text("config:\n  transparency-center:environment: dev\n")
    assert lifecycle.is_protected("dr", tmp_path)
    assert not lifecycle.is_protected("sandbox", tmp_path)
    assert lifecycle.is_protected("unknown-stack", tmp_path)  # unreadable: guarded
    with pytest.raises(DestroyRefused):
        lifecycle.destroy("dr", environ={}, factory=_factory([], FakeStack()), project_dir=tmp_path)


def test_command_line_refuses_with_exit_status_3(monkeypatch, capsys):
    monkeypatch.delenv(CONFIRM_ENV, raising=False)
    assert main(["destroy", "zurich-prod"]) == 3
    assert "refusing to destroy zurich-prod" in capsys.readouterr().err


def test_zurich_backend_keeps_state_and_secrets_in_eu_central_2():
    backend = lifecycle.zurich_backend("tc-333333333333-pulumi-state", "tc-pulumi-state")
    assert backend.url == "s3://tc-333333333333-pulumi-state?region=eu-central-2&awssdk=v2"
    assert backend.secrets_provider == "awskms://alias/tc-pulumi-state?region=eu-central-2"


def test_default_backend_is_the_local_file_backend(tmp_path):
    assert lifecycle.Backend().env_vars(tmp_path, {}) == {"PULUMI_BACKEND_URL": f"file://{tmp_path / '.pulumi-state'}"}
    assert lifecycle.Backend().env_vars(tmp_path, {"PULUMI_BACKEND_URL": "s3://b"}) == {"PULUMI_BACKEND_URL": "s3://b"}
