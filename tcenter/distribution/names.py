"""The distribution repository's layout, one home for both sides (repository and client).

One TUF repository per signing class (its own bucket, its own timestamp expiry):

    metadata/1.root.json ...            root versions (root-threshold, offline: reviewers + vendor)
    metadata/N.targets.json             top-level targets: policy.json, and the class's delegation
    metadata/N.<class>.json             the class's role (products: vendor + reviewer, threshold 2)
    metadata/N.<class>-bin-XX.json      AV databases: hashed bins (TAP 15 succinct delegation)
    metadata/N.snapshot.json            online (KMS)
    metadata/timestamp.json             online (KMS), the only file without a version prefix
    targets/policy.json                 (consistent snapshots: targets/<sha256>.policy.json)
    targets/<class>/<sha256>.<name>     a release and its companions:
        <name>                          the file customers install
        <name>.intoto.json              the vendor's SLSA provenance (DSSE, the class's release key)
        <name>.tlog-proof               its transparency-log proof (C2SP tlog-proof)
        <name>.rebuild.<org>.intoto.json  products: a reviewer organization's rebuild attestation
"""

from __future__ import annotations

import re

SIGNING_CLASSES = ("products", "av-databases")
METADATA_PREFIX = "metadata/"
TARGETS_PREFIX = "targets/"
POLICY_TARGET = "policy.json"
VENDOR = "vendor"
"""The holder name of the vendor's keys; every other holder is a reviewer organization."""
HOLDER_FIELD = "x-tcenter-holder"
"""An extra field of a TUF key (kept by python-tuf, not part of its key ID): who holds it."""
PROVENANCE_SUFFIX = ".intoto.json"
PROOF_SUFFIX = ".tlog-proof"
REBUILD_INFIX = ".rebuild."
BIN_SUFFIX = "-bin"
TOP_LEVEL = ("root", "targets", "snapshot", "timestamp")
ONLINE_ROLES = ("snapshot", "timestamp")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,254}")
_ORG = re.compile(r"[a-z][a-z0-9-]{1,30}[a-z0-9]")


def valid_name(name: str) -> bool:
    """A release name as the log's entries allow it (no slash, no leading dot)."""
    return bool(_NAME.fullmatch(name)) and REBUILD_INFIX not in name and not name.endswith((PROVENANCE_SUFFIX, PROOF_SUFFIX))


def class_role(signing_class: str) -> str:
    return signing_class


def bin_prefix(signing_class: str) -> str:
    return f"{signing_class}{BIN_SUFFIX}"


def target_path(signing_class: str, name: str) -> str:
    return f"{signing_class}/{name}"


def provenance_path(signing_class: str, name: str) -> str:
    return f"{signing_class}/{name}{PROVENANCE_SUFFIX}"


def proof_path(signing_class: str, name: str) -> str:
    return f"{signing_class}/{name}{PROOF_SUFFIX}"


def rebuild_path(signing_class: str, name: str, organization: str) -> str:
    return f"{signing_class}/{name}{REBUILD_INFIX}{organization}{PROVENANCE_SUFFIX}"


def valid_organization(name: str) -> bool:
    return bool(_ORG.fullmatch(name)) and name != VENDOR
