"""The one validated config model of a stack, and the only code that reads stack config.

A stack file (`stacks/Pulumi.<stack>.yaml`) holds `aws:region` and one structured key per
section under the `transparency-center:` namespace. `load_config` turns the raw Pulumi
config map into a `CenterConfig` or raises `ConfigError`, whose lines name the full key,
the bad value and what is allowed, before any resource is declared.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from pydantic import Field, ValidationError, ValidationInfo, field_validator

from .access import AccessConfig
from .analysis import AnalysisConfig
from .approvals import ApprovalsConfig
from .audit import AuditConfig
from .base import PROJECT, REGION, Environment, StrictModel, decode_value, is_prod, problem_message
from .build import BuildConfig
from .data import DataStoresConfig
from .detective import DetectiveConfig
from .distribution import DistributionConfig
from .intake import IntakeConfig, intake_problems
from .localstack import LocalStackConfig
from .network import NetworkConfig
from .reviewers import ReviewersConfig, reviewer_account_problems
from .signing import SigningConfig
from .transparency import TransparencyConfig

__all__ = [
    "AccessConfig", "AnalysisConfig", "ApprovalsConfig", "AuditConfig", "BuildConfig", "CenterConfig", "ConfigError",
    "DataStoresConfig", "DetectiveConfig", "DistributionConfig", "IntakeConfig", "LocalStackConfig", "NetworkConfig",
    "PROJECT", "REGION", "ReviewersConfig", "SigningConfig", "TransparencyConfig", "approvals_section",
    "declared_environment", "load_config", "load_from_pulumi",
    "load_stack_file", "section_keys",
]

if TYPE_CHECKING:
    from ..layout import NetworkPlan

OTHER_NAMESPACE_KEYS = {"aws:region"}
ENVIRONMENTS = ("dev", "staging", "prod")
"""Keys outside the project namespace that a stack may set; the explicit providers read the region."""


class ConfigError(ValueError):
    """A stack config that must not be deployed. `problems` are (key, message) pairs."""

    def __init__(self, stack: str, problems: list[tuple[str, str]]):
        self.stack = stack
        self.problems = problems
        lines = "\n".join(f"  {key}: {message}" for key, message in problems)
        super().__init__(f"stack {stack!r} has invalid config (nothing was declared):\n{lines}")


class CenterConfig(StrictModel):
    """Everything a stack says about the center, validated as a whole."""

    stack: str
    environment: Environment
    region: str
    access: AccessConfig
    network: NetworkConfig
    build: BuildConfig
    signing: SigningConfig = Field(default_factory=dict)  # validated with the stack's environment
    data_stores: DataStoresConfig
    audit: AuditConfig = Field(default_factory=dict)  # validated with the stack's environment
    reviewers: ReviewersConfig = Field(default_factory=dict)  # validated with the stack's environment
    approvals: ApprovalsConfig = Field(default_factory=dict)  # validated with the stack's environment
    detective: DetectiveConfig = Field(default_factory=dict)  # validated with the stack's environment
    intake: IntakeConfig | None = None
    """The sample intake (docs/intake.md); a stack without it declares no intake."""
    transparency: TransparencyConfig = Field(default_factory=dict)  # validated with the stack's environment
    distribution: DistributionConfig = Field(default_factory=dict)  # validated with the stack's environment
    analysis: AnalysisConfig = Field(default_factory=dict)  # validated with the stack's environment
    localstack: LocalStackConfig | None = None
    """Set only by the `local` stack: every provider talks to a LocalStack emulator."""

    @field_validator("localstack")
    @classmethod
    def _localstack(cls, value: LocalStackConfig | None, info: ValidationInfo) -> LocalStackConfig | None:
        if value is not None and is_prod(info):
            raise ValueError("prod never talks to an emulator: remove the localstack section (it is for the local stack)")
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, region: str) -> str:
        if region != REGION:
            raise ValueError(
                f"must be {REGION!r} (Zurich): customer data, builds and signing keys stay in "
                "Switzerland (data residency)"
            )
        return region

    def network_plan(self) -> "NetworkPlan":
        from ..layout import plan_network  # layout imports config.base; import it late

        return plan_network(
            supernet=self.network.supernet,
            az_ids=self.network.availability_zones,
            reviewer_cidrs={org.name: org.cidr for org in self.reviewers.organizations},
            pinned_core_cidrs=self.network.zone_cidrs,
            zone_prefix=self.network.zone_prefix_length,
            analysis_cidr=(self.analysis.cidr or "") if self.analysis.enabled else None,
        )

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"


def cross_section_problems(config: CenterConfig) -> list[tuple[str, str]]:
    """Rules that span sections; each problem names the key to change."""
    problems: list[tuple[str, str]] = []
    needed = config.signing.min_agreeing_builders
    for pool in config.build.pools:
        if pool.builders < needed:
            problems.append((f"{PROJECT}:build.pools[{pool.name}].builders",
                             f"signing.minAgreeingBuilders is {needed}: a pool of {pool.builders} builder(s) could never "
                             "release (each builder is one identity and cannot vouch for itself)"))
    if config.is_prod:
        for org in config.reviewers.organizations:
            if org.cidr is None:
                problems.append((f"{PROJECT}:reviewers.organizations[{org.name}].cidr",
                                 "prod pins every reviewer CIDR, so that adding an organization never moves another one's subnets"))
        hsm = config.signing.cloudhsm
        if hsm is not None and hsm.hsms < len(config.network.availability_zones):
            problems.append((f"{PROJECT}:signing.cloudhsm.hsms",
                             f"prod puts an HSM in every availability zone: {hsm.hsms} HSMs for "
                             f"{len(config.network.availability_zones)} zones"))
    if config.is_prod and config.analysis.enabled and config.analysis.cidr is None:
        problems.append((f"{PROJECT}:analysis.cidr",
                         "prod pins the analysis zone's CIDR, so that adding a zone never moves the cells"))
    for region, others in config.analysis.also_serves.items():
        for other in [region, *others]:
            if other not in config.data_stores.customer_regions:
                problems.append((f"{PROJECT}:analysis.alsoServes.{region}",
                                 f"{other!r} has no store; stores: {list(config.data_stores.customer_regions)}"))
    reviewer_names = {org.name for org in config.reviewers.organizations}
    for witness in config.transparency.witnesses:
        if witness.organization not in reviewer_names:
            problems.append((f"{PROJECT}:transparency.witnesses[{witness.organization}]",
                             f"{witness.organization!r} is not a reviewer organization ({sorted(reviewer_names)}): "
                             "only a reviewer organization has a cosignature prefix and a role to write it"))
    problems.extend(distribution_problems(config, reviewer_names))
    if config.localstack is not None and config.detective.enabled:
        problems.append((f"{PROJECT}:detective.enabled",
                         "LocalStack emulates neither Security Hub, GuardDuty, Access Analyzer nor AWS Config: "
                         "set detective.enabled: false in the local stack"))
    if config.intake is not None:
        organizations = len([org for org in config.approvals.organizations if org.active_keys])
        problems.extend((f"{PROJECT}:{key}", message) for key, message in intake_problems(
            config.intake, list(config.data_stores.customer_regions), config.access.account_id, organizations,
            config.transparency.enabled))
    from ..layout import LayoutError

    try:
        config.network_plan()
    except LayoutError as error:
        problems.append((f"{PROJECT}:{error.key}", error.message))
    problems.extend((f"{PROJECT}:{key}", message)
                    for key, message in reviewer_account_problems(config.reviewers, config.access.account_id, config.is_prod))
    if config.is_prod and config.access.deploy_role is None:
        problems.append((f"{PROJECT}:access.deployRole",
                         "prod names the role that deploys (the deploy workflow's role, one of keyAdministrators): "
                         "the organization's SCPs let only it pass the center's roles and rewrite its policies"))
    writer = config.build.source_mirror_writer
    if writer is not None and writer.split(":")[4] != config.access.account_id:
        problems.append((f"{PROJECT}:build.sourceMirrorWriter",
                         f"{writer} is not in the stack's account {config.access.account_id}"))
    supernet = ipaddress.IPv4Network(config.network.supernet)
    for org in config.reviewers.organizations:
        if org.client_vpn is not None and ipaddress.IPv4Network(org.client_vpn.client_cidr).overlaps(supernet):
            problems.append((f"{PROJECT}:reviewers.organizations[{org.name}].clientVpn.clientCidr",
                             f"{org.client_vpn.client_cidr} overlaps the VPC {supernet}"))
    return problems


def distribution_problems(config: CenterConfig, reviewer_names: set[str]) -> list[tuple[str, str]]:
    """The distribution's keyholders and rebuilders are reviewer organizations; it needs the log."""
    problems: list[tuple[str, str]] = []
    distribution = config.distribution
    if not distribution.enabled:
        return problems
    if not config.transparency.enabled:
        problems.append((f"{PROJECT}:distribution.enabled", "the clients install only logged releases: enable the "
                                                            "transparency log (transparency.enabled) first"))
    for key in distribution.root.keys if distribution.root else []:
        if key.holder != "vendor" and key.holder not in reviewer_names:
            problems.append((f"{PROJECT}:distribution.root.keys[{key.holder}]",
                             f"{key.holder!r} is neither 'vendor' nor a reviewer organization ({sorted(reviewer_names)})"))
    scopes = {org.name: set(org.scopes) for org in config.reviewers.organizations}
    for rebuilder in distribution.rebuilders:
        if rebuilder.organization not in reviewer_names:
            problems.append((f"{PROJECT}:distribution.rebuilders[{rebuilder.organization}]",
                             f"{rebuilder.organization!r} is not a reviewer organization ({sorted(reviewer_names)})"))
        elif not {"sources", "builds"} <= scopes[rebuilder.organization]:
            problems.append((f"{PROJECT}:distribution.rebuilders[{rebuilder.organization}]",
                             f"{rebuilder.organization} rebuilds releases from the reviewed source: it needs the "
                             "'sources' and 'builds' scopes"))
    return problems


