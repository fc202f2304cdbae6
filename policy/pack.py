"""The CrossGuard policies: tcenter/guardrails/, fed by Pulumi's policy arguments.

One rule set, two entry points: `tcenter check` maps a plan file into the rules' view
(tcenter/guardrails/check.py); this module maps `ResourceValidationArgs` and `StackValidationArgs`
into the same view. Each rule with a single-resource check becomes a
ResourceValidationPolicy named after the rule; each rule with a cross-resource check
becomes a StackValidationPolicy named `<rule>-stack`. All are MANDATORY.

The environment (prod rules) comes from the pack config `environment` when set
(`pulumi preview --policy-pack policy --policy-pack-config policy-config.json`), else from
the stack name in the URN (`zurich-prod` and `*-prod` are prod).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

# The pack runs in its own virtualenv from policy/; the rules live in the project.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from pulumi_policy import (  # noqa: E402
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from tcenter.guardrails import (  # noqa: E402
    RULES,
    Context,
    Resource,
    Rule,
    Stack,
    environment_of_stack,
    normalize,
    stack_of_urn,
)

PACK_NAME = "transparency-center-invariants"

CONFIG_SCHEMA = PolicyConfigSchema(
    properties={"environment": {"type": "string", "enum": ["dev", "staging", "prod"]}},
)


def _unproxied(value: Any) -> Any:
    """The raw values behind pulumi_policy's unknown-checking proxies (nested at every
    level), so that an unknown is a value the rules can see, not an exception on access."""
    if isinstance(value, (Mapping, Sequence)) and not isinstance(value, (str, bytes)):
        try:
            value = value["__target"]
        except (KeyError, IndexError, TypeError):
            pass
        if isinstance(value, Mapping):
            return {str(k): _unproxied(v) for k, v in value.items()}
        return [_unproxied(v) for v in value]
    return value


def _plain(props: Any) -> dict[str, Any]:
    if props is None:
        return {}
    return normalize(_unproxied(props))


def _environment(config: Mapping[str, Any], urn: str) -> str:
    return environment_of_stack(stack_of_urn(urn), config.get("environment") if config else None)


def resource_view(args: ResourceValidationArgs) -> Resource:
    provider = getattr(args, "provider", None)
    return Resource(
        urn=args.urn,
        type=args.resource_type,
        name=args.name,
        inputs=_plain(args.props),
        protect=bool(getattr(args.opts, "protect", False)),
        provider=getattr(provider, "urn", "") or "",
        provider_inputs=_plain(provider.props) if provider is not None else None,
    )


def stack_view(args: StackValidationArgs) -> Stack:
    resources = []
    for item in args.resources:
        provider = getattr(item, "provider", None)
        values = _plain(item.props)
        resources.append(Resource(
            urn=item.urn,
            type=item.resource_type,
            name=item.name,
            inputs=values,
            protect=bool(getattr(item.opts, "protect", False)),
            provider=getattr(provider, "urn", "") or "",
            provider_inputs=_plain(provider.props) if provider is not None else None,
            property_dependencies={key: tuple(dep.urn for dep in deps)
                                   for key, deps in (item.property_dependencies or {}).items()},
            state=values,
        ))
    first = resources[0].urn if resources else ""
    return Stack(stack_of_urn(first), _environment(args.get_config(), first), tuple(resources))


def _resource_validation(rule: Rule):
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        context = Context(_environment(args.get_config(), args.urn))
        for violation in rule.check_resource(resource_view(args), context):
            report(f"{violation.message} [{rule.control}]")
    return validate


def _stack_validation(rule: Rule):
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        for violation in rule.check_stack(stack_view(args)):
            report(f"{violation.message} [{rule.control}]", violation.urn)
    return validate


def build_policies() -> list:
    policies: list = []
    for rule in RULES:
        if rule.resource_check is not None:
            policies.append(ResourceValidationPolicy(
                name=rule.id, description=f"{rule.description} ({rule.control})",
                validate=_resource_validation(rule), enforcement_level=EnforcementLevel.MANDATORY,
                config_schema=CONFIG_SCHEMA,
            ))
        if rule.stack_check is not None:
            policies.append(StackValidationPolicy(
                name=f"{rule.id}-stack", description=f"{rule.description} ({rule.control})",
                validate=_stack_validation(rule), enforcement_level=EnforcementLevel.MANDATORY,
                config_schema=CONFIG_SCHEMA,
            ))
    return policies


POLICIES = build_policies()
BY_NAME = {policy.name: policy for policy in POLICIES}
