"""preview / up / destroy through the Automation API, for real.

These need the Pulumi CLI (and its AWS provider plugin); `up` and `destroy` also need a
LocalStack emulator for the `local` stack. Nothing else depends on them: they skip, with
the reason, where those are missing (as on the build machines of this kit)."""

from __future__ import annotations

import os
import shutil
import urllib.request

import pytest

from tcenter.live import lifecycle

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("pulumi") is None,
                       reason="the Pulumi CLI is not on PATH (install it from pulumi.com to run the lifecycle tests)"),
]

LOCALSTACK_HEALTH = os.environ.get("TCENTER_LOCALSTACK_HEALTH", "http://localhost:4566/_localstack/health")


def _localstack_running() -> bool:
    try:
        with urllib.request.urlopen(LOCALSTACK_HEALTH, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def local_backend(tmp_path, monkeypatch):
    """A throwaway file backend and passphrase: the dev default, never the team's state."""
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "tcenter-lifecycle-test")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    return lifecycle.Backend(url=f"file://{tmp_path}")


def test_preview_local_stack_with_the_policy_pack(local_backend):
    if not _localstack_running():
        pytest.skip(f"no LocalStack at {LOCALSTACK_HEALTH} (docker run -p 4566:4566 localstack/localstack)")
    result = lifecycle.preview("local", local_backend, policy_packs=(str(lifecycle.PROJECT_ROOT / "policy"),))
    assert result.change_summary.get("create", 0) > 0


def test_up_then_destroy_local_stack(local_backend):
    if not _localstack_running():
        pytest.skip(f"no LocalStack at {LOCALSTACK_HEALTH} (docker run -p 4566:4566 localstack/localstack)")
    result = lifecycle.up("local", local_backend)
    assert result.summary.result == "succeeded"
    assert result.outputs["region"].value == "eu-central-2"
    destroyed = lifecycle.destroy("local", backend=local_backend, environ={})
    assert destroyed.summary.result == "succeeded"


def test_prod_destroy_is_refused_before_the_cli_runs(local_backend):
    with pytest.raises(lifecycle.DestroyRefused):
        lifecycle.destroy("zurich-prod", backend=local_backend, environ={})