SECTION_FIELDS = {
    name: (field.alias or name) for name, field in CenterConfig.model_fields.items() if name not in {"stack", "region"}
}


def section_keys() -> list[str]:
    """Every key the kit reads, as written in a stack file."""
    return sorted(["aws:region", *(f"{PROJECT}:{alias}" for alias in SECTION_FIELDS.values())])


def _key_path(loc: tuple, data: Mapping[str, Any]) -> str:
    """Turn a pydantic error location into the key as a stack file spells it."""
    if not loc:
        return f"{PROJECT}:*"
    head, *rest = loc
    if head == "region":
        return "aws:region"
    path = f"{PROJECT}:{head}"
    node: Any = data.get(head)
    for part in rest:
        if isinstance(part, int):
            name = node[part].get("name") if isinstance(node, list) and part < len(node) and isinstance(node[part], dict) else None
            path += f"[{name}]" if name else f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            path += f".{part}"
            node = node.get(part) if isinstance(node, dict) else None
    return path


def load_config(raw: Mapping[str, Any], stack: str) -> CenterConfig:
    """Validate a stack's raw Pulumi config map (`namespace:key` -> value)."""
    problems: list[tuple[str, str]] = []
    data: dict[str, Any] = {"stack": stack}
    allowed = set(SECTION_FIELDS.values())
    for key in sorted(raw):
        namespace, _, name = key.partition(":")
        if key in OTHER_NAMESPACE_KEYS:
            data["region"] = decode_value(raw[key])
        elif namespace == PROJECT and name in allowed:
            data[name] = decode_value(raw[key])
        else:
            problems.append((key, f"unknown key; the kit reads only {section_keys()}"))
    if problems:
        raise ConfigError(stack, problems)
    environment = data.get("environment")
    if environment not in ENVIRONMENTS:
        # The environment decides which rules apply; nothing else can be judged without it.
        raise ConfigError(stack, [(f"{PROJECT}:environment",
                                   f"must be one of {list(ENVIRONMENTS)} (got {environment!r})")])
    try:
        config = CenterConfig.model_validate(data, context={"environment": environment})
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            message = problem_message(detail)
            if detail["type"] != "extra_forbidden" and "input" in detail and detail["type"] not in ("missing",) and not isinstance(detail["input"], (dict, list)) \
                    and repr(detail["input"]) not in message:
                message = f"{message} (got {detail['input']!r})"
            problems.append((_key_path(tuple(detail["loc"]), data), message))
        raise ConfigError(stack, problems) from None
    problems = cross_section_problems(config)
    if problems:
        raise ConfigError(stack, problems)
    return config


