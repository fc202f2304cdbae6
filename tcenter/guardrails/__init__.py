"""The center's invariants: one rule set, run in two places.

Every rule is a pure function over a normalized view of the declared resources
(`model.Resource`: type token, camelCase inputs, protect, provider inputs, property
dependencies) so that both entry points feed the same code:

- the CrossGuard pack (policy/pack.py) maps `ResourceValidationArgs` and
  `StackValidationArgs` into the view during `pulumi preview` / `pulumi up`;
- `tcenter check PLAN.json` (guardrails/check.py) maps the resources of a plan file into it.

One module per domain (network, encryption, storage, keys, identity, audit, platform,
limits, transparency, owner, edge, intake, distribution); `RULES` below is the one explicit list, in the order reports use. This package
imports only the standard library, `components.awsfacts` and `tcenter.core.iamdoc` (the
policy pack runs it in its own virtualenv; tests/review/test_layers.py holds that).
"""

from __future__ import annotations

from .analysis import (
    ANALYSIS_CELLS_EPHEMERAL, ANALYSIS_CELLS_VERDICTS_ONLY, ANALYSIS_JOBS_CELLS_ONLY, ANALYSIS_SAMPLES_CELLS_ONLY,
    ANALYSIS_ZONE_ISOLATED,
)
from .audit import ACCOUNT_BASELINE, CLOUDTRAIL_VALIDATION, DETECTIVE_CONTROLS
from .distribution import DIST_ONLINE_KEYS, DIST_PUBLISHER_ONLY
from .edge import MUTUAL_TLS_NOT_BYPASSABLE, REGIONAL_ENDPOINTS_ONLY
from .encryption import CLOUDTRAIL_CMK, DYNAMODB_CMK, EBS_CMK, LOG_GROUP_CMK, S3_SSE_CMK, SECRET_CMK
from .identity import REVIEWER_DENIES
from .intake import INTAKE_BROKER_WRITE_ONLY
from .keys import CLOUDHSM, KEY_NO_ADMIN_GRANTS, KEY_POLICY_NO_WILDCARD, KMS_SIGN_SIGNERS_ONLY
from .limits import AWS_LIMITS
from .model import (
    Context,
    Resource,
    Rule,
    Stack,
    Violation,
    environment_of_stack,
    normalize,
    stack_of_urn,
)
from .network import (
    DNS_FIREWALL,
    ENDPOINT_POLICIES_PINNED,
    NO_DEFAULT_ROUTE,
    NO_INTERNET_GATEWAY,
    NO_OPEN_INGRESS,
    NO_PUBLIC_IP,
    VPC_ENDPOINTS,
    VPC_FLOW_LOGS,
)
from .owner import CUSTOMER_DATA_NAMED_PRINCIPALS
from .platform import IMDSV2, PROD_PROTECT, RESIDENCY, SSM_SESSION_LOGGING
from .storage import DYNAMODB_THROUGH_ENDPOINT, OBJECT_LOCK, S3_NO_PUBLIC_ACCESS
from .transparency import TLOG_COSIGNATURES_OWN_PREFIX, TLOG_CREATE_ONLY, TLOG_SEQUENCER_ONLY

__all__ = ["RULES", "Context", "Resource", "Rule", "Stack", "Violation", "check_all", "environment_of_stack",
           "normalize", "rule", "stack_of_urn"]

RULES: tuple[Rule, ...] = (
    RESIDENCY, NO_INTERNET_GATEWAY, NO_PUBLIC_IP, NO_OPEN_INGRESS, NO_DEFAULT_ROUTE, IMDSV2,
    EBS_CMK, S3_SSE_CMK, LOG_GROUP_CMK, DYNAMODB_CMK, CLOUDTRAIL_CMK, SECRET_CMK, OBJECT_LOCK, S3_NO_PUBLIC_ACCESS, AWS_LIMITS,
    KEY_POLICY_NO_WILDCARD, KEY_NO_ADMIN_GRANTS, KMS_SIGN_SIGNERS_ONLY, REVIEWER_DENIES, PROD_PROTECT, VPC_FLOW_LOGS, DNS_FIREWALL,
    CLOUDTRAIL_VALIDATION, CLOUDHSM, VPC_ENDPOINTS, ENDPOINT_POLICIES_PINNED, DYNAMODB_THROUGH_ENDPOINT,
    SSM_SESSION_LOGGING, DETECTIVE_CONTROLS, ACCOUNT_BASELINE,
    TLOG_CREATE_ONLY, TLOG_SEQUENCER_ONLY, TLOG_COSIGNATURES_OWN_PREFIX, CUSTOMER_DATA_NAMED_PRINCIPALS,
    REGIONAL_ENDPOINTS_ONLY, MUTUAL_TLS_NOT_BYPASSABLE, INTAKE_BROKER_WRITE_ONLY,
    DIST_PUBLISHER_ONLY, DIST_ONLINE_KEYS,
    ANALYSIS_SAMPLES_CELLS_ONLY, ANALYSIS_CELLS_VERDICTS_ONLY, ANALYSIS_ZONE_ISOLATED, ANALYSIS_CELLS_EPHEMERAL,
    ANALYSIS_JOBS_CELLS_ONLY,
)


def rule(rule_id: str) -> Rule:
    for candidate in RULES:
        if candidate.id == rule_id:
            return candidate
    raise KeyError(rule_id)


def check_all(stack: Stack) -> list[Violation]:
    """Every rule over every resource, then every stack rule; sorted for stable output."""
    context = Context(stack.environment)
    violations: list[Violation] = []
    for each in RULES:
        for resource in stack.resources:
            violations.extend(each.check_resource(resource, context))
        violations.extend(each.check_stack(stack))
    return sorted(set(violations), key=lambda v: (v.rule, v.urn, v.message))
