"""Deploy, preview and destroy stacks through Pulumi's Automation API, with a guard on prod.

    tcenter preview dev                 # pulumi preview --diff
    tcenter up staging --policy-pack policy
    tcenter destroy dev
    TCENTER_CONFIRM_DESTROY=zurich-prod tcenter destroy zurich-prod --confirm-destroy zurich-prod

The state backend and secrets provider come from the environment as for the Pulumi CLI
(PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE) or from --backend / --secrets-provider;
without either, state goes to the local file backend in .pulumi-state/ (docs/lifecycle.md).

Destroying a prod stack (environment `prod` in its stack file, or the name zurich-prod) is
refused unless the stack name is typed again with --confirm-destroy AND the environment
variable TCENTER_CONFIRM_DESTROY holds the same name: two deliberate acts, one of which a
CI job cannot do by accident. The guard runs before the Pulumi CLI is touched, so it
holds (and is tested) where the CLI is not installed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from components.awsfacts import REGION

from ..core.errors import GuardRefused, InputError
from ..core.stackfiles import PROJECT_ROOT, load_stack_values

PROTECTED_STACKS = ("zurich-prod",)
CONFIRM_ENV = "TCENTER_CONFIRM_DESTROY"
LOCAL_STATE_DIR = ".pulumi-state"
DEFAULT_POLICY_PACK = "policy"


class DestroyRefused(GuardRefused):
    """`destroy` of a prod stack without both confirmations."""


def is_protected(stack: str, project_dir: Path = PROJECT_ROOT) -> bool:
    """A stack whose destruction needs confirmation: named so, or prod by its stack file."""
    if stack in PROTECTED_STACKS:
        return True
    from components.config import declared_environment

    try:
        values = load_stack_values(stack, project_dir)
    except InputError:
        return True  # a stack we cannot read is treated as the most valuable kind
    return declared_environment(values) == "prod"


def check_destroy_allowed(stack: str, confirm: str | None, environ: Mapping[str, str],
                          project_dir: Path = PROJECT_ROOT) -> None:
    """Raise DestroyRefused unless destroying `stack` is allowed as asked."""
    if not is_protected(stack, project_dir):
        return
    missing = []
    if confirm != stack:
        missing.append(f"--confirm-destroy {stack} (the stack name, typed again)")
    if environ.get(CONFIRM_ENV) != stack:
        missing.append(f"{CONFIRM_ENV}={stack} in the environment")
    if missing:
        raise DestroyRefused(
            f"refusing to destroy {stack}: it holds the center's production keys, stores and audit trail. "
            f"Protected resources survive a destroy anyway (pulumi state unprotect first, see docs/lifecycle.md). "
            f"To go on, give {' and '.join(missing)}."
        )


@dataclass(frozen=True)
class Backend:
    """Where state and secrets live. Defaults: file backend in .pulumi-state/, passphrase."""

    url: str | None = None
    secrets_provider: str | None = None

    def env_vars(self, project_dir: Path, environ: Mapping[str, str]) -> dict[str, str]:
        url = self.url or environ.get("PULUMI_BACKEND_URL") or f"file://{(project_dir / LOCAL_STATE_DIR).resolve()}"
        return {"PULUMI_BACKEND_URL": url}


def zurich_backend(bucket: str, key_alias: str) -> Backend:
    """The S3 state backend in eu-central-2 with a KMS secrets provider (scripts/state-backend/)."""
    return Backend(f"s3://{bucket}?region={REGION}&awssdk=v2",
                   f"awskms://alias/{key_alias}?region={REGION}")


def select_stack(stack: str, backend: Backend, project_dir: Path = PROJECT_ROOT,
                 environ: Mapping[str, str] | None = None, state_dir: Path | None = None) -> Any:
    """The stack in a LocalWorkspace over PROJECT_DIR (the Pulumi CLI must exist). The local
    file backend lives in STATE_DIR (default PROJECT_DIR): `up` runs in a fresh copy of the
    approved commit, the state stays with the checkout it was deployed from."""
    from pulumi import automation as auto

    environ = os.environ if environ is None else environ
    state_dir = state_dir or project_dir
    if backend.url is None and "PULUMI_BACKEND_URL" not in environ:
        (state_dir / LOCAL_STATE_DIR).mkdir(exist_ok=True)
    options = auto.LocalWorkspaceOptions(
        work_dir=str(project_dir),
        env_vars=backend.env_vars(state_dir, environ),
        secrets_provider=backend.secrets_provider,
    )
    return auto.create_or_select_stack(stack_name=stack, work_dir=str(project_dir), opts=options)


StackFactory = Callable[[str, Backend], Any]


def _print(line: str) -> None:
    print(line, end="" if line.endswith("\n") else "\n")


def _factory(factory: StackFactory | None, project_dir: Path, state_dir: Path | None) -> StackFactory:
    return factory or (lambda stack, backend: select_stack(stack, backend, project_dir, state_dir=state_dir))


def preview(stack: str, backend: Backend = Backend(), policy_packs: tuple[str, ...] = (),
            factory: StackFactory | None = None, project_dir: Path = PROJECT_ROOT,
            policy_pack_configs: tuple[str, ...] = (), save_plan: str | None = None, state_dir: Path | None = None) -> Any:
    """`pulumi preview --diff`; with SAVE_PLAN, `--save-plan` (a Pulumi update plan reviewers can approve)."""
    target = _factory(factory, project_dir, state_dir)(stack, backend)
    return target.preview(diff=True, policy_packs=list(policy_packs) or None,
                          policy_pack_configs=list(policy_pack_configs) or None, plan=save_plan, on_output=_print)


def up(stack: str, backend: Backend = Backend(), policy_packs: tuple[str, ...] = (),
       factory: StackFactory | None = None, project_dir: Path = PROJECT_ROOT,
       policy_pack_configs: tuple[str, ...] = (), plan: str | None = None, state_dir: Path | None = None) -> Any:
    """`pulumi up`; with PLAN, `--plan` (the engine refuses any operation the saved plan lacks)."""
    target = _factory(factory, project_dir, state_dir)(stack, backend)
    return target.up(diff=True, policy_packs=list(policy_packs) or None,
                     policy_pack_configs=list(policy_pack_configs) or None, plan=plan, on_output=_print)


def destroy(stack: str, confirm: str | None = None, backend: Backend = Backend(),
            environ: Mapping[str, str] | None = None, factory: StackFactory | None = None,
            project_dir: Path = PROJECT_ROOT, state_dir: Path | None = None) -> Any:
    """Destroy a stack; prod stacks only with both confirmations (checked first)."""
    check_destroy_allowed(stack, confirm, os.environ if environ is None else environ, project_dir)
    target = _factory(factory, project_dir, state_dir)(stack, backend)
    return target.destroy(on_output=_print)