def declared_environment(values: Mapping[str, Any]) -> str | None:
    """The environment a stack file's config values (as written) declare, or None."""
    environment = decode_value(values.get(f"{PROJECT}:environment"))
    return environment if environment in ENVIRONMENTS else None


def approvals_section(values: Mapping[str, Any], where: str) -> ApprovalsConfig:
    """The validated approvals section of a stack file's config values (as written), judged
    with the environment the file declares (prod when it declares none: stricter, never
    looser). WHERE names the file or revision in the one-line error."""
    environment = declared_environment(values) or "prod"
    try:
        return ApprovalsConfig.model_validate(decode_value(values.get(f"{PROJECT}:approvals")) or {},
                                              context={"environment": environment})
    except ValidationError as error:
        first = str(error).splitlines()
        raise ConfigError(where, [(f"{PROJECT}:approvals", " ".join(first[1:3]) or first[0])]) from None


def load_stack_file(path: "Path") -> CenterConfig:
    """Validate a center stack file (stacks/Pulumi.<stack>.yaml) outside a Pulumi run: the
    organization project reads the center's principals from it."""
    import yaml

    stack = path.name[len("Pulumi."):-len(".yaml")]
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(stack, [(str(path.name), f"cannot be read as YAML: {error}")]) from None
    values = document.get("config") if isinstance(document, dict) else None
    if not isinstance(values, dict):
        raise ConfigError(stack, [(str(path.name), "has no 'config' mapping")])
    return load_config(values, stack)


def load_from_pulumi() -> CenterConfig:
    """Read the running stack's config from the Pulumi runtime (the CLI or the mock engine)."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    raw: dict[str, Any] = dict(runtime_config.get_config_env())
    raw.update(runtime_config.CONFIG.get())
    return load_config(raw, pulumi.get_stack())
