"""policy.json: what a client checks beyond TUF, for one class. It is a target of the top-level
targets role, which only the root threshold signs (reviewers + vendor, never the vendor alone),
so the log key, the witnesses, the release key and the builder set are the reviewers' word too.

    {"type": "tcenter-distribution-policy", "version": 1, "class": "products",
     "log": {"origin": "...", "key": "<C2SP verifier key of the log>"},
     "witnesses": {"<organization>": ["<C2SP witness verifier key>", ...]}, "quorum": 2,
     "releaseKey": "<PEM of the class's release signing key>",
     "pool": "products", "builders": ["products-1", "products-2", "products-3"], "minBuilders": 2}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .errors import BadInput
from .names import SIGNING_CLASSES

POLICY_TYPE = "tcenter-distribution-policy"
POLICY_VERSION = 1


@dataclass(frozen=True)
class ClientPolicy:
    signing_class: str
    log_origin: str
    log_key: str
    witnesses: Mapping[str, Sequence[str]]
    quorum: int
    release_key: str
    pool: str
    builders: tuple[str, ...]
    min_builders: int

    def to_json(self) -> bytes:
        document = {
            "type": POLICY_TYPE, "version": POLICY_VERSION, "class": self.signing_class,
            "log": {"origin": self.log_origin, "key": self.log_key},
            "witnesses": {org: sorted(keys) for org, keys in sorted(self.witnesses.items())}, "quorum": self.quorum,
            "releaseKey": self.release_key, "pool": self.pool, "builders": sorted(self.builders),
            "minBuilders": self.min_builders,
        }
        return json.dumps(document, sort_keys=True, indent=1).encode() + b"\n"

    def witness_policy(self) -> Any:
        from tcenter.transparency.cosignature import WitnessPolicy, parse_witness_key

        return WitnessPolicy(self.quorum, {org: [parse_witness_key(k) for k in keys]
                                           for org, keys in self.witnesses.items()})

    def log_verifier(self) -> Any:
        from tcenter.transparency.note import parse_verifier_key

        return parse_verifier_key(self.log_key)


def parse_policy(data: bytes, signing_class: str) -> ClientPolicy:
    """The policy for `signing_class`; `BadInput` unless it is exactly in the format."""
    try:
        document = json.loads(data)
        if document.get("type") != POLICY_TYPE or document.get("version") != POLICY_VERSION:
            raise ValueError(f"not a {POLICY_TYPE} version {POLICY_VERSION}")
        policy = ClientPolicy(
            signing_class=str(document["class"]), log_origin=str(document["log"]["origin"]),
            log_key=str(document["log"]["key"]),
            witnesses={str(org): [str(k) for k in keys] for org, keys in dict(document["witnesses"]).items()},
            quorum=int(document["quorum"]), release_key=str(document["releaseKey"]), pool=str(document["pool"]),
            builders=tuple(str(b) for b in document["builders"]), min_builders=int(document["minBuilders"]))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BadInput(f"policy.json: {error}") from None
    if policy.signing_class != signing_class or signing_class not in SIGNING_CLASSES:
        raise BadInput(f"policy.json is for class {policy.signing_class!r}, not {signing_class!r}")
    if policy.min_builders < 2 or policy.quorum < 1 or len(set(policy.builders)) < policy.min_builders:
        raise BadInput(f"policy.json: minBuilders {policy.min_builders} (>= 2), quorum {policy.quorum} (>= 1), "
                       f"{len(set(policy.builders))} builders")
    return policy
