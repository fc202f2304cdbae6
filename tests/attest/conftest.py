"""A moto server on 127.0.0.1 (free port), started and stopped here; the dev plan, planned once;
an account holding what that plan declares, provisioned through boto3 from the plan itself."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests import moto_server
from tests.attest.provision import Provisioner, plan_account, provision

pytest.importorskip("moto.server", reason="moto[server] is a test dependency (pyproject.toml)")

REQUEST_BUDGET = 2500  # moto requests per test: provisioning plus one attest run


@pytest.fixture(scope="session")
def dev_plan() -> dict[str, Any]:
    from tcenter.plan.format import plan_stack

    return plan_stack("dev")


@pytest.fixture(scope="session")
def prod_plan() -> dict[str, Any]:
    from tcenter.plan.format import plan_stack

    return plan_stack("zurich-prod")


@pytest.fixture(scope="session")
def moto_endpoint(dev_plan: dict[str, Any]) -> Iterator[str]:
    from tests.attest import moto_fixes

    moto_fixes.apply()
    environment = {"MOTO_ACCOUNT_ID": plan_account(dev_plan),
                   "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}  # AWS managed policies the plan attaches
    with moto_server.running(environment) as endpoint:
        yield endpoint

@pytest.fixture()
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The standard AWS environment pointed at moto; a fresh account per test."""
    import urllib.request

    for variable in [v for v in os.environ if v.startswith("AWS_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-2")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    yield moto_endpoint


class Recorder:
    """Every API call made through a session: service and operation."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name))
        assert len(self.calls) <= REQUEST_BUDGET, "request budget exceeded"


def account_session() -> Any:
    import boto3

    return boto3.Session(region_name="eu-central-2")


def recorded_session() -> tuple[Any, Recorder]:
    session = account_session()
    recorder = Recorder()
    session.events.register("before-call", recorder)
    return session, recorder


@pytest.fixture()
def deployed(aws_env: str, dev_plan: dict[str, Any]) -> Provisioner:
    return provision(account_session(), dev_plan)


@pytest.fixture()
def deployed_prod(aws_env: str, prod_plan: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Provisioner:
    """zurich-prod's account: moto's server (in this process) reads MOTO_ACCOUNT_ID on every request."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", plan_account(prod_plan))
    return provision(account_session(), prod_plan)
